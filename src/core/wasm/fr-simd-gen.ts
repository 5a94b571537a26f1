/**
 * Two-lane SIMD Montgomery arithmetic: two independent Fr operations in one v128 stream, the
 * same 9x29-bit algorithm as fr-gen.ts with i64x2 column accumulators. Limb products use
 * i64x2.extmul_low_i32x4_u on i32x4 operands whose lanes 0 and 1 hold (lane A, lane B) limbs.
 *
 * Measured on Zen 4 / Node 20: a pair of Montgomery products costs ~63 ns against ~46 ns for one
 * scalar product, i.e. ~1.45x the scalar throughput. V8 lowers each extmul to two shuffles and a
 * pmuludq, so per limb product SIMD costs as many instructions as scalar code (~2.5); the gain is
 * that it uses the vector ports while the scalar stream saturates the integer multiplier, so the
 * generators interleave one scalar and one SIMD stream.
 *
 * Memory forms: an interleaved pair stores limb j of A and B as two u32 at off + 8j (one
 * `v128.load64_splat` yields the operand); a single element is 9 u32 at a stride (4 packed, 8 as
 * one lane of a pair) and is broadcast to both lanes with `v128.load32_splat`.
 */
import { type FunctionBuilder, type Ins, WasmCodegenError, op } from './emitter.ts';
import { BARRIER_ADDR, LIMBS, MASK, MU, P_LIMBS } from './fr-gen.ts';

export type Fe2 =
  | { readonly kind: 'pair'; readonly ptr: number; readonly off: number }
  | { readonly kind: 'splat'; readonly ptr: number; readonly off: number; readonly stride: number }
  /** v128 locals holding i32x4 [A_j, B_j, A_j, B_j]. */
  | { readonly kind: 'locals'; readonly idx: readonly number[] };

/** Where a pair result goes: packed into memory or locals, or left wide (i64x2 per limb). */
export type Dst2 =
  | { readonly kind: 'pair'; readonly ptr: number; readonly off: number }
  | { readonly kind: 'locals'; readonly idx: readonly number[] }
  | { readonly kind: 'wide'; readonly idx: readonly number[] };

/** Per-function SIMD constants, kept in locals (materialising a v128.const costs 2-3 instructions). */
export type SimdCtx = {
  readonly p: readonly number[];
  readonly mu: number;
  readonly mask: number;
  readonly tmp: number;
};

const PACK_LANES = [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11];
const U64_MAX = (1n << 64n) - 1n;

function i32x4SplatConst(v: bigint): Ins {
  return [...op.i32Const(Number(v)), ...op.i32x4Splat];
}

/** Emits the constant set-up; call once at the top of a function that uses pair arithmetic. */
export function simdContext(f: FunctionBuilder): SimdCtx {
  const p = P_LIMBS.map((pl) => {
    const l = f.local('v128');
    f.emit(i32x4SplatConst(pl), op.localSet(l));
    return l;
  });
  const mu = f.local('v128');
  f.emit(i32x4SplatConst(MU), op.localSet(mu));
  const mask = f.local('v128');
  f.emit(op.i64Const(MASK), op.i64x2Splat, op.localSet(mask));
  return { p, mu, mask, tmp: f.local('v128') };
}

function local(idx: readonly number[], j: number): number {
  const l = idx[j];
  if (l === undefined) throw new WasmCodegenError('limb index out of range', { j });
  return l;
}

/** Pushes an i32x4 whose lanes 0 and 1 are limb j of (A, B). */
export function operand2(a: Fe2, j: number): Ins {
  switch (a.kind) {
    case 'pair':
      return [...op.localGet(a.ptr), ...op.v128Load64Splat(a.off + 8 * j)];
    case 'splat':
      return [...op.localGet(a.ptr), ...op.v128Load32Splat(a.off + a.stride * j)];
    case 'locals':
      return op.localGet(local(a.idx, j));
  }
}

