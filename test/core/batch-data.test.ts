import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBatchData, encodeBatchData, batchDataLength, type BatchData } from '../../src/core/batch-data.ts';
import { DecodeError } from '../../src/core/errors.ts';
import { amountArb } from '../support/arbitraries.ts';

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const feeTableArb = fc.uniqueArray(fc.record({ tokenId: u32, accountIdx: fc.integer({ min: 1, max: 2 ** 32 - 1 }), fee: amountArb }), {
  maxLength: 8,
  selector: (e) => e.tokenId,
});
const recordArb = fc.record({ from: fc.integer({ min: 1, max: 2 ** 32 - 1 }), to: u32, amountF: u32 });
const batchArb: fc.Arbitrary<BatchData> = fc.oneof(
  fc.record({ mode: fc.constant('zk' as const), feeTable: feeTableArb, txs: fc.array(recordArb, { maxLength: 40 }) }),
  fc.record({
    mode: fc.constant('optimistic' as const),
    feeTable: feeTableArb,
    txs: fc.array(
      fc.record({ from: fc.integer({ min: 1, max: 2 ** 32 - 1 }), to: u32, amountF: u32, maxFeeF: fc.integer({ min: 0, max: 0xffff }), signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
      { maxLength: 20 },
    ),
  }),
);

test('batch data: decode(encode(b)) == b, length as specified', () => {
  fc.assert(
    fc.property(batchArb, (b) => {
      const bytes = encodeBatchData(b);
      assert.equal(bytes.length, batchDataLength(b.mode, b.feeTable.length, b.txs.length));
      assert.deepEqual(decodeBatchData(bytes), structuredClone(b));
    }),
    { numRuns: 500 },
  );
});

test('batch data: ZK mode costs 12 bytes per transfer', () => {
  const txs = Array.from({ length: 1000 }, (_, i) => ({ from: i + 1, to: i + 2, amountF: 5 }));
  const bytes = encodeBatchData({ mode: 'zk', feeTable: [{ tokenId: 0, accountIdx: 1, fee: 10n }], txs });
  assert.equal(bytes.length, 3 + 24 + 4 + 12 * 1000);
});

test('batch data: every truncation and every extension is rejected with DecodeError', () => {
  fc.assert(
    fc.property(batchArb, fc.nat(), (b, cut) => {
      const bytes = encodeBatchData(b);
      const n = cut % bytes.length;
      assert.throws(() => decodeBatchData(bytes.slice(0, n)), DecodeError);
      assert.throws(() => decodeBatchData(new Uint8Array([...bytes, 0])), DecodeError);
    }),
    { numRuns: 300 },
  );
});

test('batch data: bad version, mode, fee count, duplicate token, reserved index, forged count', () => {
  const good = encodeBatchData({ mode: 'zk', feeTable: [{ tokenId: 1, accountIdx: 2, fee: 3n }], txs: [{ from: 1, to: 2, amountF: 3 }] });
  const mutate = (i: number, v: number): Uint8Array => {
    const c = good.slice();
    c[i] = v;
    return c;
  };
  assert.throws(() => decodeBatchData(mutate(0, 2)), /version/);
  assert.throws(() => decodeBatchData(mutate(1, 7)), /mode/);
  assert.throws(() => decodeBatchData(mutate(2, 9)), /fee entries/);
  assert.throws(() => decodeBatchData(mutate(10, 0)), /reserved/); // fee account index low byte
  const forged = good.slice();
  forged.set([0xff, 0xff, 0xff, 0xff], 27); // txCount
  assert.throws(() => decodeBatchData(forged), /records need/);
  const zeroFrom = good.slice();
  zeroFrom.set([0, 0, 0, 0], 31);
  assert.throws(() => decodeBatchData(zeroFrom), /reserved/);
  const dup = encodeBatchData({ mode: 'zk', feeTable: [{ tokenId: 1, accountIdx: 2, fee: 3n }, { tokenId: 2, accountIdx: 2, fee: 3n }], txs: [] });
  dup.set([0, 0, 0, 1], 27); // second entry's token := 1
  assert.throws(() => decodeBatchData(dup), /duplicate/);
  assert.throws(() => decodeBatchData(new Uint8Array()), DecodeError);
});
