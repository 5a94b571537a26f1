/**
 * Typed access to snarkjs 0.7 and to the two libraries it brings along (its own ffjavascript 0.3 and
 * @noble/hashes 1.x). snarkjs ships no type declarations, so the functions the prover layer calls
 * are declared here once, narrowly; everything else stays out of reach.
 *
 * The ceremony must use *snarkjs's* copies: the project's top-level ffjavascript is an older
 * version (from circomlibjs) and @noble/hashes 2.x has a different blake2b, while the ptau format
 * embeds the internal state of @noble/hashes 1.x's blake2b and points derived from ffjavascript
 * 0.3's ChaCha-based hash-to-G2. Both are resolved from snarkjs's own location.
 */
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { SetupError } from './setup-errors.ts';

export type SnarkjsLogger = {
  readonly debug: (msg: string) => void;
  readonly info: (msg: string) => void;
  readonly warn: (msg: string) => void;
  readonly error: (msg: string) => void;
};

/** snarkjs's in-memory file object (fastfile): `{ type: 'mem' }` to write, with `data` to read. */
export type MemFile = { type: 'mem'; data?: Uint8Array };
export type FileRef = string | MemFile;

export type Groth16ProofJson = {
  readonly pi_a: readonly string[];
  readonly pi_b: readonly (readonly string[])[];
  readonly pi_c: readonly string[];
  readonly protocol: string;
  readonly curve: string;
};

export type VerificationKeyJson = {
  readonly protocol: string;
  readonly curve: string;
  readonly nPublic: number;
  readonly vk_alpha_1: readonly string[];
  readonly vk_beta_2: readonly (readonly string[])[];
  readonly vk_gamma_2: readonly (readonly string[])[];
  readonly vk_delta_2: readonly (readonly string[])[];
  readonly vk_alphabeta_12: unknown;
  readonly IC: readonly (readonly string[])[];
};

/** The subset of an ffjavascript curve used here (points are the library's Uint8Array forms). */
export type FfCurve = {
  readonly name: string;
  readonly tm: { readonly code?: Uint8Array; readonly pG1gen: number; readonly pG2gen: number };
  readonly Fr: { readonly w: readonly Uint8Array[]; readonly s: number };
  readonly G2: {
    fromRng(rng: object): Uint8Array;
    toAffine(p: Uint8Array): Uint8Array;
    toRprLEM(buff: Uint8Array, pos: number, p: Uint8Array): void;
  };
  terminate(): Promise<void>;
};

export type Snarkjs = {
  readonly powersOfTau: {
    newAccumulator(curve: FfCurve, power: number, fileName: string, logger?: SnarkjsLogger): Promise<Uint8Array>;
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<Uint8Array>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: SnarkjsLogger): Promise<void>;
    verify(ptau: string, logger?: SnarkjsLogger): Promise<boolean>;
  };
  readonly zKey: {
    /** Returns the circuit hash, or -1 (after logging) when the ptau does not fit the circuit. */
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: SnarkjsLogger): Promise<Uint8Array | number>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<Uint8Array>;
    exportVerificationKey(zkey: FileRef, logger?: SnarkjsLogger): Promise<VerificationKeyJson>;
    exportSolidityVerifier(zkey: FileRef, templates: { readonly groth16: string }, logger?: SnarkjsLogger): Promise<string>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: SnarkjsLogger): Promise<boolean>;
  };
  readonly groth16: {
    prove(
      zkey: FileRef,
      wtns: FileRef,
      logger?: SnarkjsLogger,
      options?: { readonly singleThread?: boolean },
    ): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }>;
    verify(vk: VerificationKeyJson, publicSignals: readonly string[], proof: Groth16ProofJson, logger?: SnarkjsLogger): Promise<boolean>;
  };
  readonly curves: {
    getCurveFromName(name: string, options?: { readonly singleThread?: boolean }): Promise<FfCurve>;
  };
};

export type ChaChaClass = new (seed: readonly number[]) => object;

/** @noble/hashes 1.x blake2b, with the internal fields snarkjs serialises as a "partial hash". */
export type Blake2bState = {
  update(data: Uint8Array): Blake2bState;
  digest(): Uint8Array;
};
export type Blake2b1 = { create(opts: { dkLen: number }): Blake2bState };

const require = createRequire(import.meta.url);

function snarkjsEntry(): string {
  try {
    return require.resolve('snarkjs');
  } catch (cause) {
    throw new SetupError('SETUP_CONFIG', 'snarkjs is not installed', { cause });
  }
}

