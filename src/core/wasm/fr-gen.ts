/**
 * Code generator for BN254 Fr Montgomery arithmetic in WebAssembly.
 *
 * Representation (chosen by measurement, see docs/ARCHITECTURE.md): 9 limbs of 29 bits, each held in
 * an i64 (in memory: 9 consecutive little-endian i64 = 72 bytes). Products of two limbs are < 2^58,
 * so up to 64 of them add up in an i64 without overflow: columns accumulate lazily and carry once.
 * Montgomery radix R = 2^261. Multiplication is finely integrated product scanning (column by
 * column, reduction interleaved), fully unrolled, with the modulus limbs as immediates.
 *
 * Values are "loose": normalised limbs (< 2^29), any integer below 2^261, congruent to the field
 * element times R. Montgomery products satisfy out < a*b/R + p, so with inputs below 2^257 the
 * output is below 2p and no conditional subtraction is needed; callers that keep wider values must
 * show their bounds (the Poseidon generator checks them at generation time).
 */
import { FR_MODULUS } from '../field.ts';
import { type FunctionBuilder, type Ins, WasmCodegenError, op } from './emitter.ts';

export const LIMBS = 9;
export const LIMB_BITS = 29;
export const MASK = (1n << 29n) - 1n;
export const FE_BYTES = LIMBS * 8;
/** Montgomery radix R = 2^(9*29). */
export const R_BITS = LIMBS * LIMB_BITS;
export const MONT_R = 1n << BigInt(R_BITS);
export const P_LIMBS: readonly bigint[] = toLimbs(FR_MODULUS);
/** mu = -p^-1 mod 2^29: the per-column reduction factor. */
export const MU: bigint = (() => {
  const m = 1n << 29n;
  let inv = 1n;
  // Newton iteration for p^-1 mod 2^29 (each step doubles the correct low bits).
  for (let i = 0; i < 6; i++) inv = (inv * (2n - FR_MODULUS * inv)) % m;
  return (m - ((inv % m) + m) % m) % m;
})();
if (MU !== (1n << 28n) - 1n || P_LIMBS[0] !== (1n << 28n) + 1n) {
  // The reduction step below hard-codes these two constants as shifts.
  throw new WasmCodegenError('unexpected modulus shape for the Montgomery generator');
}
export const R_MOD_P = MONT_R % FR_MODULUS;
export const R2_MOD_P = (MONT_R * MONT_R) % FR_MODULUS;
/**
 * Scratch address every generated module leaves unused (below 4096, above all I/O areas). After
 * each Montgomery reduction the top limb is stored here: the store depends on the result, and
 * all later loads follow it in the effect chain, so TurboFan cannot hoist the next operation's
 * operand loads to the top of the function (where they would all be spilled).
 */
export const BARRIER_ADDR = 4088;

/** Largest loose value a limb vector can hold. */
export const LOOSE_LIMIT = MONT_R;

export function toLimbs(x: bigint): bigint[] {
  return Array.from({ length: LIMBS }, (_, j) => (x >> BigInt(LIMB_BITS * j)) & MASK);
}

export function fromLimbs(limbs: readonly bigint[]): bigint {
  return limbs.reduce((acc, l, j) => acc + (l << BigInt(LIMB_BITS * j)), 0n);
}

/** Montgomery form of a canonical value, as limbs (for constant tables). */
export function toMontLimbs(x: bigint): bigint[] {
  return toLimbs((x * MONT_R) % FR_MODULUS);
}

/** A field element's home during codegen: nine i64 locals, or 72 bytes at (pointer local + offset). */
export type Fe =
  | { readonly kind: 'locals'; readonly idx: readonly number[] }
  | { readonly kind: 'mem'; readonly ptr: number; readonly off: number }
  /** u32 limbs at (ptr + off + stride * j): stride 4 packed, 8 for one lane of an interleaved pair. */
  | { readonly kind: 'mem32'; readonly ptr: number; readonly off: number; readonly stride: number }
  | { readonly kind: 'const'; readonly limbs: readonly bigint[] };

export function feLocals(f: FunctionBuilder): Fe {
  return { kind: 'locals', idx: f.locals('i64', LIMBS) };
}

export function feMem(ptr: number, off = 0): Fe {
  return { kind: 'mem', ptr, off };
}

export function feMem32(ptr: number, off: number, stride = 4): Fe {
  return { kind: 'mem32', ptr, off, stride };
}

export function feConst(value: bigint): Fe {
  return { kind: 'const', limbs: toMontLimbs(value) };
}

