/**
 * Direct access to the BN254 WebAssembly engine that snarkjs's ffjavascript builds (wasmcurves), for
 * the development ceremony's hot loops. Calling the engine's exports on our own instance avoids
 * ffjavascript's task queue (one message per call) and lets a worker own its memory: tables of
 * precomputed points, scalars and outputs live at fixed offsets of one linear memory.
 *
 * Representation (the engine's and the ptau file's): field elements are 32-byte little-endian
 * Montgomery form; an affine point is x‖y ("LEM"), 64 bytes in G1 and 128 in G2 (Fq2 = c0‖c1);
 * Jacobian points add z. The point at infinity in affine LEM is all zeros.
 */
import { SetupError } from './setup-errors.ts';

/** The parts of the engine's exports the ceremony calls (all pointers are byte offsets). */
export type Bn254Exports = {
  readonly f1m_add: (a: number, b: number, r: number) => void;
  readonly f1m_sub: (a: number, b: number, r: number) => void;
  readonly f1m_neg: (a: number, r: number) => void;
  readonly f1m_mul: (a: number, b: number, r: number) => void;
  readonly f1m_square: (a: number, r: number) => void;
  readonly f1m_inverse: (a: number, r: number) => void;
  readonly f1m_isZero: (a: number) => number;
  readonly f1m_copy: (a: number, r: number) => void;
  readonly f2m_add: (a: number, b: number, r: number) => void;
  readonly f2m_sub: (a: number, b: number, r: number) => void;
  readonly f2m_neg: (a: number, r: number) => void;
  readonly f2m_mul: (a: number, b: number, r: number) => void;
  readonly f2m_square: (a: number, r: number) => void;
  readonly f2m_inverse: (a: number, r: number) => void;
  readonly f2m_isZero: (a: number) => number;
  readonly f2m_copy: (a: number, r: number) => void;
  readonly frm_mul: (a: number, b: number, r: number) => void;
  readonly frm_add: (a: number, b: number, r: number) => void;
  readonly frm_sub: (a: number, b: number, r: number) => void;
  readonly frm_inverse: (a: number, r: number) => void;
  readonly frm_isZero: (a: number) => number;
  readonly frm_eq: (a: number, b: number) => number;
  readonly frm_one: (r: number) => void;
  readonly frm_copy: (a: number, r: number) => void;
  readonly frm_exp: (base: number, scalar: number, scalarLen: number, r: number) => void;
  readonly frm_toMontgomery: (a: number, r: number) => void;
  readonly frm_fromMontgomery: (a: number, r: number) => void;
  readonly g1m_zero: (r: number) => void;
  readonly g1m_double: (a: number, r: number) => void;
  readonly g1m_addMixed: (a: number, b: number, r: number) => void;
  readonly g1m_subMixed: (a: number, b: number, r: number) => void;
  readonly g1m_toAffine: (a: number, r: number) => void;
  readonly g1m_copy: (a: number, r: number) => void;
  readonly g1m_batchToAffine: (a: number, n: number, r: number) => void;
  readonly g1m_batchLEMtoC: (a: number, n: number, r: number) => void;
  readonly g1m_batchLEMtoU: (a: number, n: number, r: number) => void;
  readonly g1m_timesScalarAffine: (p: number, scalar: number, scalarLen: number, r: number) => void;
  readonly g1m_subAffine: (a: number, b: number, r: number) => void;
  readonly g2m_zero: (r: number) => void;
  readonly g2m_double: (a: number, r: number) => void;
  readonly g2m_addMixed: (a: number, b: number, r: number) => void;
  readonly g2m_subMixed: (a: number, b: number, r: number) => void;
  readonly g2m_toAffine: (a: number, r: number) => void;
  readonly g2m_copy: (a: number, r: number) => void;
  readonly g2m_batchToAffine: (a: number, n: number, r: number) => void;
  readonly g2m_batchLEMtoC: (a: number, n: number, r: number) => void;
  readonly g2m_batchLEMtoU: (a: number, n: number, r: number) => void;
  readonly g2m_timesScalarAffine: (p: number, scalar: number, scalarLen: number, r: number) => void;
};

