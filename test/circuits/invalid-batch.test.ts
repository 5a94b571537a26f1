/**
 * Batch-level lies a malicious prover could try, each on an otherwise consistent input: L1 outcomes
 * other than the STF's (applying a no-op, skipping an op, refunding what applied or not refunding a
 * no-op), wrong roots, exit root, counters, counts, data that does not match c/f, the fee table, and
 * padding slots that carry something.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { evaluateAt } from '../../src/core/batch-commitment.ts';
import { frMod, type Fr } from '../../src/core/field.ts';
import { applyBatch, BatchError } from '../../src/core/stf.ts';
import { domainHash } from '../../src/core/tx.ts';
import type { BatchCircuitInput } from '../../src/prover/witness.ts';
import { circuitScenario, type ScenarioBatch } from '../../scripts/vectors-circuit.ts';
import { circuitElements, forgeBatch, rehash, type ForgeSpec } from './forge.ts';
import { assertRejected, assertRejectedAt, judge, TEST_CONFIG } from './helpers.ts';

const SCENARIO = circuitScenario();
function batch(name: string): ScenarioBatch {
  const b = SCENARIO.find((x) => x.name.startsWith(name));
  assert.ok(b !== undefined, name);
  return b;
}
/** The forge spec that reproduces a scenario batch with the STF's outcomes. */
function honest(b: ScenarioBatch): ForgeSpec & { l1: { op: ScenarioBatch['l1Ops'][number]; apply: boolean }[] } {
  return {
    state: b.state,
    l1: b.l1Ops.map((op, i) => ({ op, apply: b.result.l1Receipts[i]?.status === 'applied' })),
    txs: b.result.included.map((tx) => ({ tx })),
    feeTable: b.feeTable,
    batchNum: b.header.batchNum,
    l1Start: b.header.l1Start,
  };
}
const RICH = 'deposit + two transfers';
const WITHDRAW = 'forceExit applied + withdraw';
const PADDED = 'deposit to an unknown account: refund; one padding L2 slot';

test('every L1 op of the scenario: the opposite of the STF outcome and a flipped refund are rejected', async () => {
  let cases = 0;
  const sameEffect: string[] = [];
  for (const b of SCENARIO.filter((x) => x.l1Ops.length > 0)) {
    const spec = honest(b);
    const input = forgeBatch(spec);
    // The builder's input for the STF outcome (accepted: vectors.test.ts) is what the forge makes of it.
    assert.deepEqual(input, b.input, `${b.name}: the forge does not reproduce the builder`);
    const flipped = forgeBatch({ ...spec, l1: spec.l1.map((x) => ({ ...x, apply: !x.apply })) });
    // Applying a forceTransfer of 0 changes nothing, so "applied" and "no-op" are the same batch.
    if (isDeepStrictEqual(flipped, input)) sameEffect.push(b.name);
    else assertRejected(await judge(flipped));
    const refundFlipped = spec.l1.map((x) => {
      const wouldRefund = (x.op.kind === 'createAccount' || x.op.kind === 'deposit') && !x.apply && x.op.amount > 0n;
      return { ...x, refund: !wouldRefund };
    });
    assertRejected(await judge(forgeBatch({ ...spec, l1: refundFlipped })));
    cases++;
  }
  assert.ok(cases >= 25, `${cases} L1 cases`);
  assert.deepEqual(sameEffect, ['forceTransfer of zero: no-op']);
});

test('an applied deposit claimed as a refunded no-op is caught where the circuit re-applies it', async () => {
  const spec = honest(batch(RICH));
  const v = await judge(forgeBatch({ ...spec, l1: spec.l1.map((x) => ({ ...x, apply: false })) }));
  assertRejectedAt(v, 'L1Slot', 'pathB.oldRoot === pathA.newRoot;');
});

async function patched(name: string, edit: (i: BatchCircuitInput) => BatchCircuitInput): Promise<ReturnType<typeof judge>> {
  const b = batch(name);
  const v0 = await judge(b.input);
  assert.equal(v0.ok, true);
  return judge(edit(b.input));
}
const bump = (x: Fr): Fr => frMod(x + 1n);

test('wrong new root', async () => {
  assertRejectedAt(await patched(RICH, (i) => rehash({ ...i, newRoot: bump(i.newRoot) })), 'Batch', 'root[maxL1Ops + maxL2Txs + maxFeeTokens] === newRoot;');
});

test('wrong old root', async () => {
  assertRejectedAt(await patched(RICH, (i) => rehash({ ...i, oldRoot: bump(i.oldRoot) })), 'L1Slot', 'pathA.oldRoot === rootIn;');
});

test('wrong exit root', async () => {
  assertRejectedAt(await patched(WITHDRAW, (i) => rehash({ ...i, exitRoot: bump(i.exitRoot) })), 'Batch', 'exits.root === exitRoot;');
});

test('wrong nextIndex before or after', async () => {
  assertRejectedAt(await patched(RICH, (i) => rehash({ ...i, oldNextIndex: i.oldNextIndex + 1n })), 'Batch', 'nextIndex[maxL1Ops] === newNextIndex;');
  assertRejectedAt(await patched('create bob', (i) => rehash({ ...i, newNextIndex: i.newNextIndex - 1n })), 'Batch', 'nextIndex[maxL1Ops] === newNextIndex;');
});