/** Instructions pushing limb j of `a` (an i64) on the stack. */
export function limb(a: Fe, j: number): Ins {
  switch (a.kind) {
    case 'locals': {
      const i = a.idx[j];
      if (i === undefined) throw new WasmCodegenError('limb index out of range', { j });
      return op.localGet(i);
    }
    case 'mem':
      return [...op.localGet(a.ptr), ...op.i64Load(a.off + 8 * j)];
    case 'mem32':
      return [...op.localGet(a.ptr), ...op.i64Load32U(a.off + a.stride * j)];
    case 'const': {
      const v = a.limbs[j];
      if (v === undefined) throw new WasmCodegenError('limb index out of range', { j });
      return op.i64Const(v);
    }
  }
}

/**
 * Emits "store the i64 produced by `value` into limb j of `dst`". For memory the pointer must be
 * pushed before the value, hence the callback.
 */
export function setLimb(f: FunctionBuilder, dst: Fe, j: number, value: Ins): void {
  switch (dst.kind) {
    case 'locals': {
      const i = dst.idx[j];
      if (i === undefined) throw new WasmCodegenError('limb index out of range', { j });
      f.emit(value, op.localSet(i));
      return;
    }
    case 'mem':
      f.emit(op.localGet(dst.ptr), value, op.i64Store(dst.off + 8 * j));
      return;
    case 'mem32':
      f.emit(op.localGet(dst.ptr), value, op.i64Store32(dst.off + dst.stride * j));
      return;
    case 'const':
      throw new WasmCodegenError('cannot store into a constant');
  }
}

export function copyFe(f: FunctionBuilder, dst: Fe, src: Fe): void {
  for (let j = 0; j < LIMBS; j++) setLimb(f, dst, j, limb(src, j));
}

export function loadToLocals(f: FunctionBuilder, src: Fe): Fe {
  if (src.kind === 'locals') return src;
  const dst = feLocals(f);
  copyFe(f, dst, src);
  return dst;
}

/** One product term of a column: limb sources and the bound of their product. */
type Term = { readonly a: Ins; readonly b: Ins; readonly bound: bigint };

const U64_MAX = (1n << 64n) - 1n;

/** Largest value of limb j of a loose operand (normalised limbs: < 2^29). */
function limbBound(a: Fe, j: number): bigint {
  if (a.kind === 'const') return a.limbs[j] ?? 0n;
  return MASK;
}

/** Extra already-computed terms to add into column k (e.g. product columns from the SIMD side). */
export type ExtraColumns = (k: number) => readonly { readonly ins: Ins; readonly bound: bigint }[];

export type MontSumOptions = {
  /** x^2 in symmetric form (45 instead of 81 limb products); pass x and its doubled limbs. */
  readonly square?: { readonly x: Fe; readonly x2: Fe };
  readonly extra?: ExtraColumns;
};

/**
 * Montgomery reduction of sum_k a_k * b_k (+ extra columns), all loose, by finely integrated product
 * scanning. out = (sum + q*p) / R with q < R, so out < sum/R + p. A generator: it yields after each
 * column (the number of limb products emitted) so independent streams can be interleaved.
 * Cost note: (81 * pairs + 90) i64 multiplies; a square costs 45 + 90.
 */
