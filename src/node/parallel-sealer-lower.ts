/**
 * The lower stage of the parallel sealer (src/node/parallel-sealer.ts), shared by its worker and
 * its tests: for each leaf update, in batch order, hash the new leaf and its path up to the update's
 * split level s (lo or hi = lo + 1), reading siblings from its own overlay of levels 0..hi-1 over a
 * snapshot of the base nodes. Updates are applied eagerly in batch order, so every value equals what
 * `SparseMerkleTree.setLeafDeferred` gives for those levels (deferral only changes when a hash runs).
 *
 * Two split levels let the sealer balance the threads finer than one level (a level is ~2 hashes
 * per transfer): the upper stage owns every node at levels >= lo, so each record carries the new
 * nodes at levels lo..s, and the overlay keeps levels < hi so a hi-update can read level-(hi-1)
 * siblings that lo-updates wrote.
 *
 * Wire formats (transferable buffers; no structured cloning of bigints):
 * - job input, in parts: per update `indices` (u32), `splits` (u8: lo or hi), `leafInputs`
 *   (4 × 32 bytes LE: `accountLeafInputs`), and snapshot `snapKeys` (f64 node keys) / `snapValues`
 *   (32 bytes each): the base value of every node the stage may read that the base stores — the 4
 *   children at each level < hi along every touched path (absent = empty subtree).
 * - record per update (`recordLayout(lo, hi).bytes`): old leaf | new leaf | hi × 3 siblings (levels
 *   0..s-1 used, as in a proof) | new nodes at levels lo..hi (lo..s used).
 */
import { nodeKey, SIBLINGS_PER_LEVEL } from '../core/smt.ts';
import { poseidon4Engine } from '../core/poseidon.ts';
import { copyNode, NODE_WORDS, NodeArena, wordsOf } from './parallel-sealer-arena.ts';

export const LEAF_INPUT_BYTES = 4 * 32;
const TWO32 = 2 ** 32;

export type RecordLayout = {
  readonly oldLeaf: number;
  readonly newLeaf: number;
  readonly siblings: number;
  /** Offset of the node at level lo; level j is at nodes + (j - lo) · 32. */
  readonly nodes: number;
  readonly bytes: number;
};

export function recordLayout(lo: number, hi: number): RecordLayout {
  const nodes = 64 + hi * SIBLINGS_PER_LEVEL * 32;
  return { oldLeaf: 0, newLeaf: 32, siblings: 64, nodes, bytes: nodes + (hi - lo + 1) * 32 };
}

export type LowerInput = {
  readonly indices: Uint32Array<ArrayBuffer>;
  readonly splits: Uint8Array<ArrayBuffer>;
  readonly leafInputs: Uint8Array<ArrayBuffer>;
  readonly snapKeys: Float64Array<ArrayBuffer>;
  readonly snapValues: Uint8Array<ArrayBuffer>;
};

export type SealerRequest =
  /**
   * Shared memory: record n goes to `records` at n · bytes, then `progress[0]` = records done is
   * published (every `chunkSize` records), so the main thread reads them without a message turn.
   */
  | {
      readonly type: 'job';
      readonly id: number;
      readonly lo: number;
      readonly hi: number;
      readonly chunkSize: number;
      readonly progress: Int32Array;
      readonly records: Uint8Array;
    }
  | ({ readonly type: 'input'; readonly id: number } & LowerInput)
  | { readonly type: 'end'; readonly id: number }
  | { readonly type: 'close' };

export type SealerReply =
  | {
      readonly type: 'done';
      readonly id: number;
      readonly keys: Float64Array;
      readonly values: Uint8Array;
      readonly busyMs: number;
      /** The worker's Poseidon backend ('native' or 'wasm'). */
      readonly poseidon: string;
    }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

export class LowerStage {
  /**
   * Per level below hi: node index -> arena slot, base snapshot and this stage's writes in one map
   * (one lookup per read; small-integer keys hash far cheaper than level·2^32 + index, a heap double).
   */
  private readonly slots: Map<number, number>[] = [];
  /** Per level below hi: indices this stage wrote (below lo: the batch's `changes` there). */
  private readonly written: Set<number>[] = [];
  private readonly arena: NodeArena;
  private readonly engine = poseidon4Engine();
  /** The engine's memory as words: inputs and output move by `copyNode`. */
  private readonly mem: Int32Array;
  readonly layout: RecordLayout;

  constructor(readonly lo: number, readonly hi: number) {
    this.layout = recordLayout(lo, hi);
    this.arena = new NodeArena(hi);
    this.mem = wordsOf(this.engine.mem);
    for (let k = 0; k <= hi; k++) {
      this.slots.push(new Map());
      this.written.push(new Set());
    }
  }

