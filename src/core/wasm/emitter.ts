/**
 * A minimal WebAssembly binary emitter: just enough of the MVP + SIMD binary format for the
 * engine's generated modules (one memory, functions, exports). Code generators write instruction
 * bytes through `op` into a `FunctionBuilder`; `encodeModule` lays out the sections. No text
 * format, no validation beyond what `new WebAssembly.Module` does when the bytes are compiled.
 */
import { RampartError } from '../errors.ts';

export type ValType = 'i32' | 'i64' | 'f64' | 'v128';
/** One encoded instruction (or a run of them). */
export type Ins = readonly number[];

const VALTYPE_CODE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f64: 0x7c, v128: 0x7b };

/** A generator produced an impossible module (a bug in this package, not bad user input). */
export class WasmCodegenError extends RampartError {
  override readonly name = 'WasmCodegenError';
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('WASM_CODEGEN', message, { details });
  }
}

export function uleb(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) throw new WasmCodegenError('uleb of a negative value', { value: v.toString() });
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

export function sleb(value: number | bigint): number[] {
  if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31) return slebSmall(value);
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift on bigint
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Signed LEB128 of a 32-bit-range number without BigInt (the common case in generated code). */
function slebSmall(value: number): number[] {
  let v = value;
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7; // arithmetic shift on int32
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0 && !signBit) || (v === -1 && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** i64.const encodings, memoised: generators emit the same limb constants thousands of times. */
const i64ConstCache = new Map<bigint, Ins>();
function i64ConstIns(v: bigint | number): Ins {
  const key = BigInt.asIntN(64, BigInt(v));
  let ins = i64ConstCache.get(key);
  if (ins === undefined) {
    ins = [0x42, ...sleb(key)];
    i64ConstCache.set(key, ins);
  }
  return ins;
}

function memarg(align: number, offset: number): number[] {
  return [...uleb(align), ...uleb(offset)];
}

function simd(code: number): Ins {
  return [0xfd, ...uleb(code)];
}

/** Instruction encoders. Offsets are byte offsets added to the address operand. */
export const op = {
  unreachable: [0x00] as Ins,
  nop: [0x01] as Ins,
  block: (): Ins => [0x02, 0x40],
  loop: (): Ins => [0x03, 0x40],
  if_: (): Ins => [0x04, 0x40],
  ifResult: (t: ValType): Ins => [0x04, VALTYPE_CODE[t]],
  else_: [0x05] as Ins,
  end: [0x0b] as Ins,
  br: (depth: number): Ins => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Ins => [0x0d, ...uleb(depth)],
  return_: [0x0f] as Ins,
  call: (fn: number): Ins => [0x10, ...uleb(fn)],
  drop: [0x1a] as Ins,
  select: [0x1b] as Ins,
  localGet: (i: number): Ins => [0x20, ...uleb(i)],
  localSet: (i: number): Ins => [0x21, ...uleb(i)],
  localTee: (i: number): Ins => [0x22, ...uleb(i)],

  i32Load: (offset = 0): Ins => [0x28, ...memarg(2, offset)],
  i64Load: (offset = 0): Ins => [0x29, ...memarg(3, offset)],
  i32Load8U: (offset = 0): Ins => [0x2d, ...memarg(0, offset)],
  i64Load32U: (offset = 0): Ins => [0x35, ...memarg(2, offset)],
  i32Store: (offset = 0): Ins => [0x36, ...memarg(2, offset)],
  i64Store: (offset = 0): Ins => [0x37, ...memarg(3, offset)],
  i32Store8: (offset = 0): Ins => [0x3a, ...memarg(0, offset)],
  i64Store32: (offset = 0): Ins => [0x3e, ...memarg(2, offset)],

  i32Const: (v: number): Ins => [0x41, ...sleb(v | 0)],
  i64Const: (v: bigint | number): Ins => i64ConstIns(v),

  i32Eqz: [0x45] as Ins,
  i32Eq: [0x46] as Ins,
  i32Ne: [0x47] as Ins,
  i32LtU: [0x49] as Ins,
  i32GtU: [0x4b] as Ins,
  i32LeU: [0x4d] as Ins,
  i32GeU: [0x4f] as Ins,
  i64Eqz: [0x50] as Ins,
  i64Eq: [0x51] as Ins,
  i64Ne: [0x52] as Ins,
  i64LtU: [0x54] as Ins,
  i64GtU: [0x56] as Ins,
  i64LeU: [0x58] as Ins,
  i64GeU: [0x5a] as Ins,

  i32Add: [0x6a] as Ins,
  i32Sub: [0x6b] as Ins,
  i32Mul: [0x6c] as Ins,
  i32And: [0x71] as Ins,
  i32Or: [0x72] as Ins,
  i32Xor: [0x73] as Ins,
  i32Shl: [0x74] as Ins,
  i32ShrU: [0x76] as Ins,

  i64Add: [0x7c] as Ins,
  i64Sub: [0x7d] as Ins,
  i64Mul: [0x7e] as Ins,
  i64And: [0x83] as Ins,
  i64Or: [0x84] as Ins,
  i64Xor: [0x85] as Ins,
  i64Shl: [0x86] as Ins,
  i64ShrS: [0x87] as Ins,
  i64ShrU: [0x88] as Ins,

  i32WrapI64: [0xa7] as Ins,
  i64ExtendI32U: [0xad] as Ins,

  v128Load: (offset = 0): Ins => [...simd(0x00), ...memarg(4, offset)],
  /** Two u32 at the address, zero-extended into the two i64 lanes. */
  v128Load32x2U: (offset = 0): Ins => [...simd(0x06), ...memarg(3, offset)],
  v128Load32Splat: (offset = 0): Ins => [...simd(0x09), ...memarg(2, offset)],
  v128Load64Splat: (offset = 0): Ins => [...simd(0x0a), ...memarg(3, offset)],
  v128Store64Lane: (lane: number, offset = 0): Ins => [...simd(0x5b), ...memarg(3, offset), lane],
  v128Store: (offset = 0): Ins => [...simd(0x0b), ...memarg(4, offset)],
  v128Const: (bytes: readonly number[]): Ins => [...simd(0x0c), ...bytes],
  i64x2Splat: simd(0x12),
  i32x4Splat: simd(0x11),
  i64x2ExtractLane: (lane: number): Ins => [...simd(0x1d), lane],
  i64x2ReplaceLane: (lane: number): Ins => [...simd(0x1e), lane],
  v128And: simd(0x4e),
  v128Or: simd(0x50),
  i64x2Shl: simd(0xcb),
  i64x2ShrS: simd(0xcc),
  i64x2ShrU: simd(0xcd),
  i64x2Add: simd(0xce),
  i64x2Sub: simd(0xd1),
  i64x2Mul: simd(0xd5),
  i64x2ExtMulLowI32x4U: simd(0xde),
  i64x2ExtMulHighI32x4U: simd(0xdf),
  i8x16Shuffle: (lanes: readonly number[]): Ins => [...simd(0x0d), ...lanes],
} as const;

export type FuncType = { readonly params: readonly ValType[]; readonly results: readonly ValType[] };

/** Collects one function's locals and body. Parameters are locals 0..params-1. */
export class FunctionBuilder {
  readonly type: FuncType;
  private readonly localTypes: ValType[] = [];
  private readonly body: number[] = [];

  constructor(type: FuncType) {
    this.type = type;
  }

  /** Index of the n-th parameter (bounds-checked: codegen bugs surface at build time). */
  param(n: number): number {
    if (n < 0 || n >= this.type.params.length) throw new WasmCodegenError('no such parameter', { n });
    return n;
  }

  local(t: ValType): number {
    this.localTypes.push(t);
    return this.type.params.length + this.localTypes.length - 1;
  }

  locals(t: ValType, n: number): number[] {
    return Array.from({ length: n }, () => this.local(t));
  }

  emit(...ins: Ins[]): void {
    for (const i of ins) for (const b of i) this.body.push(b);
  }

  encodeBody(): number[] {
    // Locals are run-length encoded by type; consecutive same-typed locals share an entry.
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0] += 1;
      else groups.push([1, t]);
    }
    const decl = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), VALTYPE_CODE[t]])];
    const code = [...decl, ...this.body, ...op.end];
    return [...uleb(code.length), ...code];
  }
}

