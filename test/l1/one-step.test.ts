/**
 * OneStepProver and BabyJubjub on the EDR devnet against the TypeScript core (docs/PROTOCOL.md §14.3):
 * every step of the shared STF vectors and of random batches re-executes on chain to the trace's next
 * state, every invalid record returns valid = false, tampered proofs revert with their typed error, and
 * EdDSA verification agrees with src/core/eddsa.ts. Vectors use a Rollup view mock (their signatures
 * bind a fixed domain); two tests run against the real Rollup and its L1 queue, one of them a whole
 * dispute game (real DisputeGame and OneStepProver) over a fee table naming an account the batch creates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { type Abi, type Address, type Hex, bytesToHex, hexToBytes, parseEventLogs } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { deployOneStepProver } from '../../src/l1/deployOneStepProver.ts';
import { executeStep, type BatchContext } from '../../src/l1/executeStep.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { oneStepProverAbi } from '../../src/l1/generated/OneStepProver.ts';
import { rollupViewMockAbi, rollupViewMockBytecode } from '../../src/l1/generated/RollupViewMock.ts';
import { babyJubjubHarnessAbi, babyJubjubHarnessBytecode } from '../../src/l1/generated/BabyJubjubHarness.ts';
import { decodeL1Error } from '../../src/l1/decodeL1Error.ts';
import { createPrivateKey, packSignature, publicKeyFromPrivate, sign, verify as eddsaVerify } from '../../src/core/eddsa.ts';
import { BASE8, SUBGROUP_ORDER, mulBase8 } from '../../src/core/babyjub.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { MemoryState } from '../../src/core/state.ts';
import { accountLeaf, type Account } from '../../src/core/account.ts';
import { SparseMerkleTree, siblingsToFr } from '../../src/core/smt.ts';
import { frToBytesLE } from '../../src/core/field.ts';
import { MAX_BALANCE, MAX_NONCE } from '../../src/core/params.ts';
import { applyBatch, applyPostedBatch, BatchError, createStfConfig, type BatchResult, type FeeEntry, type StfConfig } from '../../src/core/stf.ts';
import { decodeL1Op, domainHash, encodeL1Op, encodeL1Ops, type L1Op, type L2Tx } from '../../src/core/tx.ts';
import { signedBatchFromResult } from '../../src/core/batch-commitment.ts';
import { bisect, commitWithBond, getFinalityStatus, getGame, openDispute, respond, submitOneStep } from '../../src/l1/optimisticActions.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import { nextMove, type GameView, type Trace } from '../../src/node/dispute-player.ts';
import {
  encodeStepProof,
  finalStepState,
  initialStepState,
  recordsRoot,
  stepDataHash,
  stepProof,
  stepStateHash,
  traceBatch,
  type BatchTrace,
  type StepProofInput,
} from '../../src/core/one-step.ts';
import { signTx, user } from '../support/rollup.ts';
import { batchFromIntents, createOp, genesisOps, intentArb, optimisticData, postBatch } from '../support/optimistic.ts';

let devnet: Devnet;
let c: L1Clients;
let challenger: L1Clients;
let rollup: RollupDeployment;
let poseidon5: Address;
let harness: Address;

async function send(address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint, from: L1Clients = c) {
  const wallet = from.wallet;
  if (wallet === undefined) throw new Error('no wallet');
  return sendAndWait({
    public: from.public,
    context: functionName,
    send: () => wallet.writeContract({ address, abi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
}

/** A mock Rollup view with its own queue and domain, and a prover reading it. */
async function mockProver(config: StfConfig): Promise<{ prover: Address; view: Address }> {
  const view = await deployContract({
    clients: c,
    abi: rollupViewMockAbi as Abi,
    bytecode: rollupViewMockBytecode,
    name: 'RollupViewMock',
    args: [rollup.poseidon2, rollup.poseidon3, rollup.poseidon4, config.treeDepth, config.exitTreeDepth, config.maxL1Ops, domainHash(config.domain)],
  });
  const { prover } = await deployOneStepProver(c, { rollup: view.address, poseidon5 });
  return { prover, view: view.address };
}

async function enqueue(view: Address, ops: readonly L1Op[]): Promise<void> {
  if (ops.length > 0) await send(view, rollupViewMockAbi as Abi, 'enqueue', [ops.map((op) => bytesToHex(encodeL1Op(op)))]);
}

function context(trace: BatchTrace, l1Start: bigint): BatchContext {
  return { l1Start, startNextIndex: trace.states[0]?.nextIndex ?? assert.fail(), l1Count: trace.l1Count, txCount: trace.txCount, feeCount: trace.feeCount, stepDataHash: bytesToHex(trace.stepDataHash) };
}

/** Every traced step on chain: valid steps give S_{j+1}; the invalid one (if any) gives valid = false. */
async function replay(prover: Address, trace: BatchTrace, l1Start: bigint): Promise<void> {
  const ctx = context(trace, l1Start);
  for (let j = 0; j < trace.proofs.length; j++) {
    const r = await executeStep(c, { prover, ctx, step: j, preState: trace.stateHashes[j] ?? assert.fail(), proof: stepProof(trace, j) });
    if (trace.invalidAt !== undefined && j === trace.invalidAt.step) {
      assert.deepEqual(r, { valid: false, postState: bytesToHex(new Uint8Array(32)) }, `step ${j} is the invalid record`);
    } else {
      assert.equal(r.valid, true, `step ${j} valid`);
      assert.equal(r.postState, bytesToHex(trace.stateHashes[j + 1] ?? assert.fail()), `step ${j} post-state`);
    }
  }
}

