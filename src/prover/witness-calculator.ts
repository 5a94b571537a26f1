/**
 * Runs a circom 2 witness calculator (the `.wasm` circom writes with `--wasm`) without snarkjs:
 * sets the inputs, lets the circuit compute every signal and reads the witness vector back.
 *
 * By default a failed `===` assertion aborts with a WITNESS_REJECTED error naming the template and
 * line. `assertions: 'collect'` lets the calculation run on and returns the failures with the whole
 * witness vector instead (circom's code leaves a template at its first failed assertion, so that
 * template's later signals stay 0): the circuit tests check such vectors against the R1CS, so a
 * rejection they report is a violated constraint, not only a refusal of the witness generator.
 * Cost: one pass of the circuit's own arithmetic (≈ 0.1 s for 30k constraints) plus 8 memory reads
 * per signal.
 */
import { FR_MODULUS, type Fr } from '../core/field.ts';
import { CircuitError } from './circuit-errors.ts';

/** A circuit input: every top-level signal name maps to a value or a (nested) array of values. */
export type CircuitInputValue = bigint | readonly CircuitInputValue[];
export type CircuitInput = Readonly<Record<string, CircuitInputValue>>;

export type CalculateOptions = {
  /** 'throw' (default): the first failed assertion raises WITNESS_REJECTED. 'collect': carry on. */
  readonly assertions?: 'throw' | 'collect';
};

export type WitnessResult = {
  /** w[0] = 1, then the public signals, then the private ones (the R1CS wire order). */
  readonly witness: readonly Fr[];
  /** Messages of failed assertions ('collect' mode), e.g. "Error in template L2Slot_12 line: 93". */
  readonly failedAssertions: readonly string[];
};

export type WitnessCalculator = {
  readonly witnessSize: number;
  readonly calculate: (input: CircuitInput, options?: CalculateOptions) => WitnessResult;
};

type CircomExports = {
  readonly getVersion: () => number;
  readonly getFieldNumLen32: () => number;
  readonly getRawPrime: () => void;
  readonly readSharedRWMemory: (i: number) => number;
  readonly writeSharedRWMemory: (i: number, v: number) => void;
  readonly init: (sanityCheck: number) => void;
  readonly getInputSignalSize: (hMSB: number, hLSB: number) => number;
  readonly setInputSignal: (hMSB: number, hLSB: number, pos: number) => void;
  readonly getInputSize: () => number;
  readonly getWitnessSize: () => number;
  readonly getWitness: (i: number) => void;
  readonly getMessageChar: () => number;
};

/** The project's TS lib set (ES2022 + node types) has no WebAssembly declarations: the part used here. */
type WasmModule = object;
type WasmApi = {
  readonly compile: (bytes: Uint8Array) => Promise<WasmModule>;
  readonly instantiate: (module: WasmModule, imports: object) => Promise<{ readonly exports: unknown }>;
};
const wasmApi = (globalThis as unknown as { readonly WebAssembly?: WasmApi }).WebAssembly;

const EXCEPTIONS: Record<number, string> = {
  1: 'signal not found',
  2: 'too many signals set',
  3: 'signal already set',
  4: 'assertion failed',
  5: 'not enough memory',
  6: 'input signal array access exceeds the size',
  7: 'out of bounds array access',
};
const ASSERT_FAILED = 4;

function isExports(value: unknown): value is CircomExports {
  if (typeof value !== 'object' || value === null) return false;
  const names = ['getVersion', 'getFieldNumLen32', 'getRawPrime', 'readSharedRWMemory', 'writeSharedRWMemory', 'init', 'getInputSignalSize', 'setInputSignal', 'getInputSize', 'getWitnessSize', 'getWitness', 'getMessageChar'];
  return names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
}

