/**
 * Seals a batch on two threads with exactly `applyBatch`'s result (roots, receipts, exits, every
 * witness sibling, `changes`). Sealing is hashing (~25 Poseidon(4) per transfer at depth 32 with
 * 100k accounts), so the tree is cut at a split level and the two halves are pipelined:
 *
 * 1. plan (main thread, no hashing): `planBatch` runs the STF's rules and yields each witness step's
 *    ordered leaf updates, receipts, exits and fees; steps are reported as they are planned, so the
 *    worker starts on the first part while the rest is planned (planning is ~2% of a batch);
 * 2. lower stage (worker thread, parallel-sealer-lower.ts): per update, in order, the new leaf, the
 *    siblings below the split and the new nodes up to it, over its own overlay and a snapshot of the
 *    base nodes it can read (shipped as transferable buffers, in parts fed as it progresses); records
 *    go to shared memory, where the main thread reads them without waiting for a message;
 * 3. upper stage (main thread, as records arrive): per update, set the split-level nodes (deferred)
 *    and read the siblings above (deferred nodes resolve, so a transfer's two paths hash their common
 *    ancestors once, as `setLeafDeferred` does); per step, the post-root; plus the exit tree.
 *
 * The halves meet only at the split-level nodes, so they compose to `applyBatch`'s values exactly.
 * The split level balances the threads: with random accounts at depth 32 a transfer costs the worker
 * 2·(1+S) hashes and the main thread about 2·(8-S)+8 plus planning and witness assembly. A fractional
 * `splitLevel` (e.g. 5.5) sends that fraction of updates one level higher; with `adaptive` (the
 * default) that fraction is steered while sealing by how far the worker runs ahead, since on a shared
 * machine the threads' speeds drift (bench/stf.bench.ts).
 */
import { Worker } from 'node:worker_threads';
import { accountLeafInputs, exitLeaf } from '../core/account.ts';
import { RampartError } from '../core/errors.ts';
import { frToBytesLE, readFrLEView, writeFrLEView } from '../core/field.ts';
import { poseidonBackendName } from '../core/wasm/poseidon-engine.ts';
import { poseidonWorkerData } from '../native/poseidon-native.ts';
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
  type PlannedStep,
  type PlannedUpdate,
  type SignatureVerifier,
  type StepWitness,
  type StfConfig,
} from '../core/stf.ts';
import { wordsOf } from './parallel-sealer-arena.ts';
import { UpperTree } from './parallel-sealer-upper.ts';
import { LEAF_INPUT_BYTES, recordLayout, type LowerInput, type SealerReply, type SealerRequest } from './parallel-sealer-lower.ts';

export type ParallelSealerOptions = {
  /**
   * (Starting) split level (0..16, clamped to the tree's levels): the worker hashes each path up
   * to it. A fraction f sends that share of updates to the level above. Default
   * `DEFAULT_SPLIT_LEVEL`.
   */
  readonly splitLevel?: number;
  /**
   * Steer the split while sealing (default true): the threads' speeds vary with the machine's load,
   * so a fixed split leaves one idle. Each batch starts where the last one ended.
   */
  readonly adaptive?: boolean;
  /** Records per progress publication (an atomic store and notify) by the worker. */
  readonly chunkSize?: number;
  /** Updates in the first input part: the worker starts once it is ready; the rest follows. */
  readonly firstPart?: number;
  /** Updates per later input part: each part's splits are chosen when it is posted. */
  readonly partSize?: number;
};

/** Measured on the 2-core bench machine (bench/stf.bench.ts). */
export const DEFAULT_SPLIT_LEVEL = 5.25;
export const DEFAULT_CHUNK_SIZE = 16;
export const DEFAULT_FIRST_PART = 256;
export const DEFAULT_PART_SIZE = 256;

export class ParallelSealerError extends RampartError {
  override readonly name = 'ParallelSealerError';
}

