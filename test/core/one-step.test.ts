import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesToHex, concat, decodeAbiParameters, encodeAbiParameters, keccak256, type Hex } from 'viem';
import { accountLeaf } from '../../src/core/account.ts';
import { DecodeError, InvalidInputError } from '../../src/core/errors.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import {
  encodeStepProof,
  finalStepState,
  OneStepError,
  initialStepState,
  recordsRoot,
  stepDataHash,
  stepProof,
  stepStateHash,
  traceBatch,
  type BatchTrace,
} from '../../src/core/one-step.ts';
import { verifyMerkleProof } from '../../src/core/smt.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyPostedBatch, BatchError, createStfConfig, type FeeEntry } from '../../src/core/stf.ts';
import type { L2Tx } from '../../src/core/tx.ts';
import { DOMAIN, signTx, user } from '../support/rollup.ts';
import { batchFromIntents, createOp, genesisOps, intentArb, optimisticData, postBatch } from '../support/optimistic.ts';

const CONFIG = createStfConfig({ domain: DOMAIN, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 6, maxL2Txs: 10, maxFeeTokens: 2 });
const FEES: FeeEntry[] = [
  { tokenId: 0, accountIdx: 1, fee: 2n },
  { tokenId: 1, accountIdx: 6, fee: 1n },
];
const MAXFEE = floatEncode(FLOAT16, 5n);
const f32 = (v: bigint): number => floatEncode(FLOAT32, v);

/** The StepProof ABI type of contracts/optimistic/OneStepProver.sol. */
const STEP_PROOF_ABI = [
  {
    type: 'tuple',
    components: [
      { name: 'pre', type: 'uint256[]' },
      { name: 'item', type: 'bytes' },
      { name: 'header', type: 'bytes' },
      { name: 'recordsRoot', type: 'bytes32' },
      { name: 'recordPath', type: 'bytes32[]' },
      { name: 'accounts', type: 'uint256[6][]' },
      { name: 'siblings', type: 'uint256[]' },
      { name: 'exitSiblings', type: 'uint256[]' },
    ],
  },
] as const;

/** Accounts 1..5 (users 0..4, token 0, 1000 each) and 6 (user 0, token 1, 500). */
function genesis(): MemoryState {
  const state = new MemoryState();
  state.apply(postBatch(state, { l1Ops: [...genesisOps(), createOp(0, 1, 500n)], l2Txs: [], feeTable: [] }, CONFIG).result.changes);
  return state;
}

function transfer(u: number, from: number, to: number, amount: bigint, nonce: number): L2Tx {
  return signTx(user(u), { kind: to === 0 ? 'withdraw' : 'transfer', from, to, amountF: f32(amount), maxFeeF: MAXFEE, nonce });
}

/** Every proof's pre-state hashes to its S_j and every account witness opens S_j's root (or R1). */
function checkProofInputs(trace: BatchTrace, depth: number): void {
  trace.proofs.forEach((p, j) => {
    assert.deepEqual(stepStateHash(p.pre), trace.stateHashes[j], `step ${j}: pre-state`);
    const first = p.accounts[0];
    if (first !== undefined && p.kind !== 'l1') {
      // Fee step: entry k's account, read from the header; L2 step: the record's sender.
      const index =
        p.kind === 'fee'
          ? new DataView(p.header.buffer, p.header.byteOffset).getUint32(3 + 24 * (j - trace.l1Count - trace.txCount) + 4)
          : new DataView(p.item.buffer, p.item.byteOffset).getUint32(0);
      const leaf = first.account === undefined ? 0n : accountLeaf(first.account);
      assert.ok(verifyMerkleProof(p.pre.stateRoot, index, leaf, first.siblings, depth), `step ${j}: witness 0 opens the pre root`);
    }
  });
}

