/**
 * Generates the Baby Jubjub WebAssembly module: twisted Edwards a*x^2 + y^2 = 1 + d*x^2*y^2 over
 * BN254 Fr (a = 168700, d = 168696). Inside, points live on the isomorphic curve
 * -u^2 + y^2 = 1 + d'*u^2*y^2 with u = c*x, c = sqrt(-a), d' = -d/a: with a = -1 the hwcd
 * formulas need no multiplication by a (addition 8M instead of 10M, doubling 4S+3M/4M), and the
 * map costs one multiplication on the way in and out. Extended coordinates (U:Y:T:Z),
 * u = U/Z, y = Y/Z, T = UY/Z. The unified formulas are complete on this curve (a is a square, d is
 * not), so no special cases and no branches on point values.
 *
 * Field elements are the scalar engine's 9x29-bit loose Montgomery values (72 bytes, i64 limbs).
 * Every stored coordinate is below 2p (a Montgomery product of inputs below 2^257); each formula
 * keeps its sums and differences below 16p, so no reduction step is ever needed in between.
 */
import { FR_MODULUS } from '../field.ts';
import { FunctionBuilder, type Ins, ModuleBuilder, WasmCodegenError, op } from './emitter.ts';
import {
  FE_BYTES,
  LIMBS,
  MONT_R,
  toLimbs,
  drain,
  emitFromMont,
  emitLimbsFromBytes,
  emitLimbsToBytes,
  emitLinear,
  emitToMont,
  type Fe,
  feConst,
  feLocals,
  feMem,
  mulSteps,
  squareSteps,
  toMontLimbs,
} from './fr-gen.ts';

export const BABYJUB_A = 168700n;
export const BABYJUB_D = 168696n;
const P = FR_MODULUS;

/** A point is four consecutive elements: (U, Y, T, Z), or (Y-U, Y+U, 2d'T, 2Z) in table form. */
export const POINT_BYTES = 4 * FE_BYTES;
const WINDOWS = 64; // 4-bit windows of a 256-bit scalar

/** Byte offsets of the module's regions. */
export const BJ_LAYOUT = {
  /** Inputs/outputs as 32-byte little-endian canonical values. */
  inP: 0, // x, y
  inQ: 64, // x, y
  inS: 128, // scalar
  inH: 160, // second scalar
  out: 192, // x, y
  acc: 1024,
  tmp: 1024 + POINT_BYTES,
  p1: 1024 + 2 * POINT_BYTES,
  p2: 1024 + 3 * POINT_BYTES,
  p3: 1024 + 4 * POINT_BYTES,
  /** Field scratch for inversion. */
  fe0: 1024 + 5 * POINT_BYTES,
  fe1: 1024 + 5 * POINT_BYTES + FE_BYTES,
  /** Temporaries of the point formulas (up to 10 elements, ends before 4088). */
  scratch: 2624,
  /** 16 multiples of a variable point (table form). */
  varTable: 4096,
  /** 64 windows x 16 multiples of 16^w * Base8 (table form), built once by buildBaseTable. */
  baseTable: 65536,
} as const;

const MEMORY_PAGES = Math.ceil((BJ_LAYOUT.baseTable + WINDOWS * 16 * POINT_BYTES + 4096) / 65536);

/** A point's coordinates as memory Fe's at (ptr local + off). */
type Pt = { readonly x: Fe; readonly y: Fe; readonly t: Fe; readonly z: Fe };
function ptMem(ptr: number, off = 0): Pt {
  return {
    x: feMem(ptr, off),
    y: feMem(ptr, off + FE_BYTES),
    t: feMem(ptr, off + 2 * FE_BYTES),
    z: feMem(ptr, off + 3 * FE_BYTES),
  };
}

/** Pointer-based field functions every hot point function calls. */
type FieldFns = { readonly mul: number; readonly sq: number };

/**
 * Field-operation shorthands for one function: products are calls to the standalone Montgomery
 * functions on memory slots, sums are inlined. Inlining the products instead lets TurboFan hoist
 * every operand load to the top of the function and spill it (measured 2.3x slower point ops);
 * the calls act as barriers and keep each product's register allocation local.
 */