/** circom's input-signal key: 64-bit FNV-1a of the name, split into two 32-bit halves. */
function fnv64(name: string): [number, number] {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < name.length; i++) {
    h ^= BigInt(name.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return [Number(h >> 32n), Number(h & 0xffffffffn)];
}

function flatten(value: CircuitInputValue, out: bigint[]): bigint[] {
  if (typeof value === 'bigint') out.push(value);
  else for (const v of value) flatten(v, out);
  return out;
}

/** Compiles the calculator once; `calculate` may then run any number of times. */
export async function loadWitnessCalculator(wasm: Uint8Array): Promise<WitnessCalculator> {
  let exports: CircomExports | undefined;
  let message = '';
  let failures: string[] = [];
  let collect = false;
  const readMessage = (): string => {
    let m = '';
    if (exports === undefined) return m;
    for (let c = exports.getMessageChar(); c !== 0; c = exports.getMessageChar()) m += String.fromCharCode(c);
    return m;
  };
  if (wasmApi === undefined) throw new CircuitError('CIRCUIT_ARTIFACT', 'WebAssembly is not available in this runtime');
  let module: WasmModule;
  try {
    module = await wasmApi.compile(wasm);
  } catch (cause) {
    throw new CircuitError('CIRCUIT_ARTIFACT', 'witness calculator wasm does not compile', { cause });
  }
  const instance = await wasmApi.instantiate(module, {
    runtime: {
      exceptionHandler: (code: number): void => {
        if (code === ASSERT_FAILED && collect) {
          failures.push(message.trim());
          message = '';
          return;
        }
        const text = `${EXCEPTIONS[code] ?? `unknown error ${code}`}${message === '' ? '' : `: ${message.trim()}`}`;
        message = '';
        throw new CircuitError(code === ASSERT_FAILED ? 'WITNESS_REJECTED' : 'CIRCUIT_ARTIFACT', `circuit ${text}`, { details: { code } });
      },
      printErrorMessage: (): void => {
        message += `${readMessage()} `;
      },
      writeBufferMessage: (): void => {
        readMessage();
      },
      showSharedRWMemory: (): void => {},
    },
  });
  if (!isExports(instance.exports) || instance.exports.getVersion() !== 2) {
    throw new CircuitError('CIRCUIT_ARTIFACT', 'not a circom 2 witness calculator');
  }
  const e: CircomExports = instance.exports;
  exports = e;
  const n32 = e.getFieldNumLen32();
  e.getRawPrime();
  let prime = 0n;
  for (let j = n32 - 1; j >= 0; j--) prime = (prime << 32n) | BigInt(e.readSharedRWMemory(j) >>> 0);
  if (prime !== FR_MODULUS) throw new CircuitError('CIRCUIT_ARTIFACT', 'witness calculator is not over BN254 Fr');
  const witnessSize = e.getWitnessSize();

  const writeFr = (v: bigint): void => {
    let x = ((v % FR_MODULUS) + FR_MODULUS) % FR_MODULUS;
    for (let j = 0; j < n32; j++) {
      e.writeSharedRWMemory(j, Number(x & 0xffffffffn));
      x >>= 32n;
    }
  };

  const calculate = (input: CircuitInput, options: CalculateOptions = {}): WitnessResult => {
    collect = options.assertions === 'collect';
    failures = [];
    message = '';
    e.init(0);
    let set = 0;
    for (const [name, value] of Object.entries(input)) {
      const [hi, lo] = fnv64(name);
      const values = flatten(value, []);
      const size = e.getInputSignalSize(hi, lo);
      if (size < 0) throw new CircuitError('WITNESS_INCONSISTENT', `circuit has no input signal ${name}`, { details: { name } });
      if (size !== values.length) {
        throw new CircuitError('WITNESS_INCONSISTENT', `input ${name} needs ${size} values, got ${values.length}`, { details: { name, size, got: values.length } });
      }
      values.forEach((v, i) => {
        writeFr(v);
        e.setInputSignal(hi, lo, i);
      });
      set += values.length;
    }
    if (set !== e.getInputSize()) {
      throw new CircuitError('WITNESS_INCONSISTENT', `only ${set} of ${e.getInputSize()} input values were given`);
    }
    const witness: Fr[] = new Array<Fr>(witnessSize);
    for (let i = 0; i < witnessSize; i++) {
      e.getWitness(i);
      let v = 0n;
      for (let j = n32 - 1; j >= 0; j--) v = (v << 32n) | BigInt(e.readSharedRWMemory(j) >>> 0);
      witness[i] = v;
    }
    return { witness, failedAssertions: failures };
  };

  return { witnessSize, calculate };
}
