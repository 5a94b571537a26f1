/**
 * The development ceremony's worker threads. Each worker holds the secrets and lazily builds one
 * fixed-base table per group; jobs are handed out group-affine (with two workers, one takes the G2
 * points and the other the G1 points, which cost about the same in total), so each table is built
 * by as few workers as possible. One pool serves the ptau and the zkey, so tables are built once.
 */
import { Worker } from 'node:worker_threads';
import type { CeremonyJob, CeremonyWorkerRequest, CeremonyWorkerResponse } from './ceremony-protocol.ts';
import type { Group } from './ceremony-wasm.ts';
import { SetupError } from './setup-errors.ts';

export type PoolInit = Omit<Extract<CeremonyWorkerRequest, { type: 'init' }>, 'secrets' | 'type'>;

type Slot = {
  readonly worker: Worker;
  readonly prefer: Group;
  job: CeremonyJob | undefined;
};

type Batch = {
  readonly queues: Record<Group, CeremonyJob[]>;
  readonly onResult: (job: CeremonyJob, points: Uint8Array) => Promise<void>;
  pending: number;
  resolve: () => void;
  reject: (err: unknown) => void;
};

export class CeremonyPool {
  private readonly slots: Slot[];
  private batch: Batch | undefined;
  private failure: unknown;

  private constructor(slots: Slot[]) {
    this.slots = slots;
  }

  /** Starts `threads` workers, each with a copy of the secrets (which the caller then zeroes). */
  static async start(threads: number, init: PoolInit, secrets: Uint8Array): Promise<CeremonyPool> {
    const entry = new URL('../node/ts-worker.mjs', import.meta.url);
    const workerEntry = new URL('./ceremony-worker.ts', import.meta.url).href;
    const slots: Slot[] = Array.from({ length: threads }, (_, k) => ({
      worker: new Worker(entry, { workerData: { entry: workerEntry } }),
      prefer: threads === 1 || k % 2 === 0 ? 'G2' : 'G1',
      job: undefined,
    }));
    const pool = new CeremonyPool(slots);
    try {
      await Promise.all(
        slots.map(
          (slot) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (msg: CeremonyWorkerResponse): void => {
                if (msg.type === 'ready') {
                  slot.worker.off('message', onMessage);
                  slot.worker.off('error', reject);
                  resolve();
                } else if (msg.type === 'error') reject(new SetupError('SETUP_FAILED', `ceremony worker failed to start: ${msg.message}`));
              };
              slot.worker.on('message', onMessage);
              slot.worker.on('error', reject);
              const copy = secrets.slice();
              slot.worker.postMessage({ type: 'init', ...init, secrets: copy.buffer } satisfies CeremonyWorkerRequest, [copy.buffer]);
            }),
        ),
      );
    } catch (cause) {
      await pool.close();
      throw cause instanceof SetupError ? cause : new SetupError('SETUP_FAILED', 'ceremony worker failed to start', { cause });
    }
    for (const slot of slots) {
      slot.worker.on('message', (msg: CeremonyWorkerResponse) => pool.onMessage(slot, msg));
      slot.worker.on('error', (cause) => pool.fail(new SetupError('SETUP_FAILED', 'ceremony worker crashed', { cause })));
      slot.worker.on('exit', (code) => {
        if (code !== 0) pool.fail(new SetupError('SETUP_FAILED', `ceremony worker exited with code ${code}`));
      });
    }
    return pool;
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Computes every job; `onResult` runs for each (in completion order) before the worker gets more. */
  run(jobs: readonly CeremonyJob[], onResult: (job: CeremonyJob, points: Uint8Array) => Promise<void>): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.batch !== undefined) return Promise.reject(new SetupError('SETUP_FAILED', 'ceremony pool runs one batch at a time'));
    if (jobs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const queues: Record<Group, CeremonyJob[]> = { G1: [], G2: [] };
      for (const j of jobs) queues[j.group].push(j);
      this.batch = { queues, onResult, pending: jobs.length, resolve, reject };
      for (const slot of this.slots) this.dispatch(slot);
    });
  }

  private dispatch(slot: Slot): void {
    const b = this.batch;
    if (b === undefined || slot.job !== undefined) return;
    const other: Group = slot.prefer === 'G1' ? 'G2' : 'G1';
    const job = b.queues[slot.prefer].shift() ?? b.queues[other].shift();
    if (job === undefined) return;
    slot.job = job;
    // Explicit scalars are transferred, not copied: the caller keeps no second copy of them.
    const transfer = job.kind === 'explicit' ? [job.scalars.buffer as ArrayBuffer] : [];
    slot.worker.postMessage({ type: 'job', ...job } satisfies CeremonyWorkerRequest, transfer);
  }

  private onMessage(slot: Slot, msg: CeremonyWorkerResponse): void {
    const b = this.batch;
    if (msg.type === 'error') {
      this.fail(new SetupError('SETUP_FAILED', `ceremony worker failed: ${msg.message}`, { details: { job: msg.id } }));
      return;
    }
    if (msg.type !== 'result' || b === undefined) return;
    const job = slot.job;
    if (job === undefined || job.id !== msg.id) {
      this.fail(new SetupError('SETUP_FAILED', `ceremony worker answered job ${msg.id} out of turn`));
      return;
    }
    b.onResult(job, msg.points).then(
      () => {
        slot.job = undefined;
        b.pending -= 1;
        if (b.pending === 0) {
          this.batch = undefined;
          b.resolve();
        } else this.dispatch(slot);
      },
      (err: unknown) => this.fail(err),
    );
  }

  private fail(err: unknown): void {
    if (this.failure === undefined) this.failure = err;
    const b = this.batch;
    this.batch = undefined;
    b?.reject(err);
  }

  /** Asks every worker to wipe its memory, then ends the threads. */
  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 2000);
            slot.worker.once('message', () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              slot.worker.postMessage({ type: 'close' } satisfies CeremonyWorkerRequest);
            } catch {
              clearTimeout(timer);
              resolve();
            }
          }),
      ),
    );
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
