/**
 * circomlibjs's Poseidon as the TEST-ONLY reference, and the comparison both Poseidon engines are held
 * to (test/core/poseidon.test.ts on WebAssembly, test/native/poseidon-native.test.ts on the native
 * engine): whatever backend the thread has installed is what gets checked.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FR_MODULUS, frFromBytesLE, frToBytesLE } from '../../src/core/field.ts';
import { hash2LE, poseidon, poseidonLE } from '../../src/core/poseidon.ts';

const P = FR_MODULUS;

/** Field elements, edge values weighted in. */
export const frArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, 2n, P - 1n, P - 2n, (1n << 253n) - 1n, 1n << 253n) },
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: P - 1n }) },
);

// circomlibjs ships no types; the small surface used here is typed locally.
type CircomPoseidon = ((inputs: bigint[]) => Uint8Array) & { F: { toObject: (x: Uint8Array) => bigint } };
type CircomLib = { buildPoseidon: () => Promise<CircomPoseidon> };

/** circomlibjs's `poseidon` as a bigint function. */
export async function circomPoseidon(): Promise<(xs: bigint[]) => bigint> {
  const ref = await ((await import('circomlibjs' as string)) as CircomLib).buildPoseidon();
  return (xs) => ref.F.toObject(ref(xs));
}

/**
 * The bigint API, the byte API and (2 inputs) hash2LE against circomlibjs for 1..16 inputs: 1,000
 * random cases each for 1..6 inputs, 100 for 7..16.
 */
export async function assertPoseidonMatchesCircomlib(): Promise<void> {
  const circom = await circomPoseidon();
  for (let n = 1; n <= 16; n++) {
    fc.assert(
      fc.property(fc.array(frArb, { minLength: n, maxLength: n }), (xs) => {
        const expected = circom(xs);
        assert.equal(poseidon(xs), expected);
        const bytes = new Uint8Array(32 * n);
        xs.forEach((x, i) => frToBytesLE(x, bytes, 32 * i));
        assert.equal(frFromBytesLE(poseidonLE(bytes, n)), expected);
        if (n === 2) {
          const out = new Uint8Array(32);
          assert.equal(hash2LE(bytes.subarray(0, 32), bytes.subarray(32, 64), out), out);
          assert.equal(frFromBytesLE(out), expected);
        }
      }),
      { numRuns: n <= 6 ? 1000 : 100 },
    );
  }
}