test('recordsRoot and stepDataHash: binary keccak tree, zero leaves, width a power of two', () => {
  const txs = [transfer(0, 1, 2, 10n, 0), transfer(1, 2, 3, 20n, 0), transfer(2, 3, 0, 5n, 0)];
  const data = optimisticData(FEES, txs);
  const headerLength = 3 + 24 * FEES.length + 4;
  const rec = (i: number): Hex => bytesToHex(data.slice(headerLength + 78 * i, headerLength + 78 * (i + 1)));
  const zero = `0x${'00'.repeat(32)}` as Hex;
  const l = [0, 1, 2].map((i) => keccak256(rec(i)));
  const expected = keccak256(concat([keccak256(concat([l[0] as Hex, l[1] as Hex])), keccak256(concat([l[2] as Hex, zero]))]));
  assert.equal(bytesToHex(recordsRoot(data)), expected);
  assert.equal(bytesToHex(stepDataHash(data)), keccak256(concat([bytesToHex(data.slice(0, headerLength)), expected])));
  // One record: the root is its leaf; none: 32 zero bytes (W = 1, the leaf missing).
  assert.equal(bytesToHex(recordsRoot(optimisticData([], txs.slice(0, 1)))), keccak256(bytesToHex(optimisticData([], txs.slice(0, 1)).slice(7))));
  assert.equal(bytesToHex(recordsRoot(optimisticData([], []))), zero);
  // Only optimistic data has records to bind.
  assert.throws(() => recordsRoot(Uint8Array.from([1, 0, 0, 0, 0, 0, 0])), DecodeError);
});

test('a valid batch: S_0 and S_n are the committed endpoints; every step, fee entries included, has a proof', () => {
  const state = genesis();
  const l1Ops = [createOp(1, 1, 300n), { kind: 'deposit' as const, l1Address: 0x99n, tokenId: 1, amount: 7n, toIdx: 1 }];
  // Token-0 transfers pay entry 0; nobody pays entry 1 (token 1): its step credits nothing.
  const l2Txs = [transfer(0, 1, 2, 100n, 0), transfer(0, 1, 3, 50n, 1), transfer(1, 2, 0, 30n, 0)];
  const { result, batchData } = postBatch(state, { l1Ops, l2Txs, feeTable: FEES }, CONFIG);
  assert.equal(result.included.length, 3);
  const trace = traceBatch({ state, l1Ops, batchData, config: CONFIG });
  assert.equal(trace.steps, 2 + 3 + 2);
  assert.equal(trace.invalidAt, undefined);
  assert.equal(trace.states.length, trace.steps + 1);
  assert.equal(trace.proofs.length, trace.steps);
  assert.deepEqual(trace.stateHashes[0], stepStateHash(initialStepState(result.oldRoot, result.oldNextIndex, CONFIG.exitTreeDepth, 2)));
  assert.deepEqual(trace.stateHashes[trace.steps], stepStateHash(finalStepState(result.newRoot, result.exitRoot, result.newNextIndex, 2)));
  // Fee accumulators: 3 transfers × 2 on entry 0 before the fee steps; zeroed by its step.
  assert.deepEqual(trace.states[5]?.acc, [6n, 0n]);
  assert.deepEqual(trace.states[6]?.acc, [0n, 0n]);
  // Entry 1 collected nothing: its step is the identity.
  assert.deepEqual(trace.stateHashes[7], trace.stateHashes[6]);
  // The deposit of token 1 into a token-0 account is a refunded no-op: the exit root moves, the state root does not.
  assert.equal(trace.states[2]?.stateRoot, trace.states[1]?.stateRoot);
  assert.notEqual(trace.states[2]?.exitRoot, trace.states[1]?.exitRoot);
  checkProofInputs(trace, CONFIG.treeDepth);
  assert.deepEqual(trace.stepDataHash, stepDataHash(batchData));
  assert.throws(() => stepProof(trace, trace.steps), InvalidInputError);
});

