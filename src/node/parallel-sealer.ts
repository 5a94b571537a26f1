/**
 * Seals a batch on two threads with exactly `applyBatch`'s result (roots, receipts, exits, every
 * witness sibling, `changes`). Sealing is hashing (~25 Poseidon(4) per transfer at depth 32 with
 * 100k accounts), so the tree is cut at a split level and the two halves are pipelined:
 *
 * 1. plan (main thread, no hashing): `planBatch` runs the STF's rules and yields each witness step's
 *    ordered leaf updates, receipts, exits and fees;
 * 2. lower stage (worker thread, parallel-sealer-lower.ts): per update, in order, the new leaf, the
 *    siblings below the split and the new nodes up to it, over its own overlay and a snapshot of the
 *    base nodes it can read (shipped as transferable buffers, in parts); records stream back in chunks;
 * 3. upper stage (main thread, as records arrive): per update, set the split-level nodes (deferred)
 *    and read the siblings above (deferred nodes resolve, so a transfer's two paths hash their common
 *    ancestors once, as `setLeafDeferred` does); per step, the post-root; plus the exit tree.
 *
 * The halves meet only at the split-level nodes, so they compose to `applyBatch`'s values exactly.
 * The split level balances the threads: with random accounts at depth 32 a transfer costs the worker
 * 2·(1+S) hashes and the main thread about 2·(8-S)+8 plus planning and witness assembly. A fractional
 * `splitLevel` (e.g. 5.5) sends that fraction of updates one level higher (bench/stf.bench.ts).
 */
import { Worker } from 'node:worker_threads';
import { accountLeafInputs, exitLeaf } from '../core/account.ts';
import { RampartError } from '../core/errors.ts';
import { frToBytesLE, type Fr } from '../core/field.ts';
import { MemoryNodeStore, nodeKey, SIBLINGS_PER_LEVEL, SparseMerkleTree, treeLevels, type NodeKey } from '../core/smt.ts';
import type { StateReader } from '../core/state.ts';
import {
  eddsaVerifier,
  planBatch,
  type ApplyBatchOptions,
  type ApplyBatchParameters,
  type BatchPlan,
  type BatchResult,
  type Exit,
  type LeafUpdateWitness,
  type PlannedUpdate,
  type SignatureVerifier,
  type StepWitness,
  type StfConfig,
} from '../core/stf.ts';
import { UpperTree } from './parallel-sealer-upper.ts';
import { LEAF_INPUT_BYTES, recordLayout, type LowerInput, type SealerReply, type SealerRequest } from './parallel-sealer-lower.ts';

export type ParallelSealerOptions = {
  /**
   * Split level (0..16, clamped to the tree's levels): the worker hashes each path up to it. A
   * fraction f sends that share of updates to the level above. Default `DEFAULT_SPLIT_LEVEL`.
   */
  readonly splitLevel?: number;
  /** Updates per streamed chunk: smaller starts the main thread sooner, larger costs fewer messages. */
  readonly chunkSize?: number;
  /** Updates in the first input part: the worker starts once it is ready; the rest follows. */
  readonly firstPart?: number;
};

/** Measured on the 2-core bench machine (bench/stf.bench.ts). */
export const DEFAULT_SPLIT_LEVEL = 5.25;
export const DEFAULT_CHUNK_SIZE = 64;
export const DEFAULT_FIRST_PART = 1024;

export class ParallelSealerError extends RampartError {
  override readonly name = 'ParallelSealerError';
}

type Written = { readonly keys: Float64Array; readonly values: Uint8Array; readonly busyMs: number };

/** Where the last batch's time went, for tuning the split (bench/stf.bench.ts reports it). */
export type SealStats = {
  readonly updates: number;
  /** Main thread: planning, then preparing the worker's input. */
  readonly planMs: number;
  readonly prepareMs: number;
  /** Main thread: waiting for the worker's records (time the upper stage starved). */
  readonly waitMs: number;
  /** Worker: hashing time. */
  readonly workerMs: number;
  readonly totalMs: number;
};