function fieldOps(
  f: FunctionBuilder,
  fns: FieldFns,
  zero: number,
): {
  mul: (dst: Fe, a: Fe, b: Fe) => void;
  sq: (dst: Fe, a: Fe) => void;
  lin: (dst: Fe, plus: readonly Fe[], minus: readonly Fe[], pMultiple?: bigint) => void;
  tmp: () => Fe;
} {
  let next: number = BJ_LAYOUT.scratch;
  const addr = (a: Fe): Ins => {
    if (a.kind !== 'mem') throw new WasmCodegenError('field call operands must be in memory');
    return a.off === 0 ? op.localGet(a.ptr) : [...op.localGet(a.ptr), ...op.i32Const(a.off), ...op.i32Add];
  };
  return {
    mul: (dst, a, b) => f.emit(addr(dst), addr(a), addr(b), op.call(fns.mul)),
    sq: (dst, a) => f.emit(addr(dst), addr(a), op.call(fns.sq)),
    lin: (dst, plus, minus, pMultiple = 0n) => emitLinear(f, dst, plus, minus, pMultiple * P),
    tmp: () => {
      const fe = feMem(zero, next);
      next += FE_BYTES;
      return fe;
    },
  };
}

/**
 * out = p + q (add-2008-hwcd-3, a = -1); q in table form (Y-U, Y+U, 2d'T, 2Z).
 * Bounds: inputs < 2p (table entries < 4p); A..D < 2p, E..H < 4p; outputs < 2p.
 * Cost note: 8 Montgomery products.
 */
function emitAdd(f: FunctionBuilder, fns: FieldFns, out: Pt, p: Pt, q: Pt): void {
  const { mul, lin, tmp } = fieldOps(f, fns, f.local('i32'));
  const [A, B, C, D, E, F, G, H, s1, s2] = Array.from({ length: 10 }, tmp) as [Fe, Fe, Fe, Fe, Fe, Fe, Fe, Fe, Fe, Fe];
  lin(s1, [p.y], [p.x], 2n);
  lin(s2, [p.y, p.x], []);
  mul(A, s1, q.x);
  mul(B, s2, q.y);
  mul(C, p.t, q.t);
  mul(D, p.z, q.z);
  lin(E, [B], [A], 2n);
  lin(F, [D], [C], 2n);
  lin(G, [D, C], []);
  lin(H, [B, A], []);
  mul(out.x, E, F);
  mul(out.y, G, H);
  mul(out.t, E, H);
  mul(out.z, F, G);
}

/**
 * out = 2p (dbl-2008-hwcd, a = -1). `withT` false skips T (only needed before an addition).
 * Bounds: C < 4p, E < 6p, F < 8p, G, H < 4p; outputs < 2p. Cost note: 4S + 4M (3M without T).
 */
function emitDouble(f: FunctionBuilder, fns: FieldFns, out: Pt, p: Pt, withT: boolean): void {
  const { mul, sq, lin, tmp } = fieldOps(f, fns, f.local('i32'));
  const [A, B, C, E, F, G, H, s] = Array.from({ length: 8 }, tmp) as [Fe, Fe, Fe, Fe, Fe, Fe, Fe, Fe];
  sq(A, p.x);
  sq(B, p.y);
  sq(C, p.z);
  lin(C, [C, C], []);
  lin(s, [p.x, p.y], []);
  sq(E, s);
  lin(E, [E], [A, B], 4n);
  lin(G, [B], [A], 2n);
  lin(F, [G], [C], 4n);
  lin(H, [], [A, B], 4n);
  mul(out.x, E, F);
  mul(out.y, G, H);
  if (withT) mul(out.t, E, H);
  mul(out.z, F, G);
}

/** sqrt mod p by Tonelli-Shanks (p - 1 = 2^28 * q); the input must be a square. */
function sqrtMod(n: bigint): bigint {
  const pow = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    let x = b % P;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) r = (r * x) % P;
      x = (x * x) % P;
    }
    return r;
  };
  let q = P - 1n;
  let s = 0n;
  while ((q & 1n) === 0n) {
    q >>= 1n;
    s += 1n;
  }
  let z = 2n;
  while (pow(z, (P - 1n) / 2n) !== P - 1n) z += 1n;
  let m = s;
  let c = pow(z, q);
  let t = pow(n, q);
  let r = pow(n, (q + 1n) / 2n);
  while (t !== 1n) {
    let i = 0n;
    let t2 = t;
    while (t2 !== 1n) {
      t2 = (t2 * t2) % P;
      i += 1n;
    }
    const b = pow(c, 1n << (m - i - 1n));
    m = i;
    c = (b * b) % P;
    t = (t * c) % P;
    r = (r * b) % P;
  }
  return r;
}