const EXPORT_NAMES: readonly (keyof Bn254Exports)[] = [
  'f1m_add', 'f1m_sub', 'f1m_neg', 'f1m_mul', 'f1m_square', 'f1m_inverse', 'f1m_isZero', 'f1m_copy', 'f2m_add', 'f2m_sub', 'f2m_neg', 'f2m_mul', 'f2m_square', 'f2m_inverse', 'f2m_isZero', 'f2m_copy',
  'frm_mul', 'frm_add', 'frm_sub', 'frm_inverse', 'frm_isZero', 'frm_eq', 'frm_one', 'frm_copy', 'frm_exp', 'frm_toMontgomery', 'frm_fromMontgomery',
  'g1m_zero', 'g1m_double', 'g1m_addMixed', 'g1m_subMixed', 'g1m_toAffine', 'g1m_copy', 'g1m_batchToAffine', 'g1m_batchLEMtoC', 'g1m_batchLEMtoU', 'g1m_timesScalarAffine', 'g1m_subAffine',
  'g2m_zero', 'g2m_double', 'g2m_addMixed', 'g2m_subMixed', 'g2m_toAffine', 'g2m_copy', 'g2m_batchToAffine', 'g2m_batchLEMtoC', 'g2m_batchLEMtoU', 'g2m_timesScalarAffine',
];

/** What a worker needs to instantiate the engine: its code and where its constants sit. */
export type Bn254WasmCode = {
  readonly code: Uint8Array;
  /** Jacobian generators (z = 1, so their first 64/128 bytes are the affine LEM form). */
  readonly pG1gen: number;
  readonly pG2gen: number;
};