export function* montSumSteps(
  f: FunctionBuilder,
  dst: Fe,
  pairs: readonly (readonly [Fe, Fe])[],
  opts: MontSumOptions = {},
): Generator<number, void, void> {
  const acc = f.local('i64');
  const carry = f.local('i64'); // carried into the next column
  const spill = f.local('i64'); // high parts moved out of an overfull column
  const q = f.locals('i64', LIMBS);
  const results = f.locals('i64', LIMBS - 1);
  const qLocal = (i: number): number => {
    const l = q[i];
    if (l === undefined) throw new WasmCodegenError('q index', { i });
    return l;
  };
  let carryBound = 0n;
  for (let k = 0; k <= 2 * LIMBS - 2; k++) {
    const terms = columnTerms(k, pairs, opts.square);
    const products = terms.length;
    for (const e of opts.extra?.(k) ?? []) terms.push({ a: e.ins, b: [], bound: e.bound });
    const lo = Math.max(0, k - (LIMBS - 1));
    for (let i = lo; i <= Math.min(k - 1, LIMBS - 1); i++) {
      const pl = P_LIMBS[k - i] ?? 0n;
      terms.push({ a: op.localGet(qLocal(i)), b: [...op.i64Const(pl), ...op.i64Mul], bound: MASK * pl });
    }
    // The carry from the previous column goes in last: the products do not depend on it, so only
    // one add sits between the carry chain and this column's q (latency ~10 cycles per column).
    let bound = 0n;
    let spillBound = 0n;
    let first = true;
    const spillIfNeeded = (b: bigint): void => {
      if (!first && bound + b > U64_MAX) {
        // Keep the low 29 bits in this column, move the rest to the next column's carry.
        f.emit(op.localTee(acc), op.i64Const(29n), op.i64ShrU);
        f.emit(spillBound === 0n ? [] : [...op.localGet(spill), ...op.i64Add], op.localSet(spill));
        f.emit(op.localGet(acc), op.i64Const(MASK), op.i64And);
        spillBound += bound >> 29n;
        bound = MASK;
      }
    };
    const addTerm = (ins: Ins, b: bigint): void => {
      spillIfNeeded(b);
      bound += b;
      f.emit(ins);
      if (!first) f.emit(op.i64Add);
      first = false;
    };
    for (const t of terms) addTerm([...t.a, ...t.b], t.bound);
    if (k > 0) addTerm(op.localGet(carry), carryBound);
    if (k <= LIMBS - 1) {
      // q_k = acc * mu mod 2^29 makes the column divisible by 2^29.
      const p0 = P_LIMBS[0] ?? 0n;
      spillIfNeeded(MASK * p0); // the low 29 bits, which q_k depends on, survive a spill
      // BN254's p = 1 + 2^28 (mod 2^29), so mu = 2^28 - 1 and p0 = 2^28 + 1: both products become a
      // shift and an add, taking 18 multiplies per reduction off the (saturated) multiplier port.
      f.emit(op.localTee(acc), op.i64Const(28n), op.i64Shl, op.localGet(acc), op.i64Sub, op.i64Const(MASK), op.i64And);
      f.emit(op.localTee(qLocal(k)), op.i64Const(28n), op.i64Shl, op.localGet(qLocal(k)), op.i64Add);
      f.emit(op.localGet(acc), op.i64Add);
      bound += MASK * p0;
      if (bound > U64_MAX) throw new WasmCodegenError('column overflow at reduction', { k });
      f.emit(op.i64Const(29n), op.i64ShrU);
    } else {
      const r = results[k - LIMBS];
      f.emit(op.localTee(acc), op.i64Const(29n), op.i64ShrU);
      if (r !== undefined) {
        f.emit(op.localGet(acc), op.i64Const(MASK), op.i64And, op.localSet(r));
      }
    }
    if (spillBound > 0n) f.emit(op.localGet(spill), op.i64Add);
    f.emit(op.localSet(carry));
    carryBound = (bound >> 29n) + spillBound;
    yield products + Math.min(k + 1, LIMBS);
  }
  for (let j = 0; j < LIMBS - 1; j++) {
    const r = results[j];
    if (r === undefined) throw new WasmCodegenError('result index');
    setLimb(f, dst, j, op.localGet(r));
  }
  setLimb(f, dst, LIMBS - 1, op.localGet(carry));
  f.emit(op.i32Const(BARRIER_ADDR), op.localGet(carry), op.i64Store(0));
}

/**
 * Product columns only: sum over pairs of a * b as 17 unnormalised i64 columns at
 * (colsPtr + colsOff + 8k), accumulated (or overwritten when `init`). Cost note: 81 products/pair.
 */
export function* productColumnsSteps(
  f: FunctionBuilder,
  pairs: readonly (readonly [Fe, Fe])[],
  colsPtr: number,
  colsOff: number,
  init: boolean,
): Generator<number, void, void> {
  const ops = pairs.map(([a, b]) => [loadToLocals(f, a), loadToLocals(f, b)] as const);
  for (let k = 0; k <= 2 * LIMBS - 2; k++) {
    const terms = columnTerms(k, ops);
    f.emit(op.localGet(colsPtr));
    terms.forEach((t, i) => {
      f.emit(t.a, t.b);
      if (i > 0) f.emit(op.i64Add);
    });
    if (!init) f.emit(op.localGet(colsPtr), op.i64Load(colsOff + 8 * k), op.i64Add);
    f.emit(op.i64Store(colsOff + 8 * k));
    yield terms.length;
  }
}

/**
 * dst = REDC(sum_j a_j * b_j) for many terms, one term's operands live at a time: columns are
 * accumulated in memory (at most 7 terms per region: a column then sums at most 63 products),
 * then one reduction reads them. Scratch: ceil(terms / 7) * 136 bytes at (colsPtr + colsOff).
 */