async function reverts(p: Promise<unknown>, reason: string, args?: readonly unknown[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ContractRevertedError, `expected a contract revert, got ${String(e)}`);
    assert.equal(e.reason, reason);
    if (args !== undefined) assert.deepEqual(e.args, args);
    return true;
  });
}

before(async () => {
  devnet = await startDevnet({ accounts: 4 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  c = await mk(0);
  challenger = await mk(1);
  const self = c.wallet?.account.address ?? assert.fail();
  rollup = await deployRollup(c, { verifier: self, sequencer: self, governance: self, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 4, maxFeeTokens: 2, maxL2Txs: 8 });
  const p = await deployOneStepProver(c, { rollup: rollup.rollup });
  poseidon5 = p.poseidon5;
  harness = (await deployContract({ clients: c, abi: babyJubjubHarnessAbi as Abi, bytecode: babyJubjubHarnessBytecode, name: 'BabyJubjubHarness', args: [poseidon5] })).address;
});

after(async () => {
  await devnet?.stop();
});

// ---------------------------------------------------------------------------------------------
// EdDSA

const onChainVerify = (sig: Uint8Array, a: readonly [bigint, bigint], msg: bigint): Promise<boolean> =>
  c.public.readContract({ address: harness, abi: babyJubjubHarnessAbi, functionName: 'verifyPacked', args: [bytesToHex(sig), a[0], a[1], msg] });

test('EdDSA: random keys and messages signed by the core verify on chain; every mutation fails in both', async () => {
  const cases = fc.sample(fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 0n, max: FR_MODULUS - 1n }), fc.nat(63)), { numRuns: 12, seed: 7 });
  for (const [keyBytes, msg, bit] of cases) {
    const key = createPrivateKey(keyBytes);
    const a = publicKeyFromPrivate(key);
    const sig = sign(key, msg);
    const packed = packSignature(sig);
    assert.equal(await onChainVerify(packed, a, msg), true);
    // Unpacked form too (circomlibjs signatures are {R8, S}).
    assert.equal(await c.public.readContract({ address: harness, abi: babyJubjubHarnessAbi, functionName: 'verify', args: [sig.r8[0], sig.r8[1], sig.s, a[0], a[1], msg] }), true);
    assert.equal(await onChainVerify(packed, a, (msg + 1n) % FR_MODULUS), false, 'other message');
    const other = publicKeyFromPrivate(createPrivateKey(keyBytes.map((b) => b ^ 0x55)));
    assert.equal(await onChainVerify(packed, other, msg), false, 'other key');
    const flipped = packed.slice();
    flipped[bit] = (flipped[bit] ?? 0) ^ (1 << (bit % 8));
    let coreVerdict: boolean;
    try {
      const { unpackSignature } = await import('../../src/core/eddsa.ts');
      coreVerdict = eddsaVerify(msg, unpackSignature(flipped), a);
    } catch {
      coreVerdict = false; // does not decode: no signature
    }
    assert.equal(await onChainVerify(flipped, a, msg), coreVerdict, `bit ${bit} flipped`);
    assert.equal(coreVerdict, false);
  }
});

test('EdDSA edge cases: S ≥ l, low-order key, off-curve key, non-canonical R8 encodings', async () => {
  const key = createPrivateKey(new Uint8Array(32).fill(9));
  const a = publicKeyFromPrivate(key);
  const msg = 42n;
  const sig = sign(key, msg);
  const call = (r8x: bigint, r8y: bigint, s: bigint, ax: bigint, ay: bigint, m: bigint) =>
    c.public.readContract({ address: harness, abi: babyJubjubHarnessAbi, functionName: 'verify', args: [r8x, r8y, s, ax, ay, m] });
  // S + l satisfies the same equation (8·A has order l) but is refused, as in the core.
  assert.equal(await call(sig.r8[0], sig.r8[1], sig.s + SUBGROUP_ORDER, a[0], a[1], msg), false);
  // Identity key (low order): S·B8 == R8 holds for S = r when hm·8A vanishes — forgeable, so refused.
  const r = 12345n;
  const r8 = mulBase8(r);
  assert.equal(eddsaVerify(msg, { r8, s: r }, [0n, 1n]), false);
  assert.equal(await call(r8[0], r8[1], r, 0n, 1n, msg), false);
  // A point of order 2, (0, −1): also low order.
  assert.equal(await call(r8[0], r8[1], r, 0n, FR_MODULUS - 1n, msg), false);
  // Off-curve key and R8.
  assert.equal(await call(sig.r8[0], sig.r8[1], sig.s, a[0], a[1] + 1n, msg), false);
  assert.equal(await call(sig.r8[0] + 1n, sig.r8[1], sig.s, a[0], a[1], msg), false);
  // Packed R8: y ≥ p, and the sign bit set on x = 0 (y = 1 is the identity), are not encodings.
  const packed = packSignature(sig);
  const yTooBig = packed.slice();
  yTooBig.fill(0xff, 0, 31);
  yTooBig[31] = 0x7f;
  assert.equal(await onChainVerify(yTooBig, a, msg), false);
  const unpack = (b: Uint8Array) => c.public.readContract({ address: harness, abi: babyJubjubHarnessAbi, functionName: 'unpackPoint', args: [bytesToHex(b)] });
  const identityNeg = new Uint8Array(32);
  identityNeg[0] = 1;
  identityNeg[31] = 0x80;
  assert.equal((await unpack(identityNeg))[0], false);
  identityNeg[31] = 0;
  assert.deepEqual(await unpack(identityNeg), [true, 0n, 1n]);
  // Base8 round-trips through packing.
  const { packPoint } = await import('../../src/core/babyjub.ts');
  assert.deepEqual(await unpack(packPoint(BASE8)), [true, BASE8[0], BASE8[1]]);
});