/** The project's TS lib set (ES2022 + node types) has no WebAssembly declarations: the part used here. */
type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
type WasmApi = {
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
  readonly compile: (bytes: Uint8Array) => Promise<object>;
  readonly instantiate: (module: object, imports: object) => Promise<{ readonly exports: unknown }>;
};
const wasmApi = (globalThis as unknown as { readonly WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
/** Free memory kept above our allocations for the engine's temporaries (batch conversions of ≤ 2^15 points). */
const HEADROOM = 32 << 20;

export type Group = 'G1' | 'G2';
/** Byte sizes of one element: affine point (LEM), Jacobian point, compressed, uncompressed. */
export const SIZES = {
  G1: { affine: 64, jacobian: 96, compressed: 32, uncompressed: 64 },
  G2: { affine: 128, jacobian: 192, compressed: 64, uncompressed: 128 },
} as const;
export const FR_BYTES = 32;

function isExports(value: unknown): value is Bn254Exports {
  if (typeof value !== 'object' || value === null) return false;
  return EXPORT_NAMES.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
}

/**
 * One engine instance with a bump allocator over its memory. Memory only grows; `reset` returns the
 * allocator to a mark so per-job buffers are reused.
 */
export class Bn254Wasm {
  readonly ex: Bn254Exports;
  readonly pG1gen: number;
  readonly pG2gen: number;
  private readonly memory: WasmMemory;
  private top: number;
  /** The engine's own free pointer at instantiation: below it are its constants and scratch. */
  private readonly base: number;
  u8: Uint8Array;
  u32: Uint32Array;

  private constructor(ex: Bn254Exports, memory: WasmMemory, code: Bn254WasmCode) {
    this.ex = ex;
    this.memory = memory;
    this.pG1gen = code.pG1gen;
    this.pG2gen = code.pG2gen;
    this.u8 = new Uint8Array(memory.buffer);
    this.u32 = new Uint32Array(memory.buffer);
    this.top = this.u32[0] ?? 0;
    this.base = this.top;
  }

  static async create(code: Bn254WasmCode, initialBytes = 4 << 20): Promise<Bn254Wasm> {
    if (wasmApi === undefined) throw new SetupError('SETUP_FAILED', 'WebAssembly is not available in this runtime');
    const memory = new wasmApi.Memory({ initial: Math.ceil(initialBytes / PAGE) });
    const module = await wasmApi.compile(code.code);
    const instance = await wasmApi.instantiate(module, { env: { memory } });
    if (!isExports(instance.exports)) throw new SetupError('SETUP_FAILED', 'the BN254 engine lacks an expected export');
    return new Bn254Wasm(instance.exports, memory, code);
  }

  /**
   * Allocates `bytes` (32-byte aligned), growing the memory when needed. The engine's batch
   * functions take their temporaries from its free pointer (word 0) upwards without growing the
   * memory, so the pointer follows our allocations and HEADROOM bytes stay free above it.
   */
  alloc(bytes: number): number {
    const p = (this.top + 31) & ~31;
    const end = p + bytes;
    const need = end + HEADROOM;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
      this.u8 = new Uint8Array(this.memory.buffer);
      this.u32 = new Uint32Array(this.memory.buffer);
    }
    this.setTop(end);
    return p;
  }

  mark(): number {
    return this.top;
  }

  reset(mark: number): void {
    this.setTop(mark);
  }

  private setTop(top: number): void {
    this.top = top;
    this.u32[0] = (top + 7) & ~7;
  }

  write(p: number, bytes: Uint8Array): void {
    this.u8.set(bytes, p);
  }

  read(p: number, length: number): Uint8Array {
    return this.u8.slice(p, p + length);
  }

  /** Overwrites all of our memory (secrets, tables) with zeros; the instance stays usable. */
  wipe(): void {
    this.u8.fill(0, this.base);
    this.setTop(this.base);
  }
}

/** Group operations by name, so table and multiplication code is written once for G1 and G2. */
export type GroupOps = {
  readonly zero: (r: number) => void;
  readonly double: (a: number, r: number) => void;
  readonly addMixed: (a: number, b: number, r: number) => void;
  readonly subMixed: (a: number, b: number, r: number) => void;
  readonly toAffine: (a: number, r: number) => void;
  readonly copy: (a: number, r: number) => void;
  readonly batchToAffine: (a: number, n: number, r: number) => void;
  readonly batchLEMtoC: (a: number, n: number, r: number) => void;
  readonly batchLEMtoU: (a: number, n: number, r: number) => void;
};

export function groupOps(w: Bn254Wasm, g: Group): GroupOps {
  const e = w.ex;
  return g === 'G1'
    ? { zero: e.g1m_zero, double: e.g1m_double, addMixed: e.g1m_addMixed, subMixed: e.g1m_subMixed, toAffine: e.g1m_toAffine, copy: e.g1m_copy, batchToAffine: e.g1m_batchToAffine, batchLEMtoC: e.g1m_batchLEMtoC, batchLEMtoU: e.g1m_batchLEMtoU }
    : { zero: e.g2m_zero, double: e.g2m_double, addMixed: e.g2m_addMixed, subMixed: e.g2m_subMixed, toAffine: e.g2m_toAffine, copy: e.g2m_copy, batchToAffine: e.g2m_batchToAffine, batchLEMtoC: e.g2m_batchLEMtoC, batchLEMtoU: e.g2m_batchLEMtoU };
}

/**
 * Fixed-base comb with signed windows: T[j][d-1] = d·2^(w·j)·G for d = 1..2^(w-1). A 254-bit scalar
 * splits into h = ceil(255/w) signed digits in [-(2^(w-1)-1), 2^(w-1)], so one multiplication is h
 * mixed additions (w = 16: 16 additions ≈ 18 µs in G1, versus ≈ 260 µs for double-and-add).
 */
export type FixedBaseTable = {
  readonly group: Group;
  readonly window: number;
  readonly windows: number;
  readonly ptr: number;
};

export function windowsFor(window: number): number {
  return Math.ceil(255 / window);
}

/** Builds the table for the group's generator. Cost: h·2^(w-1) mixed additions + batch-affine. */
export function buildFixedBaseTable(w: Bn254Wasm, group: Group, window: number): FixedBaseTable {
  if (!Number.isInteger(window) || window < 2 || window > 20) {
    throw new SetupError('SETUP_FAILED', `fixed-base window must be 2..20, got ${window}`);
  }
  const ops = groupOps(w, group);
  const s = SIZES[group];
  const half = 2 ** (window - 1);
  const windows = windowsFor(window);
  const ptr = w.alloc(windows * half * s.affine);
  const mark = w.mark();
  const jac = w.alloc(half * s.jacobian);
  const base = w.alloc(s.jacobian);
  const baseAff = w.alloc(s.affine);
  const acc = w.alloc(s.jacobian);
  ops.copy(group === 'G1' ? w.pG1gen : w.pG2gen, base);
  for (let j = 0; j < windows; j++) {
    ops.toAffine(base, baseAff);
    ops.zero(acc);
    for (let d = 0; d < half; d++) {
      ops.addMixed(acc, baseAff, acc);
      ops.copy(acc, jac + d * s.jacobian);
    }
    ops.batchToAffine(jac, half, ptr + j * half * s.affine);
    // acc = 2^(w-1)·base, so one doubling gives the next window's base 2^w·base.
    ops.double(acc, base);
  }
  w.reset(mark);
  return { group, window, windows, ptr };
}

/**
 * out[i] = scalar_i · G for `count` scalars in standard (non-Montgomery) little-endian form at
 * `scalars`, written as Jacobian points at `jac` then converted to affine LEM at `out`.
 * Cost: h mixed additions per point + ≈ 6 field multiplications for the batched affine conversion.
 */
export function fixedBaseMul(w: Bn254Wasm, table: FixedBaseTable, scalars: number, count: number, jac: number, out: number): void {
  const ops = groupOps(w, table.group);
  const s = SIZES[table.group];
  const window = table.window;
  const half = 2 ** (window - 1);
  const full = 2 ** window;
  const mask = full - 1;
  const { windows, ptr } = table;
  const u32 = w.u32;
  for (let i = 0; i < count; i++) {
    const word0 = (scalars + i * FR_BYTES) >>> 2;
    const acc = jac + i * s.jacobian;
    ops.zero(acc);
    let carry = 0;
    for (let j = 0; j < windows; j++) {
      const bit = j * window;
      const word = bit >>> 5;
      const shift = bit & 31;
      let v = (u32[word0 + word] ?? 0) >>> shift;
      if (shift + window > 32 && word < 7) v |= (u32[word0 + word + 1] ?? 0) << (32 - shift);
      v = (v & mask) + carry;
      // Digit 0: nothing to add (v = 2^w is digit 0 with a carry into the next window).
      if (v === 0 || v === full) {
        carry = v === full ? 1 : 0;
        continue;
      }
      if (v > half) {
        ops.subMixed(acc, ptr + (j * half + (full - v) - 1) * s.affine, acc);
        carry = 1;
      } else {
        ops.addMixed(acc, ptr + (j * half + v - 1) * s.affine, acc);
        carry = 0;
      }
    }
  }
  ops.batchToAffine(jac, count, out);
}

/** Base-field operations of a group's coordinates (Fq for G1, Fq2 for G2). */
type FieldOps = {
  readonly size: number;
  readonly add: (a: number, b: number, r: number) => void;
  readonly sub: (a: number, b: number, r: number) => void;
  readonly neg: (a: number, r: number) => void;
  readonly mul: (a: number, b: number, r: number) => void;
  readonly square: (a: number, r: number) => void;
  readonly inverse: (a: number, r: number) => void;
  readonly isZero: (a: number) => number;
  readonly copy: (a: number, r: number) => void;
};

function fieldOps(w: Bn254Wasm, g: Group): FieldOps {
  const e = w.ex;
  return g === 'G1'
    ? { size: 32, add: e.f1m_add, sub: e.f1m_sub, neg: e.f1m_neg, mul: e.f1m_mul, square: e.f1m_square, inverse: e.f1m_inverse, isZero: e.f1m_isZero, copy: e.f1m_copy }
    : { size: 64, add: e.f2m_add, sub: e.f2m_sub, neg: e.f2m_neg, mul: e.f2m_mul, square: e.f2m_square, inverse: e.f2m_inverse, isZero: e.f2m_isZero, copy: e.f2m_copy };
}

/** Scratch bytes `fixedBaseMulAffine` needs for `count` points. */
export function affineScratchBytes(group: Group, count: number): number {
  const f = group === 'G1' ? 32 : 64;
  return (2 * count + 8) * f + SIZES[group].jacobian;
}

/**
 * The fixed-base comb of `fixedBaseMul` with every accumulator kept affine, the `count` additions
 * of a window sharing one field inversion (Montgomery's trick): an addition then costs ≈ 5
 * multiplications + 1 squaring instead of a mixed Jacobian addition's ≈ 11, and no conversion to
 * affine is left at the end. Measured per addition: 0.57 µs vs 1.0 µs in G1, 1.9 µs vs 4.0 µs in G2.
 * Writes affine LEM points at `out`; `scratch` needs affineScratchBytes(group, count) bytes.
 */
export function fixedBaseMulAffine(w: Bn254Wasm, table: FixedBaseTable, scalars: number, count: number, scratch: number, out: number): void {
  const group = table.group;
  const F = fieldOps(w, group);
  const ops = groupOps(w, group);
  const f = F.size;
  const aff = SIZES[group].affine;
  const { window, windows, ptr } = table;
  const half = 2 ** (window - 1);
  const full = 2 ** window;
  const mask = full - 1;
  const DX = scratch;
  const PRE = scratch + count * f;
  const t = scratch + 2 * count * f;
  const inv = t;
  const lam = t + f;
  const x3 = t + 2 * f;
  const u = t + 3 * f;
  const dy = t + 4 * f;
  const jac = t + 8 * f;

  // Signed digits of every scalar, window-major: digits[j·count + i].
  const digits = new Int32Array(windows * count);
  const u32 = w.u32;
  for (let i = 0; i < count; i++) {
    const word0 = (scalars + i * FR_BYTES) >>> 2;
    let carry = 0;
    for (let j = 0; j < windows; j++) {
      const bit = j * window;
      const word = bit >>> 5;
      const shift = bit & 31;
      let v = (u32[word0 + word] ?? 0) >>> shift;
      if (shift + window > 32 && word < 7) v |= (u32[word0 + word + 1] ?? 0) << (32 - shift);
      v = (v & mask) + carry;
      if (v === 0 || v === full) {
        carry = v === full ? 1 : 0;
        continue;
      }
      if (v > half) {
        digits[j * count + i] = v - full;
        carry = 1;
      } else {
        digits[j * count + i] = v;
        carry = 0;
      }
    }
  }

  const nonzero = new Uint8Array(count);
  const active = new Int32Array(count);
  w.u8.fill(0, out, out + count * aff);
  for (let j = 0; j < windows; j++) {
    const row = j * count;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const d = digits[row + i] ?? 0;
      if (d === 0) continue;
      const T = ptr + (j * half + (d > 0 ? d : -d) - 1) * aff;
      const acc = out + i * aff;
      if (nonzero[i] === 0) {
        // First digit: the accumulator becomes ±T.
        F.copy(T, acc);
        if (d > 0) F.copy(T + f, acc + f);
        else F.neg(T + f, acc + f);
        nonzero[i] = 1;
        continue;
      }
      const dx = DX + i * f;
      F.sub(T, acc, dx);
      if (F.isZero(dx) !== 0) {
        // acc = ±T (probability ≈ 2^-254): a Jacobian addition handles doubling and cancellation.
        ops.zero(jac);
        ops.addMixed(jac, acc, jac);
        (d > 0 ? ops.addMixed : ops.subMixed)(jac, T, jac);
        ops.toAffine(jac, acc);
        let zero = true;
        for (let b = 0; b < aff && zero; b++) zero = w.u8[acc + b] === 0;
        if (zero) nonzero[i] = 0;
        continue;
      }
      const pre = PRE + k * f;
      if (k === 0) F.copy(dx, pre);
      else F.mul(pre - f, dx, pre);
      active[k++] = i;
    }
    if (k === 0) continue;
    F.inverse(PRE + (k - 1) * f, inv);
    for (let a = k - 1; a >= 0; a--) {
      const i = active[a] ?? 0;
      const d = digits[row + i] ?? 0;
      const T = ptr + (j * half + (d > 0 ? d : -d) - 1) * aff;
      const acc = out + i * aff;
      const dx = DX + i * f;
      // 1/dx_i = inv·prefix_(a−1); then inv ← inv·dx_i for the next lower index.
      if (a > 0) F.mul(inv, PRE + (a - 1) * f, lam);
      else F.copy(inv, lam);
      F.mul(inv, dx, inv);
      // λ = (±y_T − y_acc)/dx
      if (d > 0) F.sub(T + f, acc + f, dy);
      else {
        F.add(T + f, acc + f, dy);
        F.neg(dy, dy);
      }
      F.mul(dy, lam, lam);
      // x3 = λ² − x_acc − x_T; y3 = λ·(x_acc − x3) − y_acc
      F.square(lam, x3);
      F.sub(x3, acc, x3);
      F.sub(x3, T, x3);
      F.sub(acc, x3, u);
      F.mul(lam, u, u);
      F.sub(u, acc + f, acc + f);
      F.copy(x3, acc);
    }
  }
}
