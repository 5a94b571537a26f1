/**
 * Worker side of the ParallelSealer: runs the lower stage (parallel-sealer-lower.ts) of one job at a
 * time. Input arrives in parts (so hashing starts before the main thread has prepared the whole
 * batch) and records stream back in chunks (so the main thread's upper stage starts at once).
 */
import { parentPort } from 'node:worker_threads';
import { LowerStage, type SealerReply, type SealerRequest } from './parallel-sealer-lower.ts';

function reply(msg: SealerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

let job: { id: number; chunkSize: number; stage: LowerStage; next: number; failed: boolean; busyMs: number } | undefined;

function handle(msg: SealerRequest): void {
  switch (msg.type) {
    case 'close':
      // Closing the port empties the event loop: the worker exits with code 0.
      parentPort?.close();
      return;
    case 'job':
      job = { id: msg.id, chunkSize: msg.chunkSize, stage: new LowerStage(msg.lo, msg.hi), next: 0, failed: false, busyMs: 0 };
      return;
    case 'input': {
      if (job === undefined || job.id !== msg.id || job.failed) return;
      const t0 = performance.now();
      const { stage, chunkSize } = job;
      stage.addSnapshot(msg.snapKeys, msg.snapValues);
      const count = msg.indices.length;
      for (let start = 0; start < count; start += chunkSize) {
        const end = Math.min(count, start + chunkSize);
        const data = new Uint8Array((end - start) * stage.layout.bytes);
        stage.run(msg, start, end, data);
        reply({ type: 'chunk', id: job.id, start: job.next, count: end - start, data }, [data.buffer]);
        job.next += end - start;
      }
      job.busyMs += performance.now() - t0;
      return;
    }
    case 'end': {
      if (job === undefined || job.id !== msg.id || job.failed) return;
      const { keys, values } = job.stage.exportWritten();
      reply({ type: 'done', id: job.id, keys, values, busyMs: job.busyMs }, [keys.buffer, values.buffer]);
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