test('EdDSA: R8 decompression (Tonelli–Shanks on chain) agrees with the core on random encodings and points', async () => {
  const { packPoint, unpackPoint } = await import('../../src/core/babyjub.ts');
  // Bits 253–254 cleared on most samples so y < p and about half decode (the rest: no point has this y).
  const randomBytes = fc.sample(fc.uint8Array({ minLength: 32, maxLength: 32 }), { numRuns: 24, seed: 3 }).map((b, i) => {
    if (i % 4 !== 0) b[31] = (b[31] ?? 0) & 0x9f;
    return b;
  });
  const points = fc.sample(fc.bigInt({ min: 1n, max: SUBGROUP_ORDER - 1n }), { numRuns: 12, seed: 4 }).map((k) => packPoint(mulBase8(k)));
  let decoded = 0;
  for (const b of [...randomBytes, ...points]) {
    let expected: readonly [boolean, bigint, bigint];
    try {
      const pt = unpackPoint(b);
      expected = [true, pt[0], pt[1]];
      decoded++;
    } catch {
      expected = [false, 0n, 0n];
    }
    const got = await c.public.readContract({ address: harness, abi: babyJubjubHarnessAbi, functionName: 'unpackPoint', args: [bytesToHex(b)] });
    assert.deepEqual(got, expected, bytesToHex(b));
  }
  assert.ok(decoded >= 12 + 5, `both outcomes exercised (${decoded} decoded)`);
});

// ---------------------------------------------------------------------------------------------
// Vectors

type VectorBatch = { name: string; oldRoot: string; newRoot: string; exitRoot: string; oldNextIndex: number; newNextIndex: number; l1Ops: { encoded: Hex }[]; batchDataOptimistic: Hex };
type Vectors = { config: { chainId: string; rollupAddress: string; treeDepth: number; exitTreeDepth: number }; batches: VectorBatch[] };
type InvalidVectors = { fee: { tokenId: number; accountIdx: number; fee: string }; cases: { expectedReason: string; tx: { kind: 'transfer' | 'withdraw'; from: number; to: number; amountF: number; maxFeeF: number; signature: { packed: Hex } } }[] };

test('vectors: every step of test/vectors/stf-batches.json re-executes on chain (depth 32); every invalid tx returns valid = false', async () => {
  const v = JSON.parse(readFileSync('test/vectors/stf-batches.json', 'utf8')) as Vectors;
  const config = createStfConfig({ domain: { chainId: BigInt(v.config.chainId), rollupAddress: BigInt(v.config.rollupAddress) }, treeDepth: v.config.treeDepth, exitTreeDepth: v.config.exitTreeDepth, maxL1Ops: 16, maxFeeTokens: 2 });
  const { prover, view } = await mockProver(config);
  const state = new MemoryState();
  let l1Start = 0n;
  for (const b of v.batches) {
    const l1Ops = b.l1Ops.map((o) => decodeL1Op(hexToBytes(o.encoded)));
    await enqueue(view, l1Ops);
    const trace = traceBatch({ state, l1Ops, batchData: hexToBytes(b.batchDataOptimistic), config });
    assert.equal(trace.invalidAt, undefined, b.name);
    assert.deepEqual(trace.stateHashes[0], stepStateHash(initialStepState(BigInt(b.oldRoot), b.oldNextIndex, config.exitTreeDepth, trace.feeCount)));
    assert.deepEqual(trace.stateHashes[trace.steps], stepStateHash(finalStepState(BigInt(b.newRoot), BigInt(b.exitRoot), b.newNextIndex, trace.feeCount)));
    // The contract's own endpoint helpers agree.
    const s0 = await c.public.readContract({ address: prover, abi: oneStepProverAbi, functionName: 'initialState', args: [BigInt(b.oldRoot), BigInt(b.oldNextIndex), trace.feeCount] });
    assert.equal(s0, bytesToHex(trace.stateHashes[0] ?? assert.fail()));
    await replay(prover, trace, l1Start);
    l1Start += BigInt(l1Ops.length);
    state.apply(trace.result?.changes ?? assert.fail());
  }

  const inv = JSON.parse(readFileSync('test/vectors/stf-invalid-txs.json', 'utf8')) as InvalidVectors;
  const feeTable: FeeEntry[] = [{ tokenId: inv.fee.tokenId, accountIdx: inv.fee.accountIdx, fee: BigInt(inv.fee.fee) }];
  for (const cs of inv.cases) {
    const t = cs.tx;
    const data = new Uint8Array([1, 1, 1, ...new Uint8Array(24), 0, 0, 0, 1, ...new Uint8Array(78)]);
    const dv = new DataView(data.buffer);
    dv.setUint32(3, feeTable[0]?.tokenId ?? 0);
    dv.setUint32(7, feeTable[0]?.accountIdx ?? 0);
    dv.setBigUint64(19, feeTable[0]?.fee ?? 0n);
    dv.setUint32(31, t.from);
    dv.setUint32(35, t.to);
    dv.setUint32(39, t.amountF);
    dv.setUint16(43, t.maxFeeF);
    data.set(hexToBytes(t.signature.packed), 45);
    const trace = traceBatch({ state, l1Ops: [], batchData: data, config });
    assert.equal(trace.invalidAt?.step, 0, cs.expectedReason);
    // The nonce is not posted: a wrong-nonce signature is a bad signature in optimistic data.
    assert.equal(trace.invalidAt?.reason, cs.expectedReason === 'bad-nonce' ? 'bad-signature' : cs.expectedReason);
    await replay(prover, trace, l1Start);
  }
});

