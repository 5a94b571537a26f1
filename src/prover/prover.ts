/**
 * Groth16 proving on worker threads. Each worker holds the circuit's witness calculator (.wasm) and
 * proving key (.zkey) in memory and runs one proof at a time: witness generation, then snarkjs's
 * prover, then (by default) snarkjs's verifier as a check. Proofs queue for the first free worker,
 * so `threads` proofs run in parallel.
 *
 * A proof comes back as the numbers the generated Solidity verifier takes, in its order:
 * `verifyProof(a, b, c, publicSignals)` with b's G2 coordinates as [c1, c0] (snarkjs's pi_b holds
 * [c0, c1]).
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { ProvingError } from './prover-errors.ts';
import { defaultProverOptions, type ProverOptions } from './prover-options.ts';
import type { ProofPoints, ProverInput, ProverWorkerInit, ProverWorkerRequest, ProverWorkerResponse } from './prover-protocol.ts';

export type { ProofPoints, ProverInput } from './prover-protocol.ts';

export type CreateProverParameters = Partial<ProverOptions> & {
  /** The circuit's witness calculator (circom `--wasm`: `<name>_js/<name>.wasm`). */
  readonly wasmPath: string;
  /** The proving key (setup.ts writes `circuit.zkey`). */
  readonly zkeyPath: string;
};

export type ProveResult = {
  readonly proof: ProofPoints;
  readonly publicSignals: readonly bigint[];
  /** Witness generation, proving and the local verification check, in milliseconds. */
  readonly witnessMs: number;
  readonly proveMs: number;
  readonly verifyMs: number;
};

export type Prover = {
  readonly threads: number;
  /** Public signals the circuit exposes (the verifier's input count). */
  readonly nPublic: number;
  /** Proves one input; rejects with ProvingError WITNESS_FAILED when the circuit refuses it. */
  readonly prove: (input: ProverInput) => Promise<ProveResult>;
  /** Proofs queued or running. */
  readonly pending: () => number;
  /** Rejects queued proofs with PROVER_CLOSED, waits for running ones, ends the workers. */
  readonly close: () => Promise<void>;
};

type Job = {
  readonly id: number;
  readonly input: ProverInput;
  readonly resolve: (r: ProveResult) => void;
  readonly reject: (e: unknown) => void;
};

type Lane = { worker: Worker; job: Job | undefined; alive: boolean };

const WORKER_ENTRY = new URL('../node/ts-worker.mjs', import.meta.url);
const PROVER_WORKER = new URL('./prover-worker.ts', import.meta.url).href;

/** Starts the workers and waits until each has loaded the circuit and key. */
export async function createProver(params: CreateProverParameters): Promise<Prover> {
  const opts: ProverOptions = { ...defaultProverOptions, ...params };
  if (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > 64) {
    throw new ProvingError('PROVER_CONFIG', `threads must be 1..64, got ${opts.threads}`, { details: { threads: opts.threads } });
  }
  for (const [what, path] of [['wasm', params.wasmPath], ['zkey', params.zkeyPath]] as const) {
    if (!existsSync(path)) throw new ProvingError('PROVER_CONFIG', `${what} file not found: ${path}`, { details: { path } });
  }
  const init: ProverWorkerInit = {
    type: 'init',
    wasmPath: params.wasmPath,
    zkeyPath: params.zkeyPath,
    singleThread: opts.engine === 'single',
    verify: opts.verify,
  };

  const queue: Job[] = [];
  const lanes: Lane[] = [];
  let nextId = 0;
  let closed = false;
  let nPublic = -1;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = (): void => {
    if (lanes.every((l) => l.job === undefined)) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };

  const dispatch = (): void => {
    for (const lane of lanes) {
      if (!lane.alive || lane.job !== undefined) continue;
      const job = queue.shift();
      if (job === undefined) break;
      lane.job = job;
      // A busy worker keeps the process alive (its result must not be lost); idle ones do not.
      lane.worker.ref();
      lane.worker.postMessage({ type: 'prove', id: job.id, input: job.input } satisfies ProverWorkerRequest);
    }
  };

  const finish = (lane: Lane): Job | undefined => {
    const job = lane.job;
    lane.job = undefined;
    lane.worker.unref();
    return job;
  };

  const spawn = (): { lane: Lane; ready: Promise<void> } => {
    const worker = new Worker(WORKER_ENTRY, { workerData: { entry: PROVER_WORKER } });
    const lane: Lane = { worker, job: undefined, alive: true };
    const ready = new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: ProverWorkerResponse) => {
        if (msg.type === 'ready') {
          started = true;
          nPublic = msg.nPublic;
          worker.unref();
          resolve();
          dispatch();
          return;
        }
        if (msg.type === 'error' && msg.id === -1) {
          reject(new ProvingError(msg.code, msg.message));
          return;
        }
        const job = lane.job;
        if (job === undefined || job.id !== msg.id) return;
        finish(lane);
        if (msg.type === 'proof') {
          job.resolve({ proof: msg.proof, publicSignals: msg.publicSignals, witnessMs: msg.witnessMs, proveMs: msg.proveMs, verifyMs: msg.verifyMs });
        } else if (msg.type === 'error') {
          job.reject(new ProvingError(msg.code, msg.message, { details: { job: job.id } }));
        }
        dispatch();
        settleIdle();
      });
      const die = (cause: unknown): void => {
        if (!lane.alive) return;
        lane.alive = false;
        if (!started) {
          reject(new ProvingError('PROVER_WORKER', 'prover worker failed to start', { cause }));
          return;
        }
        const job = finish(lane);
        job?.reject(new ProvingError('PROVER_WORKER', 'prover worker died during a proof', { cause }));
        // Replace the lane so the pool keeps its width.
        if (!closed) {
          const i = lanes.indexOf(lane);
          const next = spawn();
          if (i >= 0) lanes[i] = next.lane;
          next.ready.catch((err: unknown) => {
            for (const j of queue.splice(0)) j.reject(err);
          });
        }
        settleIdle();
      };
      worker.on('error', die);
      worker.on('exit', (code) => {
        if (!closed || lane.job !== undefined) die(new ProvingError('PROVER_WORKER', `prover worker exited with code ${code}`));
      });
    });
    worker.postMessage(init satisfies ProverWorkerRequest);
    return { lane, ready };
  };

  const started = Array.from({ length: opts.threads }, () => spawn());
  lanes.push(...started.map((s) => s.lane));
  try {
    await Promise.all(started.map((s) => s.ready));
  } catch (err) {
    closed = true;
    await Promise.all(lanes.map((l) => l.worker.terminate()));
    throw err;
  }

  return {
    threads: opts.threads,
    nPublic,
    pending: () => queue.length + lanes.filter((l) => l.job !== undefined).length,
    prove: (input) => {
      if (closed) return Promise.reject(new ProvingError('PROVER_CLOSED', 'the prover is closed'));
      if (typeof input !== 'object' || input === null) return Promise.reject(new ProvingError('WITNESS_FAILED', 'circuit input must be an object of signals'));
      return new Promise<ProveResult>((resolve, reject) => {
        queue.push({ id: nextId++, input, resolve, reject });
        dispatch();
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const j of queue.splice(0)) j.reject(new ProvingError('PROVER_CLOSED', 'the prover was closed before this proof started'));
      if (lanes.some((l) => l.job !== undefined)) await new Promise<void>((r) => idleWaiters.push(r));
      await Promise.all(lanes.map((l) => l.worker.terminate()));
    },
  };
}
