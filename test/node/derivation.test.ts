import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveBatch, DerivationError, decodeL1OpsBytes } from '../../src/node/derivation.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, InvalidBatchTxError } from '../../src/core/stf.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { encodeBatchData } from '../../src/core/batch-data.ts';
import { encodeL1Ops } from '../../src/core/tx.ts';
import { packSignature } from '../../src/core/eddsa.ts';
import { DecodeError, InvalidInputError } from '../../src/core/errors.ts';
import { crashBatches } from '../support/crash-batches.ts';
import { CONFIG, signTx, user } from '../support/rollup.ts';

test('a fresh node replaying posted data (ZK and optimistic modes) reaches the sequencer’s roots', () => {
  const seq = new MemoryState();
  const zkNode = new MemoryState();
  const optNode = new MemoryState();
  for (const [i, b] of crashBatches(4).entries()) {
    const r = applyBatch(seq, b, CONFIG, { witness: false });
    seq.apply(r.changes);
    const l1OpsBytes = encodeL1Ops(b.l1Ops);
    const base = { batchNum: i + 1, newRoot: r.newRoot, exitRoot: r.exitRoot, newNextIndex: r.newNextIndex, l1OpsBytes };
    const zk = encodeBatchData({ mode: 'zk', feeTable: b.feeTable, txs: r.included.map(({ from, to, amountF }) => ({ from, to, amountF })) });
    const opt = encodeBatchData({ mode: 'optimistic', feeTable: b.feeTable, txs: r.included.map((t) => ({ from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, signature: packSignature(t.signature) })) });
    const d1 = deriveBatch(zkNode, { ...base, batchDataBytes: zk }, CONFIG);
    zkNode.apply(d1.result.changes);
    const d2 = deriveBatch(optNode, { ...base, batchDataBytes: opt }, CONFIG);
    optNode.apply(d2.result.changes);
    assert.equal(d1.result.newRoot, r.newRoot);
    assert.equal(d2.result.newRoot, r.newRoot);
  }
});

test('derivation refuses posted roots its data does not produce, and malformed posted bytes', () => {
  const state = new MemoryState();
  const [b] = crashBatches(1);
  assert.ok(b !== undefined);
  const r = applyBatch(state, b, CONFIG, { witness: false });
  const l1OpsBytes = encodeL1Ops(b.l1Ops);
  const data = encodeBatchData({ mode: 'zk', feeTable: [], txs: [] });
  const posted = { batchNum: 1, newRoot: r.newRoot, exitRoot: r.exitRoot, newNextIndex: r.newNextIndex, l1OpsBytes, batchDataBytes: data };
  assert.throws(() => deriveBatch(state, { ...posted, newRoot: r.newRoot ^ 1n }, CONFIG), (e: unknown) => e instanceof DerivationError && e.code === 'DERIVED_ROOT_MISMATCH');
  assert.throws(() => deriveBatch(state, { ...posted, newNextIndex: 1 }, CONFIG), DerivationError);
  assert.throws(() => deriveBatch(state, { ...posted, l1OpsBytes: l1OpsBytes.subarray(1) }, CONFIG), DecodeError);
  assert.throws(() => decodeL1OpsBytes(new Uint8Array(113)), DecodeError);
  assert.throws(() => deriveBatch(state, { ...posted, batchDataBytes: data.subarray(0, 3) }, CONFIG), DecodeError);
  // Optimistic data whose signature bytes do not decode is evidence against the batch.
  const opt = encodeBatchData({ mode: 'optimistic', feeTable: [], txs: [{ from: 1, to: 2, amountF: 1, maxFeeF: 0, signature: new Uint8Array(64).fill(0xff) }] });
  assert.throws(() => deriveBatch(state, { ...posted, batchDataBytes: opt }, CONFIG), (e: unknown) => e instanceof DerivationError || e instanceof InvalidInputError);
});

test('optimistic data: a sender with several transactions in one batch derives (nonce taken as it stands at each transaction)', () => {
  const seq = new MemoryState();
  const node = new MemoryState();
  const [first] = crashBatches(1);
  assert.ok(first !== undefined);
  const r0 = applyBatch(seq, first, CONFIG, { witness: false });
  seq.apply(r0.changes);
  node.apply(r0.changes);
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const one = floatEncode(FLOAT32, 1n);
  // Account 1 (user 0) sends three transfers in one batch: nonces 0, 1, 2.
  const l2Txs = [0, 1, 2].map((nonce) => signTx(user(0), { kind: 'transfer', from: 1, to: 2 + nonce, amountF: one, maxFeeF, nonce }));
  const r = applyBatch(seq, { l1Ops: [], l2Txs, feeTable: [] }, CONFIG, { witness: false });
  assert.equal(r.included.length, 3);
  const txs = r.included.map((t) => ({ from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, signature: packSignature(t.signature) }));
  const posted = { batchNum: 2, newRoot: r.newRoot, exitRoot: r.exitRoot, newNextIndex: r.newNextIndex, l1OpsBytes: new Uint8Array(0) };
  const d = deriveBatch(node, { ...posted, batchDataBytes: encodeBatchData({ mode: 'optimistic', feeTable: [], txs }) }, CONFIG);
  assert.equal(d.result.newRoot, r.newRoot);
  // Posted out of order, the signatures no longer match the running nonces: evidence against the batch.
  const swapped = [txs[1], txs[0], txs[2]].filter((t) => t !== undefined);
  assert.throws(
    () => deriveBatch(node, { ...posted, batchDataBytes: encodeBatchData({ mode: 'optimistic', feeTable: [], txs: swapped }) }, CONFIG),
    (e: unknown) => e instanceof InvalidBatchTxError && e.reason === 'bad-signature',
  );
});
