/**
 * The dispute data of mode-1/2 commits (src/core/assertion.ts, docs/PROTOCOL.md §14.1) against
 * independent computations: the records tree by hand from keccak, record proofs folding back to the
 * root, the step state as Solidity's abi.encode, and a signed batch whose ZK commitment elements are the
 * 12-byte record prefixes (what lets the unchanged circuit prove a multi-mode batch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, encodeAbiParameters, keccak256 } from 'viem';
import { recordProof, recordsRoot, signedBatchLayout, stepDataHash, stepState } from '../../src/core/assertion.ts';
import { decodeBatchData, encodeBatchData, type SignedTxRecord } from '../../src/core/batch-data.ts';
import { DecodeError } from '../../src/core/errors.ts';
import { signedBatchFromResult, zkBatchFromResult } from '../../src/core/batch-commitment.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, createStfConfig } from '../../src/core/stf.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import type { L1Op } from '../../src/core/tx.ts';
import { signTx, user } from '../support/rollup.ts';

const rec = (i: number): SignedTxRecord => ({ from: 1 + i, to: 2 + i, amountF: 100 + i, maxFeeF: 3, signature: new Uint8Array(64).fill(i + 1) });
const data = (n: number, fees = 1): Uint8Array =>
  encodeBatchData({ mode: 'optimistic', feeTable: Array.from({ length: fees }, (_, k) => ({ tokenId: k, accountIdx: 1, fee: 5n })), txs: Array.from({ length: n }, (_, i) => rec(i)) });
const cat = (a: Uint8Array, b: Uint8Array): Uint8Array => Uint8Array.from([...a, ...b]);
const ZERO = new Uint8Array(32);
const createL1Op = (u: ReturnType<typeof user>, amount: bigint): L1Op => ({ kind: 'createAccount', l1Address: u.l1Address, tokenId: 0, amount, publicKey: u.publicKey });

test('recordsRoot: width = next power of two ≥ max(n, 1), zero leaves, keccak(left ‖ right)', () => {
  assert.deepEqual(recordsRoot(data(0)), ZERO, 'no records: the single zero leaf');
  const d3 = data(3);
  const { headerLen } = signedBatchLayout(d3);
  const leaf = (i: number): Uint8Array => keccak_256(d3.subarray(headerLen + 78 * i, headerLen + 78 * (i + 1)));
  assert.deepEqual(recordsRoot(data(1)), keccak_256(data(1).subarray(headerLen, headerLen + 78)));
  const expected = keccak_256(cat(keccak_256(cat(leaf(0), leaf(1))), keccak_256(cat(leaf(2), ZERO))));
  assert.deepEqual(recordsRoot(d3), expected);
  assert.deepEqual(stepDataHash(d3), keccak_256(cat(d3.subarray(0, headerLen), expected)));
});

test('record proofs fold back to the root, bottom level first', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (n, pick) => {
      const d = data(n);
      const i = pick % n;
      const { headerLen } = signedBatchLayout(d);
      let node = keccak_256(d.subarray(headerLen + 78 * i, headerLen + 78 * (i + 1)));
      let idx = i;
      for (const sib of recordProof(d, i)) {
        node = idx % 2 === 0 ? keccak_256(cat(node, sib)) : keccak_256(cat(sib, node));
        idx >>= 1;
      }
      assert.deepEqual(node, recordsRoot(d));
    }),
    { numRuns: 30 },
  );
});

test('step state = keccak256(abi.encode(root, exitRoot, nextIndex, acc...))', () => {
  const acc = [0n, 7n, 2n ** 200n];
  const encoded = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], [11n, 12n, 13n, ...acc] as never);
  assert.equal(bytesToHex(stepState(11n, 12n, 13, acc)), keccak256(encoded));
});

test('signedBatchLayout refuses zk data and wrong lengths', () => {
  const zk = encodeBatchData({ mode: 'zk', feeTable: [], txs: [{ from: 1, to: 2, amountF: 3 }] });
  assert.throws(() => recordsRoot(zk), DecodeError);
  assert.throws(() => recordsRoot(data(2).subarray(0, data(2).length - 1)), DecodeError);
});

test('a signed (mode-1) batch keeps the ZK elements and c; z binds the signatures', () => {
  const config = createStfConfig({ domain: { chainId: 31337n, rollupAddress: 0x1234n }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxL2Txs: 2, maxFeeTokens: 1 });
  const state = new MemoryState();
  const l1Ops = [createL1Op(user(0), 1000n), createL1Op(user(1), 1000n)];
  const r0 = applyBatch(state, { l1Ops, l2Txs: [], feeTable: [] }, config);
  state.apply(r0.changes);
  const tx = signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 3n), nonce: 0 }, config.domain);
  const feeTable = [{ tokenId: 0, accountIdx: 2, fee: 1n }];
  const r = applyBatch(state, { l1Ops: [], l2Txs: [tx], feeTable }, config);
  const p = { config, maxL2Txs: 2, result: r, l1Ops: [], feeTable, batchNum: 2n, l1Start: 2n };
  const zk = zkBatchFromResult(p);
  const signed = signedBatchFromResult(p);
  assert.deepEqual(signed.commitment.elements, zk.commitment.elements);
  assert.equal(signed.commitment.c, zk.commitment.c);
  assert.notEqual(signed.commitment.z, zk.commitment.z);
  const decoded = decodeBatchData(signed.batchData);
  assert.equal(decoded.mode, 'optimistic');
  assert.deepEqual(decoded.txs.map(({ from, to, amountF }) => ({ from, to, amountF })), zk.records);
  // The 12-byte prefix of each 78-byte record is exactly the ZK record.
  const { headerLen } = signedBatchLayout(signed.batchData);
  const zkHeader = 3 + 24 + 4;
  assert.deepEqual(signed.batchData.subarray(headerLen, headerLen + 12), zk.batchData.subarray(zkHeader, zkHeader + 12));
});
