import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, MempoolError, defaultMempoolOptions } from '../../src/node/mempool.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch } from '../../src/core/stf.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { CONFIG, signTx, user } from '../support/rollup.ts';
import type { L2Tx } from '../../src/core/tx.ts';

const maxFeeF = floatEncode(FLOAT16, 100n);
function setup(): MemoryState {
  const state = new MemoryState();
  const ops = [0, 1, 2].map((i) => ({ kind: 'createAccount' as const, l1Address: user(i).l1Address, tokenId: 0, amount: 100n, publicKey: user(i).publicKey }));
  state.apply(applyBatch(state, { l1Ops: ops, l2Txs: [], feeTable: [] }, CONFIG).changes);
  return state;
}
const t = (u: number, from: number, to: number, amount: bigint, nonce: number): L2Tx =>
  signTx(user(u), { kind: 'transfer', from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF, nonce });

function rejects(f: () => void, code: string, reason?: string): void {
  assert.throws(f, (e: unknown) => e instanceof MempoolError && e.code === code && (reason === undefined || e.reason === reason));
}

test('admission applies the STF to state plus pending: nonce order, balance across pending txs', () => {
  let now = 0;
  const pool = new Mempool(defaultMempoolOptions, { now: () => now });
  const state = setup();
  pool.add(t(0, 1, 2, 60n, 0), true, state, CONFIG, []);
  rejects(() => pool.add(t(0, 1, 2, 60n, 1), true, state, CONFIG, []), 'TX_REJECTED', 'insufficient-balance');
  rejects(() => pool.add(t(0, 1, 2, 10n, 0), true, state, CONFIG, []), 'MEMPOOL_DUPLICATE');
  rejects(() => pool.add(t(0, 1, 2, 10n, 2), true, state, CONFIG, []), 'TX_REJECTED', 'bad-nonce');
  rejects(() => pool.add(t(1, 2, 3, 10n, 0), false, state, CONFIG, []), 'TX_REJECTED', 'bad-signature');
  pool.add(t(0, 1, 2, 40n, 1), true, state, CONFIG, []);
  pool.add(t(1, 2, 3, 10n, 0), true, state, CONFIG, []);
  assert.equal(pool.size, 3);
  assert.equal(pool.shouldSeal(10), false);
  now = defaultMempoolOptions.maxAgeMs;
  assert.equal(pool.shouldSeal(10), true, 'the oldest waited long enough');
  assert.equal(pool.shouldSeal(3), true);
  // Seal, then the pool forgets what was included.
  const batch = pool.peek(2);
  const r = applyBatch(state, { l1Ops: [], l2Txs: batch, feeTable: [] }, CONFIG);
  assert.equal(r.included.length, 2);
  state.apply(r.changes);
  assert.deepEqual(pool.removeIncluded(r.included, state), []);
  assert.equal(pool.size, 1);
  assert.deepEqual(pool.pendingFor(2).map((x) => x.nonce), [0]);
});

test('limits give back-pressure with typed errors; stale transactions are dropped after a batch', () => {
  const pool = new Mempool({ maxPending: 3, maxPerAccount: 2, maxAgeMs: 1000 }, { now: () => 0 });
  const state = setup();
  pool.add(t(0, 1, 2, 1n, 0), true, state, CONFIG, []);
  pool.add(t(0, 1, 2, 1n, 1), true, state, CONFIG, []);
  rejects(() => pool.add(t(0, 1, 2, 1n, 2), true, state, CONFIG, []), 'MEMPOOL_ACCOUNT_FULL');
  pool.add(t(1, 2, 1, 1n, 0), true, state, CONFIG, []);
  rejects(() => pool.add(t(2, 3, 1, 1n, 0), true, state, CONFIG, []), 'MEMPOOL_FULL');
  // Another sequencer's batch used account 2's nonce 0: its pending tx is now stale.
  const other = t(1, 2, 3, 1n, 0);
  const r = applyBatch(state, { l1Ops: [], l2Txs: [other], feeTable: [] }, CONFIG);
  state.apply(r.changes);
  const stale = pool.removeIncluded([], state);
  assert.equal(stale.length, 1);
  assert.equal(pool.size, 2);
  assert.throws(() => new Mempool({ maxPending: 0, maxPerAccount: 1, maxAgeMs: 1 }, { now: () => 0 }), /positive integer/);
});

test("an account's pending transactions may span several batches (admission ignores one batch's capacity)", () => {
  const small = { ...CONFIG, maxL2Txs: 2 };
  const pool = new Mempool(defaultMempoolOptions, { now: () => 0 });
  const state = setup();
  for (let n = 0; n < 5; n++) pool.add(t(0, 1, 2, 1n, n), true, state, small, []);
  assert.equal(pool.pendingFor(1).length, 5);
  const r = applyBatch(state, { l1Ops: [], l2Txs: pool.peek(small.maxL2Txs), feeTable: [] }, small);
  assert.equal(r.included.length, 2, 'the sealer still fills a batch only up to its capacity');
});