/** Loads a memory operand's limbs into v128 locals once (repeated loads get hoisted and spilled). */
export function toLocals2(f: FunctionBuilder, a: Fe2): Fe2 {
  if (a.kind === 'locals') return a;
  const idx = f.locals('v128', LIMBS);
  for (let j = 0; j < LIMBS; j++) f.emit(operand2(a, j), op.localSet(local(idx, j)));
  return { kind: 'locals', idx };
}

/** Pushes limb j of a stored pair widened to i64x2 (for additions). */
export function wide2(a: Fe2, j: number): Ins {
  switch (a.kind) {
    case 'pair':
      return [...op.localGet(a.ptr), ...op.v128Load32x2U(a.off + 8 * j)];
    case 'splat':
      return [...op.localGet(a.ptr), ...op.i64Load32U(a.off + a.stride * j), ...op.i64x2Splat];
    case 'locals':
      throw new WasmCodegenError('packed locals cannot be widened directly');
  }
}

/** Stack: i64x2 [A, B] (each < 2^32) -> i32x4 [A, B, A, B]. */
function pack(ctx: SimdCtx): Ins {
  return [...op.localTee(ctx.tmp), ...op.localGet(ctx.tmp), ...op.i8x16Shuffle(PACK_LANES)];
}

/** Stores the i64x2 produced by `value` as limb j of `dst`. */
export function setLimb2(f: FunctionBuilder, ctx: SimdCtx, dst: Dst2, j: number, value: Ins): void {
  switch (dst.kind) {
    case 'pair':
      f.emit(op.localGet(dst.ptr), value, pack(ctx), op.v128Store64Lane(0, dst.off + 8 * j));
      return;
    case 'locals':
      f.emit(value, pack(ctx), op.localSet(local(dst.idx, j)));
      return;
    case 'wide':
      f.emit(value, op.localSet(local(dst.idx, j)));
      return;
  }
}

export type Term2 = { readonly ins: Ins; readonly bound: bigint };

function productTerms(
  k: number,
  pairs: readonly (readonly [Fe2, Fe2])[],
  square?: { readonly x: Fe2; readonly x2: Fe2 },
): Term2[] {
  const terms: Term2[] = [];
  const lo = Math.max(0, k - (LIMBS - 1));
  const hi = Math.min(k, LIMBS - 1);
  for (const [a, b] of pairs) {
    for (let i = lo; i <= hi; i++) {
      terms.push({ ins: [...operand2(a, i), ...operand2(b, k - i), ...op.i64x2ExtMulLowI32x4U], bound: MASK * MASK });
    }
  }
  if (square !== undefined) {
    for (let i = lo; i <= hi; i++) {
      const j = k - i;
      if (i < j) {
        terms.push({
          ins: [...operand2(square.x2, i), ...operand2(square.x, j), ...op.i64x2ExtMulLowI32x4U],
          bound: 2n * MASK * MASK,
        });
      } else if (i === j) {
        terms.push({ ins: [...operand2(square.x, i), ...operand2(square.x, i), ...op.i64x2ExtMulLowI32x4U], bound: MASK * MASK });
      }
    }
  }
  return terms;
}

/**
 * Lane-wise Montgomery reduction of sum_k a_k * b_k: the SIMD twin of `montSumSteps`. Yields after
 * each column (its pair-product count). Cost note: per lane the same 81 * pairs + 90 products.
 */