export function* dotSteps(
  f: FunctionBuilder,
  dst: Fe,
  terms: readonly (readonly [Fe, Fe])[],
  colsPtr: number,
  colsOff: number,
): Generator<number, void, void> {
  const REGION = (2 * LIMBS - 1) * 8;
  const regions = Math.ceil(terms.length / 7);
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i];
    if (term === undefined) continue;
    yield* productColumnsSteps(f, [term], colsPtr, colsOff + REGION * Math.floor(i / 7), i % 7 === 0);
  }
  const bound = (r: number): bigint => BigInt(Math.min(7, terms.length - 7 * r) * LIMBS) * MASK * MASK;
  yield* montSumSteps(f, dst, [], {
    extra: (k) =>
      Array.from({ length: regions }, (_, r) => ({
        ins: [...op.localGet(colsPtr), ...op.i64Load(colsOff + REGION * r + 8 * k)],
        bound: bound(r),
      })),
  });
}

export function drain(g: Generator<number, void, void>): void {
  for (let s = g.next(); s.done !== true; s = g.next()) {
    // run to completion
  }
}

/** Non-interleaved form of `montSumSteps`. */
export function emitMontSum(
  f: FunctionBuilder,
  dst: Fe,
  pairs: readonly (readonly [Fe, Fe])[],
  square?: { readonly x: Fe; readonly x2: Fe },
): void {
  drain(montSumSteps(f, dst, pairs, square === undefined ? {} : { square }));
}

function columnTerms(
  k: number,
  pairs: readonly (readonly [Fe, Fe])[],
  square?: { readonly x: Fe; readonly x2: Fe },
): Term[] {
  const terms: Term[] = [];
  const lo = Math.max(0, k - (LIMBS - 1));
  const hi = Math.min(k, LIMBS - 1);
  for (const [a, b] of pairs) {
    for (let i = lo; i <= hi; i++) {
      terms.push({ a: limb(a, i), b: [...limb(b, k - i), ...op.i64Mul], bound: limbBound(a, i) * limbBound(b, k - i) });
    }
  }
  if (square !== undefined) {
    for (let i = lo; i <= hi; i++) {
      const j = k - i;
      if (i < j) terms.push({ a: limb(square.x2, i), b: [...limb(square.x, j), ...op.i64Mul], bound: 2n * MASK * MASK });
      else if (i === j) terms.push({ a: limb(square.x, i), b: [...limb(square.x, i), ...op.i64Mul], bound: MASK * MASK });
    }
  }
  return terms;
}

/** out = x^2 in Montgomery form, as interleavable steps. Cost note: 45 + 90 i64 multiplies. */
export function* squareSteps(f: FunctionBuilder, dst: Fe, x: Fe): Generator<number, void, void> {
  const xs = loadToLocals(f, x);
  const x2 = feLocals(f);
  for (let j = 0; j < LIMBS; j++) setLimb(f, x2, j, [...limb(xs, j), ...op.i64Const(1n), ...op.i64Shl]);
  yield* montSumSteps(f, dst, [], { square: { x: xs, x2 } });
}

/** out = a * b, as interleavable steps. Cost note: 171 i64 multiplies. */
export function* mulSteps(f: FunctionBuilder, dst: Fe, a: Fe, b: Fe): Generator<number, void, void> {
  yield* montSumSteps(f, dst, [[loadToLocals(f, a), loadToLocals(f, b)]]);
}

export function emitMontSquare(f: FunctionBuilder, dst: Fe, x: Fe): void {
  drain(squareSteps(f, dst, x));
}

/** out = a * b in Montgomery form. Cost note: 171 i64 multiplies. */
export function emitMontMul(f: FunctionBuilder, dst: Fe, a: Fe, b: Fe): void {
  emitMontSum(f, dst, [[loadToLocals(f, a), loadToLocals(f, b)]]);
}

/**
 * out = sum of signed limb-wise terms plus a multiple of p (to stay non-negative), carried so
 * every limb is back below 2^29. Used for add (a + b) and sub (a - b + k*p).
 * Cost note: ~5 i64 ops per limb, one serial carry chain.
 */
