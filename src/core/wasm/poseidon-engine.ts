/**
 * Instantiates the generated Poseidon modules: one per width t, built on first use (Grain
 * constants 8-36 ms, derivation < 5 ms, code generation 40-180 ms while the generator itself is
 * still cold, compile < 15 ms: the first hash2 in a process takes ~130 ms) and cached for the life
 * of the thread.
 * Module-level state is per JS realm, so each worker thread gets its own instances.
 *
 * The engine behind `poseidonInstance` is a backend: this WebAssembly one by default, or one an
 * outer layer installs with `setPoseidonBackend` (src/native: the compiled Node-API engine, same
 * layout and results). The core never loads anything itself.
 */
import { poseidonOptimized } from '../poseidon-params.ts';
import { instantiateBytes, exportedFunction, memoryBytes } from './instantiate.ts';
import { LAYOUT, generatePoseidonModule } from './poseidon-gen.ts';

export type PoseidonInstance = {
  readonly t: number;
  /** A view of the instance's whole memory (its buffer never grows: the memory is fixed-size). */
  readonly mem: Uint8Array;
  /** Hashes t-1 LE inputs at LAYOUT.input into LE bytes at LAYOUT.output. */
  readonly hash: () => void;
  /** t = 3 only: Merkle path (see poseidon-gen.ts `addMerkle`). */
  readonly merkle: ((index: number, depth: number, writeNodes: number) => void) | undefined;
};

/** Makes the engine for a width; every backend uses `LAYOUT`'s input, leaf, output and nodes offsets. */
export type PoseidonBackend = {
  readonly name: string;
  readonly create: (t: number) => PoseidonInstance;
};

const instances = new Map<number, PoseidonInstance>();

function instantiateWasm(t: number): PoseidonInstance {
  const generated = generatePoseidonModule(poseidonOptimized(t));
  const ex = instantiateBytes(generated.bytes);
  const mem = memoryBytes(ex);
  mem.set(generated.tables, LAYOUT.consts);
  const hash = exportedFunction<(inPtr: number, outPtr: number) => void>(ex, 'hash');
  return {
    t,
    mem,
    hash: () => hash(LAYOUT.input, LAYOUT.output),
    merkle: t === 3 ? exportedFunction<(index: number, depth: number, writeNodes: number) => void>(ex, 'merkle') : undefined,
  };
}

export const WASM_POSEIDON_BACKEND: PoseidonBackend = { name: 'wasm', create: instantiateWasm };

let backend: PoseidonBackend = WASM_POSEIDON_BACKEND;

/**
 * Makes `backend` (undefined: WebAssembly) this thread's engine for every later `poseidonInstance`
 * call. Engines already handed out keep working (they are not closed), so install a backend before
 * building objects that hold an engine (e.g. the parallel sealer's stages).
 */
export function setPoseidonBackend(next: PoseidonBackend | undefined): void {
  backend = next ?? WASM_POSEIDON_BACKEND;
  instances.clear();
}

/** The name of this thread's Poseidon backend ('wasm' unless another was installed). */
export function poseidonBackendName(): string {
  return backend.name;
}

/** The engine for width t (2..17), created on first use. */
export function poseidonInstance(t: number): PoseidonInstance {
  const hit = instances.get(t);
  if (hit !== undefined) return hit;
  const created = backend.create(t);
  instances.set(t, created);
  return created;
}

export { LAYOUT as POSEIDON_LAYOUT };