type Written = { readonly keys: Float64Array; readonly values: Uint8Array; readonly busyMs: number; readonly poseidon: string };

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
  /** Mean split level of the batch's updates (steered when `adaptive`). */
  readonly splitLevel: number;
  /** Each thread's Poseidon backend ('native' or 'wasm'; the same results either way). */
  readonly poseidon: { readonly main: string; readonly worker: string };
};

type WaitAsync = (view: Int32Array, index: number, value: number) => { readonly async: boolean; readonly value: Promise<string> | string };
/** ES2024's Atomics.waitAsync (Node >= 16); the project's lib is ES2022. */
const waitAsync = (Atomics as unknown as { readonly waitAsync: WaitAsync }).waitAsync;

/**
 * The lower stage's records of the running job, in shared memory: the worker writes record n at
 * n · recordBytes and then publishes `progress[0]` = records done, so this thread reads records the
 * worker has finished without a message or an event-loop turn (on a loaded machine each such turn
 * can cost a scheduling delay of milliseconds); it sleeps (Atomics.waitAsync) only when starving.
 */
export class RecordStream {
  /** `progress[0]`: records done (written by the worker only). */
  readonly progress = new Int32Array(new SharedArrayBuffer(4));
  readonly records: Uint8Array;
  /** Time spent waiting in `waitFor` / `waitDone`. */
  waitMs = 0;
  done: Written | undefined;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(private readonly recordBytes: number, count: number) {
    this.records = new Uint8Array(new SharedArrayBuffer(Math.max(1, count * recordBytes)));
  }

  /** Records the worker has finished: updates 0..received-1. */
  get received(): number {
    return Atomics.load(this.progress, 0);
  }
  finish(written: Written): void {
    this.done = written;
    this.notify();
  }
  fail(cause: unknown): void {
    this.failure ??= cause;
    this.notify();
    // Wakes a waitFor sleeping on the progress word.
    Atomics.notify(this.progress, 0);
  }
  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  async waitFor(update: number): Promise<void> {
    const t0 = performance.now();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const done = Atomics.load(this.progress, 0);
      if (update < done) break;
      const w = waitAsync(this.progress, 0, done);
      if (w.async) await w.value;
    }
    this.waitMs += performance.now() - t0;
  }
  async waitDone(): Promise<Written> {
    const t0 = performance.now();
    while (this.done === undefined) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failure !== undefined) throw this.failure;
    this.waitMs += performance.now() - t0;
    return this.done;
  }
  /** The record of update `u` (a view into shared memory: copy what must outlive the job). */
  get(u: number): Uint8Array {
    if (u >= this.received) throw new ParallelSealerError('PARALLEL_SEALER_INTERNAL', `record ${u} not available`);
    const o = u * this.recordBytes;
    return this.records.subarray(o, o + this.recordBytes);
  }
}

/**
 * A job's two cut levels: each update's path is cut at `lo` or at `hi` (= lo + 1, or lo at the
 * root); `frac` is the starting share of `hi` updates.
 */
export type SplitPlan = { readonly lo: number; readonly hi: number; readonly frac: number };

export function splitPlan(splitLevel: number, levels: number): SplitPlan {
  const lo = Math.min(Math.floor(splitLevel), levels);
  const hi = Math.min(lo + 1, levels);
  return { lo, hi, frac: hi === lo ? 0 : splitLevel - lo };
}

/**
 * Chooses each update's split as the batch is fed to the worker in parts, steering the share of
 * `hi` updates so that neither thread idles: the main thread starving for records means the worker
 * has too much (share down); the worker's lead growing past a reserve means too little (share up).
 * Spacing within a part is Bresenham's, so a constant share gives `lo`/`hi` evenly.
 */
export class SplitController {
  /** Share of `hi` updates for the next part (clamped to 0..1 when used). */
  frac: number;
  private acc = 0;
  private lastLead = Number.NEGATIVE_INFINITY;
  /** Sum of the splits chosen, for the mean split level. */
  private sum = 0;
  private count = 0;

