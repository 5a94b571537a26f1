/**
 * The scalars behind every point of a prepared powers-of-tau file, computed in the BN254 engine's
 * Montgomery arithmetic from the secrets τ, α, β. With N = 2^power and c ∈ {1, α, β}:
 *
 * - powers:   c·τ^i                                   (sections 2-6)
 * - lagrange: c·L_i(τ) = c·ω^i/n · (τ^n − 1)/(τ − ω^i) over the n = 2^p-th roots of unity ω
 *             (sections 12-15, one block per p = 0..power). This is exactly what snarkjs's
 *             `prepare phase2` gets from an inverse FFT of [τ^0..τ^(n-1)]·G, without the FFT.
 * - lagrangeTrunc: the block p = power+1 of section 12, where snarkjs transforms the 2N−1 points
 *             of section 2 padded with a zero point: the inverse FFT then yields
 *             ω^i/M · ((τ^M − 1)/(τ − ω^i) − τ^(M−1)) with M = 2N.
 *
 * Everything here runs inside a ceremony worker on secrets that never leave its memory.
 */
import { type Bn254Wasm, FR_BYTES } from './ceremony-wasm.ts';
import { SetupError } from './setup-errors.ts';

export type ScalarKind = 'powers' | 'lagrange' | 'lagrangeTrunc';
/** Which secret multiplies the block: 0 = none, 1 = α, 2 = β. */
export type ScalarMult = 0 | 1 | 2;

export type ScalarBlock = {
  readonly kind: ScalarKind;
  readonly mult: ScalarMult;
  /** log2 of the Lagrange domain (unused for powers). */
  readonly p: number;
  /** First index i and how many consecutive indices. */
  readonly start: number;
  readonly count: number;
};

/** Secrets (Montgomery form) and constants in one engine instance. */
export type ScalarContext = {
  readonly w: Bn254Wasm;
  readonly pTau: number;
  /** pMult[0] = 1, pMult[1] = α, pMult[2] = β. */
  readonly pMult: readonly [number, number, number];
  /** ω_p for p = 0..28 (Montgomery), 32 bytes each. */
  readonly pRoots: number;
  readonly maxRootPower: number;
  /** Scratch elements. */
  readonly t: readonly number[];
};

/**
 * Loads secrets given as 32-byte little-endian standard-form values (τ, α, β) and the roots of
 * unity (Montgomery form, as ffjavascript's Fr.w) into the engine.
 */
export function createScalarContext(w: Bn254Wasm, secrets: Uint8Array, roots: Uint8Array): ScalarContext {
  if (secrets.length !== 3 * FR_BYTES) throw new SetupError('SETUP_FAILED', 'ceremony secrets must be 3 field elements');
  if (roots.length % FR_BYTES !== 0 || roots.length === 0) throw new SetupError('SETUP_FAILED', 'roots of unity table is malformed');
  const pTau = w.alloc(FR_BYTES);
  const pAlpha = w.alloc(FR_BYTES);
  const pBeta = w.alloc(FR_BYTES);
  const pOne = w.alloc(FR_BYTES);
  const ptrs = [pTau, pAlpha, pBeta];
  for (let k = 0; k < 3; k++) {
    const p = ptrs[k] ?? 0;
    w.write(p, secrets.subarray(k * FR_BYTES, (k + 1) * FR_BYTES));
    w.ex.frm_toMontgomery(p, p);
  }
  w.ex.frm_one(pOne);
  const pRoots = w.alloc(roots.length);
  w.write(pRoots, roots);
  const t = Array.from({ length: 8 }, () => w.alloc(FR_BYTES));
  return { w, pTau, pMult: [pOne, pAlpha, pBeta], pRoots, maxRootPower: roots.length / FR_BYTES - 1, t };
}

function writeU32Scalar(w: Bn254Wasm, p: number, v: number): void {
  w.u8.fill(0, p, p + FR_BYTES);
  w.u32[p >>> 2] = v >>> 0;
}

/** r = base^e for a small integer exponent e < 2^32. */
function expSmall(ctx: ScalarContext, base: number, e: number, r: number): void {
  const tmp = ctx.t[7] ?? 0;
  writeU32Scalar(ctx.w, tmp, e);
  ctx.w.ex.frm_exp(base, tmp, 4, r);
}