// ---------------------------------------------------------------------------------------------
// Random batches

const SMALL = (domain: StfConfig['domain']) => createStfConfig({ domain, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 6, maxL2Txs: 10, maxFeeTokens: 2 });
const FEES: FeeEntry[] = [
  { tokenId: 0, accountIdx: 1, fee: 2n },
  { tokenId: 1, accountIdx: 6, fee: 1n },
];

test('random batches: valid steps reach the trace state, a corrupted record is invalid on chain', async () => {
  const config = SMALL({ chainId: 31337n, rollupAddress: 0xabcn });
  const { prover, view } = await mockProver(config);
  const state = new MemoryState();
  let l1Start = 0n;
  const run = async (l1Ops: L1Op[], l2Txs: L2Tx[], corruptAt?: number, feeTable = FEES): Promise<BatchTrace> => {
    const { result, batchData } = postBatch(state, { l1Ops, l2Txs, feeTable }, config);
    await enqueue(view, l1Ops);
    if (corruptAt !== undefined && result.included.length > 0) {
      const bad = batchData.slice();
      const at = 3 + 24 * feeTable.length + 4 + 78 * (corruptAt % result.included.length) + 50;
      bad[at] = (bad[at] ?? 0) ^ 4;
      const t = traceBatch({ state, l1Ops, batchData: bad, config });
      assert.equal(t.invalidAt?.reason, 'bad-signature');
      await replay(prover, t, l1Start);
    }
    const trace = traceBatch({ state, l1Ops, batchData, config });
    await replay(prover, trace, l1Start);
    l1Start += BigInt(l1Ops.length);
    state.apply(result.changes);
    return trace;
  };
  await run([...genesisOps(), createOp(0, 1, 500n)], [], undefined, []);
  const samples = fc.sample(fc.tuple(fc.array(intentArb, { minLength: 3, maxLength: 10 }), fc.nat()), { numRuns: 14, seed: 11 });
  let steps = 0;
  let l2 = 0;
  for (const [k, [intents, corrupt]] of samples.entries()) {
    // Plus one small transfer that is usually valid, so records are well represented among the steps.
    const sure = { t: 'l2' as const, from: 1 + (k % 5), to: 1 + ((k + 1) % 5), amount: 3n, maxFee: 4n, wrongKey: false };
    const { l1Ops, l2Txs } = batchFromIntents(state, [...intents, sure], config);
    const trace = await run(l1Ops.slice(0, config.maxL1Ops), l2Txs, corrupt);
    steps += trace.steps;
    l2 += trace.txCount;
  }
  assert.ok(steps >= 60 && l2 >= 8, `not vacuous: ${steps} steps, ${l2} records`);
});

/** A mock-backed prover whose state holds the genesis accounts 1..6 (FEES can name them), queued. */
async function withGenesis(config: StfConfig): Promise<{ prover: Address; view: Address; state: MemoryState; genesis: L1Op[] }> {
  const { prover, view } = await mockProver(config);
  const state = new MemoryState();
  const genesis = [...genesisOps(), createOp(0, 1, 500n)];
  state.apply(postBatch(state, { l1Ops: genesis, l2Txs: [], feeTable: [] }, config).result.changes);
  await enqueue(view, genesis);
  return { prover, view, state, genesis };
}

// ---------------------------------------------------------------------------------------------
// Tampered proofs

