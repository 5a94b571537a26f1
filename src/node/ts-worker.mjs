// Entry for worker threads that run TypeScript modules: registers tsx inside the worker, then loads
// the module named in workerData.entry. Node 20 does not apply the parent's `--import tsx` hook to
// workers, so a .ts worker file cannot be the entry point itself.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