  constructor(readonly plan: SplitPlan, private readonly adaptive: boolean, private readonly reserve: number) {
    this.frac = plan.frac;
  }

  /**
   * Feedback before a part: `lead` = updates the worker has done that this thread has not reached
   * (≤ 0: this thread is starving). Cost: O(1).
   */
  steer(lead: number): void {
    if (!this.adaptive || this.plan.hi === this.plan.lo) return;
    if (this.lastLead !== Number.NEGATIVE_INFINITY) {
      if (lead <= 0) this.frac -= 0.125;
      else if (lead > this.reserve && lead >= this.lastLead) this.frac += 0.0625;
      else if (lead < this.reserve && lead < this.lastLead) this.frac -= 0.0625;
      // Past the ends the next batch moves to the neighbouring pair of levels (see `level`).
      this.frac = Math.min(1.5, Math.max(-0.5, this.frac));
    }
    this.lastLead = lead;
  }

  /** Fills `splits[from..to)`. */
  choose(splits: Uint8Array, from: number, to: number): void {
    const f = Math.min(1, Math.max(0, this.frac));
    for (let n = from; n < to; n++) {
      this.acc += f;
      const hi = this.acc >= 1;
      if (hi) this.acc -= 1;
      splits[n] = hi ? this.plan.hi : this.plan.lo;
      this.sum += hi ? this.plan.hi : this.plan.lo;
      this.count++;
    }
  }

  /** Mean split of the updates so far (what `stats` reports). */
  meanSplit(): number {
    return this.count === 0 ? this.plan.lo + this.plan.frac : this.sum / this.count;
  }

  /** Where the next batch starts: the current share, carried across a level when it saturated. */
  level(levels: number): number {
    return Math.min(levels, Math.max(0, this.plan.lo + this.frac));
  }
}

