import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  batchCommitment,
  commitmentElements,
  elementCount,
  evaluateAt,
  l1OpElements,
  packCounters,
  type BatchHeader,
  type CommitmentLayout,
} from '../../src/core/batch-commitment.ts';
import { encodeBatchData } from '../../src/core/batch-data.ts';
import { FR_MODULUS, frMul, frPow, frAdd } from '../../src/core/field.ts';
import { InvalidInputError } from '../../src/core/errors.ts';
import { l1OpArb, frArb } from '../support/arbitraries.ts';

const layout: CommitmentLayout = { maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 3 };
const header: BatchHeader = { batchNum: 7n, oldRoot: 11n, newRoot: 12n, oldNextIndex: 3, newNextIndex: 4, l1Start: 9n, l1Count: 1, txCount: 2, exitRoot: 13n };

test('L1 op elements are field-aligned and below p', () => {
  fc.assert(
    fc.property(l1OpArb, (op) => {
      const [e0, e1] = l1OpElements(op);
      assert.ok(e0 < 1n << 200n && e1 < 1n << 192n);
      for (const e of l1OpElements(op)) assert.ok(e < FR_MODULUS);
    }),
  );
});

test('Horner evaluation equals the naive sum', () => {
  fc.assert(
    fc.property(fc.array(frArb, { maxLength: 12 }), frArb, (es, z) => {
      const naive = es.reduce((acc, e, j) => frAdd(acc, frMul(e, frPow(z, BigInt(j)))), 0n);
      assert.equal(evaluateAt(es, z), naive);
    }),
  );
});

test('layout: L1 ops at 4i, fees after the L1 region, records after the fee region', () => {
  const op = { kind: 'deposit' as const, l1Address: 5n, tokenId: 1, amount: 2n, toIdx: 3 };
  const es = commitmentElements(layout, { l1Ops: [op], feeTable: [{ tokenId: 1, accountIdx: 2, fee: 3n }], txs: [{ from: 1, to: 2, amountF: 3 }] });
  assert.equal(es.length, elementCount(layout));
  assert.deepEqual(es.slice(0, 4), l1OpElements(op));
  assert.deepEqual(es.slice(4, 8), [0n, 0n, 0n, 0n]);
  assert.equal(es[8], (1n << 160n) | (2n << 128n) | 3n);
  assert.equal(es[9], (1n << 64n) | (2n << 32n) | 3n);
  assert.throws(() => commitmentElements(layout, { l1Ops: [], feeTable: [], txs: [{ from: 1, to: 1, amountF: 1 }, { from: 1, to: 1, amountF: 1 }, { from: 1, to: 1, amountF: 1 }, { from: 1, to: 1, amountF: 1 }] }), InvalidInputError);
});

test('the public input hash moves with every header field and every data element', () => {
  const input = { l1Ops: [], feeTable: [], txs: [{ from: 1, to: 2, amountF: 3 }, { from: 2, to: 1, amountF: 4 }] };
  const data = encodeBatchData({ mode: 'zk', feeTable: [], txs: input.txs });
  const base = batchCommitment(layout, header, input, data, 99n);
  assert.equal(base.f, evaluateAt(base.elements, base.z));
  const seen = new Set([base.inputHash]);
  const variants: Partial<BatchHeader>[] = [{ batchNum: 8n }, { oldRoot: 1n }, { newRoot: 1n }, { oldNextIndex: 2 }, { newNextIndex: 5 }, { l1Start: 10n }, { l1Count: 0 }, { txCount: 1 }, { exitRoot: 1n }];
  for (const v of variants) seen.add(batchCommitment(layout, { ...header, ...v }, input, data, 99n).inputHash);
  const tampered = { ...input, txs: [{ from: 1, to: 2, amountF: 3 }, { from: 2, to: 1, amountF: 5 }] };
  const t = batchCommitment(layout, header, tampered, encodeBatchData({ mode: 'zk', feeTable: [], txs: tampered.txs }), 99n);
  assert.notEqual(t.z, base.z, 'z depends on the data');
  seen.add(t.inputHash);
  seen.add(batchCommitment(layout, header, input, data, 98n).inputHash);
  assert.equal(seen.size, variants.length + 3, 'and with the deployment domain');
  assert.throws(() => packCounters({ ...header, l1Count: 1 << 16 }), InvalidInputError);
});
