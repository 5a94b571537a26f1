import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidInputError } from '../../../src/core/errors.ts';
import { FR_MODULUS } from '../../../src/core/field.ts';
import {
  BABYJUB_SUBORDER,
  type Point,
  addPoints,
  eddsaVerifyCore,
  mulBase8,
  mulPoint,
} from '../../../src/core/wasm/babyjub-wasm.ts';

// circomlibjs ships no types; the small surface used here is typed locally. TEST-ONLY reference.
type Elem = Uint8Array;
type CircomF = { e: (x: bigint) => Elem; toObject: (x: Elem) => bigint };
type CircomBabyjub = {
  F: CircomF;
  Base8: [Elem, Elem];
  mulPointEscalar: (p: [Elem, Elem], s: bigint) => [Elem, Elem];
  addPoint: (p: [Elem, Elem], q: [Elem, Elem]) => [Elem, Elem];
};
type Signature = { R8: [Elem, Elem]; S: bigint };
type CircomEddsa = {
  prv2pub: (prv: Uint8Array) => [Elem, Elem];
  signPoseidon: (prv: Uint8Array, msg: Elem) => Signature;
  verifyPoseidon: (msg: Elem, sig: Signature, pub: [Elem, Elem]) => boolean;
  poseidon: (inputs: Elem[]) => Elem;
};
type CircomLib = { buildBabyjub: () => Promise<CircomBabyjub>; buildEddsa: () => Promise<CircomEddsa> };
const circomlib = async (): Promise<CircomLib> => (await import('circomlibjs' as string)) as CircomLib;

const lib = await circomlib();
const bj = await lib.buildBabyjub();
const F = bj.F;
const toBig = (p: [Elem, Elem]): Point => [F.toObject(p[0]), F.toObject(p[1])];
const toElem = (p: Point): [Elem, Elem] => [F.e(p[0]), F.e(p[1])];
const L = BABYJUB_SUBORDER;

const scalarArb = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom(0n, 1n, 2n, 15n, 16n, 17n, L - 1n, L, L + 1n, 8n * L, (1n << 253n) + 5n, (1n << 256n) - 1n),
  },
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: L - 1n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n << 253n, max: (1n << 256n) - 1n }) },
);

test('mulBase8 equals circomlibjs', () => {
  fc.assert(
    fc.property(scalarArb, (s) => {
      assert.deepEqual(mulBase8(s), toBig(bj.mulPointEscalar(bj.Base8, s)));
    }),
    { numRuns: 40 },
  );
});

test('mulPoint and addPoints equal circomlibjs (incl. identity, doubling, small-order points)', () => {
  const identity: Point = [0n, 1n];
  const order2: Point = [0n, FR_MODULUS - 1n]; // (0, -1) has order 2
  fc.assert(
    fc.property(scalarArb, scalarArb, scalarArb, (k, s, u) => {
      const p = toBig(bj.mulPointEscalar(bj.Base8, k));
      const q = toBig(bj.mulPointEscalar(bj.Base8, u));
      assert.deepEqual(mulPoint(p, s), toBig(bj.mulPointEscalar(toElem(p), s)));
      assert.deepEqual(addPoints(p, q), toBig(bj.addPoint(toElem(p), toElem(q))));
      assert.deepEqual(addPoints(p, p), toBig(bj.addPoint(toElem(p), toElem(p))));
      assert.deepEqual(addPoints(p, identity), p);
      assert.deepEqual(addPoints(p, order2), toBig(bj.addPoint(toElem(p), toElem(order2))));
      assert.deepEqual(mulPoint(order2, s), toBig(bj.mulPointEscalar(toElem(order2), s)));
    }),
    { numRuns: 15 },
  );
  assert.deepEqual(mulPoint(identity, 12345n), identity);
});

test('eddsaVerifyCore agrees with circomlibjs verifyPoseidon on valid and tampered signatures', async () => {
  const eddsa = await lib.buildEddsa();
  for (let i = 0; i < 6; i++) {
    const prv = new Uint8Array(32).fill(i + 1);
    const pub = eddsa.prv2pub(prv);
    const msg = F.e(BigInt(1000 + i));
    const sig = eddsa.signPoseidon(prv, msg);
    const hm = F.toObject(eddsa.poseidon([sig.R8[0], sig.R8[1], pub[0], pub[1], msg]));
    const A = toBig(pub);
    const R8 = toBig(sig.R8);
    assert.equal(eddsa.verifyPoseidon(msg, sig, pub), true);
    assert.equal(eddsaVerifyCore(A, R8, sig.S, hm), true);
    // tampered S, hm, R8 and A: circomlib rejects, and so must the core
    assert.equal(eddsaVerifyCore(A, R8, (sig.S + 1n) % L, hm), false);
    assert.equal(eddsaVerifyCore(A, R8, sig.S, (hm + 1n) % FR_MODULUS), false);
    const otherR8 = toBig(bj.addPoint(sig.R8, bj.Base8));
    assert.equal(eddsaVerifyCore(A, otherR8, sig.S, hm), false);
    const otherA = toBig(bj.addPoint(pub, bj.Base8));
    assert.equal(eddsaVerifyCore(otherA, R8, sig.S, hm), false);
    // A small-order component in R8 changes the point, so the exact equation fails (as circomlib's).
    const order2: Point = [0n, FR_MODULUS - 1n];
    const torsionR8 = toBig(bj.addPoint(sig.R8, toElem(order2)));
    const sig2 = { R8: toElem(torsionR8), S: sig.S };
    const hm2 = F.toObject(eddsa.poseidon([sig2.R8[0], sig2.R8[1], pub[0], pub[1], msg]));
    assert.equal(eddsaVerifyCore(A, torsionR8, sig.S, hm2), eddsa.verifyPoseidon(msg, sig2, pub));
  }
});

test('invalid inputs are rejected with InvalidInputError', () => {
  assert.throws(() => mulBase8(-1n), InvalidInputError);
  assert.throws(() => mulBase8(1n << 256n), InvalidInputError);
  assert.throws(() => mulPoint([FR_MODULUS, 1n], 1n), InvalidInputError);
  assert.throws(() => mulPoint([1n] as unknown as Point, 1n), InvalidInputError);
  assert.throws(() => addPoints([0n, 1n], [0n, -1n]), InvalidInputError);
  assert.throws(() => eddsaVerifyCore([0n, 1n], [0n, 1n], 1n << 256n, 0n), InvalidInputError);
});