  /**
   * Adds base nodes. Parts never resend a node (the sealer snapshots each parent's children once,
   * before any update below it), so a written node is never overwritten; the check is a safety net.
   */
  addSnapshot(keys: Float64Array, values: Uint8Array): void {
    const from = wordsOf(values);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? 0;
      const level = Math.floor(key / TWO32);
      const index = key - level * TWO32;
      const map = this.slots[level];
      if (map === undefined || this.written[level]?.has(index) === true) continue;
      let slot = map.get(index);
      if (slot === undefined) {
        slot = this.arena.alloc();
        map.set(index, slot);
      }
      copyNode(from, i * NODE_WORDS, this.arena.words, slot * NODE_WORDS);
    }
  }

  /** The node's slot (level < hi): its own, or the empty subtree's. */
  private slot(level: number, index: number): number {
    return this.slots[level]?.get(index) ?? level;
  }

  /** Marks the node written and returns its own slot (NodeArena.writeSlot). */
  private writeSlot(level: number, index: number): number {
    return this.arena.writeSlot(this.slots[level], this.written[level], index);
  }

  /**
   * Processes `input`'s updates [start, end) into `out` (one record each). Cost: (1 + s) 4-input
   * Poseidon hashes per update, plus 3·s map reads and ~5 node copies per hash.
   */
  run(input: LowerInput, start: number, end: number, out: Uint8Array): void {
    const { indices, splits, leafInputs } = input;
    const W = 4;
    const oldLeaf = this.layout.oldLeaf / W;
    const newLeaf = this.layout.newLeaf / W;
    const siblings = this.layout.siblings / W;
    const nodes = this.layout.nodes / W;
    const bytes = this.layout.bytes / W;
    const rec = wordsOf(out);
    // Inputs go straight into the engine's memory; each result is copied out where it is kept.
    const { mem: memBytes, input: at, output, hash } = this.engine;
    const mem = this.mem;
    const inW = at / W;
    const outW = output / W;
    const arena = this.arena;
    for (let u = start; u < end; u++) {
      const o = (u - start) * bytes;
      const split = splits[u] ?? this.lo;
      let i = indices[u] ?? 0;
      copyNode(arena.words, this.slot(0, i) * NODE_WORDS, rec, o + oldLeaf);
      memBytes.set(leafInputs.subarray(u * LEAF_INPUT_BYTES, (u + 1) * LEAF_INPUT_BYTES), at);
      hash();
      copyNode(mem, outW, rec, o + newLeaf);
      const leaf = this.writeSlot(0, i);
      copyNode(mem, outW, arena.words, leaf * NODE_WORDS);
      if (this.lo === 0) copyNode(mem, outW, rec, o + nodes);
      let s = o + siblings;
      for (let k = 0; k < split; k++) {
        const p = i % 4;
        const first = i - p;
        // The path's node (the last result) first: the sibling copies do not touch the output.
        copyNode(mem, outW, mem, inW + p * NODE_WORDS);
        for (let c = 0; c < 4; c++) {
          if (c === p) continue;
          const sib = this.slot(k, first + c) * NODE_WORDS;
          copyNode(arena.words, sib, mem, inW + c * NODE_WORDS);
          copyNode(arena.words, sib, rec, s);
          s += NODE_WORDS;
        }
        hash();
        i = (i - p) / 4;
        if (k + 1 < this.hi) {
          const slot = this.writeSlot(k + 1, i);
          copyNode(mem, outW, arena.words, slot * NODE_WORDS);
        }
        if (k + 1 >= this.lo) copyNode(mem, outW, rec, o + nodes + (k + 1 - this.lo) * NODE_WORDS);
      }
    }
  }

  /** Written nodes below lo (the upper stage owns lo and above), flattened for transfer. */
  exportWritten(): { keys: Float64Array<ArrayBuffer>; values: Uint8Array<ArrayBuffer> } {
    let size = 0;
    for (let k = 0; k < this.lo; k++) size += this.written[k]?.size ?? 0;
    const keys = new Float64Array(size);
    const values = new Uint8Array(size * 32);
    const to = wordsOf(values);
    let n = 0;
    for (let k = 0; k < this.lo; k++) {
      for (const index of this.written[k] ?? []) {
        keys[n] = nodeKey(k, index);
        copyNode(this.arena.words, this.slot(k, index) * NODE_WORDS, to, n * NODE_WORDS);
        n++;
      }
    }
    return { keys, values };
  }
}
