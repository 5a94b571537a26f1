import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountLeaf, type Account } from '../../src/core/account.ts';
import { frToBytesLE } from '../../src/core/field.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { MAX_BALANCE } from '../../src/core/params.ts';
import { SparseMerkleTree, treeLevels } from '../../src/core/smt.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, BatchError, createStfConfig, planBatch, type ApplyBatchParameters, type FeeEntry, type PlannedStep, type StfConfig } from '../../src/core/stf.ts';
import type { L1Op, L2Tx } from '../../src/core/tx.ts';
import { createParallelSealer, ParallelSealer, ParallelSealerError, SplitController, splitPlan, type SealBatch } from '../../src/node/parallel-sealer.ts';
import { DOMAIN, replayStep, signTx, user } from '../support/rollup.ts';

const DEEP = createStfConfig({ domain: DOMAIN, treeDepth: 32, exitTreeDepth: 8, maxL1Ops: 16, maxL2Txs: 56 });
const SMALL = createStfConfig({ domain: DOMAIN, treeDepth: 6, exitTreeDepth: 8, maxL1Ops: 16, maxL2Txs: 56 });
const DUMMY_SIGNATURE = { r8: [0n, 1n] as const, s: 0n };
const MAXFEE = floatEncode(FLOAT16, 10n);

/** Deterministic xorshift32. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return Math.floor((x / 2 ** 32) * n);
  };
}

/** Accounts 1..count (token 1 for every 7th, else 0), bulk-loaded. */
function genesis(config: StfConfig, count: number): MemoryState {
  const state = new MemoryState();
  const tree = new SparseMerkleTree(config.treeDepth, state);
  const accounts = new Map<number, Account>();
  const leaves: [number, Uint8Array][] = [];
  for (let i = 1; i <= count; i++) {
    const a: Account = { tokenId: i % 7 === 0 ? 1 : 0, balance: 1000n, nonce: 0, publicKey: user(i % 5).publicKey, l1Address: 0x1000n + BigInt(i) };
    accounts.set(i, a);
    leaves.push([i, frToBytesLE(accountLeaf(a))]);
  }
  tree.updateMany(leaves);
  state.apply({ nodes: tree.changes, accounts, nextIndex: count + 1 });
  return state;
}

type Batch = { params: ApplyBatchParameters; verified: boolean[] };

/**
 * A random batch over `state`: L1 ops of every kind (valid, no-op, creations up to a full tree), and
 * transfers between neighbours (same subtree) and distant accounts, withdrawals, invalid ones.
 */
function randomBatch(state: MemoryState, config: StfConfig, r: (n: number) => number): Batch {
  const n = state.nextIndex;
  const pick = (): number => (r(5) === 0 ? n + r(3) : 1 + r(n - 1)); // sometimes past the last account
  const l1Ops: L1Op[] = [];
  for (let i = r(config.maxL1Ops + 1); i > 0; i--) {
    const kind = r(4);
    const from = pick();
    const owner = state.getAccount(from)?.l1Address ?? 1n;
    const amount = BigInt(r(4) === 0 ? 0 : r(900));
    if (kind === 0) l1Ops.push({ kind: 'createAccount', l1Address: 0x9000n + BigInt(i), tokenId: r(2), amount, publicKey: user(r(5)).publicKey });
    else if (kind === 1) l1Ops.push({ kind: 'deposit', l1Address: 7n, tokenId: r(2), amount: r(8) === 0 ? MAX_BALANCE : amount, toIdx: pick() });
    else if (kind === 2) l1Ops.push({ kind: 'forceExit', l1Address: r(5) === 0 ? 5n : owner, fromIdx: from });
    else l1Ops.push({ kind: 'forceTransfer', l1Address: r(5) === 0 ? 5n : owner, fromIdx: from, toIdx: r(2) === 0 ? from + 1 : pick(), amount });
  }
  const nonces = new Map<number, number>();
  const l2Txs: L2Tx[] = [];
  const verified: boolean[] = [];
  for (let i = 24 + r(40); i > 0; i--) {
    const from = 1 + r(n - 1);
    const nonce = nonces.get(from) ?? state.getAccount(from)?.nonce ?? 0;
    nonces.set(from, nonce + 1);
    const shape = r(10);
    const amountF = floatEncode(FLOAT32, r(12) === 0 ? 5000n : BigInt(1 + r(300)));
    const to = shape < 4 ? Math.max(1, from + 1 + r(3) - (from > 2 ? 2 : 0)) : shape < 8 ? 1 + r(n - 1) : 0;
    const kind = to === 0 ? 'withdraw' : 'transfer';
    l2Txs.push({ kind, from, to, amountF, maxFeeF: r(20) === 0 ? 0 : MAXFEE, nonce: r(15) === 0 ? nonce + 1 : nonce, signature: DUMMY_SIGNATURE });
    verified.push(r(10) !== 0);
  }
  const feeTable: FeeEntry[] = [{ tokenId: 0, accountIdx: 1, fee: BigInt(r(4)) }];
  if (r(2) === 0) feeTable.push({ tokenId: 1, accountIdx: 7, fee: BigInt(1 + r(3)) });
  return { params: { l1Ops, l2Txs, feeTable }, verified };
}