test('the first invalid record ends the trace: its step is provable, later ones are not', () => {
  const state = genesis();
  const good = [transfer(0, 1, 2, 100n, 0), transfer(1, 2, 3, 10n, 0)];
  const cases: { name: string; txs: L2Tx[]; reason: string }[] = [
    { name: 'replayed record (nonce moved on)', txs: [good[0] as L2Tx, good[0] as L2Tx, good[1] as L2Tx], reason: 'bad-signature' },
    { name: 'insufficient balance', txs: [good[0] as L2Tx, transfer(2, 3, 1, 5000n, 0), good[1] as L2Tx], reason: 'insufficient-balance' },
    { name: 'signed for another chain', txs: [good[0] as L2Tx, signTx(user(1), { kind: 'transfer', from: 2, to: 3, amountF: f32(1n), maxFeeF: MAXFEE, nonce: 0 }, { ...DOMAIN, chainId: 5n })], reason: 'bad-signature' },
    { name: 'unknown recipient', txs: [good[0] as L2Tx, transfer(1, 2, 40, 1n, 0)], reason: 'unknown-recipient' },
    { name: 'fee above the signed cap', txs: [good[0] as L2Tx, signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: f32(1n), maxFeeF: 0, nonce: 0 })], reason: 'fee-above-max' },
  ];
  for (const c of cases) {
    const batchData = optimisticData(FEES, c.txs);
    const l1Ops = [createOp(3, 0, 10n)];
    assert.throws(() => applyPostedBatch(state, { l1Ops, l2Txs: c.txs, feeTable: FEES }, CONFIG));
    const trace = traceBatch({ state, l1Ops, batchData, config: CONFIG });
    assert.deepEqual(trace.invalidAt, { step: 2, record: 1, reason: c.reason }, c.name);
    assert.equal(trace.states.length, 3, c.name);
    assert.equal(trace.proofs.length, 3, c.name);
    assert.equal(trace.result, undefined);
    checkProofInputs(trace, CONFIG.treeDepth);
    assert.ok(stepProof(trace, 2).length > 0);
    assert.throws(() => stepProof(trace, 3), InvalidInputError);
  }
  // An undecodable signature (R8 y ≥ p) is a bad signature, not a decode failure of the batch.
  const bad = optimisticData(FEES, good);
  bad.fill(0xff, 7 + 48 + 78 + 14, 7 + 48 + 78 + 46);
  assert.deepEqual(traceBatch({ state, l1Ops: [], batchData: bad, config: CONFIG }).invalidAt, { step: 1, record: 1, reason: 'bad-signature' });
});

test('stepProof is abi.encode(StepProof) byte for byte (checked against viem)', () => {
  const state = genesis();
  const l1Ops = [{ kind: 'forceTransfer' as const, l1Address: user(0).l1Address, fromIdx: 1, toIdx: 2, amount: 9n }];
  const { batchData } = postBatch(state, { l1Ops, l2Txs: [transfer(1, 2, 0, 4n, 0)], feeTable: FEES }, CONFIG);
  const trace = traceBatch({ state, l1Ops, batchData, config: CONFIG });
  for (const [j, p] of trace.proofs.entries()) {
    const ours = bytesToHex(stepProof(trace, j));
    const theirs = encodeAbiParameters(STEP_PROOF_ABI, [
      {
        pre: [p.pre.stateRoot, p.pre.exitRoot, BigInt(p.pre.nextIndex), ...p.pre.acc],
        item: bytesToHex(p.item),
        header: bytesToHex(p.header),
        recordsRoot: bytesToHex(p.recordsRoot),
        recordPath: p.recordPath.map((x) => bytesToHex(x)),
        accounts: p.accounts.map((a) =>
          a.account === undefined
            ? ([0n, 0n, 0n, 0n, 0n, 0n] as const)
            : ([BigInt(a.account.tokenId), BigInt(a.account.nonce), a.account.balance, a.account.publicKey[0], a.account.publicKey[1], a.account.l1Address] as const),
        ),
        siblings: p.accounts.flatMap((a) => a.siblings),
        exitSiblings: [...p.exitSiblings],
      },
    ]);
    assert.equal(ours, theirs, `step ${j}`);
    assert.equal(decodeAbiParameters(STEP_PROOF_ABI, ours)[0].pre.length, 3 + FEES.length);
  }
  // The forced transfer applies: two witnesses, the second taken after the first update.
  assert.equal(trace.proofs[0]?.accounts.length, 2);
  assert.equal(encodeStepProof(trace.proofs[0] ?? assert.fail()).length % 32, 0);
});