type Export = { readonly name: string; readonly kind: 'func' | 'memory'; readonly index: number };

/** A module with one memory (defined or imported as env.memory) and a list of functions. */
export class ModuleBuilder {
  private readonly funcs: FunctionBuilder[] = [];
  private readonly exportsList: Export[] = [];
  private readonly memoryPages: number;

  constructor(memoryPages: number) {
    this.memoryPages = memoryPages;
  }

  /** Adds a function; returns its index (for `op.call`). */
  addFunction(f: FunctionBuilder, exportName?: string): number {
    const index = this.funcs.length;
    this.funcs.push(f);
    if (exportName !== undefined) this.exportsList.push({ name: exportName, kind: 'func', index });
    return index;
  }

  /** Reserves an index for a function defined later (mutual or forward calls). */
  nextIndex(): number {
    return this.funcs.length;
  }

  exportMemory(name: string): void {
    this.exportsList.push({ name, kind: 'memory', index: 0 });
  }

  encode(): Uint8Array {
    const typeKeys: string[] = [];
    const typeIndex = this.funcs.map((f) => {
      const key = `${f.type.params.join(',')}->${f.type.results.join(',')}`;
      let i = typeKeys.indexOf(key);
      if (i < 0) {
        typeKeys.push(key);
        i = typeKeys.length - 1;
      }
      return i;
    });
    const types = typeKeys.map((key) => {
      const f = this.funcs[typeIndex.indexOf(typeKeys.indexOf(key))];
      if (f === undefined) throw new WasmCodegenError('type without function', { key });
      return [
        0x60,
        ...vec(f.type.params.map((t) => [VALTYPE_CODE[t]])),
        ...vec(f.type.results.map((t) => [VALTYPE_CODE[t]])),
      ];
    });
    const encName = (s: string): number[] => {
      const b = [...new TextEncoder().encode(s)];
      return [...uleb(b.length), ...b];
    };
    const sections: number[] = [
      ...section(1, vec(types)),
      ...section(3, vec(typeIndex.map((i) => uleb(i)))),
      ...section(5, vec([[0x00, ...uleb(this.memoryPages)]])),
      ...section(
        7,
        vec(this.exportsList.map((e) => [...encName(e.name), e.kind === 'func' ? 0x00 : 0x02, ...uleb(e.index)])),
      ),
      ...section(10, vec(this.funcs.map((f) => f.encodeBody()))),
    ];
    return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections]);
  }
}

function vec(items: readonly (readonly number[])[]): number[] {
  const out = uleb(items.length);
  for (const it of items) for (const b of it) out.push(b);
  return out;
}

function section(id: number, payload: readonly number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}