test('counters that pack to the same value with out-of-range fields', async () => {
  // batchNum + 2^64 and oldNextIndex - 1 leave `counters` unchanged.
  const v = await patched(RICH, (i) => rehash({ ...i, batchNum: i.batchNum + 2n ** 64n, oldNextIndex: i.oldNextIndex - 1n }));
  assertRejectedAt(v, 'Batch', 'batchNumBits.in <== batchNum;');
  // oldNextIndex + 2^32 and newNextIndex - 1 likewise.
  const w = await patched(RICH, (i) => rehash({ ...i, oldNextIndex: i.oldNextIndex + 2n ** 32n, newNextIndex: i.newNextIndex - 1n }));
  assertRejectedAt(w, 'Batch', 'oldNextBits.in <== oldNextIndex;');
});

test('oldNextIndex 0 (index 0 would be created) and above 2^D are impossible states', async () => {
  assertRejectedAt(await patched('create alice', (i) => rehash({ ...i, oldNextIndex: 0n, newNextIndex: 1n })), 'Batch', 'oldNextIndex * oldNextInv === 1;');
  const full = batch('create into a full tree: refund');
  assertRejectedAt(await judge(rehash({ ...full.input, oldNextIndex: 17n, newNextIndex: 17n })), 'Batch', 'room.in <== (1 << D) - oldNextIndex;');
});

test('understated counts: an op or a transaction processed but not counted', async () => {
  assertRejectedAt(await patched(RICH, (i) => rehash({ ...i, l1Active: [0n] })), 'L1Slot', 'kind[0] + kind[1] + kind[2] + kind[3] === active;');
  assertRejectedAt(await patched(RICH, (i) => rehash({ ...i, l2Active: [1n, 0n] })), 'L2Slot', '(1 - enabled) * element === 0;');
});

test('data not matching c or f: the L1 contract evaluated other data, or the sequencer posted another c', async () => {
  const other = (i: BatchCircuitInput): Fr => {
    const e = circuitElements(i);
    e[e.length - 2] = frMod((e[e.length - 2] ?? 0n) + 1n); // one transaction record differs
    return evaluateAt(e, i.z);
  };
  assertRejectedAt(await patched(RICH, (i) => rehash(i, { f: other(i) })), 'Batch', 'top.out === inputHash;');
  assertRejectedAt(await patched(RICH, (i) => rehash(i, { c: 12345n })), 'Batch', 'top.out === inputHash;');
  assertRejectedAt(await patched(RICH, (i) => ({ ...i, inputHash: bump(i.inputHash) })), 'Batch', 'top.out === inputHash;');
});

test('another deployment`s domain: every signature fails', async () => {
  const other = domainHash({ chainId: 1n, rollupAddress: TEST_CONFIG.domain.rollupAddress });
  assertRejectedAt(await patched(RICH, (i) => rehash({ ...i, domain: other })), 'EdDSAPoseidonVerifier', '', true);
});

test('fee table: an account created in this batch, an account of another token', async () => {
  const b = batch('create bob');
  const alice = batch(RICH).result.included[0];
  assert.ok(alice !== undefined);
  // Bob (index 2) is created by this batch's L1 op: not a fee account "at the start of the batch".
  const early = { tokenId: 0, accountIdx: 2, fee: 1n };
  assert.throws(() => applyBatch(b.state, { l1Ops: b.l1Ops, l2Txs: [], feeTable: [early] }, TEST_CONFIG), (e: unknown) => e instanceof BatchError && e.code === 'BAD_FEE_TABLE');
  assertRejectedAt(await judge(forgeBatch({ ...honest(b), feeTable: [early] })), 'FeeTable', 'before[k].in <== gap[k];');
  const wrongToken = { tokenId: 0, accountIdx: 3, fee: 1n };
  const r = batch(RICH);
  assert.throws(() => applyBatch(r.state, { l1Ops: r.l1Ops, l2Txs: [], feeTable: [wrongToken] }, TEST_CONFIG), (e: unknown) => e instanceof BatchError && e.code === 'BAD_FEE_TABLE');
  assertRejectedAt(await judge(forgeBatch({ ...honest(r), feeTable: [wrongToken] })), 'FeeSettle', 'active * (account[0] - tokenId) === 0;');
});

test('padding slots carry nothing: data, fee cap, signature, account preimages, fee entries', async () => {
  // PADDED has L2 slot 1 empty; 'create alice' has no fee entry.
  assertRejectedAt(await patched(PADDED, (i) => rehash({ ...i, txAmountF: [i.txAmountF[0] ?? 0n, 5n] })), 'L2Slot', '(1 - enabled) * element === 0;');
  assertRejectedAt(await patched(PADDED, (i) => ({ ...i, txMaxFeeF: [i.txMaxFeeF[0] ?? 0n, 5n] })), 'L2Slot', '(1 - enabled) * maxFeeF === 0;');
  assertRejectedAt(await patched(PADDED, (i) => ({ ...i, txR8x: [i.txR8x[0] ?? 0n, 5n] })), 'TxSignature', '(1 - enabled) * r8x === 0;');
  assertRejectedAt(await patched(PADDED, (i) => ({ ...i, txS: [i.txS[0] ?? 0n, 5n] })), 'TxSignature', '(1 - enabled) * s === 0;');
  const row = (i: BatchCircuitInput) => i.txAccountS[0] ?? [0n, 0n, 0n, 0n, 0n, 0n];
  assertRejectedAt(await patched(PADDED, (i) => ({ ...i, txAccountS: [row(i), row(i)] })), 'AccountRead', '(1 - exists) * packed === 0;');
  assertRejectedAt(await patched('create alice', (i) => rehash({ ...i, feeTokenId: [7n], feeAmount: [1n] })), 'FeeTable', '(1 - active[k]) * element[k] === 0;');
  assertRejectedAt(await patched('empty batch', (i) => rehash({ ...i, l1Address: [0xabcn] })), 'L1Slot', '(1 - active) * element[k] === 0;');
});
