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

/**
 * Constants for the optimised permutation (Poseidon paper, appendix B; as in neptune): partial
 * rounds keep only a lane-0 constant and use a sparse matrix (first row w, first column v, identity
 * elsewhere), so each costs 2t - 1 multiplications instead of t^2.
 *
 * Round structure (R_f = R_F / 2):
 *   for r < R_f:  state += firstC[r]; S-box on all lanes; state = (r < R_f - 1 ? M : P) * state
 *   for r < R_P:  s0 += k[r]; s0 = s0^5; (s0, s_hat) = (w[r] . state, s_hat + v[r] * s0)
 *   for r < R_f:  state += lastC[r]; S-box on all lanes; state = M * state
 * Derivation: partial-round constants are pushed forward (lanes 1.. pass the S-box unchanged, so
 * their image under M joins the next round's constant); the MDS of round r is factored as
 * A_r = M''_r * M'_r with M'_r = diag(1, M_hat^(R_P - r)) moved backwards into the previous round, which
 * gives w[r] = (m00, (M_hat^-T)^(R_P - r) m_row), v[r] = M_hat^(R_P - 1 - r) m_col, P = diag(1, M_hat^R_P) M.
 */
export type PoseidonOptimized = {
  readonly t: number;
  readonly partialRounds: number;
  readonly firstC: readonly (readonly bigint[])[];
  readonly mds: readonly (readonly bigint[])[];
  readonly pre: readonly (readonly bigint[])[];
  readonly k: readonly bigint[];
  readonly w: readonly (readonly bigint[])[];
  readonly v: readonly (readonly bigint[])[];
  readonly lastC: readonly (readonly bigint[])[];
};

type Mat = bigint[][];

function matVec(m: readonly (readonly bigint[])[], x: readonly bigint[]): bigint[] {
  return m.map((row) => row.reduce((acc, a, j) => acc + a * (x[j] ?? 0n), 0n) % FR_MODULUS);
}

function matMul(a: readonly (readonly bigint[])[], b: readonly (readonly bigint[])[]): Mat {
  const n = b[0]?.length ?? 0;
  return a.map((row) =>
    Array.from({ length: n }, (_, j) => row.reduce((acc, x, k) => acc + x * (b[k]?.[j] ?? 0n), 0n) % FR_MODULUS),
  );
}

function transpose(a: readonly (readonly bigint[])[]): Mat {
  return (a[0] ?? []).map((_, j) => a.map((row) => row[j] ?? 0n));
}

/** a^e by square-and-multiply (~2 log2(e) products instead of e). */
function matPow(a: readonly (readonly bigint[])[], e: number): Mat {
  let result: Mat = a.map((row, i) => row.map((_, j) => (i === j ? 1n : 0n)));
  let base: Mat = a.map((row) => [...row]);
  for (let n = e; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) result = matMul(result, base);
    base = matMul(base, base);
  }
  return result;
}

/** Gauss-Jordan inverse mod p. MDS submatrices are invertible, so a zero pivot is a bug. */
function matInv(a: readonly (readonly bigint[])[]): Mat {
  const n = a.length;
  const m: Mat = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1n : 0n))]);
  for (let c = 0; c < n; c++) {
    const pivotRow = m.findIndex((row, r) => r >= c && (row[c] ?? 0n) !== 0n);
    const pr = m[pivotRow];
    const cr = m[c];
    if (pivotRow < 0 || pr === undefined || cr === undefined) {
      throw new InvalidInputError('singular matrix in Poseidon parameter derivation');
    }
    m[pivotRow] = cr;
    m[c] = pr;
    const inv = frInv(pr[c] ?? 0n);
    const pivot = pr.map((x) => (x * inv) % FR_MODULUS);
    m[c] = pivot;
    for (let r = 0; r < n; r++) {
      const row = m[r];
      if (r === c || row === undefined) continue;
      const f = row[c] ?? 0n;
      if (f !== 0n) m[r] = row.map((x, j) => frMod(x - f * (pivot[j] ?? 0n)));
    }
  }
  return m.map((row) => row.slice(n));
}

function deriveOptimized(params: PoseidonParams): PoseidonOptimized {
  const { t, fullRounds, partialRounds: rp, roundConstants, mds } = params;
  const rf = fullRounds / 2;
  const C = (r: number): bigint[] => roundConstants.slice(r * t, (r + 1) * t);
  const mHat: Mat = mds.slice(1).map((row) => row.slice(1));
  const mRow = (mds[0] ?? []).slice(1);
  const mCol = mds.slice(1).map((row) => row[0] ?? 0n);
  const m00 = mds[0]?.[0] ?? 0n;

  // Constants, pushed forward through the partial rounds.
  const k: bigint[] = [];
  let carry: bigint[] = new Array<bigint>(t).fill(0n);
  for (let r = 0; r < rp; r++) {
    const K = C(rf + r).map((c, i) => (c + (carry[i] ?? 0n)) % FR_MODULUS);
    k.push(K[0] ?? 0n);
    carry = matVec(mds, [0n, ...K.slice(1)]);
  }
  const lastC = Array.from({ length: rf }, (_, r) =>
    C(rf + rp + r).map((c, i) => (r === 0 ? (c + (carry[i] ?? 0n)) % FR_MODULUS : c)),
  );

  // Sparse matrices: w[r] uses (M_hat^-T)^(R_P - r), v[r] uses M_hat^(R_P - 1 - r).
  const mHatInvT = transpose(matInv(mHat));
  const w: bigint[][] = new Array<bigint[]>(rp);
  const v: bigint[][] = new Array<bigint[]>(rp);
  let wHat = matVec(mHatInvT, mRow);
  let vHat = mCol;
  for (let r = rp - 1; r >= 0; r--) {
    w[r] = [m00, ...wHat];
    v[r] = vHat;
    wHat = matVec(mHatInvT, wHat);
    vHat = matVec(mHat, vHat);
  }
  // P = diag(1, M_hat^R_P) * M.
  const mHatPow = matPow(mHat, rp);
  const diag: Mat = [[1n, ...new Array<bigint>(t - 1).fill(0n)], ...mHatPow.map((row) => [0n, ...row])];
  const pre = matMul(diag, mds);

  return {
    t,
    partialRounds: rp,
    firstC: Array.from({ length: rf }, (_, r) => C(r)),
    mds,
    pre,
    k,
    w,
    v,
    lastC,
  };
}

const optCache = new Map<number, PoseidonOptimized>();

/** Optimised-permutation constants for width t, derived from `poseidonParams(t)` and cached. */
export function poseidonOptimized(t: number): PoseidonOptimized {
  const hit = optCache.get(t);
  if (hit !== undefined) return hit;
  const opt = deriveOptimized(poseidonParams(t));
  optCache.set(t, opt);
  return opt;
}