test('tampered proofs revert with typed errors; committed bad signatures (forged, other domain) are valid = false', async () => {
  const config = SMALL({ chainId: 31337n, rollupAddress: 0xdefn });
  const { prover, view, state, genesis } = await withGenesis(config);
  const f32 = (v: bigint) => floatEncode(FLOAT32, v);
  const maxFeeF = floatEncode(FLOAT16, 5n);
  const l1Ops: L1Op[] = [{ kind: 'deposit', l1Address: 0x77n, tokenId: 1, amount: 9n, toIdx: 2 }]; // token mismatch: refunded
  const txs = [
    signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: f32(100n), maxFeeF, nonce: 0 }, config.domain),
    signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: f32(30n), maxFeeF, nonce: 0 }, config.domain),
  ];
  const { batchData } = postBatch(state, { l1Ops, l2Txs: txs, feeTable: FEES }, config);
  await enqueue(view, l1Ops);
  const l1Start = BigInt(genesis.length);
  const trace = traceBatch({ state, l1Ops, batchData, config });
  const ctx = context(trace, l1Start);
  await replay(prover, trace, l1Start);
  const call = (step: number, input: StepProofInput, preState = trace.stateHashes[step] ?? assert.fail(), x: BatchContext = ctx) =>
    executeStep(c, { prover, ctx: x, step, preState, proof: encodeStepProof(input) });
  const p = (j: number): StepProofInput => trace.proofs[j] ?? assert.fail();
  const flip = (b: Uint8Array, at: number): Uint8Array => {
    const out = b.slice();
    out[at] = (out[at] ?? 0) ^ 1;
    return out;
  };

  // Wrong sibling of the sender's path (step 1: the transfer).
  const t = p(1);
  const sib = [...(t.accounts[0]?.siblings ?? [])];
  sib[2] = (sib[2] ?? 0n) + 1n;
  await reverts(call(1, { ...t, accounts: [{ account: t.accounts[0]?.account, siblings: sib }, ...t.accounts.slice(1)] }), 'AccountProofInvalid', [1n]);
  // A witness claiming another balance.
  const acct = t.accounts[0]?.account ?? assert.fail();
  await reverts(call(1, { ...t, accounts: [{ account: { ...acct, balance: acct.balance + 1n }, siblings: t.accounts[0]?.siblings ?? [] }, ...t.accounts.slice(1)] }), 'AccountProofInvalid', [1n]);
  // Wrong pre-state field: the proof's words no longer hash to preState.
  await reverts(call(1, { ...t, pre: { ...t.pre, nextIndex: t.pre.nextIndex + 1 } }), 'PreStateMismatch');
  await reverts(call(1, { ...t, pre: { ...t.pre, acc: [1n] } }), 'PreStateLength', [4n, 5n]);
  // Record not in recordsRoot (amount changed in the proof's copy), and a forged signature in the proof's copy.
  await reverts(call(1, { ...t, item: flip(t.item, 11) }), 'RecordNotCommitted', [0n]);
  await reverts(call(1, { ...t, item: flip(t.item, 60) }), 'RecordNotCommitted', [0n]);
  await reverts(call(1, { ...t, recordPath: [flip(t.recordPath[0] ?? new Uint8Array(32), 0)] }), 'RecordNotCommitted', [0n]);
  await reverts(call(1, { ...t, header: flip(t.header, 30) }), 'RecordNotCommitted', [0n]);
  await reverts(call(1, { ...t, header: t.header.slice(0, -1) }), 'HeaderLength');
  // Wrong L1 op (and the right op at another queue position).
  const l1 = p(0);
  await reverts(call(0, { ...l1, item: flip(l1.item, 112) }), 'L1OpMismatch', [l1Start]);
  await reverts(call(0, l1, undefined, { ...ctx, l1Start: 0n }), 'L1OpMismatch', [0n]);
  // Exit slot: wrong sibling for the refund exit.
  const ex = [...l1.exitSiblings];
  ex[0] = (ex[0] ?? 0n) + 1n;
  await reverts(call(0, { ...l1, exitSiblings: ex }), 'ExitProofInvalid', [0n]);
  await reverts(call(0, { ...l1, exitSiblings: [] }), 'ExitSiblingsLength');
  // Fee step: the records root must be the committed one.
  const fee = p(trace.steps - 2);
  await reverts(call(trace.steps - 2, { ...fee, recordsRoot: flip(fee.recordsRoot, 3) }), 'HeaderMismatch');
  await reverts(call(trace.steps, fee), 'StepOutOfRange', [BigInt(trace.steps), BigInt(trace.steps)]);
  await reverts(call(2, { ...p(2), accounts: [] }), 'MissingAccountWitness', [0n]);
  const w = p(2).accounts[0] ?? assert.fail();
  await reverts(call(2, { ...p(2), accounts: [{ account: w.account, siblings: w.siblings.slice(1) }] }), 'SiblingsLength', [11n, 12n]);

  // Committed signatures that do not verify make the step invalid (the batch is fraud), not a revert:
  // (a) forged: S of record 0 altered in the posted data itself;
  const forged = batchData.slice();
  forged[3 + 48 + 4 + 50] = (forged[3 + 48 + 4 + 50] ?? 0) ^ 2;
  const tf = traceBatch({ state, l1Ops, batchData: forged, config });
  assert.equal(tf.invalidAt?.step, 1);
  await replay(prover, tf, l1Start);
  // (b) replayed from another domain (a deployment on chain 5): valid there, not here.
  const foreign = signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: f32(100n), maxFeeF, nonce: 0 }, { ...config.domain, chainId: 5n });
  const tr = traceBatch({ state, l1Ops, batchData: optimisticData(FEES, [foreign]), config });
  assert.deepEqual(tr.invalidAt, { step: 1, record: 0, reason: 'bad-signature' });
  await replay(prover, tr, l1Start);
  const elsewhere = await mockProver({ ...config, domain: { ...config.domain, chainId: 5n } });
  await enqueue(elsewhere.view, [...genesis, ...l1Ops]);
  const there = traceBatch({ state, l1Ops, batchData: optimisticData(FEES, [foreign]), config: { ...config, domain: { ...config.domain, chainId: 5n } } });
  assert.equal(there.invalidAt, undefined);
  await replay(elsewhere.prover, there, l1Start);
});

test('committed defects the STF refuses are valid = false on chain: header, account-0 record, unusable fee accounts', async () => {
  const config = SMALL({ chainId: 31337n, rollupAddress: 0xfeen });
  const { prover, state, genesis } = await withGenesis(config);
  const tx = signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 5n), nonce: 0 }, config.domain);
  const zeroFrom = optimisticData(FEES, [tx, tx]);
  zeroFrom.fill(0, 55 + 78, 55 + 78 + 4);
  const cases: [string, Uint8Array][] = [
    ['bad-header', optimisticData([FEES[0] as FeeEntry, { tokenId: 0, accountIdx: 2, fee: 1n }], [tx])],
    ['bad-header', optimisticData([FEES[0] as FeeEntry, FEES[0] as FeeEntry], [])],
    ['malformed', zeroFrom],
    ['bad-fee-account', optimisticData([{ tokenId: 0, accountIdx: 40, fee: 1n }], [tx])],
    ['bad-fee-account', optimisticData([FEES[0] as FeeEntry, { tokenId: 1, accountIdx: 2, fee: 1n }], [tx])],
  ];
  for (const [reason, data] of cases) {
    const trace = traceBatch({ state, l1Ops: [], batchData: data, config });
    assert.equal(trace.invalidAt?.reason, reason);
    await replay(prover, trace, BigInt(genesis.length));
  }
});