/** Witness proofs per sibling slab (~390 KB at depth 32). */
const SIBLING_SLAB = 256;

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
  splitOf: Uint8Array,
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
    splits[n] = splitOf[from + n] ?? split.lo;
    const inputs = accountLeafInputs(u.after);
    for (let j = 0; j < 4; j++) writeFrLEView(view, n * LEAF_INPUT_BYTES + j * 32, inputs[j] ?? 0n);
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
 * assembles `applyBatch`'s result; `splitOf[n]` is update n's split, set before `feed(n)` returns
 * (`feed` runs before each update: the sealer posts the worker's next input part from it). Cost per
 * update: (levels − s) × 3 sibling reads; per step, the hashes of its dirty ancestors above the
 * split (the step's post-root).
 */
export async function upperStage(
  state: StateReader,
  plan: BatchPlan,
  config: StfConfig,
  split: SplitPlan,
  splitOf: Uint8Array,
  witness: boolean,
  stream: RecordStream,
  feed: (n: number) => void = () => undefined,
): Promise<BatchResult> {
  const levels = treeLevels(config.treeDepth);
  const tree = new UpperTree(state, split.lo, levels);
  const exitTree = new SparseMerkleTree(config.exitTreeDepth, new MemoryNodeStore());
  const layout = recordLayout(split.lo, split.hi);
  const proofBytes = levels * SIBLINGS_PER_LEVEL * 32;
  const oldRoot = tree.root();
  // One view over every record: no per-read DataView; nodes move to the tree as words.
  const records = new DataView(stream.records.buffer, stream.records.byteOffset, stream.records.byteLength);
  const recordWords = wordsOf(stream.records);
  // Witness siblings are views into slabs of SIBLING_SLAB proofs: one allocation of a large buffer
  // costs ~1 µs, as much as filling it.
  let slab = new Uint8Array(0);
  let slabWords: Int32Array = new Int32Array(0);
  let root = oldRoot;
  const steps: StepWitness[] = [];
  const exits: Exit[] = [];
  let n = 0;
  for (const step of plan.steps) {
    const leafUpdates: LeafUpdateWitness[] = [];
    for (const u of step.updates) {
      feed(n);
      if (n >= stream.received) await stream.waitFor(n);
      const rec = stream.get(n);
      const s = splitOf[n] ?? split.lo;
      let at = Math.floor(u.index / 4 ** s);
      if (witness) {
        const slot = n % SIBLING_SLAB;
        if (slot === 0) {
          slab = new Uint8Array(SIBLING_SLAB * proofBytes);
          slabWords = wordsOf(slab);
        }
        const lower = s * SIBLINGS_PER_LEVEL * 32;
        const siblings = slab.subarray(slot * proofBytes, (slot + 1) * proofBytes);
        siblings.set(rec.subarray(layout.siblings, layout.siblings + lower));
        tree.siblings(s, at, slabWords, (slot * proofBytes + lower) / 4);
        leafUpdates.push({
          index: u.index,
          before: u.before,
          after: u.after,
          oldLeaf: readFrLEView(records, n * layout.bytes + layout.oldLeaf),
          newLeaf: readFrLEView(records, n * layout.bytes + layout.newLeaf),
          siblings,
        });
      }
      // Levels lo..s from the record; only level s marks ancestors dirty in the end (each set
      // clears its own mark), so levels between lo and s stay exact for later reads.
      at = Math.floor(u.index / 4 ** split.lo);
      for (let j = split.lo; j <= s; j++) {
        tree.setDeferred(j, at, recordWords, (n * layout.bytes + layout.nodes + (j - split.lo) * 32) / 4);
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
      const postRoot = tree.root();
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
    newRoot: tree.root(),
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

/**
 * What a sequencer needs to seal a batch: `applyBatch`, asynchronous (`ParallelSealer.seal` and
 * `(…args) => Promise.resolve(applyBatch(…args))` both fit).
 */
export type SealBatch = (
  state: StateReader,
  params: ApplyBatchParameters,
  config: StfConfig,
  options?: ApplyBatchOptions,
) => Promise<BatchResult>;

function assertOption(ok: boolean, message: string): void {
  if (!ok) throw new ParallelSealerError('PARALLEL_SEALER_CONFIG', message);
}

export class ParallelSealer {
  private readonly worker: Worker;
  /** Where the next batch's split starts (steered batch to batch when adaptive). */
  private splitLevel: number;
  private readonly adaptive: boolean;
  private readonly chunkSize: number;
  private readonly firstPart: number;
  private readonly partSize: number;
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
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.adaptive = options.adaptive ?? true;
    assertOption(Number.isFinite(this.splitLevel) && this.splitLevel >= 0 && this.splitLevel <= 16, `splitLevel must be 0..16, got ${this.splitLevel}`);
    assertOption(Number.isInteger(this.chunkSize) && this.chunkSize >= 1 && this.chunkSize <= 1 << 16, `chunkSize must be 1..65536, got ${this.chunkSize}`);
    assertOption(Number.isInteger(this.firstPart) && this.firstPart >= 1, `firstPart must be a positive integer, got ${this.firstPart}`);
    assertOption(Number.isInteger(this.partSize) && this.partSize >= 1, `partSize must be a positive integer, got ${this.partSize}`);
    this.worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
      workerData: { entry: new URL('./parallel-sealer-worker.ts', import.meta.url).href, ...poseidonWorkerData() },
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
    if (msg.type === 'done') job.stream.finish({ keys: msg.keys, values: msg.values, busyMs: msg.busyMs, poseidon: msg.poseidon });
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
    const levels = treeLevels(config.treeDepth);
    const split = splitPlan(this.splitLevel, levels);
    // Records are allocated before planning, for as many updates as the batch can make: an L1 op or
    // an included L2 transaction writes at most two leaves, fee settlement one per fee-table entry.
    const maxUpdates = 2 * (params.l1Ops.length + Math.min(params.l2Txs.length, config.maxL2Txs)) + params.feeTable.length;
    const id = this.nextId++;
    const stream = new RecordStream(recordLayout(split.lo, split.hi).bytes, maxUpdates);
    this.current = { id, stream };
    this.worker.ref();
    try {
      const progress = stream.progress;
      const control = new SplitController(split, this.adaptive, this.partSize);
      const splitOf = new Uint8Array(maxUpdates);
      const seen = new Set<NodeKey>();
      const updates: PlannedUpdate[] = [];
      let planned = false;
      let ended = false;
      let posted = 0;
      const postPart = (size: number): void => {
        if (posted === 0) {
          this.post({ type: 'job', id, lo: split.lo, hi: split.hi, chunkSize: this.chunkSize, progress, records: stream.records });
        }
        const to = Math.min(updates.length, posted + size);
        control.choose(splitOf, posted, to);
        const input = buildLowerInput(state, updates, posted, to, splitOf, split, seen);
        this.post({ type: 'input', id, ...input }, [input.indices.buffer, input.splits.buffer, input.leafInputs.buffer, input.snapKeys.buffer, input.snapValues.buffer]);
        posted = to;
        end();
      };
      const end = (): void => {
        if (!planned || ended || posted < updates.length) return;
        ended = true;
        this.post({ type: 'end', id });
      };
      // The worker starts on a small first part as soon as it is planned, and hashes while the rest
      // is planned (its queue kept one part deep, at the starting split: nothing to steer by yet).
      const onStep = (step: PlannedStep): void => {
        for (const u of step.updates) updates.push(u);
        if (updates.length > maxUpdates) return;
        if (posted === 0) {
          if (updates.length >= this.firstPart) postPart(this.firstPart);
        } else if (updates.length - posted >= this.partSize && posted - Atomics.load(progress, 0) < this.partSize) {
          postPart(this.partSize);
        }
      };
      // Throws exactly what applyBatch throws (a job it abandons is dropped by the next one).
      const plan = planBatch(state, params, config, options.verified === undefined ? { onStep } : { verified: options.verified, onStep }, verifySignature);
      planned = true;
      if (updates.length > maxUpdates) {
        throw new ParallelSealerError('PARALLEL_SEALER_INTERNAL', `${updates.length} leaf updates exceed the bound ${maxUpdates}`);
      }
      const t1 = performance.now();
      // Later parts keep its queue one part deep, each with splits steered by how far it runs ahead
      // of this thread.
      if (posted === 0) postPart(this.firstPart);
      if (posted < updates.length && posted - Atomics.load(progress, 0) < 2 * this.partSize) postPart(this.partSize);
      end();
      const feed = (n: number): void => {
        if (posted === updates.length) return;
        const done = Atomics.load(progress, 0);
        if (posted - done >= this.partSize) return;
        control.steer(done - n);
        postPart(this.partSize);
      };
      const t2 = performance.now();
      const result = await upperStage(state, plan, config, split, splitOf, options.witness ?? true, stream, feed);
      const totalMs = performance.now() - t0;
      if (this.adaptive) this.splitLevel = control.level(levels);
      this.stats = {
        updates: updates.length,
        planMs: t1 - t0,
        prepareMs: t2 - t1,
        waitMs: stream.waitMs,
        workerMs: stream.done?.busyMs ?? 0,
        poseidon: { main: poseidonBackendName(), worker: stream.done?.poseidon ?? 'unknown' },
        totalMs,
        splitLevel: control.meanSplit(),
      };
      return result;
    } finally {
      this.current = undefined;
      this.worker.unref();
    }
  }

  /** `seal` as a plain function, for a sequencer's dependencies (`SealBatch`). */
  readonly sealBatch: SealBatch = (state, params, config, options) => this.seal(state, params, config, options);

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

/** Starts a sealer (its worker thread); `close()` it when the node stops. */
export function createParallelSealer(options: ParallelSealerOptions = {}): ParallelSealer {
  return new ParallelSealer(options);
}
