/**
 * Worker thread of the development ceremony (loaded through src/node/ts-worker.mjs). It receives
 * the secrets once, computes the scalars of each requested block and multiplies the generator by
 * them with a fixed-base table, and answers with the points in the ptau file's byte format. On
 * close it overwrites its whole memory (secrets, tables) before exiting.
 */
import { parentPort } from 'node:worker_threads';
import { affineScratchBytes, Bn254Wasm, buildFixedBaseTable, type FixedBaseTable, fixedBaseMulAffine, FR_BYTES, type Group, SIZES } from './ceremony-wasm.ts';
import { computeScalars, createScalarContext, type ScalarContext } from './ceremony-scalars.ts';
import { SetupError } from './setup-errors.ts';
import type { CeremonyWorkerRequest, CeremonyWorkerResponse } from './ceremony-protocol.ts';

const port = parentPort;
if (port === null) throw new SetupError('SETUP_FAILED', 'ceremony-worker must run in a worker thread');

let engine: Bn254Wasm | undefined;
let ctx: ScalarContext | undefined;
let windows: Readonly<Record<Group, number>> = { G1: 16, G2: 15 };
const tables: Partial<Record<Group, FixedBaseTable>> = {};

function send(msg: CeremonyWorkerResponse, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(msg, transfer);
}

port.on('message', (msg: CeremonyWorkerRequest) => {
  void handle(msg).catch((err: unknown) => {
    send({ type: 'error', id: msg.type === 'job' ? msg.id : -1, message: err instanceof Error ? err.message : String(err) });
  });
});

async function handle(msg: CeremonyWorkerRequest): Promise<void> {
  if (msg.type === 'init') {
    engine = await Bn254Wasm.create(msg.code);
    const secrets = new Uint8Array(msg.secrets);
    ctx = createScalarContext(engine, secrets, msg.roots);
    secrets.fill(0);
    windows = msg.windows;
    send({ type: 'ready' });
    return;
  }
  if (msg.type === 'close') {
    engine?.wipe();
    engine = undefined;
    ctx = undefined;
    send({ type: 'closed' });
    port?.close();
    return;
  }
  const w = engine;
  const c = ctx;
  if (w === undefined || c === undefined) throw new SetupError('SETUP_FAILED', 'ceremony worker used before init');
  let table = tables[msg.group];
  if (table === undefined) {
    const t0 = performance.now();
    table = buildFixedBaseTable(w, msg.group, windows[msg.group]);
    tables[msg.group] = table;
    send({ type: 'table', group: msg.group, ms: performance.now() - t0 });
  }
  const s = SIZES[msg.group];
  const mark = w.mark();
  const scalars = w.alloc(msg.count * FR_BYTES);
  const scratch = w.alloc(3 * msg.count * FR_BYTES);
  const mulScratch = w.alloc(affineScratchBytes(msg.group, msg.count));
  const out = w.alloc(msg.count * s.affine);
  if (msg.kind === 'explicit') {
    if (msg.scalars.length !== msg.count * FR_BYTES) throw new SetupError('SETUP_FAILED', 'explicit job has the wrong number of scalars');
    w.write(scalars, msg.scalars);
    msg.scalars.fill(0);
  } else {
    computeScalars(c, { ...msg, kind: msg.kind }, scalars, scratch);
  }
  fixedBaseMulAffine(w, table, scalars, msg.count, mulScratch, out);
  const points = w.read(out, msg.count * s.affine);
  // Scalars are secret-derived (c·τ^i reveals τ): clear them before the buffers are reused.
  w.u8.fill(0, scalars, scratch + 3 * msg.count * FR_BYTES);
  w.reset(mark);
  send({ type: 'result', id: msg.id, points }, [points.buffer as ArrayBuffer]);
}
