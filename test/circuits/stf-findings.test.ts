/**
 * Disagreements between src/core and what the circuit (and derivation) could prove, found while
 * building the circuit and since fixed in src/core; kept as regression tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { overlayState, MemoryState } from '../../src/core/state.ts';
import { applyBatch, applyPostedBatch } from '../../src/core/stf.ts';
import type { L2Tx } from '../../src/core/tx.ts';
import { signTx, user } from '../support/rollup.ts';
import { TEST_CONFIG } from './helpers.ts';

function twoAccounts(): ReturnType<typeof overlayState> {
  let state: ReturnType<typeof overlayState> = new MemoryState();
  for (const i of [0, 1]) {
    const op = { kind: 'createAccount' as const, l1Address: user(i).l1Address, tokenId: 0, amount: 1_000n, publicKey: user(i).publicKey };
    state = overlayState(state, applyBatch(state, { l1Ops: [op], l2Txs: [], feeTable: [] }, TEST_CONFIG).changes);
  }
  return state;
}

test(
  'applyBatch includes a `withdraw` whose `to` is not 0 as a withdraw, but its posted record (to != 0) is a transfer',
  () => {
    const state = twoAccounts();
    const tx: L2Tx = signTx(user(0), { kind: 'withdraw', from: 1, to: 2, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 0n), nonce: 0 });
    const sequencer = applyBatch(state, { l1Ops: [], l2Txs: [tx], feeTable: [] }, TEST_CONFIG);
    assert.deepEqual(sequencer.l2Receipts, [{ status: 'rejected', reason: 'malformed' }], 'fixed: such a body is rejected');
    // Derivation replays the ZK record (from, to, amountF): to != 0 is a transfer (batch-data recordKind).
    const records = sequencer.included.map(({ from, to, amountF }) => ({ kind: to === 0 ? ('withdraw' as const) : ('transfer' as const), from, to, amountF }));
    const derived = applyPostedBatch(state, { l1Ops: [], l2Txs: records, feeTable: [] }, TEST_CONFIG);
    // Today: the sequencer pays an exit and leaves account 2 alone; derivation credits account 2.
    // The circuit follows the record (a transfer) and the signature binds type 2: the batch is unprovable.
    assert.equal(sequencer.newRoot, derived.newRoot, 'sequencer and derivation disagree on the state root');
    assert.equal(sequencer.exitRoot, derived.exitRoot, 'sequencer and derivation disagree on the exit root');
  },
);

test(
  'applyBatch fills more L2 slots than the circuit has (StfConfig has no maxL2Txs)',
  () => {
    const state = twoAccounts();
    const maxFeeF = floatEncode(FLOAT16, 0n);
    const txs = [0, 1, 2].map((nonce) => signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 1n), maxFeeF, nonce }));
    const r = applyBatch(state, { l1Ops: [], l2Txs: txs, feeTable: [] }, TEST_CONFIG);
    // The `test` circuit has 2 L2 slots; the STF's only bound is the exit tree (2^4 - 1 slots).
    assert.equal(r.included.length, 2, 'the third transfer should be batch-full');
  },
);
