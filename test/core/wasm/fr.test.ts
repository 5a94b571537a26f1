import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FR_MODULUS, frFromBytesLE, frToBytesLE } from '../../../src/core/field.ts';
import { FunctionBuilder, ModuleBuilder } from '../../../src/core/wasm/emitter.ts';
import { addFrFuncs } from '../../../src/core/wasm/fr-funcs.ts';
import { LIMBS, MONT_R, drain, fromLimbs, toLimbs } from '../../../src/core/wasm/fr-gen.ts';
import {
  emitAdd2,
  montSum2Steps,
  productColumns2Steps,
  simdContext,
  square2Steps,
  wide2,
} from '../../../src/core/wasm/fr-simd-gen.ts';
import { exportedFunction, instantiateBytes, memoryBytes } from '../../../src/core/wasm/instantiate.ts';

const P = FR_MODULUS;
const R_INV = (() => {
  // R^-1 mod p by extended Euclid.
  let [a, b, x0, x1] = [MONT_R % P, P, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [x0, x1] = [x1, x0 - q * x1];
  }
  return ((x0 % P) + P) % P;
})();

type F2 = (a: number, b: number) => void;
type F3 = (a: number, b: number, c: number) => void;

function buildModule(): {
  mem: Uint8Array;
  view: DataView;
  fr: { mul: F3; sq: F2; add: F3; sub: F3; fromBytes: F2; toBytes: F2 };
  pair: { mul: F3; sq: F2; add: F3; cols: F3; mulSplat: F3 };
} {
  const mb = new ModuleBuilder(2);
  mb.exportMemory('memory');
  addFrFuncs(mb, 'fr_');
  const pairFn = (name: string, body: (f: FunctionBuilder) => void): void => {
    const f = new FunctionBuilder({ params: ['i32', 'i32', 'i32'], results: [] });
    body(f);
    mb.addFunction(f, name);
  };
  const pairAt = (ptr: number) => ({ kind: 'pair' as const, ptr, off: 0 });
  pairFn('p_mul', (f) => drain(montSum2Steps(f, simdContext(f), pairAt(0), [[pairAt(1), pairAt(2)]])));
  pairFn('p_sq', (f) => drain(square2Steps(f, simdContext(f), pairAt(0), pairAt(1))));
  pairFn('p_mulSplat', (f) =>
    drain(montSum2Steps(f, simdContext(f), pairAt(0), [[{ kind: 'splat', ptr: 1, off: 0, stride: 4 }, pairAt(2)]])),
  );
  pairFn('p_add', (f) =>
    emitAdd2(f, simdContext(f), pairAt(0), [(j) => wide2(pairAt(1), j), (j) => wide2(pairAt(2), j)]),
  );
  pairFn('p_cols', (f) => drain(productColumns2Steps(f, [[pairAt(1), pairAt(2)]], 0, 0, true)));
  const ex = instantiateBytes(mb.encode());
  const mem = memoryBytes(ex);
  const fn = <T>(n: string): T => exportedFunction<T>(ex, n);
  return {
    mem,
    view: new DataView(mem.buffer),
    fr: {
      mul: fn<F3>('fr_mul'),
      sq: fn<F2>('fr_sq'),
      add: fn<F3>('fr_add'),
      sub: fn<F3>('fr_sub'),
      fromBytes: fn<F2>('fr_fromBytes'),
      toBytes: fn<F2>('fr_toBytes'),
    },
    pair: {
      mul: fn<F3>('p_mul'),
      sq: fn<F2>('p_sq'),
      add: fn<F3>('p_add'),
      cols: fn<F3>('p_cols'),
      mulSplat: fn<F3>('p_mulSplat'),
    },
  };
}

const m = buildModule();
const BYTES = 8192;

/** Loose Montgomery limbs (i64 each) at `at`. */
function putLoose(at: number, x: bigint): void {
  toLimbs(x).forEach((l, j) => m.view.setBigUint64(at + 8 * j, l, true));
}
function getLoose(at: number): bigint {
  return fromLimbs(Array.from({ length: LIMBS }, (_, j) => m.view.getBigUint64(at + 8 * j, true)));
}
function putFr(at: number, x: bigint): void {
  frToBytesLE(x, m.mem, BYTES);
  m.fr.fromBytes(at, BYTES);
}
function getFr(at: number): bigint {
  m.fr.toBytes(BYTES, at);
  return frFromBytesLE(m.mem, BYTES);
}