/** The lower stage's records of the running job, in order, as the worker streams them. */
export class RecordStream {
  private readonly chunks: ({ start: number; count: number; data: Uint8Array } | undefined)[] = [];
  private cursor = 0;
  /** Records that have arrived: updates 0..received-1. */
  received = 0;
  /** Time spent waiting in `waitFor` / `waitDone`. */
  waitMs = 0;
  done: Written | undefined;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(private readonly recordBytes: number) {}

  push(start: number, count: number, data: Uint8Array): void {
    if (start !== this.received) {
      this.fail(new ParallelSealerError('PARALLEL_SEALER_INTERNAL', `chunk at ${start}, expected ${this.received}`));
      return;
    }
    this.chunks.push({ start, count, data });
    this.received = start + count;
    this.notify();
  }
  finish(written: Written): void {
    this.done = written;
    this.notify();
  }
  fail(cause: unknown): void {
    this.failure ??= cause;
    this.notify();
  }
  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  private async next(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    if (this.failure !== undefined) throw this.failure;
  }
  async waitFor(update: number): Promise<void> {
    const t0 = performance.now();
    while (update >= this.received) await this.next();
    this.waitMs += performance.now() - t0;
  }
  async waitDone(): Promise<Written> {
    const t0 = performance.now();
    while (this.done === undefined) await this.next();
    this.waitMs += performance.now() - t0;
    return this.done;
  }
  /** The record of update `u`, read in increasing order (earlier chunks are released). */
  get(u: number): Uint8Array {
    let chunk = this.chunks[this.cursor];
    while (chunk !== undefined && u >= chunk.start + chunk.count) {
      this.chunks[this.cursor] = undefined;
      chunk = this.chunks[++this.cursor];
    }
    if (chunk === undefined || u < chunk.start) throw new ParallelSealerError('PARALLEL_SEALER_INTERNAL', `record ${u} not available`);
    const o = (u - chunk.start) * this.recordBytes;
    return chunk.data.subarray(o, o + this.recordBytes);
  }
}

/** Where each update's path is cut: `lo`, or `hi` for a `frac` share spread evenly over the batch. */
export type SplitPlan = { readonly lo: number; readonly hi: number; readonly frac: number };

export function splitPlan(splitLevel: number, levels: number): SplitPlan {
  const lo = Math.min(Math.floor(splitLevel), levels);
  const hi = Math.min(Math.ceil(splitLevel), levels);
  return { lo, hi, frac: hi === lo ? 0 : splitLevel - Math.floor(splitLevel) };
}

/** Split of update n: Bresenham spacing of the `hi` updates. */
function splitOf(p: SplitPlan, n: number): number {
  return Math.floor((n + 1) * p.frac) > Math.floor(n * p.frac) ? p.hi : p.lo;
}

const U64 = (1n << 64n) - 1n;

/** Canonical Fr into 32 LE bytes: 4 word writes (frToBytesLE does 32 BigInt shifts). */
function writeFr(view: DataView, offset: number, x: bigint): void {
  view.setBigUint64(offset, x & U64, true);
  view.setBigUint64(offset + 8, (x >> 64n) & U64, true);
  view.setBigUint64(offset + 16, (x >> 128n) & U64, true);
  view.setBigUint64(offset + 24, x >> 192n, true);
}

/** 32 LE bytes the Poseidon engine produced (canonical by construction) into an Fr. */
function readFr(bytes: Uint8Array, offset: number): Fr {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  return (
    view.getBigUint64(0, true) |
    (view.getBigUint64(8, true) << 64n) |
    (view.getBigUint64(16, true) << 128n) |
    (view.getBigUint64(24, true) << 192n)
  );
}

/**
 * Lower-stage input for updates [from, to): indices, splits, leaf preimages, and every base node the
 * stage may read that `seen` (shared across a job's parts) has not covered yet. Cost per update: 4
 * field encodings and at most 4·hi base reads (ancestors shared with earlier updates are skipped).
 */