/** What the compared batches exercised (receipt kinds, exits, step shapes), across all rounds. */
type Coverage = Set<string>;

function cover(seen: Coverage, params: ApplyBatchParameters, result: ReturnType<typeof applyBatch>): void {
  params.l1Ops.forEach((op, i) => {
    const receipt = result.l1Receipts[i];
    seen.add(`l1:${op.kind}:${receipt?.status === 'noop' ? receipt.reason : 'applied'}`);
  });
  for (const x of result.l2Receipts) seen.add(`l2:${x.status === 'rejected' ? x.reason : 'included'}`);
  for (const t of result.included) seen.add(`kind:${t.kind}`);
  if (result.exits.length > 0) seen.add('exit');
  for (const step of result.witness) {
    const [a, b] = step.updates;
    if (step.kind === 'fee') seen.add('fee-step');
    if (a !== undefined && b !== undefined) seen.add(Math.floor(a.index / 16) === Math.floor(b.index / 16) ? 'pair:same-level-2-subtree' : 'pair:different-subtrees');
  }
}

async function compareRounds(config: StfConfig, accounts: number, splitLevels: readonly number[], rounds: number, seed: number): Promise<Coverage> {
  const seen: Coverage = new Set();
  for (const splitLevel of splitLevels) {
    const state = genesis(config, accounts);
    const r = rng(seed + splitLevel * 1000);
    // Tiny chunks and parts: records and inputs cross many boundaries, and the adaptive split (on
    // every other level) is steered many times per batch, so updates get arbitrary lo/hi patterns.
    const adaptive = splitLevels.indexOf(splitLevel) % 2 === 0;
    const sealer = new ParallelSealer({ splitLevel, adaptive, chunkSize: 5, firstPart: 3, partSize: 4 });
    try {
      for (let round = 0; round < rounds; round++) {
        const { params, verified } = randomBatch(state, config, r);
        const expected = applyBatch(state, params, config, { verified });
        const got = await sealer.seal(state, params, config, { verified });
        assert.deepStrictEqual(got, expected, `split ${splitLevel}, round ${round}`);
        if (!adaptive) {
          const { lo, frac } = splitPlan(splitLevel, treeLevels(config.treeDepth));
          const mean = sealer.stats?.splitLevel ?? Number.NaN;
          assert.ok(Math.abs(mean - lo - frac) < 0.05, `fixed split ${splitLevel}: mean ${mean}`);
        }
        const kinds = new Set(expected.l2Receipts.map((x) => x.status));
        assert.ok(kinds.has('included'), 'batch includes transactions');
        const lean = await sealer.seal(state, params, config, { verified, witness: false });
        assert.deepStrictEqual(lean, applyBatch(state, params, config, { verified, witness: false }), `split ${splitLevel}, round ${round}, no witness`);
        cover(seen, params, expected);
        state.apply(expected.changes);
      }
    } finally {
      assert.equal(await sealer.close(), 0);
    }
  }
  return seen;
}