/** r = the field element n (Montgomery). */
function fromInt(ctx: ScalarContext, n: number, r: number): void {
  writeU32Scalar(ctx.w, r, n);
  ctx.w.ex.frm_toMontgomery(r, r);
}

/**
 * Writes the block's `count` scalars at `out` (32 bytes each), in standard little-endian form or,
 * with `montgomery`, in the engine's Montgomery form. `scratch` must hold 3·count field elements.
 * Cost: ≈ 6 multiplications per scalar and one inversion per block.
 */
export function computeScalars(ctx: ScalarContext, block: ScalarBlock, out: number, scratch: number, montgomery = false): void {
  const { w } = ctx;
  const ex = w.ex;
  const mult = ctx.pMult[block.mult];
  const [x, a, b, n, one] = [ctx.t[0] ?? 0, ctx.t[1] ?? 0, ctx.t[2] ?? 0, ctx.t[3] ?? 0, ctx.t[4] ?? 0];
  ex.frm_one(one);
  if (block.kind === 'powers') {
    expSmall(ctx, ctx.pTau, block.start, x);
    ex.frm_mul(x, mult, x);
    for (let i = 0; i < block.count; i++) {
      if (montgomery) ex.frm_copy(x, out + i * FR_BYTES);
      else ex.frm_fromMontgomery(x, out + i * FR_BYTES);
      ex.frm_mul(x, ctx.pTau, x);
    }
    return;
  }
  if (block.p > ctx.maxRootPower) throw new SetupError('SETUP_CONFIG', `no 2^${block.p}-th root of unity in Fr`);
  const size = 2 ** block.p;
  const omega = ctx.pRoots + block.p * FR_BYTES;
  // a = c·(τ^n − 1)/n, b = c·τ^(n−1)/n (truncated block only).
  const nInv = n;
  fromInt(ctx, size, nInv);
  ex.frm_inverse(nInv, nInv);
  expSmall(ctx, ctx.pTau, size, a);
  ex.frm_sub(a, one, a);
  ex.frm_mul(a, nInv, a);
  ex.frm_mul(a, mult, a);
  const trunc = block.kind === 'lagrangeTrunc';
  if (trunc) {
    expSmall(ctx, ctx.pTau, size - 1, b);
    ex.frm_mul(b, nInv, b);
    ex.frm_mul(b, mult, b);
  }
  const W = scratch;
  const D = scratch + block.count * FR_BYTES;
  const P = scratch + 2 * block.count * FR_BYTES;
  expSmall(ctx, omega, block.start, x);
  for (let i = 0; i < block.count; i++) {
    const wi = W + i * FR_BYTES;
    const di = D + i * FR_BYTES;
    ex.frm_copy(x, wi);
    ex.frm_sub(ctx.pTau, x, di);
    if (ex.frm_isZero(di) !== 0) throw new SetupError('SETUP_FAILED', 'τ is a root of unity of the domain; draw new secrets');
    ex.frm_mul(x, omega, x);
    // Prefix products for one shared inversion (Montgomery's trick).
    if (i === 0) ex.frm_copy(di, P);
    else ex.frm_mul(P + (i - 1) * FR_BYTES, di, P + i * FR_BYTES);
  }
  const inv = x;
  ex.frm_inverse(P + (block.count - 1) * FR_BYTES, inv);
  const s = ctx.t[5] ?? 0;
  for (let i = block.count - 1; i >= 0; i--) {
    const di = D + i * FR_BYTES;
    // dInv_i = inv·P[i−1], then inv ← inv·d_i for the next (lower) index.
    if (i > 0) ex.frm_mul(inv, P + (i - 1) * FR_BYTES, s);
    else ex.frm_copy(inv, s);
    ex.frm_mul(inv, di, inv);
    ex.frm_mul(s, a, s);
    if (trunc) ex.frm_sub(s, b, s);
    ex.frm_mul(s, W + i * FR_BYTES, s);
    if (montgomery) ex.frm_copy(s, out + i * FR_BYTES);
    else ex.frm_fromMontgomery(s, out + i * FR_BYTES);
  }
}