test('property: trace endpoints equal applyPostedBatch; a corrupted record is detected at its own step', () => {
  let invalids = 0;
  let steps = 0;
  fc.assert(
    fc.property(fc.array(fc.array(intentArb, { minLength: 1, maxLength: 7 }), { minLength: 1, maxLength: 2 }), fc.nat(), (batches, pick) => {
      const state = genesis();
      for (const intents of batches) {
        const { l1Ops, l2Txs } = batchFromIntents(state, intents, CONFIG);
        const { result, batchData } = postBatch(state, { l1Ops: l1Ops.slice(0, CONFIG.maxL1Ops), l2Txs, feeTable: FEES }, CONFIG);
        const ops = l1Ops.slice(0, CONFIG.maxL1Ops);
        const trace = traceBatch({ state, l1Ops: ops, batchData, config: CONFIG });
        const posted = applyPostedBatch(state, { l1Ops: ops, l2Txs: result.included, feeTable: FEES }, CONFIG);
        assert.equal(trace.invalidAt, undefined);
        assert.deepEqual(trace.stateHashes[trace.steps], stepStateHash(finalStepState(posted.newRoot, posted.exitRoot, posted.newNextIndex, FEES.length)));
        assert.deepEqual(trace.stateHashes[0], stepStateHash(initialStepState(posted.oldRoot, state.nextIndex, CONFIG.exitTreeDepth, FEES.length)));
        checkProofInputs(trace, CONFIG.treeDepth);
        steps += trace.steps;
        if (result.included.length > 0) {
          // Flip one bit of S in record m: that record, and no earlier one, is invalid.
          const m = pick % result.included.length;
          const bad = batchData.slice();
          const at = 3 + 24 * FEES.length + 4 + 78 * m + 46;
          bad[at] = (bad[at] ?? 0) ^ 1;
          const t = traceBatch({ state, l1Ops: ops, batchData: bad, config: CONFIG });
          assert.deepEqual(t.invalidAt, { step: ops.length + m, record: m, reason: 'bad-signature' });
          assert.deepEqual(t.stateHashes, trace.stateHashes.slice(0, ops.length + m + 1));
          invalids++;
        }
        state.apply(result.changes);
      }
    }),
    { numRuns: 60 },
  );
  assert.ok(invalids >= 10 && steps >= 100, `not vacuous: ${invalids} corrupted batches, ${steps} steps`);
});

