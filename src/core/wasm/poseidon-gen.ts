/**
 * Generates one WebAssembly module per Poseidon width t: the optimised permutation (sparse partial
 * rounds, lazy-reduced dot products), byte-level hashing and, for t = 3, whole Merkle paths.
 * State stays in Montgomery form from input conversion to output conversion.
 *
 * Work is split into two instruction streams that the generator interleaves column by column:
 * a scalar i64 stream (integer multiplier) and a two-lane SIMD stream (vector multipliers), so
 * both kinds of execution units are busy at once. State lane 0 lives on the scalar side, lanes
 * 1..t-1 in SIMD pairs. In a partial round the scalar stream carries the critical path
 * (s0 = REDC(m00*y + PRE); y' = (s0 + k)^5) while the SIMD stream updates lanes 1..t-1 with the
 * previous y and precomputes PRE (their dot-product columns for the next round): within one loop
 * body the two streams depend only on the previous body, never on each other.
 *
 * Every value's size is tracked at generation time (`proveBounds`) so the lazy reductions are
 * proven not to overflow the 9x29-bit representation for this t and round count; an impossible
 * bound aborts generation instead of producing wrong hashes.
 */
import { FR_MODULUS } from '../field.ts';
import { type PoseidonOptimized } from '../poseidon-params.ts';
import { FunctionBuilder, type Ins, ModuleBuilder, WasmCodegenError, op } from './emitter.ts';
import {
  LIMBS,
  LOOSE_LIMIT,
  MASK,
  MONT_R,
  copyFe,
  dotSteps,
  emitFromMont,
  emitLimbsFromBytes,
  emitLimbsToBytes,
  emitLinear,
  emitToMont,
  type Fe,
  feConst,
  feLocals,
  feMem32,
  loadToLocals,
  montSumSteps,
  mulSteps,
  squareSteps,
  toMontLimbs,
} from './fr-gen.ts';
import {
  type Dst2,
  type Fe2,
  type SimdCtx,
  dot2Steps,
  emitAdd2,
  montSum2Steps,
  productColumns2Steps,
  simdContext,
  square2Steps,
  wide2,
} from './fr-simd-gen.ts';

/** Element slots: a single element is 9 u32 limbs (40 bytes with padding), a pair 72 bytes. */
const SINGLE = 40;
const PAIR = 72;
const MAX_BLOCKS = 8;

/** Byte offsets of the module's fixed regions. */
export const LAYOUT = {
  /** Input bytes: count*32 for hashing, or the Merkle siblings (32 * depth). */
  input: 0,
  /** A Merkle leaf. */
  leaf: 1536,
  /** The hash output or Merkle root. */
  output: 1600,
  /** depth + 1 Merkle path nodes (32 bytes each). */
  nodes: 2048,
  /** Lane 0 (single) and lanes 1..t-1 (pairs): the live state. */
  s0: 4096,
  pairs: 4160,
  /** Full-round output buffer (same shape). */
  s0Next: 4800,
  pairsNext: 4864,
  /** Double-buffered partial-round values: y (single) and PRE columns (17 x i64x2 per region). */
  y0: 5504,
  y1: 5568,
  pre0: 8192,
  pre1: 10560,
  /** Running Merkle node (single). */
  node: 12928,
  /** Product-column scratch of the SIMD MDS rows (up to 3 regions of 272 bytes). */
  mdsCols: 13056,
  /** Product-column scratch of the scalar MDS row (up to 3 regions of 136 bytes). */
  rowCols: 13952,
  consts: 16384,
} as const;

type Tables = {
  readonly bytes: Uint8Array;
  readonly fullC: number;
  readonly fullCStride: number;
  readonly mds: number;
  readonly pre: number;
  readonly partial: number;
  readonly partialStride: number;
  readonly end: number;
};

const blocksOf = (t: number): number => Math.ceil((t - 1) / 2);

/**
 * Serialises the constants (Montgomery u32 limbs) at LAYOUT.consts. Lane 0's constants are
 * singles; lanes 1..t-1 are interleaved pairs, a missing odd lane padded with zeros (its lane
 * then stays zero through every round).
 */