const MUST_COVER = [
  'l1:createAccount:applied',
  'l1:deposit:applied',
  'l1:deposit:unknown-account',
  'l1:deposit:token-mismatch',
  'l1:forceExit:applied',
  'l1:forceExit:not-owner',
  'l1:forceTransfer:applied',
  'l2:included',
  'l2:bad-nonce',
  'l2:bad-signature',
  'l2:insufficient-balance',
  'kind:transfer',
  'kind:withdraw',
  'exit',
  'fee-step',
  'pair:same-level-2-subtree',
  'pair:different-subtrees',
];

test('planBatch decides exactly what applyBatch does, without hashing', () => {
  const state = genesis(SMALL, 40);
  const { params, verified } = randomBatch(state, SMALL, rng(3));
  const full = applyBatch(state, params, SMALL, { verified });
  const reported: PlannedStep[] = [];
  const plan = planBatch(state, params, SMALL, { verified, onStep: (step) => reported.push(step) });
  assert.deepStrictEqual(reported, plan.steps, 'onStep reports every step, in order');
  assert.deepStrictEqual(plan.l1Receipts, full.l1Receipts);
  assert.deepStrictEqual(plan.l2Receipts, full.l2Receipts);
  assert.deepStrictEqual(plan.feeTotals, full.feeTotals);
  assert.deepStrictEqual(plan.accounts, full.changes.accounts);
  assert.deepStrictEqual(plan.exits.map((e) => ({ ...e, leaf: 0n })), full.exits.map((e) => ({ ...e, leaf: 0n })));
  assert.deepStrictEqual(
    plan.steps.map((s) => [s.kind, s.slot, s.preNextIndex, s.postNextIndex, s.feesBefore, s.feesAfter, s.updates]),
    full.witness.map((s) => [s.kind, s.slot, s.preNextIndex, s.postNextIndex, s.feesBefore, s.feesAfter, s.updates.map(({ index, before, after }) => ({ index, before, after }))]),
  );
});

test('depth 32: parallel sealing equals applyBatch for random batches at whole and fractional split levels', async () => {
  // 300 accounts span several level-2/3/4 subtrees, so both same-subtree and cross-subtree paths occur.
  const seen = await compareRounds(DEEP, 300, [0, 2, 3.5, 5.5, 16], 2, 11);
  assert.deepEqual(MUST_COVER.filter((k) => !seen.has(k)), [], 'random batches cover every shape');
});

test('small depth: parallel sealing equals applyBatch up to a full tree, split at and above the root', async () => {
  // Depth 6 holds 63 accounts: creations run into tree-full no-ops.
  const seen = await compareRounds(SMALL, 60, [1, 1.5, 3, 7], 3, 5);
  assert.deepEqual([...MUST_COVER, 'l1:createAccount:tree-full'].filter((k) => !seen.has(k)), [], 'random batches cover every shape');
});