test('a fee account created by an L1 op of the same batch is bad-fee-account on chain; a batch later the same entry is valid', async () => {
  const config = SMALL({ chainId: 31337n, rollupAddress: 0xf7n });
  const { prover, view, state, genesis } = await withGenesis(config);
  // Account 7 (token 0) is created by the batch's first step. Entry 0 names account 6 (token 1, from
  // before the batch), entry 1 account 7, which collects the transfer's fee.
  const l1Ops = [createOp(2, 0, 40n)];
  await enqueue(view, l1Ops);
  const l1Start = BigInt(genesis.length);
  const tx = (nonce: number) => signTx(user(0), { kind: 'transfer', from: 1, to: 7, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 5n), nonce }, config.domain);
  const fees: FeeEntry[] = [FEES[1] as FeeEntry, { tokenId: 0, accountIdx: 7, fee: 1n }];
  assert.throws(() => applyPostedBatch(state, { l1Ops, l2Txs: [tx(0)], feeTable: fees }, config), BatchError, 'the STF refuses it');
  const trace = traceBatch({ state, l1Ops, batchData: optimisticData(fees, [tx(0)]), config });
  assert.deepEqual(trace.invalidAt, { step: 3, feeEntry: 1, reason: 'bad-fee-account' });
  assert.equal(trace.states[3]?.nextIndex, 8, 'account 7 exists at the fee step');
  assert.equal(trace.states[3]?.acc[1], 1n, 'and would be credited a fee');
  // Steps 0..2 re-execute to the trace's states; the fee step of account 7 returns valid = false.
  await replay(prover, trace, l1Start);
  // The context's bound alone decides: where the batch started after account 7, the step needs its witness.
  const ctx = context(trace, l1Start);
  assert.equal(ctx.startNextIndex, 7);
  await reverts(executeStep(c, { prover, ctx: { ...ctx, startNextIndex: 8 }, step: 3, preState: trace.stateHashes[3] ?? assert.fail(), proof: stepProof(trace, 3) }), 'MissingAccountWitness', [0n]);

  // The honest batch pays account 1 instead; in the next batch the same table is valid and credits account 7.
  const honest = postBatch(state, { l1Ops, l2Txs: [tx(0)], feeTable: [FEES[1] as FeeEntry, { tokenId: 0, accountIdx: 1, fee: 1n }] }, config);
  await replay(prover, traceBatch({ state, l1Ops, batchData: honest.batchData, config }), l1Start);
  state.apply(honest.result.changes);
  const next = traceBatch({ state, l1Ops: [], batchData: optimisticData(fees, [tx(1)]), config });
  assert.equal(next.invalidAt, undefined);
  assert.notEqual(next.states[3]?.stateRoot, next.states[2]?.stateRoot, 'the fee step credits account 7');
  await replay(prover, next, l1Start + 1n);
});