export function buildLowerInput(
  state: StateReader,
  updates: readonly PlannedUpdate[],
  from: number,
  to: number,
  split: SplitPlan,
  seen: Set<NodeKey>,
): LowerInput {
  const count = Math.max(0, to - from);
  const indices = new Uint32Array(count);
  const splits = new Uint8Array(count);
  const leafInputs = new Uint8Array(count * LEAF_INPUT_BYTES);
  const view = new DataView(leafInputs.buffer);
  const snapKeys: NodeKey[] = [];
  const snapValues: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    const u = updates[from + n];
    if (u === undefined) break;
    indices[n] = u.index;
    splits[n] = splitOf(split, from + n);
    const inputs = accountLeafInputs(u.after);
    for (let j = 0; j < 4; j++) writeFr(view, n * LEAF_INPUT_BYTES + j * 32, inputs[j] ?? 0n);
    // With no level below the split the stage still reads the old leaf.
    if (split.hi === 0 && !seen.has(nodeKey(0, u.index))) {
      seen.add(nodeKey(0, u.index));
      const v = state.getNode(nodeKey(0, u.index));
      if (v !== undefined) {
        snapKeys.push(nodeKey(0, u.index));
        snapValues.push(v);
      }
    }
    let parent = u.index;
    for (let k = 0; k < split.hi; k++) {
      parent = Math.floor(parent / 4);
      const pk = nodeKey(k + 1, parent);
      // A seen parent means the path from here up is already in the snapshot.
      if (seen.has(pk)) break;
      seen.add(pk);
      for (let c = 0; c < 4; c++) {
        const key = nodeKey(k, parent * 4 + c);
        const v = state.getNode(key);
        if (v !== undefined) {
          snapKeys.push(key);
          snapValues.push(v);
        }
      }
    }
  }
  const values = new Uint8Array(snapValues.length * 32);
  snapValues.forEach((v, i) => values.set(v.subarray(0, 32), i * 32));
  return { indices, splits, leafInputs, snapKeys: Float64Array.from(snapKeys), snapValues: values };
}

/**
 * Upper stage: consumes the lower stage's records in order (waiting for those not yet streamed) and
 * assembles `applyBatch`'s result. Cost per update: (levels − s) × 3 sibling reads; per step, the
 * hashes of its dirty ancestors above the split (the step's post-root).
 */
