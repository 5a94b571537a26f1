/**
 * Verifies L2 transaction signatures on worker threads. The sequencer hands it a batch of
 * transactions with their senders' public keys; each worker rebuilds the signed message and runs
 * EdDSA-Poseidon verification, so admission scales with cores while the main thread stays free.
 * Results are exactly `eddsaVerifier(l2TxMessage(tx, domain), tx.signature, publicKey)`.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { RampartError } from '../core/errors.ts';
import { poseidonWorkerData } from '../native/poseidon-native.ts';
import type { L2Tx } from '../core/tx.ts';
import type { PublicKeyPoint } from '../core/account.ts';
import { encodeVerifyJobs, type VerifyJobResult } from './sig-pool-codec.ts';

export type SigPoolOptions = {
  /** Worker count; default: the machine's available parallelism. */
  readonly threads?: number;
  /** Jobs smaller than this are not split further (per-message overhead dominates below). */
  readonly minChunk?: number;
};

export class SigPoolError extends RampartError {
  override readonly name = 'SigPoolError';
}

type Pending = { resolve: (r: Uint8Array) => void; reject: (e: unknown) => void; worker: Worker };

export class SigPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private readonly minChunk: number;

  constructor(options: SigPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new SigPoolError('SIG_POOL_CONFIG', `threads must be 1..256, got ${threads}`);
    }
    this.minChunk = options.minChunk ?? 64;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
        workerData: { entry: new URL('./sig-pool-worker.ts', import.meta.url).href, ...poseidonWorkerData() },
      });
      w.on('message', (msg: VerifyJobResult) => {
        const p = this.pending.get(msg.id);
        if (p === undefined) return;
        this.pending.delete(msg.id);
        this.release(p.worker);
        if (msg.error !== undefined) p.reject(new SigPoolError('SIG_POOL_WORKER', msg.error));
        else p.resolve(msg.results);
      });
      w.on('error', (cause) => {
        for (const p of this.pending.values()) p.reject(new SigPoolError('SIG_POOL_WORKER', 'signature worker crashed', { cause }));
        this.pending.clear();
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Idle workers do not keep the process alive; busy ones do (or results would be lost at exit). */
  private readonly busy = new Map<Worker, number>();
  private hold(w: Worker): void {
    const n = this.busy.get(w) ?? 0;
    if (n === 0) w.ref();
    this.busy.set(w, n + 1);
  }
  private release(w: Worker): void {
    const n = (this.busy.get(w) ?? 1) - 1;
    this.busy.set(w, n);
    if (n === 0) w.unref();
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Verifies every transaction; `publicKeys[i]` is the key of `txs[i].from` (undefined = unknown sender → false). */
  async verify(txs: readonly L2Tx[], publicKeys: readonly (PublicKeyPoint | undefined)[], domainDigest: bigint): Promise<boolean[]> {
    if (this.closed) throw new SigPoolError('SIG_POOL_CLOSED', 'signature pool is closed');
    if (publicKeys.length !== txs.length) throw new SigPoolError('SIG_POOL_INPUT', 'one public key per transaction');
    const out: boolean[] = new Array<boolean>(txs.length).fill(false);
    const chunks = Math.max(1, Math.min(this.workers.length, Math.ceil(txs.length / this.minChunk)));
    const size = Math.ceil(txs.length / chunks);
    const jobs: Promise<void>[] = [];
    for (let c = 0; c < chunks; c++) {
      const start = c * size;
      const end = Math.min(txs.length, start + size);
      if (start >= end) break;
      const worker = this.workers[c % this.workers.length];
      if (worker === undefined) break;
      const id = this.nextId++;
      const payload = encodeVerifyJobs(txs.slice(start, end), publicKeys.slice(start, end), domainDigest);
      jobs.push(
        new Promise<Uint8Array>((resolve, reject) => {
          this.pending.set(id, { resolve, reject, worker });
          this.hold(worker);
          worker.postMessage({ id, payload }, [payload.buffer as ArrayBuffer]);
        }).then((results) => {
          for (let i = 0; i < results.length; i++) out[start + i] = results[i] === 1;
        }),
      );
    }
    await Promise.all(jobs);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