test('rejections the vectors do not reach, on chain: nonce-overflow, balance-overflow, fee-overflow; tree-full refund', async () => {
  // A crafted pre-state (depth 4: 15 usable slots) with extreme values; L1 only ever sees its root.
  const config = createStfConfig({ domain: { chainId: 31337n, rollupAddress: 0xcafen }, treeDepth: 4, exitTreeDepth: 4, maxL1Ops: 4, maxL2Txs: 8, maxFeeTokens: 1 });
  const { prover, view } = await mockProver(config);
  const half = 1n << 127n; // large balances: nothing here depends on small numbers
  const accounts: [number, Account][] = [
    [1, { tokenId: 0, balance: half + 10n, nonce: 0, publicKey: user(0).publicKey, l1Address: user(0).l1Address }],
    [2, { tokenId: 0, balance: half + 10n, nonce: 0, publicKey: user(1).publicKey, l1Address: user(1).l1Address }],
    [3, { tokenId: 0, balance: MAX_BALANCE - 5n, nonce: 0, publicKey: user(2).publicKey, l1Address: user(2).l1Address }],
    [4, { tokenId: 0, balance: 100n, nonce: MAX_NONCE, publicKey: user(3).publicKey, l1Address: user(3).l1Address }],
  ];
  const state = new MemoryState();
  const tree = new SparseMerkleTree(config.treeDepth, state);
  for (const [i, a] of accounts) tree.update(i, frToBytesLE(accountLeaf(a)));
  state.apply({ nodes: tree.changes, accounts: new Map(accounts), nextIndex: 5 });
  const maxFeeF = floatEncode(FLOAT16, 5n);
  const tx = (u: number, from: number, to: number, amount: bigint, nonce: number) =>
    signTx(user(u), { kind: to === 0 ? 'withdraw' : 'transfer', from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF, nonce }, config.domain);
  for (const [reason, txs] of [
    ['nonce-overflow', [tx(3, 4, 0, 1n, MAX_NONCE)]],
    ['balance-overflow', [tx(0, 1, 3, 10n, 0)]],
  ] as const) {
    const trace = traceBatch({ state, l1Ops: [], batchData: optimisticData([], txs), config });
    assert.equal(trace.invalidAt?.reason, reason);
    await replay(prover, trace, 0n);
  }
  // fee-overflow needs ~16,600 max-fee transactions in one batch (a fee cap is at most 2047·10^31):
  // exercised from a pre-state whose accumulator is already near the bound.
  const fees: FeeEntry[] = [{ tokenId: 0, accountIdx: 1, fee: 5n }];
  const trace = traceBatch({ state, l1Ops: [], batchData: optimisticData(fees, [tx(1, 2, 1, 1n, 0)]), config });
  const proof = trace.proofs[0] ?? assert.fail();
  const ctx = context(trace, 0n);
  const at = async (acc: bigint, accounts = proof.accounts) => {
    const pre = { ...proof.pre, acc: [acc] };
    return executeStep(c, { prover, ctx, step: 0, preState: stepStateHash(pre), proof: encodeStepProof({ ...proof, pre, accounts }) });
  };
  // A rejection proves the recipient it read against the pre-state root, not the root after the sender's update.
  await reverts(at(MAX_BALANCE - 4n), 'AccountProofInvalid', [1n]);
  const recipient = { account: state.getAccount(1), siblings: siblingsToFr(tree.siblings(1)) };
  assert.equal((await at(MAX_BALANCE - 4n, [proof.accounts[0] ?? assert.fail(), recipient])).valid, false, 'fee-overflow');
  const fits = await at(MAX_BALANCE - 5n);
  assert.equal(fits.valid, true);
  assert.equal(fits.postState, bytesToHex(stepStateHash({ ...(trace.states[1] ?? assert.fail()), acc: [MAX_BALANCE] })));
  // Eleven creations fill slots 5..15; the twelfth finds the tree full and is refunded.
  const creates = Array.from({ length: 12 }, (_, i) => createOp(i % 5, 0, 7n));
  await enqueue(view, creates);
  let l1Start = 0n;
  for (let b = 0; b < 3; b++) {
    const ops = creates.slice(4 * b, 4 * b + 4);
    const { result, batchData } = postBatch(state, { l1Ops: ops, l2Txs: [], feeTable: [] }, config);
    await replay(prover, traceBatch({ state, l1Ops: ops, batchData, config }), l1Start);
    state.apply(result.changes);
    l1Start += 4n;
    if (b === 2) assert.deepEqual(result.l1Receipts[3], { status: 'noop', slot: 3, reason: 'tree-full', refunded: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Against the real Rollup

/** Calls a Rollup function that queues L1 ops; returns the ops it queued (L1OpQueued). */
async function queueL1(at: Address, fn: string, args: readonly unknown[], value?: bigint): Promise<L1Op[]> {
  const receipt = await send(at, rollupAbi as Abi, fn, args, value);
  return (parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'L1OpQueued' }) as unknown as { args: { op: Hex } }[]).map((l) => decodeL1Op(hexToBytes(l.args.op)));
}

test('the prover reads the real Rollup: queue items from createAccount/deposit/forceExit and its domain', async () => {
  const config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(rollup.rollup) }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 4, maxL2Txs: 8, maxFeeTokens: 2 });
  const prover = (await deployOneStepProver(c, { rollup: rollup.rollup, poseidon5 })).prover;
  const me = BigInt(c.wallet?.account.address ?? assert.fail());
  const queued: L1Op[] = [];
  const q = async (fn: string, args: readonly unknown[], value?: bigint) => queued.push(...(await queueL1(rollup.rollup, fn, args, value)));
  const k0 = user(0).publicKey;
  const k1 = user(1).publicKey;
  await q('createAccount', [0, 1000n, k0[0], k0[1]], 1000n);
  await q('createAccount', [0, 500n, k1[0], k1[1]], 500n);
  await q('deposit', [0, 25n, 1], 25n);
  await q('forceExit', [2]);
  const state = new MemoryState();
  // Batch 1: the two account creations (queue items 0, 1), no fee table (no account exists yet).
  const first = postBatch(state, { l1Ops: queued.slice(0, 2), l2Txs: [], feeTable: [] }, config);
  await replay(prover, traceBatch({ state, l1Ops: queued.slice(0, 2), batchData: first.batchData, config }), 0n);
  state.apply(first.result.changes);
  // Batch 2: the deposit and the force-exit (items 2, 3) and a signed transfer paying a fee.
  const fees: FeeEntry[] = [{ tokenId: 0, accountIdx: 1, fee: 1n }];
  const txs = [signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 1n), nonce: 0 }, config.domain)];
  const l1Ops = queued.slice(2);
  const { result, batchData } = postBatch(state, { l1Ops, l2Txs: txs, feeTable: fees }, config);
  assert.equal(result.included.length, 1);
  // Both accounts are owned on L1 by the deployer, who queued the force-exit of account 2.
  assert.deepEqual(result.l1Receipts.map((r) => r.status), ['applied', 'applied']);
  assert.equal(result.exits[0]?.l1Address, me);
  await replay(prover, traceBatch({ state, l1Ops, batchData, config }), 2n);
  assert.equal(await c.public.readContract({ address: prover, abi: oneStepProverAbi, functionName: 'domainDigest' }), domainHash(config.domain));
});