export function* montSum2Steps(
  f: FunctionBuilder,
  ctx: SimdCtx,
  dst: Dst2,
  pairs: readonly (readonly [Fe2, Fe2])[],
  square?: { readonly x: Fe2; readonly x2: Fe2 },
  extra?: (k: number) => readonly Term2[],
): Generator<number, void, void> {
  const acc = f.local('v128');
  const carry = f.local('v128');
  const spill = f.local('v128');
  const q = f.locals('v128', LIMBS);
  const results = f.locals('v128', LIMBS - 1);
  const ops = pairs.map(([a, b]) => [toLocals2(f, a), toLocals2(f, b)] as const);
  let carryBound = 0n;
  for (let k = 0; k <= 2 * LIMBS - 2; k++) {
    const terms = productTerms(k, ops, square);
    const products = terms.length;
    terms.push(...(extra?.(k) ?? []));
    const lo = Math.max(0, k - (LIMBS - 1));
    for (let i = lo; i <= Math.min(k - 1, LIMBS - 1); i++) {
      const pl = P_LIMBS[k - i] ?? 0n;
      terms.push({
        ins: [...op.localGet(local(q, i)), ...i32x4SplatConst(pl), ...op.i64x2ExtMulLowI32x4U],
        bound: MASK * pl,
      });
    }
    let bound = 0n;
    let spillBound = 0n;
    let first = true;
    const spillIfNeeded = (b: bigint): void => {
      if (!first && bound + b > U64_MAX) {
        f.emit(op.localTee(acc), op.i32Const(29), op.i64x2ShrU);
        f.emit(spillBound === 0n ? [] : [...op.localGet(spill), ...op.i64x2Add], op.localSet(spill));
        f.emit(op.localGet(acc), op.localGet(ctx.mask), op.v128And);
        spillBound += bound >> 29n;
        bound = MASK;
      }
    };
    const addTerm = (ins: Ins, b: bigint): void => {
      spillIfNeeded(b);
      bound += b;
      f.emit(ins);
      if (!first) f.emit(op.i64x2Add);
      first = false;
    };
    for (const t of terms) addTerm(t.ins, t.bound);
    if (k > 0) addTerm(op.localGet(carry), carryBound);
    if (k <= LIMBS - 1) {
      const qk = local(q, k);
      spillIfNeeded(MASK * (P_LIMBS[0] ?? 0n));
      // q_k = (acc mod 2^29) * mu mod 2^29, per lane; kept packed for the q * p products.
      // mu = 2^28 - 1 and p0 = 2^28 + 1 (see fr-gen.ts): shifts instead of multiplies.
      const q64 = ctx.tmp;
      f.emit(op.localTee(acc), op.i32Const(28), op.i64x2Shl, op.localGet(acc), op.i64x2Sub, op.localGet(ctx.mask));
      f.emit(op.v128And, op.localTee(q64), op.localGet(q64), op.i8x16Shuffle(PACK_LANES), op.localSet(qk));
      f.emit(op.localGet(q64), op.i32Const(28), op.i64x2Shl, op.localGet(q64), op.i64x2Add, op.localGet(acc), op.i64x2Add);
      bound += MASK * (P_LIMBS[0] ?? 0n);
      if (bound > U64_MAX) throw new WasmCodegenError('pair column overflow at reduction', { k });
      f.emit(op.i32Const(29), op.i64x2ShrU);
    } else {
      f.emit(op.localTee(acc), op.i32Const(29), op.i64x2ShrU);
      const r = results[k - LIMBS];
      if (r !== undefined) f.emit(op.localGet(acc), op.localGet(ctx.mask), op.v128And, op.localSet(r));
    }
    if (spillBound > 0n) f.emit(op.localGet(spill), op.i64x2Add);
    f.emit(op.localSet(carry));
    carryBound = (bound >> 29n) + spillBound;
    yield products + Math.min(k + 1, LIMBS);
  }
  for (let j = 0; j < LIMBS - 1; j++) setLimb2(f, ctx, dst, j, op.localGet(local(results, j)));
  setLimb2(f, ctx, dst, LIMBS - 1, op.localGet(carry));
  // Effect barrier (see BARRIER_ADDR): i64 lane 0 of the top limb.
  f.emit(op.i32Const(BARRIER_ADDR), op.localGet(carry), op.i64x2ExtractLane(0), op.i64Store(0));
}

/** x^2 per lane; `x` must be in packed form (its doubled limbs are built in locals first). */
export function* square2Steps(f: FunctionBuilder, ctx: SimdCtx, dst: Dst2, x: Fe2): Generator<number, void, void> {
  const xs = f.locals('v128', LIMBS);
  const x2 = f.locals('v128', LIMBS);
  for (let j = 0; j < LIMBS; j++) {
    f.emit(operand2(x, j), op.localTee(local(xs, j)), op.i32Const(1), op.i64x2Shl, op.localSet(local(x2, j)));
  }
  // Doubling the i32x4 as i64x2 shifts lane A's bit 31 into lane B: safe, limbs are < 2^29.
  yield* montSum2Steps(f, ctx, dst, [], { x: { kind: 'locals', idx: xs }, x2: { kind: 'locals', idx: x2 } });
}