export async function upperStage(
  state: StateReader,
  plan: BatchPlan,
  config: StfConfig,
  split: SplitPlan,
  witness: boolean,
  stream: RecordStream,
): Promise<BatchResult> {
  const levels = treeLevels(config.treeDepth);
  const tree = new UpperTree(state, split.lo, levels);
  const exitTree = new SparseMerkleTree(config.exitTreeDepth, new MemoryNodeStore());
  const layout = recordLayout(split.lo, split.hi);
  const proofBytes = levels * SIBLINGS_PER_LEVEL * 32;
  const oldRoot = readFr(tree.root(), 0);
  let root = oldRoot;
  const steps: StepWitness[] = [];
  const exits: Exit[] = [];
  let n = 0;
  for (const step of plan.steps) {
    const leafUpdates: LeafUpdateWitness[] = [];
    for (const u of step.updates) {
      if (n >= stream.received) await stream.waitFor(n);
      const rec = stream.get(n);
      const s = splitOf(split, n);
      let at = Math.floor(u.index / 4 ** s);
      if (witness) {
        const lower = s * SIBLINGS_PER_LEVEL * 32;
        const siblings = new Uint8Array(proofBytes);
        siblings.set(rec.subarray(layout.siblings, layout.siblings + lower));
        tree.siblings(s, at, siblings, lower);
        leafUpdates.push({
          index: u.index,
          before: u.before,
          after: u.after,
          oldLeaf: readFr(rec, layout.oldLeaf),
          newLeaf: readFr(rec, layout.newLeaf),
          siblings,
        });
      }
      // Levels lo..s from the record; only level s marks ancestors dirty in the end (each set
      // clears its own mark), so levels between lo and s stay exact for later reads.
      at = Math.floor(u.index / 4 ** split.lo);
      for (let j = split.lo; j <= s; j++) {
        const o = layout.nodes + (j - split.lo) * 32;
        tree.setDeferred(j, at, rec.slice(o, o + 32));
        at = Math.floor(at / 4);
      }
      n++;
    }
    let exit: StepWitness['exit'];
    if (step.exit !== undefined) {
      const { slot, l1Address, tokenId, amount } = step.exit;
      const leaf = exitLeaf(l1Address, tokenId, amount);
      const preRoot = exitTree.root();
      const siblings = exitTree.update(slot, frToBytesLE(leaf));
      exits.push({ slot, l1Address, tokenId, amount, leaf });
      exit = witness ? { leaf, siblings, preRoot, postRoot: exitTree.root() } : undefined;
    }
    if (witness) {
      const postRoot = readFr(tree.root(), 0);
      steps.push({
        kind: step.kind,
        slot: step.slot,
        preRoot: root,
        postRoot,
        preNextIndex: step.preNextIndex,
        postNextIndex: step.postNextIndex,
        updates: leafUpdates,
        exit,
        feesBefore: step.feesBefore,
        feesAfter: step.feesAfter,
      });
      root = postRoot;
    }
  }
  if (exits.length !== plan.exits.length) {
    throw new ParallelSealerError('PARALLEL_SEALER_INTERNAL', `${plan.exits.length - exits.length} exits outside any step`);
  }
  const written = await stream.waitDone();
  const nodes = new Map<NodeKey, Uint8Array>();
  for (let i = 0; i < written.keys.length; i++) {
    const key = written.keys[i];
    if (key !== undefined) nodes.set(key, written.values.slice(i * 32, i * 32 + 32));
  }
  tree.changes(nodes);
  return {
    oldRoot,
    newRoot: readFr(tree.root(), 0),
    oldNextIndex: plan.oldNextIndex,
    newNextIndex: plan.newNextIndex,
    exitRoot: exitTree.root(),
    l1Receipts: plan.l1Receipts,
    l2Receipts: plan.l2Receipts,
    included: plan.included,
    exits,
    feeTotals: plan.feeTotals,
    witness: steps,
    changes: { nodes, accounts: plan.accounts, nextIndex: plan.newNextIndex },
  };
}

function assertOption(ok: boolean, message: string): void {
  if (!ok) throw new ParallelSealerError('PARALLEL_SEALER_CONFIG', message);
}

export class ParallelSealer {
  private readonly worker: Worker;
  private readonly splitLevel: number;
  private readonly chunkSize: number;
  private readonly firstPart: number;
  private nextId = 0;
  private current: { id: number; stream: RecordStream } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** No new batches (close() called or the worker is gone). */
  private closed = false;
  private dead = false;
  /** Timings of the last sealed batch. */
  stats: SealStats | undefined;
  private readonly exited: Promise<number>;