test('a dispute removes a batch whose fee table names an account it creates: the game reads startNextIndex, the one step is invalid', async () => {
  const self = c.wallet?.account.address ?? assert.fail();
  const params = { treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 4, maxL2Txs: 8, maxFeeTokens: 1 } as const;
  const settlement = { mode: 'optimistic', assertionBond: 10n ** 15n, challengeBond: 10n ** 15n, challengeWindow: 1000, clockBudget: 300 } as const;
  const opt = await deployRollup(c, { verifier: '0x0000000000000000000000000000000000000000', sequencer: self, governance: self, ...params, settlement });
  const game = opt.disputeGame ?? assert.fail();
  const config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(opt.rollup) }, ...params });
  const queued: L1Op[] = [];
  for (const u of [0, 1, 2]) {
    const k = user(u).publicKey;
    queued.push(...(await queueL1(opt.rollup, 'createAccount', [0, 1000n, k[0], k[1]], 1000n)));
  }
  const commit = async (result: BatchResult, l1Ops: L1Op[], feeTable: FeeEntry[], batchNum: bigint, l1Start: bigint) => {
    const s = signedBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result, l1Ops, feeTable, batchNum, l1Start });
    const header = { newRoot: result.newRoot, exitRoot: result.exitRoot, dataCommitment: s.commitment.c, newNextIndex: result.newNextIndex, l1Count: l1Ops.length };
    return { ...(await commitWithBond(c, opt.rollup, { header, l1Ops: bytesToHex(encodeL1Ops(l1Ops)), batchData: bytesToHex(s.batchData) })), batchData: s.batchData };
  };
  // Batch 1 (honest): accounts 1 and 2.
  const state = new MemoryState();
  const first = applyBatch(state, { l1Ops: queued.slice(0, 2), l2Txs: [], feeTable: [] }, config);
  await commit(first, queued.slice(0, 2), [], 1n, 0n);
  state.apply(first.changes);
  // Batch 2 (dishonest): creates account 3 and pays the transfer's fee to it. Derivation refuses it; its
  // roots are the STF's with the fee credited to account 3, which exists by the fee step.
  const l1Ops = queued.slice(2);
  const fees: FeeEntry[] = [{ tokenId: 0, accountIdx: 3, fee: 1n }];
  const tx = signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 1n), nonce: 0 }, config.domain);
  assert.throws(() => applyPostedBatch(state, { l1Ops, l2Txs: [tx], feeTable: fees }, config), BatchError);
  const lie = applyPostedBatch(state, { l1Ops, l2Txs: [tx], feeTable: fees }, config, { allowUnusableFeeAccounts: true });
  // (applyPostedBatch replays posted data and lists no `included`: the data carries exactly [tx].)
  const bad = await commit({ ...lie, included: [tx] }, l1Ops, fees, 2n, 2n);
  const honest = traceBatch({ state, l1Ops, batchData: bad.batchData, config });
  assert.deepEqual(honest.invalidAt, { step: 2, feeEntry: 0, reason: 'bad-fee-account' });

  const { gameId } = await openDispute(challenger, game, bad.batchNum, bad.commitId);
  // The context comes from the Rollup: l1Start and startNextIndex from batch 1 (nextIndex 3, not batch 2's 4).
  const ctx = await c.public.readContract({ address: game, abi: disputeGameAbi, functionName: 'context', args: [gameId] });
  assert.deepEqual(ctx, { l1Start: 2n, startNextIndex: 3, l1Count: 1, txCount: 1, feeCount: 1, stepDataHash: bytesToHex(honest.stepDataHash) });
  // The defender claims the honest states up to the fee step, then the committed end state.
  const hex = (h: Uint8Array | undefined): Hex | undefined => (h === undefined ? undefined : bytesToHex(h));
  const end = bytesToHex(stepStateHash(finalStepState(lie.newRoot, lie.exitRoot, lie.newNextIndex, 1)));
  const lying: Trace = { steps: honest.steps, stateAt: (j) => (j < honest.steps ? hex(honest.stateHashes[j]) : end) };
  const truth: Trace = { steps: honest.steps, stateAt: (j) => hex(honest.stateHashes[j]) };
  let executed: { step: bigint; valid: boolean } | undefined;
  for (;;) {
    const g = await getGame(c, game, gameId);
    if (g.status !== 'open') break;
    const view: GameView = { open: true, lo: g.lo, hi: g.hi, turn: g.turn, loState: g.loState, hiState: g.hiState, midState: g.turn === 'challenger' && g.hi - g.lo >= 2 ? g.midState : undefined };
    const m = nextMove(g.turn, view, g.turn === 'defender' ? lying : truth);
    if (m.kind === 'bisect') await bisect(c, game, gameId, m.mid, m.state);
    else if (m.kind === 'respond') await respond(challenger, game, gameId, m.mid, m.agree);
    else if (m.kind === 'one-step') {
      const receipt = await submitOneStep(challenger, game, gameId, bytesToHex(stepProof(honest, m.step)));
      const [ev] = parseEventLogs({ abi: disputeGameAbi as Abi, logs: receipt.logs, eventName: 'OneStepExecuted' }) as unknown as { args: { step: bigint; valid: boolean } }[];
      executed = ev === undefined ? undefined : { step: ev.args.step, valid: ev.args.valid };
    } else assert.fail(`unexpected ${m.kind}: ${m.why}`);
  }
  assert.deepEqual(executed, { step: 2n, valid: false });
  assert.equal((await getGame(c, game, gameId)).status, 'challengerWon');
  assert.equal((await getFinalityStatus(c, opt.rollup)).lastCommitted, 1n, 'batch 2 removed');
});
