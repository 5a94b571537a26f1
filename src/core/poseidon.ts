/**
 * Poseidon hash over BN254 Fr, bit-identical to circomlib / circomlibjs `poseidon(inputs)`:
 * width t = n + 1, state = [0, in_1..in_n], x^5 S-box, 8 full rounds, circomlib's partial rounds,
 * output state[0]. Parameters come from src/core/poseidon-params.ts (Grain LFSR, generated in code).
 */
import { InvalidInputError } from './errors.ts';
import { FR_MODULUS, assertFr, frFromBytesLE, frToBytesLE } from './field.ts';
import { poseidonParams } from './poseidon-params.ts';

export const POSEIDON_MAX_INPUTS = 16;

function pow5(x: bigint): bigint {
  const x2 = (x * x) % FR_MODULUS;
  const x4 = (x2 * x2) % FR_MODULUS;
  return (x4 * x) % FR_MODULUS;
}

/**
 * The textbook permutation (no partial-round optimisation), BigInt. Slow (~1 ms for t = 3) but
 * obviously circomlib's: kept as the reference the fast engine is tested against.
 */
export function poseidonReference(inputs: readonly bigint[]): bigint {
  const t = inputs.length + 1;
  const { fullRounds, partialRounds, roundConstants, mds } = poseidonParams(t);
  let state: bigint[] = [0n, ...inputs];
  const half = fullRounds / 2;
  for (let r = 0; r < fullRounds + partialRounds; r++) {
    state = state.map((a, i) => (a + (roundConstants[r * t + i] ?? 0n)) % FR_MODULUS);
    const full = r < half || r >= half + partialRounds;
    state = state.map((a, i) => (full || i === 0 ? pow5(a) : a));
    state = mds.map((row) => row.reduce((acc, m, j) => acc + m * (state[j] ?? 0n), 0n) % FR_MODULUS);
  }
  return state[0] ?? 0n;
}

function assertInputCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > POSEIDON_MAX_INPUTS) {
    throw new InvalidInputError(`Poseidon takes 1..${POSEIDON_MAX_INPUTS} inputs, got ${count}`, {
      details: { count },
    });
  }
}

/** Poseidon of 1..16 canonical field elements; rejects anything else with InvalidInputError. */
export function poseidon(inputs: readonly bigint[]): bigint {
  assertInputCount(inputs.length);
  inputs.forEach((x, i) => assertFr(x, `poseidon input ${i}`));
  return poseidonReference(inputs);
}

/** Poseidon of `count` little-endian 32-byte canonical elements packed in `inputs`. */
export function poseidonLE(inputs: Uint8Array, count: number, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  assertInputCount(count);
  const values = Array.from({ length: count }, (_, i) => frFromBytesLE(inputs, i * 32));
  return frToBytesLE(poseidonReference(values), out);
}

/** Poseidon([left, right]) on little-endian 32-byte elements: the Merkle node hash. */
export function hash2LE(left: Uint8Array, right: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  return frToBytesLE(poseidonReference([frFromBytesLE(left), frFromBytesLE(right)]), out);
}

/**
 * Merkle path in one call. Level 0 = leaf, level depth = root. Bit k of index (LSB first) = 1 means
 * the node at level k is a RIGHT child (parent = hash2(sibling, node)); 0 means LEFT
 * (parent = hash2(node, sibling)). siblings[k] (32 bytes at k*32) is the sibling at level k. Writes
 * the depth+1 path nodes into nodesOut when given; returns the root. depth 1..32, index < 2^depth.
 */
export function merklePathLE(
  leaf: Uint8Array,
  siblings: Uint8Array,
  index: number,
  depth: number,
  nodesOut?: Uint8Array,
): Uint8Array {
  if (!Number.isInteger(depth) || depth < 1 || depth > 32) {
    throw new InvalidInputError(`Merkle depth must be 1..32, got ${depth}`, { details: { depth } });
  }
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** depth) {
    throw new InvalidInputError(`Merkle index must be in [0, 2^${depth})`, { details: { index, depth } });
  }
  let node = frFromBytesLE(leaf);
  if (nodesOut !== undefined) frToBytesLE(node, nodesOut, 0);
  for (let k = 0; k < depth; k++) {
    const sibling = frFromBytesLE(siblings, k * 32);
    const right = Math.floor(index / 2 ** k) % 2 === 1;
    node = poseidonReference(right ? [sibling, node] : [node, sibling]);
    if (nodesOut !== undefined) frToBytesLE(node, nodesOut, (k + 1) * 32);
  }
  return frToBytesLE(node);
}