  constructor(options: ParallelSealerOptions = {}) {
    this.splitLevel = options.splitLevel ?? DEFAULT_SPLIT_LEVEL;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.firstPart = options.firstPart ?? DEFAULT_FIRST_PART;
    assertOption(Number.isFinite(this.splitLevel) && this.splitLevel >= 0 && this.splitLevel <= 16, `splitLevel must be 0..16, got ${this.splitLevel}`);
    assertOption(Number.isInteger(this.chunkSize) && this.chunkSize >= 1 && this.chunkSize <= 1 << 16, `chunkSize must be 1..65536, got ${this.chunkSize}`);
    assertOption(Number.isInteger(this.firstPart) && this.firstPart >= 1, `firstPart must be a positive integer, got ${this.firstPart}`);
    this.worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
      workerData: { entry: new URL('./parallel-sealer-worker.ts', import.meta.url).href },
    });
    this.worker.on('message', (msg: SealerReply) => this.onReply(msg));
    this.worker.on('error', (cause) => {
      this.current?.stream.fail(new ParallelSealerError('PARALLEL_SEALER_WORKER', 'sealer worker crashed', { cause }));
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    void this.exited.then((code) => {
      this.closed = true;
      this.dead = true;
      this.current?.stream.fail(new ParallelSealerError('PARALLEL_SEALER_WORKER', `sealer worker exited (code ${code})`));
    });
    // An idle worker must not keep the process alive; a sealing one is held (see `sealNow`).
    this.worker.unref();
  }

  private onReply(msg: SealerReply): void {
    const job = this.current;
    if (job === undefined || msg.id !== job.id) return;
    if (msg.type === 'chunk') job.stream.push(msg.start, msg.count, msg.data);
    else if (msg.type === 'done') job.stream.finish({ keys: msg.keys, values: msg.values, busyMs: msg.busyMs });
    else job.stream.fail(new ParallelSealerError('PARALLEL_SEALER_WORKER', `sealer worker: ${msg.message}`));
  }

  private post(msg: SealerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  /**
   * `applyBatch(state, params, config, options, verifySignature)`, hashed on two threads. Batches are
   * sealed one at a time, in call order; `state` must not change until the promise settles.
   */
  seal(
    state: StateReader,
    params: ApplyBatchParameters,
    config: StfConfig,
    options: ApplyBatchOptions = {},
    verifySignature: SignatureVerifier = eddsaVerifier,
  ): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new ParallelSealerError('PARALLEL_SEALER_CLOSED', 'parallel sealer is closed'));
    const run = this.queue.then(() => this.sealNow(state, params, config, options, verifySignature));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sealNow(
    state: StateReader,
    params: ApplyBatchParameters,
    config: StfConfig,
    options: ApplyBatchOptions,
    verifySignature: SignatureVerifier,
  ): Promise<BatchResult> {
    if (this.dead) throw new ParallelSealerError('PARALLEL_SEALER_CLOSED', 'parallel sealer worker has exited');
    const t0 = performance.now();
    // Throws exactly what applyBatch throws, before any thread is involved.
    const plan = planBatch(state, params, config, options.verified === undefined ? {} : { verified: options.verified }, verifySignature);
    const split = splitPlan(this.splitLevel, treeLevels(config.treeDepth));
    const updates = plan.steps.flatMap((s) => s.updates);
    const t1 = performance.now();
    let t2 = t1;
    const id = this.nextId++;
    const stream = new RecordStream(recordLayout(split.lo, split.hi).bytes);
    this.current = { id, stream };
    this.worker.ref();
    try {
      this.post({ type: 'job', id, lo: split.lo, hi: split.hi, chunkSize: this.chunkSize });
      // A small first part gets the worker hashing while the rest of the input is prepared.
      const seen = new Set<NodeKey>();
      const first = Math.min(updates.length, this.firstPart);
      for (const [from, to] of [[0, first], [first, updates.length]] as const) {
        if (from === to) continue;
        const input = buildLowerInput(state, updates, from, to, split, seen);
        this.post({ type: 'input', id, ...input }, [input.indices.buffer, input.splits.buffer, input.leafInputs.buffer, input.snapKeys.buffer, input.snapValues.buffer]);
      }
      this.post({ type: 'end', id });
      t2 = performance.now();
      const result = await upperStage(state, plan, config, split, options.witness ?? true, stream);
      const totalMs = performance.now() - t0;
      this.stats = { updates: updates.length, planMs: t1 - t0, prepareMs: t2 - t1, waitMs: stream.waitMs, workerMs: stream.done?.busyMs ?? 0, totalMs };
      return result;
    } finally {
      this.current = undefined;
      this.worker.unref();
    }
  }

  /**
   * Stops the worker once queued batches are sealed; resolves with its exit code (0: it left its
   * event loop on its own).
   */
  async close(): Promise<number> {
    if (!this.closed) {
      this.closed = true;
      await this.queue;
      // Held until it exits, so awaiting `close()` cannot end the process with the worker half-closed.
      this.worker.ref();
      this.post({ type: 'close' });
    }
    return this.exited;
  }
}