/** The ESM entry of a package as resolved from snarkjs (its `module` field sits beside package.json). */
function resolveFromSnarkjs(pkg: string, esmEntry: string): string {
  const fromSnarkjs = createRequire(snarkjsEntry());
  const cjs = fromSnarkjs.resolve(pkg);
  // cjs = <pkg>/build/main.cjs for ffjavascript; walk up to the package root.
  let dir = dirname(cjs);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, esmEntry);
}

let snarkjsPromise: Promise<Snarkjs> | undefined;

/** Loads snarkjs once per thread (in a worker thread, after installing the web-worker shim). */
export function loadSnarkjs(): Promise<Snarkjs> {
  if (snarkjsPromise === undefined) {
    if (!isMainThread) installWebWorkerShim();
    // A non-literal specifier: snarkjs has no declarations, the type above stands for it.
    const specifier = 'snarkjs';
    snarkjsPromise = (import(specifier) as Promise<unknown>).then((m) => m as Snarkjs);
  }
  return snarkjsPromise;
}

let chachaPromise: Promise<ChaChaClass> | undefined;

/** ffjavascript's ChaCha20 generator (snarkjs's copy), used by snarkjs's hash-to-G2. */
export function loadChaCha(): Promise<ChaChaClass> {
  if (chachaPromise === undefined) {
    const entry = resolveFromSnarkjs('ffjavascript', 'main.js');
    chachaPromise = (import(pathToFileURL(entry).href) as Promise<unknown>).then((m) => {
      const ChaCha = (m as { readonly ChaCha?: unknown }).ChaCha;
      if (typeof ChaCha !== 'function') throw new SetupError('SETUP_CONFIG', 'snarkjs\'s ffjavascript has no ChaCha export');
      return ChaCha as ChaChaClass;
    });
  }
  return chachaPromise;
}

/** snarkjs's blake2b (@noble/hashes 1.x, CommonJS build). */
export function loadBlake2b1(): Blake2b1 {
  const fromSnarkjs = createRequire(snarkjsEntry());
  const mod = fromSnarkjs('@noble/hashes/blake2b') as { readonly blake2b?: Blake2b1 };
  if (mod.blake2b === undefined) throw new SetupError('SETUP_CONFIG', 'snarkjs\'s @noble/hashes has no blake2b');
  return mod.blake2b;
}

/** The Solidity template snarkjs renders the Groth16 verifier from. */
export function groth16VerifierTemplatePath(): string {
  let dir = dirname(snarkjsEntry());
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'templates', 'verifier_groth16.sol.ejs');
}

/**
 * snarkjs keeps one multi-threaded BN254 engine per thread (globalThis.curve_bn128) whose workers
 * hold the process open; this stops them. Call when the thread has no snarkjs work left.
 */
export async function releaseSnarkjsCurve(): Promise<void> {
  const g = globalThis as unknown as { curve_bn128?: FfCurve | null };
  const curve = g.curve_bn128;
  if (curve !== undefined && curve !== null) await curve.terminate();
}

/**
 * The `web-worker` package (ffjavascript's thread pool) decides at load time whether it runs on
 * the main thread; loaded inside one of our worker threads it would try to boot as one of *its*
 * workers and throw. Pre-seeding its module cache entry with a small web-style Worker over
 * worker_threads makes snarkjs loadable (and multi-threaded) inside our workers.
 */
function installWebWorkerShim(): void {
  const ffjs = resolveFromSnarkjs('ffjavascript', 'main.js');
  const fromFfjs = createRequire(ffjs);
  const webWorkerPath = fromFfjs.resolve('web-worker');
  if (require.cache[webWorkerPath] !== undefined) return;

  class ThreadWebWorker extends EventTarget {
    readonly #worker: Worker;
    constructor(url: string | URL, options: { name?: string; type?: string } = {}) {
      super();
      const s = String(url);
      const mod = s.startsWith('data:') ? s : fileURLToPath(new URL(s, pathToFileURL(`${process.cwd()}/`)));
      // web-worker's own file, started as a thread, evaluates `mod` in a web-like scope.
      this.#worker = new Worker(webWorkerPath, { workerData: { mod, name: options.name, type: options.type } });
      this.#worker.on('message', (data: unknown) => this.dispatchEvent(new MessageEvent('message', { data })));
      this.#worker.on('error', (error: unknown) => this.dispatchEvent(new MessageEvent('error', { data: error })));
    }
    postMessage(data: unknown, transfer?: readonly ArrayBuffer[]): void {
      this.#worker.postMessage(data, transfer === undefined ? undefined : [...transfer]);
    }
    terminate(): void {
      void this.#worker.terminate();
    }
  }

  const m = new Module(webWorkerPath);
  m.filename = webWorkerPath;
  m.loaded = true;
  m.exports = ThreadWebWorker;
  require.cache[webWorkerPath] = m;
}