function invMod(a: bigint): bigint {
  let [r0, r1, s0, s1] = [((a % P) + P) % P, P, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % P) + P) % P;
}

/** c = sqrt(-a): u = c*x maps circomlib's curve to the a = -1 model. */
const C_MAP = sqrtMod(P - BABYJUB_A);
const C_INV = invMod(C_MAP);
/** 2d' = -2d/a, the constant of the a = -1 addition formula. */
const K2D = (2n * (P - BABYJUB_D) * invMod(BABYJUB_A)) % P;

const ONE_MONT = toMontLimbs(1n);
const K_MONT = feConst(K2D);

function emitIdentity(f: FunctionBuilder, out: Pt): void {
  const zeroFe: Fe = { kind: 'const', limbs: new Array<bigint>(LIMBS).fill(0n) };
  const oneFe: Fe = { kind: 'const', limbs: ONE_MONT };
  for (const [dst, src] of [
    [out.x, zeroFe],
    [out.y, oneFe],
    [out.t, zeroFe],
    [out.z, oneFe],
  ] as const) {
    emitLinear(f, dst, [src], []);
  }
}

/** The identity in table form: (Y - U, Y + U, 2d'T, 2Z) = (1, 1, 0, 2). */
function emitIdentityTable(f: FunctionBuilder, out: Pt): void {
  const zeroFe: Fe = { kind: 'const', limbs: new Array<bigint>(LIMBS).fill(0n) };
  const oneFe: Fe = { kind: 'const', limbs: ONE_MONT };
  emitLinear(f, out.x, [oneFe], []);
  emitLinear(f, out.y, [oneFe], []);
  emitLinear(f, out.t, [zeroFe], []);
  emitLinear(f, out.z, [oneFe, oneFe], []);
}

/** Copies 288 bytes (one point) from src to dst (byte offsets from pointer locals). */
function emitCopyPoint(f: FunctionBuilder, dstPtr: number, srcPtr: number): void {
  for (let off = 0; off < POINT_BYTES; off += 8) {
    f.emit(op.localGet(dstPtr), op.localGet(srcPtr), op.i64Load(off), op.i64Store(off));
  }
}

/**
 * Constant-time table lookup: dst = table[idx] for idx in 0..15, reading every entry and keeping
 * the wanted one with masks (the scalar may be secret when signing).
 * Cost note: 16 x 36 i64 loads, ands and ors.
 */
function emitSelect(f: FunctionBuilder, dstPtr: number, tablePtr: number, idx: number): void {
  const acc = f.locals('i64', POINT_BYTES / 8);
  const mask = f.local('i64');
  for (let e = 0; e < 16; e++) {
    // mask = all ones iff idx == e
    f.emit(op.i64Const(0n), op.localGet(idx), op.i32Const(e), op.i32Eq, op.i64ExtendI32U, op.i64Sub, op.localSet(mask));
    for (let w = 0; w < POINT_BYTES / 8; w++) {
      const a = acc[w] ?? 0;
      f.emit(op.localGet(tablePtr), op.i64Load(e * POINT_BYTES + 8 * w), op.localGet(mask), op.i64And);
      if (e > 0) f.emit(op.localGet(a), op.i64Or);
      f.emit(op.localSet(a));
    }
  }
  for (let w = 0; w < POINT_BYTES / 8; w++) f.emit(op.localGet(dstPtr), op.localGet(acc[w] ?? 0), op.i64Store(8 * w));
}

/**
 * tmp = table entry `idx`: constant-time (`ct`) or by pointer arithmetic (public scalars; then
 * tmp is just set to the entry's address, no copy).
 */
function emitLookup(f: FunctionBuilder, ct: boolean, tmp: number, table: number, idx: number): void {
  if (ct) {
    emitSelect(f, tmp, table, idx);
  } else {
    f.emit(op.localGet(table), op.localGet(idx), op.i32Const(POINT_BYTES), op.i32Mul, op.i32Add, op.localSet(tmp));
  }
}

