/**
 * Pointer-based Fr functions (72-byte loose Montgomery elements in linear memory), added to any
 * generated module that needs them. Each function loads its operands, works in locals, stores.
 * Used by the Fr tests and the field benchmark; the engines inline or call their own copies.
 */
import { FR_MODULUS } from '../field.ts';
import { FunctionBuilder, type ModuleBuilder } from './emitter.ts';
import {
  emitFromMont,
  emitLimbsFromBytes,
  emitLimbsToBytes,
  emitLinear,
  emitMontMul,
  emitMontSquare,
  emitToMont,
  feLocals,
  feMem,
} from './fr-gen.ts';

export type FrFuncs = {
  /** (out, a, b) out = a*b. */
  readonly mul: number;
  /** (out, a) out = a^2. */
  readonly sq: number;
  /** (out, a, b) out = a + b (loose; caller keeps the sum below 2^261). */
  readonly add: number;
  /** (out, a, b) out = a - b + 4p (b must be below 4p). */
  readonly sub: number;
  /** (out, bytesIn) 32 LE canonical bytes -> Montgomery. */
  readonly fromBytes: number;
  /** (bytesOut, a) Montgomery -> 32 LE canonical bytes. */
  readonly toBytes: number;
};

const P3 = ['i32', 'i32', 'i32'] as const;
const P2 = ['i32', 'i32'] as const;

export function addFrFuncs(mb: ModuleBuilder, exportPrefix?: string): FrFuncs {
  const name = (n: string): string | undefined => (exportPrefix === undefined ? undefined : `${exportPrefix}${n}`);

  const mul = new FunctionBuilder({ params: [...P3], results: [] });
  emitMontMul(mul, feMem(0), feMem(1), feMem(2));

  const sq = new FunctionBuilder({ params: [...P2], results: [] });
  emitMontSquare(sq, feMem(0), feMem(1));

  const add = new FunctionBuilder({ params: [...P3], results: [] });
  emitLinear(add, feMem(0), [feMem(1), feMem(2)], []);

  const sub = new FunctionBuilder({ params: [...P3], results: [] });
  emitLinear(sub, feMem(0), [feMem(1)], [feMem(2)], 4n * FR_MODULUS);

  const fromBytes = new FunctionBuilder({ params: [...P2], results: [] });
  {
    const x = feLocals(fromBytes);
    emitLimbsFromBytes(fromBytes, x, 1, 0);
    emitToMont(fromBytes, feMem(0), x);
  }

  const toBytes = new FunctionBuilder({ params: [...P2], results: [] });
  {
    const x = feLocals(toBytes);
    emitFromMont(toBytes, x, feMem(1));
    emitLimbsToBytes(toBytes, x, 0, 0);
  }
  return {
    mul: mb.addFunction(mul, name('mul')),
    sq: mb.addFunction(sq, name('sq')),
    add: mb.addFunction(add, name('add')),
    sub: mb.addFunction(sub, name('sub')),
    fromBytes: mb.addFunction(fromBytes, name('fromBytes')),
    toBytes: mb.addFunction(toBytes, name('toBytes')),
  };
}