test('committed data the decoder or the fee rules refuse: the first step that shows it is invalid', () => {
  const state = genesis();
  const tx = transfer(0, 1, 2, 10n, 0);
  const l1Ops = [createOp(3, 0, 10n)];
  const trace = (data: Uint8Array): BatchTrace => traceBatch({ state, l1Ops, batchData: data, config: CONFIG });
  // Header defects: duplicate fee token, fee account 0, unknown version. The first L2 step says so.
  const dup = optimisticData([FEES[0] as FeeEntry, { tokenId: 0, accountIdx: 2, fee: 1n }], [tx]);
  assert.deepEqual(trace(dup).invalidAt, { step: 1, record: 0, reason: 'bad-header' });
  assert.equal(trace(dup).states.length, 2);
  assert.deepEqual(trace(optimisticData([{ tokenId: 0, accountIdx: 0, fee: 1n }], [tx])).invalidAt, { step: 1, record: 0, reason: 'bad-header' });
  const v2 = optimisticData(FEES, [tx]);
  v2[0] = 2;
  assert.deepEqual(trace(v2).invalidAt, { step: 1, record: 0, reason: 'bad-header' });
  // Without records, the first fee step says so.
  assert.deepEqual(trace(optimisticData([FEES[0] as FeeEntry, FEES[0] as FeeEntry], [])).invalidAt, { step: 1, feeEntry: 0, reason: 'bad-header' });
  // A record from account 0 (the decoder refuses it) is a malformed transaction.
  const zeroFrom = optimisticData(FEES, [tx, tx]);
  zeroFrom.fill(0, 55 + 78, 55 + 78 + 4);
  assert.deepEqual(trace(zeroFrom).invalidAt, { step: 2, record: 1, reason: 'malformed' });
  // Fee accounts: missing, or holding another token, at their credit step (fees collected or not).
  assert.deepEqual(trace(optimisticData([{ tokenId: 0, accountIdx: 40, fee: 1n }], [tx])).invalidAt, { step: 2, feeEntry: 0, reason: 'bad-fee-account' });
  assert.deepEqual(trace(optimisticData([FEES[0] as FeeEntry, { tokenId: 1, accountIdx: 2, fee: 1n }], [tx])).invalidAt, { step: 3, feeEntry: 1, reason: 'bad-fee-account' });
  checkProofInputs(trace(optimisticData([FEES[0] as FeeEntry, { tokenId: 1, accountIdx: 2, fee: 1n }], [tx])), CONFIG.treeDepth);
  // An account created by this batch's own L1 op (index 7 ≥ the batch's starting nextIndex): refused by
  // the STF, invalid at its credit step although it exists there; refused before any account is read.
  const sameBatch = trace(optimisticData([{ tokenId: 0, accountIdx: 7, fee: 1n }], [tx]));
  assert.deepEqual(sameBatch.invalidAt, { step: 2, feeEntry: 0, reason: 'bad-fee-account' });
  assert.equal(sameBatch.states.length, 3);
  assert.equal(sameBatch.states[2]?.nextIndex, 8, 'account 7 exists at the fee step');
  assert.deepEqual(sameBatch.proofs[2]?.accounts, []);
  checkProofInputs(sameBatch, CONFIG.treeDepth);
  // Second entry: the first (account 1, existing) is credited, then the same-batch one is invalid.
  const second = trace(optimisticData([FEES[1] as FeeEntry, { tokenId: 0, accountIdx: 7, fee: 1n }], [tx]));
  assert.deepEqual(second.invalidAt, { step: 3, feeEntry: 1, reason: 'bad-fee-account' });
  assert.equal(second.proofs[2]?.accounts.length, 1, 'the existing account 6 is opened at its step');
  assert.throws(() => applyPostedBatch(state, { l1Ops, l2Txs: [tx], feeTable: [{ tokenId: 0, accountIdx: 7, fee: 1n }] }, CONFIG), BatchError);
  // The same entry once account 7 exists before the batch: valid, and its credit step opens the account.
  const next = genesis();
  next.apply(postBatch(next, { l1Ops, l2Txs: [], feeTable: [] }, CONFIG).result.changes);
  const later = traceBatch({ state: next, l1Ops: [], batchData: optimisticData([{ tokenId: 0, accountIdx: 7, fee: 1n }], [tx]), config: CONFIG });
  assert.equal(later.invalidAt, undefined);
  assert.equal(later.proofs[1]?.accounts.length, 1);
  checkProofInputs(later, CONFIG.treeDepth);
  // A defective header in a batch with neither L2 nor fee steps: no step can show it (still unprovable).
  assert.throws(
    () => trace(Uint8Array.from([2, 1, 0, 0, 0, 0, 0])),
    (e: unknown) => e instanceof OneStepError && e.code === 'ONE_STEP_UNPROVABLE',
  );
  // The optional STF hook changes nothing by default.
  assert.throws(() => applyPostedBatch(state, { l1Ops, l2Txs: [tx], feeTable: [{ tokenId: 0, accountIdx: 40, fee: 1n }] }, CONFIG), BatchError);
});