/**
 * Product columns only (no reduction), accumulated lane-wise into i64x2 columns at
 * (colsPtr + colsOff + 16k): the SIMD side of a dot product whose reduction happens elsewhere.
 * `init` overwrites instead of adding. Cost note: 81 pair-products per pair.
 */
export function* productColumns2Steps(
  f: FunctionBuilder,
  pairs: readonly (readonly [Fe2, Fe2])[],
  colsPtr: number,
  colsOff: number,
  init: boolean,
): Generator<number, void, void> {
  const ops = pairs.map(([a, b]) => [toLocals2(f, a), toLocals2(f, b)] as const);
  for (let k = 0; k <= 2 * LIMBS - 2; k++) {
    const terms = productTerms(k, ops);
    f.emit(op.localGet(colsPtr));
    terms.forEach((t, i) => {
      f.emit(t.ins);
      if (i > 0) f.emit(op.i64x2Add);
    });
    if (!init) f.emit(op.localGet(colsPtr), op.v128Load(colsOff + 16 * k), op.i64x2Add);
    f.emit(op.v128Store(colsOff + 16 * k));
    yield terms.length;
  }
}

/**
 * Lane-wise dot product sum_j a_j * b_j with one reduction, for many terms: each term's limb
 * products are first accumulated into i64x2 columns in memory (at most 7 terms per column
 * region, so a lane never sums more than 63 products), then one REDC reads the regions. Keeps
 * only one term's operands live at a time: the all-operands-at-once form spilled heavily for
 * t >= 5. Scratch: ceil(terms / 7) * 272 bytes at (colsPtr + colsOff).
 */
export function* dot2Steps(
  f: FunctionBuilder,
  ctx: SimdCtx,
  dst: Dst2,
  terms: readonly (readonly [Fe2, Fe2])[],
  colsPtr: number,
  colsOff: number,
): Generator<number, void, void> {
  const REGION = (2 * LIMBS - 1) * 16;
  const regions = Math.ceil(terms.length / 7);
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i];
    if (term === undefined) continue;
    yield* productColumns2Steps(f, [term], colsPtr, colsOff + REGION * Math.floor(i / 7), i % 7 === 0);
  }
  const bound = (r: number): bigint => BigInt(Math.min(7, terms.length - 7 * r) * LIMBS) * MASK * MASK;
  yield* montSum2Steps(f, ctx, dst, [], undefined, (k) =>
    Array.from({ length: regions }, (_, r) => ({
      ins: [...op.localGet(colsPtr), ...op.v128Load(colsOff + REGION * r + 16 * k)],
      bound: bound(r),
    })),
  );
}

/**
 * dst = sum of the wide (i64x2) limb sources, normalised to 29-bit limbs lane-wise.
 * Cost note: ~4 vector ops per limb on one serial carry chain.
 */
export function emitAdd2(f: FunctionBuilder, ctx: SimdCtx, dst: Dst2, terms: readonly ((j: number) => Ins)[]): void {
  const carry = f.local('v128');
  const s = f.local('v128');
  for (let j = 0; j < LIMBS; j++) {
    terms.forEach((t, i) => {
      f.emit(t(j));
      if (i > 0) f.emit(op.i64x2Add);
    });
    if (j > 0) f.emit(op.localGet(carry), op.i64x2Add);
    if (j < LIMBS - 1) {
      f.emit(op.localTee(s), op.i32Const(29), op.i64x2ShrU, op.localSet(carry));
      setLimb2(f, ctx, dst, j, [...op.localGet(s), ...op.localGet(ctx.mask), ...op.v128And]);
    } else {
      f.emit(op.localSet(s));
      setLimb2(f, ctx, dst, j, op.localGet(s));
    }
  }
}