/** Pushes nibble w (0..63) of the 32-byte little-endian scalar at scalarPtr. */
function nibble(scalarPtr: number, w: Ins): Ins {
  return [
    ...op.localGet(scalarPtr),
    ...w,
    ...op.i32Const(1),
    ...op.i32ShrU,
    ...op.i32Add,
    ...op.i32Load8U(0),
    ...w,
    ...op.i32Const(1),
    ...op.i32And,
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32ShrU,
    ...op.i32Const(15),
    ...op.i32And,
  ];
}

export type BabyjubModule = { readonly bytes: Uint8Array; readonly base8: readonly [bigint, bigint] };

export const BASE8: readonly [bigint, bigint] = [
  5299619240641551281634865583518297030282874472190772894086521144482721001553n,
  16950150798460657717958625567821834550301663161624707787222815936182638968203n,
];

/**
 * Exports (all pointers are byte offsets in the exported memory; scalars are 32 LE bytes):
 *   padd(out, p, q)                 out = p + q, q in table form
 *   pdbl(out, p)                    out = 2p
 *   toTable(out, p)                 out = p in table form (Y-U, Y+U, 2d'T, 2Z)
 *   fromAffine(out, xyBytes)        canonical LE x||y -> extended point, u = c*x (no curve check)
 *   toAffine(xyBytes, p)            extended -> canonical LE x||y (one inversion)
 *   buildBaseTable()                fills the Base8 table (once)
 *   mulBase(out, scalar)            out = scalar * Base8 (constant-time table reads)
 *   mulBaseVt(out, scalar)          same, direct table indexing (public scalars)
 *   mulVar(out, p, scalar)          out = scalar * p (constant-time table reads)
 *   mulVarVt(out, p, scalar)        same, direct table indexing (public scalars)
 *   eqPoints(p, q) -> i32           projective equality
 *   verify() -> i32                 S*Base8 == R8 + hm*(8A) with A at inP, R8 at inQ, S at inS, hm at inH
 */
