/**
 * Poseidon parameters for BN254 Fr, generated in code exactly as the Poseidon authors' reference
 * script `generate_parameters_grain.sage` (hadeshash) does for circomlib's instances:
 * `sage generate_parameters_grain.sage 1 0 254 t 8 R_P p` — prime field, x^5 S-box, 254-bit
 * elements, R_F = 8. The Grain LFSR (self-shrinking) yields the round constants first (rejection
 * sampling below p), then the MDS matrix as a Cauchy matrix M[i][j] = 1/(x_i + y_j) from 2t further
 * samples reduced mod p. Tests prove the output equals circomlibjs's published tables.
 *
 * Generation costs ~1–10 ms per width (bit-level LFSR, ~10^5–10^6 clocks), so each width is built on
 * first use and cached; nothing is generated at import time.
 */
import { InvalidInputError } from './errors.ts';
import { FR_MODULUS, frInv, frMod } from './field.ts';

/** Full rounds, split evenly before and after the partial rounds. */
export const POSEIDON_FULL_ROUNDS = 8;
/** Partial rounds for width t = index + 2 (circomlib's table: t = 2..17, i.e. 1..16 inputs). */
export const POSEIDON_PARTIAL_ROUNDS: readonly number[] = [
  56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];
export const POSEIDON_MIN_WIDTH = 2;
export const POSEIDON_MAX_WIDTH = 17;

/** Field-element size in bits fed to the Grain LFSR (BN254 Fr is 254 bits). */
const FIELD_BITS = 254;

export type PoseidonParams = {
  /** Width: inputs + 1 (capacity element first). */
  readonly t: number;
  readonly fullRounds: number;
  readonly partialRounds: number;
  /** Round constants, flat: constant for round r, lane i at r * t + i. */
  readonly roundConstants: readonly bigint[];
  /** MDS matrix; the linear layer computes new[i] = sum_j mds[i][j] * state[j]. */
  readonly mds: readonly (readonly bigint[])[];
};

/** Partial rounds for a width, with a typed error outside circomlib's range. */
export function poseidonPartialRounds(t: number): number {
  const rp = POSEIDON_PARTIAL_ROUNDS[t - POSEIDON_MIN_WIDTH];
  if (!Number.isInteger(t) || rp === undefined) {
    throw new InvalidInputError(`Poseidon width must be an integer in [${POSEIDON_MIN_WIDTH}, ${POSEIDON_MAX_WIDTH}]`, {
      details: { t },
    });
  }
  return rp;
}

/** Big-endian bits of `value`, zero-padded to `width` (the script's `bin(x)[2:].zfill(width)`). */
function bitsOf(value: number, width: number): number[] {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(value / 2 ** i) % 2);
  return out;
}

/**
 * The script's 80-bit Grain state: field(2) sbox(4) n(12) t(12) R_F(10) R_P(10), then thirty 1s.
 * field = 1 (prime), sbox = 0 (x^alpha).
 */
function grainSeed(t: number, fullRounds: number, partialRounds: number): Uint8Array {
  const bits = [
    ...bitsOf(1, 2),
    ...bitsOf(0, 4),
    ...bitsOf(FIELD_BITS, 12),
    ...bitsOf(t, 12),
    ...bitsOf(fullRounds, 10),
    ...bitsOf(partialRounds, 10),
    ...new Array<number>(30).fill(1),
  ];
  return Uint8Array.from(bits);
}

/** Grain LFSR b_{i+80} = b_{i+62} ^ b_{i+51} ^ b_{i+38} ^ b_{i+23} ^ b_{i+13} ^ b_i, as a ring buffer. */
type Grain = { readonly state: Uint8Array; head: number };

function clock(g: Grain): number {
  const s = g.state;
  const h = g.head;
  // Ring of 80: index (h + k) mod 80 is the script's bit_sequence[k].
  const bit =
    (s[(h + 62) % 80] ?? 0) ^
    (s[(h + 51) % 80] ?? 0) ^
    (s[(h + 38) % 80] ?? 0) ^
    (s[(h + 23) % 80] ?? 0) ^
    (s[(h + 13) % 80] ?? 0) ^
    (s[h] ?? 0);
  s[h] = bit; // pop(0) + append(bit)
  g.head = (h + 1) % 80;
  return bit;
}

function createGrain(t: number, fullRounds: number, partialRounds: number): Grain {
  const g: Grain = { state: grainSeed(t, fullRounds, partialRounds), head: 0 };
  for (let i = 0; i < 160; i++) clock(g); // the script discards the first 160 bits
  return g;
}

/** Self-shrinking output: draw bit pairs (a, b); emit b when a = 1, drop the pair when a = 0. */
function nextBit(g: Grain): number {
  for (;;) {
    const a = clock(g);
    const b = clock(g);
    if (a === 1) return b;
  }
}

/** `grain_random_bits(n)`: n output bits, first bit most significant. */
function randomBits(g: Grain, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 1n) | BigInt(nextBit(g));
  return v;
}

function generateRoundConstants(g: Grain, count: number): bigint[] {
  const out: bigint[] = [];
  while (out.length < count) {
    const v = randomBits(g, FIELD_BITS);
    if (v < FR_MODULUS) out.push(v); // rejection sampling, as the script's field == 1 branch
  }
  return out;
}

/** `create_mds_p`: resample 2t values until distinct and every x_i + y_j is invertible. */
function generateCauchyMds(g: Grain, t: number): bigint[][] {
  for (;;) {
    const sample = (): bigint[] => Array.from({ length: 2 * t }, () => frMod(randomBits(g, FIELD_BITS)));
    let values = sample();
    while (new Set(values).size !== values.length) values = sample();
    const xs = values.slice(0, t);
    const ys = values.slice(t);
    const sums = xs.map((x) => ys.map((y) => frMod(x + y)));
    if (sums.some((row) => row.includes(0n))) continue;
    return sums.map((row) => row.map((s) => frInv(s)));
  }
}

function generateParams(t: number): PoseidonParams {
  const partialRounds = poseidonPartialRounds(t);
  const fullRounds = POSEIDON_FULL_ROUNDS;
  const g = createGrain(t, fullRounds, partialRounds);
  const roundConstants = generateRoundConstants(g, (fullRounds + partialRounds) * t);
  const mds = generateCauchyMds(g, t);
  return { t, fullRounds, partialRounds, roundConstants, mds };
}

const cache = new Map<number, PoseidonParams>();

/** Parameters for width t (2..17), generated on first use and cached for the process. */
export function poseidonParams(t: number): PoseidonParams {
  const hit = cache.get(t);
  if (hit !== undefined) return hit;
  const params = generateParams(t);
  cache.set(t, params);
  return params;
}