test('with real signatures (no verdicts given) the sealer checks them exactly as applyBatch', async () => {
  const state = genesis(SMALL, 12);
  const body = (from: number, to: number, nonce: number) => ({ kind: 'transfer' as const, from, to, amountF: floatEncode(FLOAT32, 5n), maxFeeF: MAXFEE, nonce });
  const txs = [signTx(user(2), body(2, 3, 0)), signTx(user(1), body(2, 4, 1)), signTx(user(4), body(4, 9, 0))];
  const params = { l1Ops: [], l2Txs: txs, feeTable: [] };
  const expected = applyBatch(state, params, SMALL);
  assert.deepEqual(expected.l2Receipts.map((x) => x.status), ['included', 'rejected', 'included']);
  for (const step of expected.witness) replayStep(step, SMALL.treeDepth, SMALL.exitTreeDepth);
  const sealer = createParallelSealer({ splitLevel: 2 });
  try {
    assert.deepStrictEqual(await sealer.seal(state, params, SMALL), expected);
    const seal: SealBatch = sealer.sealBatch;
    assert.deepStrictEqual(await seal(state, params, SMALL), expected, 'as a plain SealBatch function');
  } finally {
    await sealer.close();
  }
});

test('a malformed batch rejects with applyBatch’s error and the sealer keeps working; close is clean', async () => {
  const state = genesis(SMALL, 10);
  const sealer = new ParallelSealer();
  const bad = { l1Ops: [], l2Txs: [], feeTable: [{ tokenId: 0, accountIdx: 99, fee: 1n }] };
  assert.throws(() => applyBatch(state, bad, SMALL), BatchError);
  await assert.rejects(sealer.seal(state, bad, SMALL), (e: unknown) => e instanceof BatchError && e.code === 'BAD_FEE_TABLE');
  const { params, verified } = randomBatch(state, SMALL, rng(9));
  // Two batches queued before close() both complete; close() waits for them.
  const a = sealer.seal(state, params, SMALL, { verified });
  const b = sealer.seal(state, { l1Ops: [], l2Txs: [], feeTable: [] }, SMALL);
  const closing = sealer.close();
  assert.deepStrictEqual(await a, applyBatch(state, params, SMALL, { verified }));
  assert.deepStrictEqual(await b, applyBatch(state, { l1Ops: [], l2Txs: [], feeTable: [] }, SMALL));
  assert.equal(await closing, 0, 'the worker leaves its event loop on its own');
  await assert.rejects(sealer.seal(state, params, SMALL), (e: unknown) => e instanceof ParallelSealerError && e.code === 'PARALLEL_SEALER_CLOSED');
  assert.equal(await sealer.close(), 0, 'close is idempotent');
});

test('a batch that fails after hashing started (fee settlement overflow) rejects like applyBatch; the next one seals', async () => {
  const state = genesis(DEEP, 20);
  // Planning throws only at fee settlement, after every transfer was planned and posted in parts.
  const sealer = new ParallelSealer({ chunkSize: 2, firstPart: 3, partSize: 4 });
  const transfers: L2Tx[] = [2, 3, 4, 5, 6, 8, 9, 10].map((from) => ({ kind: 'transfer', from, to: from + 1, amountF: floatEncode(FLOAT32, 5n), maxFeeF: MAXFEE, nonce: 0, signature: DUMMY_SIGNATURE }));
  const verified = transfers.map(() => true);
  const feeTable = [{ tokenId: 0, accountIdx: 1, fee: 1n }];
  const overflow = { l1Ops: [{ kind: 'deposit', l1Address: 7n, tokenId: 0, amount: MAX_BALANCE - 1000n, toIdx: 1 } as const], l2Txs: transfers, feeTable };
  try {
    assert.throws(() => applyBatch(state, overflow, DEEP, { verified }), (e: unknown) => e instanceof BatchError && e.code === 'FEE_SETTLEMENT_OVERFLOW');
    await assert.rejects(sealer.seal(state, overflow, DEEP, { verified }), (e: unknown) => e instanceof BatchError && e.code === 'FEE_SETTLEMENT_OVERFLOW');
    const params = { l1Ops: [], l2Txs: transfers, feeTable };
    assert.deepStrictEqual(await sealer.seal(state, params, DEEP, { verified }), applyBatch(state, params, DEEP, { verified }));
  } finally {
    assert.equal(await sealer.close(), 0);
  }
});