export function generateBabyjubModule(): BabyjubModule {
  const mb = new ModuleBuilder(MEMORY_PAGES);
  mb.exportMemory('memory');
  const P3 = { params: ['i32', 'i32', 'i32'] as const, results: [] };
  const P2 = { params: ['i32', 'i32'] as const, results: [] };

  const fns = addFieldFns(mb);
  // Outputs go straight to memory: both formulas read all of p before their first output store,
  // so out may alias p.
  const padd = new FunctionBuilder({ params: [...P3.params], results: [] });
  emitAdd(padd, fns, ptMem(0), ptMem(1), ptMem(2));
  const paddIdx = mb.addFunction(padd, 'padd');

  const pdbl = (withT: boolean): number => {
    const f = new FunctionBuilder({ params: [...P2.params], results: [] });
    emitDouble(f, fns, ptMem(0), ptMem(1), withT);
    return mb.addFunction(f, withT ? 'pdbl' : undefined);
  };
  const pdblIdx = pdbl(true);
  const pdblNoTIdx = pdbl(false);

  const toTable = new FunctionBuilder({ params: [...P2.params], results: [] });
  {
    // (U, Y, T, Z) -> (Y - U, Y + U, 2d'T, 2Z)
    const f = toTable;
    const p = ptMem(1);
    const o = ptMem(0);
    const kt = feLocals(f);
    drain(mulSteps(f, kt, p.t, K_MONT));
    const a = feLocals(f);
    const b = feLocals(f);
    const z = feLocals(f);
    emitLinear(f, a, [p.y], [p.x], 2n * P);
    emitLinear(f, b, [p.y, p.x], []);
    emitLinear(f, z, [p.z, p.z], []);
    emitLinear(f, o.x, [a], []);
    emitLinear(f, o.y, [b], []);
    emitLinear(f, o.t, [kt], []);
    emitLinear(f, o.z, [z], []);
  }
  const toTableIdx = mb.addFunction(toTable, 'toTable');

  const fromAffine = new FunctionBuilder({ params: [...P2.params], results: [] });
  {
    const f = fromAffine;
    const o = ptMem(0);
    const x = feLocals(f);
    const y = feLocals(f);
    emitLimbsFromBytes(f, x, 1, 0);
    emitLimbsFromBytes(f, y, 1, 32);
    const xm = feLocals(f);
    const ym = feLocals(f);
    // u = c * x in Montgomery form in one product: REDC(x * c*R^2 mod p) = c*x*R.
    drain(mulSteps(f, xm, x, { kind: 'const', limbs: toLimbs((C_MAP * MONT_R * MONT_R) % P) }));
    emitToMont(f, ym, y);
    emitLinear(f, o.x, [xm], []);
    emitLinear(f, o.y, [ym], []);
    drain(mulSteps(f, o.t, xm, ym));
    emitLinear(f, o.z, [{ kind: 'const', limbs: ONE_MONT }], []);
  }
  const fromAffineIdx = mb.addFunction(fromAffine, 'fromAffine');

  const invIdx = addInverse(mb, fns);

  const toAffine = new FunctionBuilder({ params: [...P2.params], results: [] });
  {
    const f = toAffine;
    const p = ptMem(1);
    const zero = f.local('i32');
    f.emit(op.i32Const(BJ_LAYOUT.fe0), op.localGet(1), op.i32Const(3 * FE_BYTES), op.i32Add, op.call(invIdx));
    const zi = feMem(zero, BJ_LAYOUT.fe0);
    const ziC = feLocals(f);
    drain(mulSteps(f, ziC, zi, feConst(C_INV)));
    for (const [coord, off, inv] of [
      [p.x, 0, ziC],
      [p.y, 32, zi],
    ] as const) {
      const m = feLocals(f);
      drain(mulSteps(f, m, coord, inv));
      const c = feLocals(f);
      emitFromMont(f, c, m);
      emitLimbsToBytes(f, c, 0, off);
    }
  }
  mb.addFunction(toAffine, 'toAffine');

  // buildBaseTable(): window w holds k * 16^w * Base8 for k = 0..15 (table form).
  const buildBase = new FunctionBuilder({ params: [], results: [] });
  {
    const f = buildBase;
    const w = f.local('i32');
    const k = f.local('i32');
    const entry = f.local('i32');
    const base = f.local('i32');
    const cur = f.local('i32');
    const tmp = f.local('i32');
    f.emit(op.i32Const(BJ_LAYOUT.p1), op.localSet(base), op.i32Const(BJ_LAYOUT.p2), op.localSet(cur));
    f.emit(op.i32Const(BJ_LAYOUT.p3), op.localSet(tmp));
    // base = Base8 (from constants).
    const b = ptMem(base);
    const bx = feConst((BASE8[0] * C_MAP) % P);
    const by = feConst(BASE8[1]);
    emitLinear(f, b.x, [bx], []);
    emitLinear(f, b.y, [by], []);
    drain(mulSteps(f, b.t, bx, by));
    emitLinear(f, b.z, [{ kind: 'const', limbs: ONE_MONT }], []);
    f.emit(op.i32Const(BJ_LAYOUT.baseTable), op.localSet(entry));
    f.emit(op.i32Const(0), op.localSet(w), op.block(), op.loop());
    f.emit(op.localGet(w), op.i32Const(WINDOWS), op.i32GeU, op.brIf(1));
    emitIdentityTable(f, ptMem(entry));
    // entry 1 = base; cur = base; entry k = cur += base.
    f.emit(op.localGet(entry), op.i32Const(POINT_BYTES), op.i32Add, op.localGet(base), op.call(toTableIdx));
    emitCopyPoint(f, cur, base);
    f.emit(op.i32Const(2), op.localSet(k), op.block(), op.loop());
    f.emit(op.localGet(k), op.i32Const(16), op.i32GeU, op.brIf(1));
    f.emit(op.localGet(cur), op.localGet(cur), op.localGet(entry), op.i32Const(POINT_BYTES), op.i32Add, op.call(paddIdx));
    f.emit(op.localGet(entry), op.localGet(k), op.i32Const(POINT_BYTES), op.i32Mul, op.i32Add, op.localGet(cur));
    f.emit(op.call(toTableIdx));
    f.emit(op.localGet(k), op.i32Const(1), op.i32Add, op.localSet(k), op.br(0), op.end, op.end);
    // base *= 16
    for (let i = 0; i < 4; i++) f.emit(op.localGet(base), op.localGet(base), op.call(pdblIdx));
    f.emit(op.localGet(entry), op.i32Const(16 * POINT_BYTES), op.i32Add, op.localSet(entry));
    f.emit(op.localGet(w), op.i32Const(1), op.i32Add, op.localSet(w), op.br(0), op.end, op.end);
  }
  mb.addFunction(buildBase, 'buildBaseTable');

  // mulBase(out, scalar): sum over windows of table[w][nibble_w]; no doublings. The `ct` variant
  // reads every table entry (secret scalars); the other indexes directly (verification only).
  const buildMulBase = (ct: boolean): number => {
    const f = new FunctionBuilder({ params: [...P2.params], results: [] });
    const w = f.local('i32');
    const nib = f.local('i32');
    const table = f.local('i32');
    const tmp = f.local('i32');
    f.emit(op.i32Const(BJ_LAYOUT.tmp), op.localSet(tmp), op.i32Const(BJ_LAYOUT.baseTable), op.localSet(table));
    emitIdentity(f, ptMem(0));
    f.emit(op.i32Const(0), op.localSet(w), op.block(), op.loop());
    f.emit(op.localGet(w), op.i32Const(WINDOWS), op.i32GeU, op.brIf(1));
    f.emit(nibble(1, op.localGet(w)), op.localSet(nib));
    emitLookup(f, ct, tmp, table, nib);
    f.emit(op.localGet(0), op.localGet(0), op.localGet(tmp), op.call(paddIdx));
    f.emit(op.localGet(table), op.i32Const(16 * POINT_BYTES), op.i32Add, op.localSet(table));
    f.emit(op.localGet(w), op.i32Const(1), op.i32Add, op.localSet(w), op.br(0), op.end, op.end);
    return mb.addFunction(f, ct ? 'mulBase' : 'mulBaseVt');
  };
  buildMulBase(true);
  const mulBaseVtIdx = buildMulBase(false);

  // mulVar(out, p, scalar): fixed 4-bit windows from the top, 4 doublings + 1 addition each.
  const buildMulVar = (ct: boolean): number => {
    const f = new FunctionBuilder({ params: [...P3.params], results: [] });
    const w = f.local('i32');
    const nib = f.local('i32');
    const table = f.local('i32');
    const tmp = f.local('i32');
    const cur = f.local('i32');
    const k = f.local('i32');
    f.emit(op.i32Const(BJ_LAYOUT.tmp), op.localSet(tmp), op.i32Const(BJ_LAYOUT.varTable), op.localSet(table));
    f.emit(op.i32Const(BJ_LAYOUT.p3), op.localSet(cur));
    emitIdentityTable(f, ptMem(table));
    f.emit(op.localGet(table), op.i32Const(POINT_BYTES), op.i32Add, op.localGet(1), op.call(toTableIdx));
    emitCopyPoint(f, cur, 1);
    f.emit(op.i32Const(2), op.localSet(k), op.block(), op.loop());
    f.emit(op.localGet(k), op.i32Const(16), op.i32GeU, op.brIf(1));
    f.emit(op.localGet(cur), op.localGet(cur), op.localGet(table), op.i32Const(POINT_BYTES), op.i32Add, op.call(paddIdx));
    f.emit(op.localGet(table), op.localGet(k), op.i32Const(POINT_BYTES), op.i32Mul, op.i32Add, op.localGet(cur));
    f.emit(op.call(toTableIdx));
    f.emit(op.localGet(k), op.i32Const(1), op.i32Add, op.localSet(k), op.br(0), op.end, op.end);
    emitIdentity(f, ptMem(0));
    f.emit(op.i32Const(WINDOWS - 1), op.localSet(w), op.block(), op.loop());
    for (let i = 0; i < 3; i++) f.emit(op.localGet(0), op.localGet(0), op.call(pdblNoTIdx));
    f.emit(op.localGet(0), op.localGet(0), op.call(pdblIdx));
    f.emit(nibble(2, op.localGet(w)), op.localSet(nib));
    emitLookup(f, ct, tmp, table, nib);
    f.emit(op.localGet(0), op.localGet(0), op.localGet(tmp), op.call(paddIdx));
    f.emit(op.localGet(w), op.i32Eqz, op.brIf(1));
    f.emit(op.localGet(w), op.i32Const(1), op.i32Sub, op.localSet(w), op.br(0), op.end, op.end);
    return mb.addFunction(f, ct ? 'mulVar' : 'mulVarVt');
  };
  buildMulVar(true);
  const mulVarVtIdx = buildMulVar(false);

  const eqIdx = addEqPoints(mb);

  // verify(): lhs = S * Base8; rhs = R8 + hm * (8A).
  const verify = new FunctionBuilder({ params: [], results: ['i32'] });
  {
    const f = verify;
    const c = (v: number): Ins => op.i32Const(v);
    f.emit(c(BJ_LAYOUT.p1), c(BJ_LAYOUT.inP), op.call(fromAffineIdx)); // A
    for (let i = 0; i < 3; i++) f.emit(c(BJ_LAYOUT.p1), c(BJ_LAYOUT.p1), op.call(pdblIdx)); // 8A
    f.emit(c(BJ_LAYOUT.p2), c(BJ_LAYOUT.p1), c(BJ_LAYOUT.inH), op.call(mulVarVtIdx)); // hm * 8A
    f.emit(c(BJ_LAYOUT.p1), c(BJ_LAYOUT.inQ), op.call(fromAffineIdx)); // R8
    f.emit(c(BJ_LAYOUT.p3), c(BJ_LAYOUT.p2), op.call(toTableIdx));
    f.emit(c(BJ_LAYOUT.p1), c(BJ_LAYOUT.p1), c(BJ_LAYOUT.p3), op.call(paddIdx)); // rhs
    f.emit(c(BJ_LAYOUT.p2), c(BJ_LAYOUT.inS), op.call(mulBaseVtIdx)); // lhs
    f.emit(c(BJ_LAYOUT.p1), c(BJ_LAYOUT.p2), op.call(eqIdx));
  }
  mb.addFunction(verify, 'verify');
  return { bytes: mb.encode(), base8: BASE8 };
}


