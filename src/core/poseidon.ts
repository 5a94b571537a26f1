/**
 * Poseidon hash over BN254 Fr, bit-identical to circomlib / circomlibjs `poseidon(inputs)`:
 * width t = n + 1, state = [0, in_1..in_n], x^5 S-box, 8 full rounds, circomlib's partial rounds,
 * output state[0]. Parameters come from src/core/poseidon-params.ts (Grain LFSR, generated in code);
 * hashing runs in the generated WebAssembly engine (src/core/wasm/poseidon-gen.ts), one module per
 * width, built on first use. Byte APIs take canonical 32-byte little-endian elements.
 */
import { InvalidInputError } from './errors.ts';
import { FR_MODULUS, assertFr, readFrLEView, writeFrLEView } from './field.ts';
import { poseidonParams } from './poseidon-params.ts';
import { POSEIDON_LAYOUT, poseidonInstance } from './wasm/poseidon-engine.ts';

export const POSEIDON_MAX_INPUTS = 16;

function pow5(x: bigint): bigint {
  const x2 = (x * x) % FR_MODULUS;
  const x4 = (x2 * x2) % FR_MODULUS;
  return (x4 * x) % FR_MODULUS;
}

/**
 * The textbook permutation (no partial-round optimisation), BigInt. Slow (~250 µs for t = 3) but
 * obviously circomlib's: kept as the reference the fast engine is tested against. Inputs are not
 * validated (1..16 canonical elements expected); use `poseidon` at boundaries.
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

function assertLength(bytes: Uint8Array, need: number, name: string): void {
  if (bytes.length < need) {
    throw new InvalidInputError(`${name}: need ${need} bytes, have ${bytes.length}`, {
      details: { name, need, have: bytes.length },
    });
  }
}


const views = new WeakMap<Uint8Array, DataView>();
function viewOf(mem: Uint8Array): DataView {
  let v = views.get(mem);
  if (v === undefined) {
    v = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    views.set(mem, v);
  }
  return v;
}

/**
 * Poseidon of 1..16 canonical field elements (circomlib's `poseidon`); rejects anything else with
 * InvalidInputError. Cost note: one WebAssembly permutation plus ~1 µs of BigInt conversion.
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  assertInputCount(inputs.length);
  inputs.forEach((x, i) => assertFr(x, `poseidon input ${i}`));
  const e = poseidonInstance(inputs.length + 1);
  const view = viewOf(e.mem);
  inputs.forEach((x, i) => writeFrLEView(view, POSEIDON_LAYOUT.input + 32 * i, x));
  e.hash();
  return readFrLEView(view, POSEIDON_LAYOUT.output);
}

/**
 * Poseidon of `count` canonical little-endian 32-byte elements packed in `inputs` (callers
 * guarantee canonical values; only sizes are checked). Returns `out` (32 bytes).
 */
export function poseidonLE(inputs: Uint8Array, count: number, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  assertInputCount(count);
  assertLength(inputs, count * 32, 'poseidonLE inputs');
  assertLength(out, 32, 'poseidonLE out');
  const e = poseidonInstance(count + 1);
  e.mem.set(inputs.subarray(0, count * 32), POSEIDON_LAYOUT.input);
  e.hash();
  out.set(e.mem.subarray(POSEIDON_LAYOUT.output, POSEIDON_LAYOUT.output + 32));
  return out;
}

/** The 4-input engine's memory and entry, for loops that hash many tree nodes (see `poseidon4Engine`). */
export type Poseidon4Engine = {
  /** The engine's memory: inputs i = 0..3 at `input + 32·i`, the result at `output` (32 bytes, LE). */
  readonly mem: Uint8Array;
  readonly input: number;
  readonly output: number;
  readonly hash: () => void;
};

/**
 * Direct access to the Poseidon(4) engine of this thread: the caller writes canonical LE inputs
 * straight into its memory and copies the result out, without `poseidonLE`'s checks, staging copy
 * and views (≈ 1 µs of a ≈ 35 µs hash). Inputs are not checked: canonical values only.
 */
export function poseidon4Engine(): Poseidon4Engine {
  const e = poseidonInstance(5);
  return { mem: e.mem, input: POSEIDON_LAYOUT.input, output: POSEIDON_LAYOUT.output, hash: e.hash };
}

/** Poseidon([left, right]) on canonical little-endian 32-byte elements: the Merkle node hash. */
export function hash2LE(left: Uint8Array, right: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  assertLength(left, 32, 'hash2LE left');
  assertLength(right, 32, 'hash2LE right');
  assertLength(out, 32, 'hash2LE out');
  const e = poseidonInstance(3);
  e.mem.set(left.subarray(0, 32), POSEIDON_LAYOUT.input);
  e.mem.set(right.subarray(0, 32), POSEIDON_LAYOUT.input + 32);
  e.hash();
  out.set(e.mem.subarray(POSEIDON_LAYOUT.output, POSEIDON_LAYOUT.output + 32));
  return out;
}

/**
 * Merkle path in one WebAssembly call. Level 0 = leaf, level depth = root. Bit k of index (LSB
 * first) = 1 means the node at level k is a RIGHT child (parent = hash2(sibling, node)); 0 means
 * LEFT (parent = hash2(node, sibling)). siblings[k] (32 bytes at k*32) is the sibling at level k.
 * Writes the depth+1 path nodes (level 0 first) into nodesOut when given; returns the root.
 * depth 1..32, 0 <= index < 2^depth. Elements are canonical little-endian (not checked).
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
  assertLength(leaf, 32, 'merklePathLE leaf');
  assertLength(siblings, depth * 32, 'merklePathLE siblings');
  if (nodesOut !== undefined) assertLength(nodesOut, (depth + 1) * 32, 'merklePathLE nodesOut');
  const e = poseidonInstance(3);
  const merkle = e.merkle;
  if (merkle === undefined) throw new InvalidInputError('Merkle engine unavailable');
  e.mem.set(siblings.subarray(0, depth * 32), POSEIDON_LAYOUT.input);
  e.mem.set(leaf.subarray(0, 32), POSEIDON_LAYOUT.leaf);
  // ToInt32 keeps the low 32 bits, which is what the engine reads (index < 2^32).
  merkle(index | 0, depth, nodesOut === undefined ? 0 : 1);
  if (nodesOut !== undefined) {
    nodesOut.set(e.mem.subarray(POSEIDON_LAYOUT.nodes, POSEIDON_LAYOUT.nodes + (depth + 1) * 32));
  }
  return e.mem.slice(POSEIDON_LAYOUT.output, POSEIDON_LAYOUT.output + 32);
}