export function emitLinear(
  f: FunctionBuilder,
  dst: Fe,
  plus: readonly Fe[],
  minus: readonly Fe[],
  addConst = 0n,
): void {
  const c = toLimbs(addConst);
  const tmp = f.locals('i64', LIMBS);
  const carry = f.local('i64');
  for (let j = 0; j < LIMBS; j++) {
    const t = tmp[j];
    if (t === undefined) throw new WasmCodegenError('limb index');
    f.emit(op.i64Const(c[j] ?? 0n));
    if (j > 0) f.emit(op.localGet(carry), op.i64Add);
    for (const a of plus) f.emit(limb(a, j), op.i64Add);
    for (const b of minus) f.emit(limb(b, j), op.i64Sub);
    if (j < LIMBS - 1) {
      // Arithmetic shift: a limb may go negative in a subtraction; the total does not.
      f.emit(op.localTee(t), op.i64Const(29n), op.i64ShrS, op.localSet(carry));
      f.emit(op.localGet(t), op.i64Const(MASK), op.i64And, op.localSet(t));
    } else {
      f.emit(op.localSet(t));
    }
  }
  for (let j = 0; j < LIMBS; j++) setLimb(f, dst, j, op.localGet(tmp[j] ?? 0));
}

/**
 * Canonical reduction of a value known to be <= p (a REDC output of an input below R): one
 * conditional subtraction, branch-free via select. Cost note: ~40 i64 ops.
 */
export function emitCondSubP(f: FunctionBuilder, dst: Fe, x: Fe): void {
  const xs = loadToLocals(f, x);
  const d = feLocals(f);
  emitLinear(f, d, [xs], [], -FR_MODULUS & ((1n << BigInt(R_BITS)) - 1n));
  // d = x + (2^261 - p): its bit 261 (carry out of the top limb, now in limb 8 bit 29) says x >= p.
  const top = d.kind === 'locals' ? d.idx[LIMBS - 1] : undefined;
  if (top === undefined) throw new WasmCodegenError('top limb');
  const ge = f.local('i32');
  f.emit(op.localGet(top), op.i64Const(29n), op.i64ShrU, op.i32WrapI64, op.localSet(ge));
  for (let j = 0; j < LIMBS; j++) {
    const lj = j === LIMBS - 1 ? [...limb(d, j), ...op.i64Const(MASK), ...op.i64And] : limb(d, j);
    setLimb(f, dst, j, [...lj, ...limb(xs, j), ...op.localGet(ge), ...op.select]);
  }
}

/** Loose Montgomery value -> canonical plain value (limbs). */
export function emitFromMont(f: FunctionBuilder, dst: Fe, x: Fe): void {
  const r = feLocals(f);
  emitMontSum(f, r, [[x, { kind: 'const', limbs: toLimbs(1n) }]]);
  emitCondSubP(f, dst, r);
}

/** Canonical plain value -> Montgomery form (< 2p). */
export function emitToMont(f: FunctionBuilder, dst: Fe, x: Fe): void {
  emitMontSum(f, dst, [[x, { kind: 'const', limbs: toLimbs(R2_MOD_P) }]]);
}

/**
 * 32 little-endian bytes at (ptr + off) -> 9 plain limbs. Reads 8 bytes past the element's start
 * offsets (up to off + 36), so buffers keep 8 bytes of slack. Cost note: 9 loads, shifts, masks.
 */
export function emitLimbsFromBytes(f: FunctionBuilder, dst: Fe, ptr: number, off: number): void {
  for (let j = 0; j < LIMBS; j++) {
    const bit = LIMB_BITS * j;
    const mask = j === LIMBS - 1 ? (1n << BigInt(256 - bit)) - 1n : MASK;
    setLimb(f, dst, j, [
      ...op.localGet(ptr),
      ...op.i64Load(off + Math.floor(bit / 8)),
      ...op.i64Const(BigInt(bit % 8)),
      ...op.i64ShrU,
      ...op.i64Const(mask),
      ...op.i64And,
    ]);
  }
}

/** 9 plain canonical limbs -> 32 little-endian bytes at (ptr + off), as four i64 stores. */
export function emitLimbsToBytes(f: FunctionBuilder, x: Fe, ptr: number, off: number): void {
  for (let w = 0; w < 4; w++) {
    f.emit(op.localGet(ptr));
    let first = true;
    for (let j = 0; j < LIMBS; j++) {
      const lo = LIMB_BITS * j;
      const hi = lo + LIMB_BITS;
      if (hi <= 64 * w || lo >= 64 * (w + 1)) continue;
      const shift = lo - 64 * w;
      f.emit(limb(x, j));
      if (shift > 0) f.emit(op.i64Const(BigInt(shift)), op.i64Shl);
      else if (shift < 0) f.emit(op.i64Const(BigInt(-shift)), op.i64ShrU);
      if (!first) f.emit(op.i64Or);
      first = false;
    }
    f.emit(op.i64Store(off + 8 * w));
  }
}