function addFieldFns(mb: ModuleBuilder): FieldFns {
  const sqf = new FunctionBuilder({ params: ['i32', 'i32'], results: [] });
  drain(squareSteps(sqf, feMem(0), feMem(1)));
  const mulf = new FunctionBuilder({ params: ['i32', 'i32', 'i32'], results: [] });
  drain(mulSteps(mulf, feMem(0), feMem(1), feMem(2)));
  return { sq: mb.addFunction(sqf), mul: mb.addFunction(mulf) };
}

/**
 * inv(out, a) = a^(p-2) by a fixed square-and-multiply chain (the exponent is public).
 * Cost note: 253 squarings + ~130 products, ~17 µs.
 */
function addInverse(mb: ModuleBuilder, fns: FieldFns): number {
  const { sq: sqIdx, mul: mulIdx } = fns;
  const f = new FunctionBuilder({ params: ['i32', 'i32'], results: [] });
  const e = P - 2n;
  const bits = e.toString(2);
  // out = a; then for each following bit: out = out^2 (* a if bit set).
  for (let j = 0; j < LIMBS; j++) f.emit(op.localGet(0), op.localGet(1), op.i64Load(8 * j), op.i64Store(8 * j));
  for (const bit of bits.slice(1)) {
    f.emit(op.localGet(0), op.localGet(0), op.call(sqIdx));
    if (bit === '1') f.emit(op.localGet(0), op.localGet(0), op.localGet(1), op.call(mulIdx));
  }
  return mb.addFunction(f);
}