test('a worker that dies mid-batch fails that batch with a typed error instead of hanging', async () => {
  const state = genesis(DEEP, 300);
  const sealer = new ParallelSealer({ chunkSize: 1 });
  const { params, verified } = randomBatch(state, DEEP, rng(21));
  // Deterministic crash point: the job's 'end' is held back, so the worker can never finish the batch,
  // and it is killed once it has published records (it was hashing). The kill simulates a crash
  // (out of memory, a native fault): the worker is gone without replying.
  const worker = sealer['worker'];
  const post = sealer['post'].bind(sealer);
  let killed: Promise<number> | undefined;
  let recordsBeforeKill = 0;
  sealer['post'] = (msg, transfer) => {
    if (msg.type !== 'end') return post(msg, transfer);
    const progress = sealer['current']?.stream.progress;
    const kill = (): void => {
      recordsBeforeKill = progress === undefined ? 0 : Atomics.load(progress, 0);
      if (recordsBeforeKill === 0) setTimeout(kill, 1);
      else killed = worker.terminate();
    };
    kill();
  };
  const sealing = sealer.seal(state, params, DEEP, { verified });
  await assert.rejects(sealing, (e: unknown) => e instanceof ParallelSealerError && e.code === 'PARALLEL_SEALER_WORKER');
  assert.ok(recordsBeforeKill >= 1, 'the worker had streamed records when it died');
  await assert.rejects(sealer.seal(state, params, DEEP, { verified }), (e: unknown) => e instanceof ParallelSealerError && e.code === 'PARALLEL_SEALER_CLOSED');
  // Which code a terminated thread reports is Node's business (1, or 0 if it had not started its
  // loop); what the sealer guarantees is that close() settles and reports that same code.
  assert.ok(killed !== undefined);
  assert.equal(await sealer.close(), await killed);
  assert.equal(await sealer.close(), await killed, 'close is idempotent');
});

test('the split controller moves work to the thread that is ahead, evenly spaced, and carries it over', () => {
  const split = splitPlan(5.25, 16);
  assert.deepEqual(split, { lo: 5, hi: 6, frac: 0.25 });
  const c = new SplitController(split, true, 100);
  const splits = new Uint8Array(8);
  c.choose(splits, 0, 8);
  assert.deepEqual([...splits], [5, 5, 5, 6, 5, 5, 5, 6], 'a quarter of the updates at hi, spaced evenly');
  c.steer(150); // the first call only records a baseline
  assert.equal(c.frac, 0.25);
  c.steer(200); // the worker is ahead and gaining: it gets more
  assert.equal(c.frac, 0.3125);
  c.steer(120); // ahead but losing ground: hold
  assert.equal(c.frac, 0.3125);
  c.steer(0); // this thread starved: the worker gets less
  assert.equal(c.frac, 0.1875);
  for (let i = 0; i < 20; i++) c.steer(0);
  assert.equal(c.frac, -0.5, 'bounded');
  assert.equal(c.level(16), 4.5, 'the next batch starts a level lower');
  c.choose(splits, 0, 8);
  assert.deepEqual([...splits], new Array(8).fill(5), 'within a batch the share is clamped to 0..1');
  const fixed = new SplitController(split, false, 100);
  fixed.steer(500);
  fixed.steer(900);
  assert.equal(fixed.frac, 0.25, 'not adaptive: never steered');
  assert.deepEqual(splitPlan(16, 16), { lo: 16, hi: 16, frac: 0 });
});

test('options are validated', () => {
  assert.throws(() => new ParallelSealer({ splitLevel: 17 }), (e: unknown) => e instanceof ParallelSealerError && e.code === 'PARALLEL_SEALER_CONFIG');
  assert.throws(() => new ParallelSealer({ chunkSize: 0 }), ParallelSealerError);
  assert.throws(() => new ParallelSealer({ firstPart: 1.5 }), ParallelSealerError);
  assert.throws(() => new ParallelSealer({ partSize: 0 }), ParallelSealerError);
});
