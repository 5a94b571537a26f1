import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FunctionBuilder, ModuleBuilder, op, sleb, uleb } from '../../../src/core/wasm/emitter.ts';
import { exportedFunction, instantiateBytes } from '../../../src/core/wasm/instantiate.ts';

function decodeUleb(bytes: readonly number[]): bigint {
  let v = 0n;
  bytes.forEach((b, i) => {
    v |= BigInt(b & 0x7f) << BigInt(7 * i);
  });
  return v;
}

function decodeSleb(bytes: readonly number[]): bigint {
  const v = decodeUleb(bytes);
  const bits = BigInt(7 * bytes.length);
  const last = bytes[bytes.length - 1] ?? 0;
  return (last & 0x40) !== 0 ? v - (1n << bits) : v;
}

test('LEB128 encodings round-trip', () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
      assert.equal(decodeUleb(uleb(v)), v);
    }),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
      assert.equal(decodeSleb(sleb(v)), v);
    }),
  );
});

test('a generated module computes: i64 multiply-add and a loop', () => {
  const mb = new ModuleBuilder(1);
  const f = new FunctionBuilder({ params: ['i64', 'i64', 'i64'], results: ['i64'] });
  f.emit(op.localGet(0), op.localGet(1), op.i64Mul, op.localGet(2), op.i64Add);
  mb.addFunction(f, 'fma');
  // sum of 0..n-1 with a loop and a memory round trip
  const g = new FunctionBuilder({ params: ['i32'], results: ['i64'] });
  const acc = g.local('i64');
  const i = g.local('i32');
  g.emit(op.block(), op.loop(), op.localGet(i), op.localGet(0), op.i32GeU, op.brIf(1));
  g.emit(op.localGet(acc), op.localGet(i), op.i64ExtendI32U, op.i64Add, op.localSet(acc));
  g.emit(op.localGet(i), op.i32Const(1), op.i32Add, op.localSet(i), op.br(0), op.end, op.end);
  g.emit(op.i32Const(64), op.localGet(acc), op.i64Store(0), op.i32Const(64), op.i64Load(0));
  mb.addFunction(g, 'sum');
  const ex = instantiateBytes(mb.encode());
  const fma = exportedFunction<(a: bigint, b: bigint, c: bigint) => bigint>(ex, 'fma');
  const sum = exportedFunction<(n: number) => bigint>(ex, 'sum');
  assert.equal(fma(3n, 4n, 5n), 17n);
  assert.equal(fma(-1n, 1n << 62n, 0n), -(1n << 62n));
  assert.equal(sum(100), 4950n);
});
