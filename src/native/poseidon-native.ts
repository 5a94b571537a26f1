/**
 * Installs the native Poseidon engine (src/native/poseidon.c, built by build.ts) as this thread's
 * Poseidon backend (src/core/wasm/poseidon-engine.ts `setPoseidonBackend`). Same results as the
 * WebAssembly engine, bit for bit (test/native/poseidon-native.test.ts holds both to circomlibjs);
 * about twice as fast on x86-64 with ADX (bench/poseidon.bench.ts).
 *
 * Choice (`RAMPART_POSEIDON` or the `mode` option):
 *   auto   (default) native when it loads (building it first if `build` and it is not cached),
 *          else WebAssembly, with the reason returned for the caller to log;
 *   native the native engine or a NativeBuildError;
 *   wasm   WebAssembly only.
 * Each thread installs its own backend: worker threads call `installPoseidonBackend` with the
 * main thread's choice (`poseidonBackendName()`), and never build.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FR_MODULUS, frToBytesLE } from '../core/field.ts';
import { POSEIDON_FULL_ROUNDS, poseidonOptimized } from '../core/poseidon-params.ts';
import { POSEIDON_LAYOUT, type PoseidonBackend, type PoseidonInstance, poseidonBackendName, setPoseidonBackend } from '../core/wasm/poseidon-engine.ts';
import { buildNativeAddon, NativeBuildError, nativeAddonPath } from './build.ts';

export type PoseidonMode = 'auto' | 'native' | 'wasm';
export const POSEIDON_MODES: readonly PoseidonMode[] = ['auto', 'native', 'wasm'];

type NativeEngine = {
  readonly mem: ArrayBuffer;
  readonly hash: () => void;
  readonly merkle?: (index: number, depth: number, writeNodes: number) => void;
};
type NativeAddon = {
  readonly create: (t: number, partialRounds: number, constants: Uint8Array, memBytes: number) => NativeEngine;
  readonly layout: { readonly input: number; readonly leaf: number; readonly output: number; readonly nodes: number; readonly minMemory: number };
  readonly arithmetic: string;
};

const R = 1n << 256n;
/** Engine memory: the WebAssembly engine's regions all lie below 4 KiB. */
const MEM_BYTES = 4096;

/**
 * The constants `create` takes, as 32-byte little-endian words: p, R^2 mod p, then (in Montgomery
 * form) firstC, M, P, k, w, v, lastC of `poseidonOptimized(t)` (the layout poseidon.c reads).
 */
export function nativeConstants(t: number): Uint8Array {
  const o = poseidonOptimized(t);
  const words: bigint[] = [FR_MODULUS, (R * R) % FR_MODULUS];
  const mont = (rows: readonly (readonly bigint[])[]): void => rows.forEach((row) => row.forEach((x) => words.push((x * R) % FR_MODULUS)));
  mont(o.firstC);
  mont(o.mds);
  mont(o.pre);
  mont([o.k]);
  mont(o.w);
  mont(o.v);
  mont(o.lastC);
  const out = new Uint8Array(words.length * 32);
  words.forEach((x, i) => out.set(frToBytesLE(x), i * 32));
  return out;
}

function loadAddon(path: string): NativeAddon {
  if (POSEIDON_FULL_ROUNDS !== 8) throw new NativeBuildError('NATIVE_LAYOUT', 'the native engine assumes 8 full rounds');
  const addon = createRequire(import.meta.url)(path) as NativeAddon;
  const l = addon.layout;
  if (l.input !== POSEIDON_LAYOUT.input || l.leaf !== POSEIDON_LAYOUT.leaf || l.output !== POSEIDON_LAYOUT.output || l.nodes !== POSEIDON_LAYOUT.nodes || l.minMemory > MEM_BYTES) {
    throw new NativeBuildError('NATIVE_LAYOUT', `native engine layout ${JSON.stringify(l)} differs from the WebAssembly engine's`);
  }
  return addon;
}

function nativeBackend(addon: NativeAddon): PoseidonBackend {
  return {
    name: 'native',
    create(t: number): PoseidonInstance {
      // Typed error for a width outside 2..17 before the addon sees it.
      const { partialRounds } = poseidonOptimized(t);
      const e = addon.create(t, partialRounds, nativeConstants(t), MEM_BYTES);
      return { t, mem: new Uint8Array(e.mem), hash: e.hash, merkle: e.merkle };
    },
  };
}

export type PoseidonInstall = {
  readonly backend: 'native' | 'wasm';
  /** The native engine's arithmetic ('x86-64-adx' or 'portable-c') when native. */
  readonly arithmetic?: string;
  /** Why native was not used (mode 'auto' only). */
  readonly reason?: string;
};

/** RAMPART_POSEIDON, checked: unset means 'auto'. */
export function poseidonModeFromEnv(env: NodeJS.ProcessEnv = process.env): PoseidonMode {
  const raw = env['RAMPART_POSEIDON'];
  if (raw === undefined || raw === '') return 'auto';
  if ((POSEIDON_MODES as readonly string[]).includes(raw)) return raw as PoseidonMode;
  throw new NativeBuildError('NATIVE_BAD_MODE', `RAMPART_POSEIDON must be one of ${POSEIDON_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
}

/**
 * Installs this thread's Poseidon backend. `build` (default true): compile the addon if it is not
 * cached (worker threads pass false: their main thread has built it). Cost: a cached load is ~1 ms;
 * a build ~3 s, once per machine and source version.
 */
export function installPoseidonBackend(options: { readonly mode?: PoseidonMode; readonly build?: boolean } = {}): PoseidonInstall {
  const mode = options.mode ?? poseidonModeFromEnv();
  if (mode === 'wasm') {
    setPoseidonBackend(undefined);
    return { backend: 'wasm' };
  }
  try {
    const path = options.build === false ? nativeAddonPath() : buildNativeAddon();
    if (!existsSync(path)) throw new NativeBuildError('NATIVE_NOT_BUILT', `native Poseidon engine not built (${path}); run npm run build:native`);
    let addon: NativeAddon;
    try {
      addon = loadAddon(path);
    } catch (cause) {
      // A cached file that does not load (truncated, or built for another machine) is rebuilt once.
      if (options.build === false) throw cause;
      addon = loadAddon(buildNativeAddon({ force: true }));
    }
    const backend = nativeBackend(addon);
    // A failing engine must fail here, not at the first hash.
    backend.create(3);
    setPoseidonBackend(backend);
    return { backend: 'native', arithmetic: addon.arithmetic };
  } catch (cause) {
    if (mode === 'native') {
      throw cause instanceof NativeBuildError ? cause : new NativeBuildError('NATIVE_LOAD_FAILED', `native Poseidon engine failed to load: ${String(cause)}`, { cause });
    }
    setPoseidonBackend(undefined);
    return { backend: 'wasm', reason: cause instanceof Error ? cause.message : String(cause) };
  }
}

/** What a worker thread needs to hash like this thread: spread into its `workerData`. */
export function poseidonWorkerData(): { readonly poseidon: string } {
  return { poseidon: poseidonBackendName() };
}

/**
 * In a worker thread: the backend its main thread named in `workerData` (`poseidonWorkerData`). Never
 * builds (the main thread did); a worker that cannot load the addon hashes with WebAssembly, which
 * gives the same results.
 */
export function installWorkerPoseidon(data: unknown): void {
  if ((data as { readonly poseidon?: unknown } | undefined)?.poseidon === 'native') installPoseidonBackend({ mode: 'auto', build: false });
}