const edge = [0n, 1n, 2n, P - 1n, P - 2n, (P + 1n) / 2n, MONT_R % P, (MONT_R * MONT_R) % P, (1n << 253n) - 1n, 1n << 253n];
const frArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...edge) },
  { weight: 5, arbitrary: fc.bigInt({ min: 0n, max: P - 1n }) },
);
/** Loose inputs below 2^257: Montgomery products of two of them stay below 2^253 + p < 2p. */
const looseArb = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0n,
      1n,
      P - 1n,
      P,
      2n * P - 1n,
      (1n << 254n) - 1n,
      1n << 254n,
      (1n << 254n) + 1n,
      (1n << 256n) - 1n,
      (1n << 257n) - 1n,
    ),
  },
  { weight: 5, arbitrary: fc.bigInt({ min: 0n, max: (1n << 257n) - 1n }) },
);

test('Fr WASM mul/sq/add/sub and conversions equal BigInt (random and edge values)', () => {
  fc.assert(
    fc.property(frArb, frArb, (a, b) => {
      putFr(0, a);
      putFr(100, b);
      m.fr.mul(200, 0, 100);
      assert.equal(getFr(200), (a * b) % P);
      assert.ok(getLoose(200) < 2n * P, 'product stays below 2p');
      m.fr.sq(300, 0);
      assert.equal(getFr(300), (a * a) % P);
      m.fr.add(400, 0, 100);
      assert.equal(getFr(400), (a + b) % P);
      m.fr.sub(500, 0, 100);
      assert.equal(getFr(500), (((a - b) % P) + P) % P);
      assert.equal(getFr(0), a, 'to/from Montgomery round trip');
    }),
    { numRuns: 3000 },
  );
});

test('Montgomery product of loose inputs (< 2^257) is correct and below 2p', () => {
  fc.assert(
    fc.property(looseArb, looseArb, (a, b) => {
      putLoose(0, a);
      putLoose(100, b);
      m.fr.mul(200, 0, 100);
      const r = getLoose(200);
      assert.equal(r % P, (((a * b) % P) * R_INV) % P);
      assert.ok(r < 2n * P);
      m.fr.sq(300, 0);
      assert.equal(getLoose(300) % P, (((a * a) % P) * R_INV) % P);
    }),
    { numRuns: 2000 },
  );
});

/** Interleaved u32 pair layout: limb j of A at 8j, of B at 8j + 4. */
function putPair(at: number, a: bigint, b: bigint): void {
  const la = toLimbs(a);
  const lb = toLimbs(b);
  for (let j = 0; j < LIMBS; j++) {
    m.view.setUint32(at + 8 * j, Number(la[j]), true);
    m.view.setUint32(at + 8 * j + 4, Number(lb[j]), true);
  }
}
function getPair(at: number): [bigint, bigint] {
  const la: bigint[] = [];
  const lb: bigint[] = [];
  for (let j = 0; j < LIMBS; j++) {
    la.push(BigInt(m.view.getUint32(at + 8 * j, true)));
    lb.push(BigInt(m.view.getUint32(at + 8 * j + 4, true)));
  }
  return [fromLimbs(la), fromLimbs(lb)];
}

test('two-lane SIMD Montgomery arithmetic equals BigInt lane by lane', () => {
  const mont = (x: bigint, y: bigint): bigint => (((x * y) % P) * R_INV) % P;
  fc.assert(
    fc.property(looseArb, looseArb, looseArb, looseArb, (a, b, c, d) => {
      putPair(0, a, b);
      putPair(100, c, d);
      m.pair.mul(200, 0, 100);
      const [x, y] = getPair(200);
      assert.equal(x % P, mont(a, c));
      assert.equal(y % P, mont(b, d));
      assert.ok(x < 2n * P && y < 2n * P);
      m.pair.sq(300, 0);
      const [s, u] = getPair(300);
      assert.equal(s % P, mont(a, a));
      assert.equal(u % P, mont(b, b));
      m.pair.add(400, 0, 100);
      assert.deepEqual(getPair(400), [a + c, b + d]);
      toLimbs(a).forEach((l, j) => m.view.setUint32(500 + 4 * j, Number(l), true));
      m.pair.mulSplat(600, 500, 100);
      const [v, w] = getPair(600);
      assert.equal(v % P, mont(a, c));
      assert.equal(w % P, mont(a, d));
      m.pair.cols(1024, 0, 100);
      let colA = 0n;
      let colB = 0n;
      for (let k = 0; k < 2 * LIMBS - 1; k++) {
        colA += m.view.getBigUint64(1024 + 16 * k, true) << BigInt(29 * k);
        colB += m.view.getBigUint64(1024 + 16 * k + 8, true) << BigInt(29 * k);
      }
      assert.equal(colA, a * c);
      assert.equal(colB, b * d);
    }),
    { numRuns: 1000 },
  );
});