function buildTables(o: PoseidonOptimized): Tables {
  const t = o.t;
  const nb = blocksOf(t);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const single = (x: bigint): void => {
    const b = new Uint8Array(SINGLE);
    const v = new DataView(b.buffer);
    toMontLimbs(x).forEach((l, j) => v.setUint32(4 * j, Number(l), true));
    chunks.push(b);
    size += SINGLE;
  };
  const pair = (a: bigint, c: bigint): void => {
    const b = new Uint8Array(PAIR);
    const v = new DataView(b.buffer);
    const la = toMontLimbs(a);
    const lc = toMontLimbs(c);
    for (let j = 0; j < LIMBS; j++) {
      v.setUint32(8 * j, Number(la[j] ?? 0n), true);
      v.setUint32(8 * j + 4, Number(lc[j] ?? 0n), true);
    }
    chunks.push(b);
    size += PAIR;
  };
  const lanes = (row: readonly bigint[], b: number): [bigint, bigint] => [row[1 + 2 * b] ?? 0n, row[2 + 2 * b] ?? 0n];
  const vecRound = (c: readonly bigint[]): void => {
    single(c[0] ?? 0n);
    for (let b = 0; b < nb; b++) pair(...lanes(c, b));
  };
  const matrix = (m: readonly (readonly bigint[])[]): void => {
    for (let j = 0; j < t; j++) single(m[0]?.[j] ?? 0n);
    for (let b = 0; b < nb; b++) {
      for (let j = 0; j < t; j++) pair(m[1 + 2 * b]?.[j] ?? 0n, m[2 + 2 * b]?.[j] ?? 0n);
    }
  };
  const fullC = size;
  for (const c of [...o.firstC, ...o.lastC]) vecRound(c);
  const mds = size;
  matrix(o.mds);
  const pre = size;
  matrix(o.pre);
  const partial = size;
  for (let r = 0; r < o.partialRounds; r++) {
    // k, then w's lanes 1..t-1 (pairs), then v's lanes 1..t-1 (pairs; v[r][i-1] is lane i).
    single(o.k[r] ?? 0n);
    const w = o.w[r] ?? [];
    for (let b = 0; b < nb; b++) pair(...lanes(w, b));
    const v = [0n, ...(o.v[r] ?? [])];
    for (let b = 0; b < nb; b++) pair(...lanes(v, b));
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const abs = (x: number): number => LAYOUT.consts + x;
  return {
    bytes,
    fullC: abs(fullC),
    fullCStride: SINGLE + PAIR * nb,
    mds: abs(mds),
    pre: abs(pre),
    partial: abs(partial),
    partialStride: SINGLE + 2 * PAIR * nb,
    end: abs(size),
  };
}

/** Upper bounds (exclusive) on loose values, mirroring the generated code. */
const P = FR_MODULUS;
function mulBound(a: bigint, b: bigint): bigint {
  return (a * b) / MONT_R + P + 1n;
}
function checkBound(b: bigint, what: string): bigint {
  if (b > LOOSE_LIMIT) throw new WasmCodegenError(`Poseidon bound exceeded: ${what}`, { bits: b.toString(2).length });
  return b;
}
function sboxBound(x: bigint): bigint {
  checkBound(x, 'S-box input');
  const x2 = checkBound(mulBound(x, x), 'x^2');
  const x4 = checkBound(mulBound(x2, x2), 'x^4');
  return checkBound(mulBound(x4, x), 'x^5');
}
function dotBound(t: number, vec: bigint): bigint {
  return checkBound((BigInt(t) * P * vec) / MONT_R + P + 1n, 'dot product');
}

/**
 * Loose values entering a permutation (inputs after conversion, or a previous output fed back as a
 * Merkle node) are below this; the proof checks the output is too, so hashes can be chained.
 */
const IN_BOUND = 20n * P;

/** Proves, for this t, that every intermediate value fits (throws otherwise). */
function proveBounds(o: PoseidonOptimized): void {
  const t = o.t;
  let full = IN_BOUND;
  const fullRound = (): void => {
    const y = sboxBound(full + P);
    full = dotBound(t, y);
  };
  for (let r = 0; r < 4; r++) fullRound();
  let s0 = full;
  let sHat = full;
  for (let r = 0; r < o.partialRounds; r++) {
    const y = sboxBound(s0 + P);
    s0 = dotBound(t, sHat > y ? sHat : y);
    sHat = checkBound(sHat + mulBound(P, y), 'partial-round accumulation');
  }
  full = sHat > s0 ? sHat : s0;
  for (let r = 0; r < 4; r++) fullRound();
  if (full > IN_BOUND) throw new WasmCodegenError('Poseidon output bound above input bound', { t });
}

type Steps = Generator<number, void, void>;

/** Emits the streams interleaved: always advance the one with the least accumulated cost. */
function interleave(streams: readonly { readonly steps: Steps; readonly weight: number }[]): void {
  const live = streams.map((s) => ({ ...s, cost: 0, done: false }));
  for (;;) {
    let best: (typeof live)[number] | undefined;
    for (const s of live) if (!s.done && (best === undefined || s.cost < best.cost)) best = s;
    if (best === undefined) return;
    const r = best.steps.next();
    if (r.done === true) best.done = true;
    else best.cost += r.value * best.weight;
  }
}

function* sequence(parts: readonly (() => Steps)[]): Steps {
  for (const p of parts) yield* p();
}

/** Scalar S-box with pre-added constant: dst = (src + c)^5. */
function* sboxSteps(f: FunctionBuilder, dst: Fe, src: Fe, c: Fe): Steps {
  const x = feLocals(f);
  emitLinear(f, x, [src, c], []);
  const x2 = feLocals(f);
  yield* squareSteps(f, x2, x);
  const x4 = feLocals(f);
  yield* squareSteps(f, x4, x2);
  yield* mulSteps(f, dst, x4, x);
}

function packedLocals(f: FunctionBuilder): { readonly kind: 'locals'; readonly idx: number[] } {
  return { kind: 'locals', idx: f.locals('v128', LIMBS) };
}

/** SIMD S-box on a pair: dst = (src + c)^5 lane-wise. */
function* sbox2Steps(f: FunctionBuilder, ctx: SimdCtx, dst: Dst2, src: Fe2, c: Fe2): Steps {
  const x = packedLocals(f);
  emitAdd2(f, ctx, x, [(j) => wide2(src, j), (j) => wide2(c, j)]);
  const x2 = packedLocals(f);
  yield* square2Steps(f, ctx, x2, x);
  const x4 = packedLocals(f);
  yield* square2Steps(f, ctx, x4, x2);
  yield* montSum2Steps(f, ctx, dst, [[x4, x]]);
}

export type PoseidonModule = {
  readonly bytes: Uint8Array;
  readonly tables: Uint8Array;
};

/** Addresses of state lanes, in both the scalar (Fe) and SIMD (Fe2) views. */
type StateView = {
  readonly lane: (i: number) => Fe;
  readonly splat: (i: number) => Fe2;
  readonly pair: (b: number) => Fe2 & Dst2;
  readonly s0: Fe;
};

function stateView(zero: number, s0Off: number, pairsOff: number): StateView {
  const laneOff = (i: number): number => pairsOff + PAIR * ((i - 1) >> 1) + 4 * ((i - 1) & 1);
  return {
    s0: feMem32(zero, s0Off, 4),
    lane: (i) => (i === 0 ? feMem32(zero, s0Off, 4) : feMem32(zero, laneOff(i), 8)),
    splat: (i) =>
      i === 0
        ? { kind: 'splat', ptr: zero, off: s0Off, stride: 4 }
        : { kind: 'splat', ptr: zero, off: laneOff(i), stride: 8 },
    pair: (b) => ({ kind: 'pair', ptr: zero, off: pairsOff + PAIR * b }),
  };
}

/** The generated functions' exports: see `poseidon-engine.ts` for the calling convention. */
export function generatePoseidonModule(
  o: PoseidonOptimized,
  opts: PoseidonGenOptions = DEFAULT_GEN_OPTIONS,
): PoseidonModule {
  proveBounds(o);
  const t = o.t;
  const nb = blocksOf(t);
  if (nb > MAX_BLOCKS) throw new WasmCodegenError('Poseidon width too large for the layout', { t });
  const tables = buildTables(o);
  const memoryPages = Math.ceil((tables.end + 1024) / 65536);
  const mb = new ModuleBuilder(memoryPages);
  mb.exportMemory('memory');
  const permuteIdx = addPermute(mb, o, tables, opts);

  // hash(inPtr, outPtr): t-1 canonical LE inputs at inPtr -> LE output at outPtr.
  const hash = new FunctionBuilder({ params: ['i32', 'i32'], results: [] });
  {
    const f = hash;
    const zero = f.local('i32');
    const st = stateView(zero, LAYOUT.s0, LAYOUT.pairs);
    zeroState(f, zero, nb);
    for (let i = 1; i < t; i++) {
      const x = feLocals(f);
      emitLimbsFromBytes(f, x, 0, (i - 1) * 32);
      emitToMont(f, st.lane(i), x);
    }
    f.emit(op.call(permuteIdx));
    const out = feLocals(f);
    emitFromMont(f, out, st.s0);
    emitLimbsToBytes(f, out, 1, 0);
  }
  mb.addFunction(hash, 'hash');
  if (t === 3) addMerkle(mb, permuteIdx);
  return { bytes: mb.encode(), tables: tables.bytes };
}

function zeroState(f: FunctionBuilder, zero: number, nb: number): void {
  for (let off = LAYOUT.s0; off < LAYOUT.pairs + PAIR * nb; off += 8) {
    f.emit(op.localGet(zero), op.i64Const(0n), op.i64Store(off));
  }
}

/**
 * Interleaving weights: the cost of one SIMD pair-product relative to one scalar product, per
 * phase; the interleaver keeps the streams' accumulated costs level. Measured (t = 3): anything in
 * 1.3..2.5 is within noise; fully sequential streams are ~5% slower, and interleaving without the
 * effect barriers of fr-gen.ts was 40% slower (hoisted loads, spills).
 */
export type PoseidonGenOptions = { readonly fullWeight: number; readonly partialWeight: number };
export const DEFAULT_GEN_OPTIONS: PoseidonGenOptions = { fullWeight: 1.3, partialWeight: 2.5 };

type Stream = { readonly steps: Steps; readonly weight: number };



/**
 * Full-round S-box layer as its own function (cptr): lane 0 on the scalar stream, pairs on the
 * SIMD stream. Each phase is a separate function: in one big function TurboFan's register
 * allocation degrades (measured ~15% slower).
 */
function buildSboxLayer(o: PoseidonOptimized, weight: number): FunctionBuilder {
  const nb = blocksOf(o.t);
  const f = new FunctionBuilder({ params: ['i32'], results: [] });
  const cptr = 0;
  const zero = f.local('i32');
  const ctx = simdContext(f);
  const cur = stateView(zero, LAYOUT.s0, LAYOUT.pairs);
  // Blocks run one after another in the SIMD stream. Measured alternatives, none faster: one
  // interleaved stream per block (t = 5: +15%, register pressure), alternating the blocks' steps
  // (+20%), moving a block's lanes to the scalar stream (no change).
  interleave([
    { steps: sboxSteps(f, cur.s0, cur.s0, feMem32(cptr, 0, 4)), weight: 1 },
    {
      steps: sequence(
        Array.from({ length: nb }, (_, b) => () =>
          sbox2Steps(f, ctx, cur.pair(b), cur.pair(b), { kind: 'pair', ptr: cptr, off: SINGLE + PAIR * b }),
        ),
      ),
      weight,
    },
  ]);
  return f;
}

/**
 * Full-round linear layer (mptr): row 0 on the scalar stream, row pairs on the SIMD stream, into
 * the next-state buffer, then copied back. `allRows` false computes only lane 0 (the last round).
 */
function buildMdsLayer(o: PoseidonOptimized, allRows: boolean, weight: number): FunctionBuilder {
  const t = o.t;
  const nb = blocksOf(t);
  const f = new FunctionBuilder({ params: ['i32'], results: [] });
  const mptr = 0;
  const zero = f.local('i32');
  const ctx = simdContext(f);
  const cur = stateView(zero, LAYOUT.s0, LAYOUT.pairs);
  const next = stateView(zero, LAYOUT.s0Next, LAYOUT.pairsNext);
  // Both rows go through memory product columns (dotSteps / dot2Steps): keeping every operand
  // of a t-term dot product live at once spilled heavily (t = 3: 196 -> 148 ns; t = 5: 845 -> 627 ns).
  const rowTerms = Array.from({ length: t }, (_, j) => [cur.lane(j), feMem32(mptr, SINGLE * j, 4)] as const);
  const streams: Stream[] = [{ steps: dotSteps(f, next.s0, rowTerms, zero, LAYOUT.rowCols), weight: 1 }];
  if (allRows) {
    const row = (b: number, j: number): Fe2 => ({ kind: 'pair', ptr: mptr, off: SINGLE * t + PAIR * (b * t + j) });
    streams.push({
      steps: sequence(
        Array.from({ length: nb }, (_, b) => () =>
          dot2Steps(
            f,
            ctx,
            next.pair(b),
            Array.from({ length: t }, (_, j) => [cur.splat(j), row(b, j)] as const),
            zero,
            LAYOUT.mdsCols,
          ),
        ),
      ),
      weight,
    });
  }
  interleave(streams);
  const bytes = allRows ? LAYOUT.pairs + PAIR * nb - LAYOUT.s0 : SINGLE;
  for (let off = 0; off < bytes; off += 8) {
    f.emit(op.localGet(zero), op.localGet(zero), op.i64Load(LAYOUT.s0Next + off), op.i64Store(LAYOUT.s0 + off));
  }
  return f;
}

/**
 * Partial-round functions. `first` (cptr, yNext, preNext): y = (s0 + k)^5 and PRE from the
 * full-round state. `body` (cptr, prev, yCur, yNext, preCur, preNext): finishes round r-1 and
 * starts round r in two independent streams. `last` (prev, yCur, preCur): finishes the last round.
 */
function buildPartial(o: PoseidonOptimized, kind: 'first' | 'body' | 'last', weight: number): FunctionBuilder {
  const t = o.t;
  const nb = blocksOf(t);
  const params = kind === 'first' ? 3 : kind === 'body' ? 6 : 3;
  const f = new FunctionBuilder({ params: new Array<'i32'>(params).fill('i32'), results: [] });
  const [cptr, prev, yCur, yNext, preCur, preNext] =
    kind === 'first' ? [0, -1, -1, 1, -1, 2] : kind === 'body' ? [0, 1, 2, 3, 4, 5] : [-1, 0, 1, -1, 2, -1];
  const zero = f.local('i32');
  const ctx = simdContext(f);
  const cur = stateView(zero, LAYOUT.s0, LAYOUT.pairs);
  const m00 = feConst(o.mds[0]?.[0] ?? 0n);
  const wPair = (base: number, b: number): Fe2 => ({ kind: 'pair', ptr: base, off: SINGLE + PAIR * b });
  const vPair = (base: number, b: number): Fe2 => ({ kind: 'pair', ptr: base, off: SINGLE + PAIR * (nb + b) });
  const yView = (ptr: number): Fe => feMem32(ptr, 0, 4);
  const ySplat = (ptr: number): Fe2 => ({ kind: 'splat', ptr, off: 0, stride: 4 });
  // PRE region h accumulates blocks 4h..4h+3 (the SIMD stream runs blocks in order, the first of
  // each region initialises it), so no lane sums more than 36 limb products per column.
  const PRE_REGION = 17 * 16;
  const regions = Math.ceil(nb / 4);
  const preBound = BigInt(Math.min(nb, 4) * LIMBS) * MASK * MASK;
  const preExtra = (k: number): { ins: Ins; bound: bigint }[] =>
    Array.from({ length: 2 * regions }, (_, i) => ({
      ins: [...op.localGet(preCur), ...op.i64Load(PRE_REGION * (i >> 1) + 16 * k + 8 * (i & 1))],
      bound: preBound,
    }));
  // s0 = REDC(m00 * y + PRE): lane 0 of the previous round's sparse-matrix product.
  const s0Steps = (dst: Fe): Steps => montSumSteps(f, dst, [[m00, loadToLocals(f, yView(yCur))]], { extra: preExtra });
  // Lanes 1..t-1 += v[prev] * y (pairs). Moving some blocks' updates to the scalar stream was
  // measured slower (t = 5: +6%): the scalar stream's multiplier is the tighter resource.
  function* updateSteps(b: number): Steps {
    const prod = { kind: 'wide' as const, idx: f.locals('v128', LIMBS) };
    yield* montSum2Steps(f, ctx, prod, [[vPair(prev, b), ySplat(yCur)]]);
    emitAdd2(f, ctx, cur.pair(b), [(j) => wide2(cur.pair(b), j), (j) => op.localGet(prod.idx[j] ?? 0)]);
  }
  const preSteps = (b: number): Steps =>
    productColumns2Steps(f, [[wPair(cptr, b), cur.pair(b)]], preNext, PRE_REGION * (b >> 2), b % 4 === 0);
  const blocks = (g: (b: number) => Steps): Stream => ({
    steps: sequence(Array.from({ length: nb }, (_, b) => () => g(b))),
    weight,
  });
  if (kind === 'first') {
    interleave([{ steps: sboxSteps(f, yView(yNext), cur.s0, feMem32(cptr, 0, 4)), weight: 1 }, blocks(preSteps)]);
  } else if (kind === 'body') {
    function* scalarSide(): Steps {
      const s0 = feLocals(f);
      yield* s0Steps(s0);
      yield* sboxSteps(f, yView(yNext), s0, feMem32(cptr, 0, 4));
    }
    function* simdSide(b: number): Steps {
      yield* updateSteps(b);
      yield* preSteps(b);
    }
    interleave([{ steps: scalarSide(), weight: 1 }, blocks(simdSide)]);
  } else {
    interleave([{ steps: s0Steps(cur.s0), weight: 1 }, blocks(updateSteps)]);
  }
  return f;
}

/** Adds the round functions and the permute() driver; returns permute's index. */
function addPermute(mb: ModuleBuilder, o: PoseidonOptimized, tables: Tables, opts: PoseidonGenOptions): number {
  const sboxPhase = mb.addFunction(buildSboxLayer(o, opts.fullWeight));
  const dotAll = mb.addFunction(buildMdsLayer(o, true, opts.fullWeight));
  const dotFirst = mb.addFunction(buildMdsLayer(o, false, opts.fullWeight));
  const pFirst = mb.addFunction(buildPartial(o, 'first', opts.partialWeight));
  const pBody = mb.addFunction(buildPartial(o, 'body', opts.partialWeight));
  const pLast = mb.addFunction(buildPartial(o, 'last', opts.partialWeight));

  const f = new FunctionBuilder({ params: [], results: [] });
  const cptr = f.local('i32');
  const round = f.local('i32');
  const pc = f.local('i32');
  const prev = f.local('i32');
  const yCur = f.local('i32');
  const yNext = f.local('i32');
  const preCur = f.local('i32');
  const preNext = f.local('i32');
  const loop = (count: number, body: () => void): void => {
    f.emit(op.i32Const(0), op.localSet(round), op.block(), op.loop());
    f.emit(op.localGet(round), op.i32Const(count), op.i32GeU, op.brIf(1));
    body();
    f.emit(op.localGet(round), op.i32Const(1), op.i32Add, op.localSet(round), op.br(0), op.end, op.end);
  };
  const nextFullC = (): void => {
    f.emit(op.localGet(cptr), op.i32Const(tables.fullCStride), op.i32Add, op.localSet(cptr));
  };
  // First half: M, M, M, then the pre-sparse matrix P.
  f.emit(op.i32Const(tables.fullC), op.localSet(cptr));
  loop(4, () => {
    f.emit(op.localGet(cptr), op.call(sboxPhase));
    f.emit(op.i32Const(tables.pre), op.i32Const(tables.mds), op.localGet(round), op.i32Const(3));
    f.emit(op.i32Eq, op.select, op.call(dotAll));
    nextFullC();
  });
  // Partial rounds with double-buffered y and PRE.
  const swap = (): void => {
    f.emit(op.localGet(yCur), op.localGet(yNext), op.localSet(yCur), op.localSet(yNext));
    f.emit(op.localGet(preCur), op.localGet(preNext), op.localSet(preCur), op.localSet(preNext));
    f.emit(op.localGet(pc), op.localSet(prev), op.localGet(pc), op.i32Const(tables.partialStride), op.i32Add);
    f.emit(op.localSet(pc));
  };
  f.emit(op.i32Const(LAYOUT.y0), op.localSet(yCur), op.i32Const(LAYOUT.y1), op.localSet(yNext));
  f.emit(op.i32Const(LAYOUT.pre0), op.localSet(preCur), op.i32Const(LAYOUT.pre1), op.localSet(preNext));
  f.emit(op.i32Const(tables.partial), op.localSet(pc));
  f.emit(op.localGet(pc), op.localGet(yNext), op.localGet(preNext), op.call(pFirst));
  swap();
  loop(o.partialRounds - 1, () => {
    f.emit(op.localGet(pc), op.localGet(prev), op.localGet(yCur), op.localGet(yNext), op.localGet(preCur));
    f.emit(op.localGet(preNext), op.call(pBody));
    swap();
  });
  f.emit(op.localGet(prev), op.localGet(yCur), op.localGet(preCur), op.call(pLast));
  // Second half: M throughout; the last round computes lane 0 only (the output).
  loop(3, () => {
    f.emit(op.localGet(cptr), op.call(sboxPhase));
    f.emit(op.i32Const(tables.mds), op.call(dotAll));
    nextFullC();
  });
  f.emit(op.localGet(cptr), op.call(sboxPhase));
  f.emit(op.i32Const(tables.mds), op.call(dotFirst));
  return mb.addFunction(f, 'permute');
}

/**
 * merkle(index, depth, writeNodes): leaf at LAYOUT.leaf, siblings at LAYOUT.input (32 bytes per
 * level), root written to LAYOUT.output; with writeNodes != 0 all depth+1 nodes go to LAYOUT.nodes.
 * Bit k of index (LSB first) = 1: the level-k node is a right child. The running node stays in
 * Montgomery form between levels; only siblings are converted in.
 */
function addMerkle(mb: ModuleBuilder, permuteIdx: number): void {
  const f = new FunctionBuilder({ params: ['i32', 'i32', 'i32'], results: [] });
  const [index, depth, writeNodes] = [0, 1, 2];
  const zero = f.local('i32');
  const level = f.local('i32');
  const sib = f.local('i32');
  const bytesPtr = f.local('i32');
  const st = stateView(zero, LAYOUT.s0, LAYOUT.pairs);
  const node = feMem32(zero, LAYOUT.node, 4);
  {
    const x = feLocals(f);
    emitLimbsFromBytes(f, x, zero, LAYOUT.leaf);
    emitToMont(f, node, x);
  }
  const writeNode = (lv: Ins): void => {
    f.emit(op.localGet(writeNodes), op.if_());
    const y = feLocals(f);
    emitFromMont(f, y, node);
    f.emit(lv, op.i32Const(32), op.i32Mul, op.i32Const(LAYOUT.nodes), op.i32Add, op.localSet(bytesPtr));
    emitLimbsToBytes(f, y, bytesPtr, 0);
    f.emit(op.end);
  };
  const copy = (dst: Fe, src: Fe): void => copyFe(f, dst, src);
  writeNode(op.i32Const(0));
  f.emit(op.i32Const(0), op.localSet(level), op.i32Const(LAYOUT.input), op.localSet(sib));
  f.emit(op.block(), op.loop());
  f.emit(op.localGet(level), op.localGet(depth), op.i32GeU, op.brIf(1));
  zeroState(f, zero, 1);
  const s = feLocals(f);
  emitLimbsFromBytes(f, s, sib, 0);
  // Right child: state = [0, sibling, node]; left child: [0, node, sibling].
  f.emit(op.localGet(index), op.localGet(level), op.i32ShrU, op.i32Const(1), op.i32And, op.if_());
  emitToMont(f, st.lane(1), s);
  copy(st.lane(2), node);
  f.emit(op.else_);
  copy(st.lane(1), node);
  emitToMont(f, st.lane(2), s);
  f.emit(op.end);
  f.emit(op.call(permuteIdx));
  copy(node, st.s0);
  f.emit(op.localGet(level), op.i32Const(1), op.i32Add, op.localSet(level));
  writeNode(op.localGet(level));
  f.emit(op.localGet(sib), op.i32Const(32), op.i32Add, op.localSet(sib));
  f.emit(op.br(0), op.end, op.end);
  const out = feLocals(f);
  emitFromMont(f, out, node);
  f.emit(op.i32Const(LAYOUT.output), op.localSet(bytesPtr));
  emitLimbsToBytes(f, out, bytesPtr, 0);
  mb.addFunction(f, 'merkle');
}
