import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/core/errors.ts';
import { FR_MODULUS, frFromBytesLE, frToBytesLE } from '../../src/core/field.ts';
import { hash2LE, merklePathLE, poseidon, poseidonLE, poseidonReference } from '../../src/core/poseidon.ts';
import { poseidonOptimized, poseidonParams } from '../../src/core/poseidon-params.ts';
import { assertPoseidonMatchesCircomlib, frArb } from '../support/poseidon-reference.ts';

const P = FR_MODULUS;

// circomlibjs ships no types; the small surface used here is typed locally. TEST-ONLY reference.
type CircomConstants = { default: { C: string[][]; M: string[][][] } };
const circomPath = dirname(createRequire(import.meta.url).resolve('circomlibjs'));
const circomConstants = async (): Promise<CircomConstants> =>
  (await import(pathToFileURL(join(circomPath, '..', 'src', 'poseidon_constants.js')).href)) as CircomConstants;


test('Grain-generated constants equal circomlibjs tables for every width', async () => {
  const { C, M } = (await circomConstants()).default;
  for (let t = 2; t <= 17; t++) {
    const p = poseidonParams(t);
    assert.deepEqual(p.roundConstants, (C[t - 2] ?? []).map((x) => BigInt(x)), `round constants t=${t}`);
    assert.deepEqual(p.mds, (M[t - 2] ?? []).map((row) => row.map((x) => BigInt(x))), `MDS t=${t}`);
  }
});

test('published vectors', () => {
  assert.equal(poseidon([1n, 2n]), 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
  assert.equal(poseidon([1n, 2n, 3n, 4n]), 0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465n);
  assert.equal(poseidonReference([1n, 2n]), 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
});

test('optimised constants: the engine equals the textbook permutation for every width', () => {
  for (let n = 1; n <= 16; n++) {
    poseidonOptimized(n + 1);
    const xs = Array.from({ length: n }, (_, i) => (BigInt(i + 7) ** 60n) % P);
    assert.equal(poseidon(xs), poseidonReference(xs), `n=${n}`);
    assert.equal(poseidon(xs.map(() => P - 1n)), poseidonReference(xs.map(() => P - 1n)), `n=${n} p-1`);
  }
});

test('bigint and byte APIs equal circomlibjs (1..6 inputs: thousands of cases, 7..16: hundreds)', async () => {
  await assertPoseidonMatchesCircomlib();
});

test('invalid inputs are rejected with InvalidInputError', () => {
  const bad: unknown[][] = [[], new Array<bigint>(17).fill(1n), [P], [-1n], [1n, P + 5n], [1 as unknown as bigint]];
  for (const xs of bad) {
    assert.throws(() => poseidon(xs as bigint[]), InvalidInputError);
  }
  assert.throws(() => poseidonLE(new Uint8Array(32), 2), InvalidInputError);
  assert.throws(() => poseidonLE(new Uint8Array(32), 0), InvalidInputError);
  assert.throws(() => hash2LE(new Uint8Array(31), new Uint8Array(32)), InvalidInputError);
  const sib = new Uint8Array(32 * 4);
  assert.throws(() => merklePathLE(new Uint8Array(32), sib, 16, 4), InvalidInputError);
  assert.throws(() => merklePathLE(new Uint8Array(32), sib, 0, 0), InvalidInputError);
  assert.throws(() => merklePathLE(new Uint8Array(32), sib, 0, 33), InvalidInputError);
  assert.throws(() => merklePathLE(new Uint8Array(32), sib, 0, 5), InvalidInputError);
  assert.throws(() => merklePathLE(new Uint8Array(32), sib, 0.5, 4), InvalidInputError);
});

/** Naive BigInt recomputation of a Merkle path with the documented conventions. */
function naivePath(leaf: bigint, siblings: readonly bigint[], index: number): bigint[] {
  const nodes = [leaf];
  let node = leaf;
  siblings.forEach((s, k) => {
    const right = Math.floor(index / 2 ** k) % 2 === 1;
    node = poseidon(right ? [s, node] : [node, s]);
    nodes.push(node);
  });
  return nodes;
}

test('merklePathLE equals a naive recomputation (random depths and indices, depth 32, index 2^32-1)', () => {
  const check = (leaf: bigint, sibs: bigint[], index: number): void => {
    const depth = sibs.length;
    const sibBytes = new Uint8Array(32 * depth);
    sibs.forEach((s, k) => frToBytesLE(s, sibBytes, 32 * k));
    const nodesOut = new Uint8Array(32 * (depth + 1));
    const expected = naivePath(leaf, sibs, index);
    const root = merklePathLE(frToBytesLE(leaf), sibBytes, index, depth, nodesOut);
    assert.equal(frFromBytesLE(root), expected[depth]);
    expected.forEach((x, k) => assert.equal(frFromBytesLE(nodesOut, 32 * k), x, `level ${k}`));
    assert.equal(frFromBytesLE(merklePathLE(frToBytesLE(leaf), sibBytes, index, depth)), expected[depth]);
  };
  const sibs32 = Array.from({ length: 32 }, (_, k) => (BigInt(k + 3) ** 77n) % P);
  check(P - 1n, sibs32, 2 ** 32 - 1);
  check(0n, sibs32, 0);
  check(5n, sibs32, 2 ** 31);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 32 }).chain((depth) =>
        fc.tuple(
          frArb,
          fc.array(frArb, { minLength: depth, maxLength: depth }),
          fc.integer({ min: 0, max: 2 ** depth - 1 }),
        ),
      ),
      ([leaf, sibs, index]) => check(leaf, sibs, index),
    ),
    { numRuns: 25 },
  );
});