/** eqPoints(p, q): X1*Z2 == X2*Z1 and Y1*Z2 == Y2*Z1 as field elements. */
function addEqPoints(mb: ModuleBuilder): number {
  const f = new FunctionBuilder({ params: ['i32', 'i32'], results: ['i32'] });
  const p = ptMem(0);
  const q = ptMem(1);
  const diff = f.local('i64');
  const check = (a: Fe, bz: Fe, b: Fe, az: Fe): void => {
    const l = feLocals(f);
    const r = feLocals(f);
    drain(mulSteps(f, l, a, bz));
    drain(mulSteps(f, r, b, az));
    // l - r + 2p is below 4p; canonical zero test through fromMont (REDC then one subtraction
    // gives the canonical value of (l - r)/R, zero iff l == r mod p).
    const d = feLocals(f);
    emitLinear(f, d, [l], [r], 2n * P);
    const c = feLocals(f);
    emitFromMont(f, c, d);
    if (c.kind !== 'locals') return;
    for (const li of c.idx) f.emit(op.localGet(diff), op.localGet(li), op.i64Or, op.localSet(diff));
  };
  check(p.x, q.z, q.x, p.z);
  check(p.y, q.z, q.y, p.z);
  f.emit(op.localGet(diff), op.i64Eqz);
  return mb.addFunction(f, 'eqPoints');
}
