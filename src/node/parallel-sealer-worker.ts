/**
 * Worker side of the ParallelSealer: runs the lower stage (parallel-sealer-lower.ts) of one job at a
 * time. Input arrives in parts (so hashing starts before the main thread has prepared the whole
 * batch); records go straight into the job's shared memory, published every `chunkSize` updates
 * (so the main thread's upper stage reads them as soon as they exist).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RampartError } from '../core/errors.ts';
import { poseidonBackendName } from '../core/wasm/poseidon-engine.ts';
import { installWorkerPoseidon } from '../native/poseidon-native.ts';
import { LowerStage, type SealerReply, type SealerRequest } from './parallel-sealer-lower.ts';

installWorkerPoseidon(workerData);

function reply(msg: SealerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

type Job = {
  readonly id: number;
  readonly chunkSize: number;
  readonly stage: LowerStage;
  readonly progress: Int32Array;
  readonly records: Uint8Array;
  next: number;
  failed: boolean;
  busyMs: number;
};

let job: Job | undefined;

function handle(msg: SealerRequest): void {
  switch (msg.type) {
    case 'close':
      // Closing the port empties the event loop: the worker exits with code 0.
      parentPort?.close();
      return;
    case 'job':
      job = {
        id: msg.id,
        chunkSize: msg.chunkSize,
        stage: new LowerStage(msg.lo, msg.hi),
        progress: msg.progress,
        records: msg.records,
        next: 0,
        failed: false,
        busyMs: 0,
      };
      return;
    case 'input': {
      if (job === undefined || job.id !== msg.id || job.failed) return;
      const t0 = performance.now();
      const { stage, chunkSize, records, progress } = job;
      const bytes = stage.layout.bytes;
      stage.addSnapshot(msg.snapKeys, msg.snapValues);
      const count = msg.indices.length;
      if ((job.next + count) * bytes > records.length) {
        throw new RampartError('PARALLEL_SEALER_INTERNAL', `input past the job's ${records.length / bytes} records`);
      }
      for (let start = 0; start < count; start += chunkSize) {
        const end = Math.min(count, start + chunkSize);
        stage.run(msg, start, end, records.subarray((job.next + start) * bytes, (job.next + end) * bytes));
        // Release store: the records written above are visible to whoever loads this count.
        Atomics.store(progress, 0, job.next + end);
        Atomics.notify(progress, 0);
      }
      job.next += count;
      job.busyMs += performance.now() - t0;
      return;
    }
    case 'end': {
      if (job === undefined || job.id !== msg.id || job.failed) return;
      const { keys, values } = job.stage.exportWritten();
      reply({ type: 'done', id: job.id, keys, values, busyMs: job.busyMs, poseidon: poseidonBackendName() }, [keys.buffer, values.buffer]);
      job = undefined;
      return;
    }
  }
}

parentPort?.on('message', (msg: SealerRequest) => {
  try {
    handle(msg);
  } catch (cause) {
    if (job !== undefined) job.failed = true;
    const id = msg.type === 'close' ? -1 : msg.id;
    reply({ type: 'error', id, message: cause instanceof Error ? cause.message : String(cause) });
  }
});
