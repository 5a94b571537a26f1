/**
 * snarkjs's phase-2 steps (new zkey, contribute, exports, prepare/verify ptau) run on a worker
 * thread: snarkjs keeps a per-thread pool of BN254 engine threads that would otherwise hold the
 * caller's process open, and its long synchronous stretches would freeze the caller's progress bar.
 * Ending the worker ends the pool with it.
 */
import { Worker } from 'node:worker_threads';
import { SetupError } from './setup-errors.ts';
import type { Groth16ProofJson, VerificationKeyJson } from './snarkjs-api.ts';

export type SnarkjsTask =
  /** Loads snarkjs, so a later task does not wait for it. */
  | { readonly op: 'warmup' }
  | { readonly op: 'newZKey'; readonly r1cs: string; readonly ptau: string; readonly zkey: string }
  | { readonly op: 'contribute'; readonly oldZkey: string; readonly newZkey: string; readonly name: string; readonly entropy: string }
  | { readonly op: 'exportVerificationKey'; readonly zkey: string }
  | { readonly op: 'exportSolidityVerifier'; readonly zkey: string; readonly template: string }
  | { readonly op: 'preparePhase2'; readonly ptau: string; readonly out: string }
  | { readonly op: 'newAccumulator'; readonly power: number; readonly out: string }
  | { readonly op: 'contributePtau'; readonly ptau: string; readonly out: string; readonly name: string; readonly entropy: string }
  | { readonly op: 'verifyPtau'; readonly ptau: string }
  | { readonly op: 'verifyZkey'; readonly r1cs: string; readonly ptau: string; readonly zkey: string }
  | { readonly op: 'verifyProof'; readonly vk: VerificationKeyJson; readonly proof: Groth16ProofJson; readonly publicSignals: readonly string[] };

export type SnarkjsTaskResult<T extends SnarkjsTask> = T extends { op: 'newZKey' | 'contribute' | 'exportSolidityVerifier' }
  ? string
  : T extends { op: 'exportVerificationKey' }
    ? VerificationKeyJson
    : T extends { op: 'verifyPtau' | 'verifyZkey' | 'verifyProof' }
      ? boolean
      : null;

export type SnarkjsLogLine = { readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly msg: string };

export type WorkerRequest = { readonly id: number; readonly task: SnarkjsTask };
export type WorkerResponse =
  | { readonly type: 'log'; readonly line: SnarkjsLogLine }
  | { readonly type: 'done'; readonly id: number; readonly result: unknown }
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly errors: readonly string[] };

export type SnarkjsWorker = {
  readonly run: <T extends SnarkjsTask>(task: T, onLog?: (line: SnarkjsLogLine) => void) => Promise<SnarkjsTaskResult<T>>;
  readonly close: () => Promise<void>;
};

/** Starts one worker; tasks run one at a time in the order given. */
export function openSnarkjsWorker(): SnarkjsWorker {
  const worker = new Worker(new URL('../node/ts-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./setup-worker.ts', import.meta.url).href },
  });
  let nextId = 0;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let crash: unknown;
  worker.on('error', (cause) => {
    crash = cause;
  });

  const runOne = <T extends SnarkjsTask>(task: T, onLog?: (line: SnarkjsLogLine) => void): Promise<SnarkjsTaskResult<T>> =>
    new Promise((resolve, reject) => {
      if (crash !== undefined) {
        reject(new SetupError('SETUP_FAILED', 'snarkjs worker crashed', { cause: crash }));
        return;
      }
      const id = nextId++;
      const onMessage = (msg: WorkerResponse): void => {
        if (msg.type === 'log') {
          onLog?.(msg.line);
          return;
        }
        if (msg.id !== id) return;
        cleanup();
        if (msg.type === 'done') resolve(msg.result as SnarkjsTaskResult<T>);
        else {
          reject(
            new SetupError('SETUP_FAILED', `snarkjs ${task.op} failed: ${msg.message}`, {
              details: { op: task.op, errors: msg.errors },
            }),
          );
        }
      };
      const onError = (cause: unknown): void => {
        cleanup();
        reject(new SetupError('SETUP_FAILED', `snarkjs worker crashed during ${task.op}`, { cause }));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new SetupError('SETUP_FAILED', `snarkjs worker exited (code ${code}) during ${task.op}`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, task } satisfies WorkerRequest);
    });

  return {
    run: (task, onLog) => {
      if (closed) return Promise.reject(new SetupError('SETUP_FAILED', 'snarkjs worker is closed'));
      const p = chain.then(() => runOne(task, onLog));
      chain = p.catch(() => undefined);
      return p;
    },
    close: async () => {
      closed = true;
      await chain;
      await worker.terminate();
    },
  };
}
