/**
 * The upper stage's view of the state tree (src/node/parallel-sealer.ts): levels lo..root only,
 * with `SparseMerkleTree`'s deferred semantics — a node set at the split marks its ancestors dirty,
 * and a dirty node is hashed when first read (a sibling lookup or the root), so a transfer's two
 * paths hash their common ancestors once. Values equal `SparseMerkleTree`'s exactly; the difference
 * is cost on the sealer's critical thread: per-level maps keyed by small integers instead of one map
 * keyed by level·2^32 + index, base reads cached, and node values in an arena (parallel-sealer-arena.ts)
 * moved by word copies, with no buffer allocated per hash.
 */
import { readFrLEView, type Fr } from '../core/field.ts';
import { nodeKey, type NodeKey, type NodeReader } from '../core/smt.ts';
import { poseidon4Engine } from '../core/poseidon.ts';
import { copyNode, NODE_WORDS, NodeArena, wordsOf } from './parallel-sealer-arena.ts';

export class UpperTree {
  /** Per level: index -> arena slot (base reads cached, writes, resolved dirty nodes). */
  private readonly slots: Map<number, number>[] = [];
  /** Per level: indices written or rehashed (the batch's `changes` at this level). */
  private readonly written: Set<number>[] = [];
  private readonly dirty: Set<number>[] = [];
  private readonly arena: NodeArena;
  private readonly engine = poseidon4Engine();
  /** The engine's memory as words. */
  private readonly mem: Int32Array;

  constructor(private readonly base: NodeReader, readonly lo: number, readonly levels: number) {
    this.arena = new NodeArena(levels);
    this.mem = wordsOf(this.engine.mem);
    for (let k = 0; k <= levels; k++) {
      this.slots.push(new Map());
      this.written.push(new Set());
      this.dirty.push(new Set());
    }
  }

  /**
   * The arena slot of a node (level >= lo): one map read, or one base read the first time, or a
   * rehash (which may grow the arena: read `arena.words` after this).
   */
  private slot(level: number, index: number): number {
    if (this.dirty[level]?.has(index) === true) return this.rehash(level, index);
    const map = this.slots[level];
    const hit = map?.get(index);
    if (hit !== undefined) return hit;
    const value = this.base.getNode(nodeKey(level, index));
    let slot = level;
    if (value !== undefined) {
      slot = this.arena.alloc();
      this.arena.bytes.set(value.subarray(0, 32), slot * 32);
    }
    map?.set(index, slot);
    return slot;
  }

  /** Marks the node written and returns its own slot (NodeArena.writeSlot). */
  private writeSlot(level: number, index: number): number {
    return this.arena.writeSlot(this.slots[level], this.written[level], index);
  }

  /** One 4-input Poseidon over the (recursively resolved) children. */
  private rehash(level: number, index: number): number {
    // Children first (resolving one may rehash below, using the engine), then into its memory.
    const c0 = this.slot(level - 1, index * 4);
    const c1 = this.slot(level - 1, index * 4 + 1);
    const c2 = this.slot(level - 1, index * 4 + 2);
    const c3 = this.slot(level - 1, index * 4 + 3);
    const { input, output, hash } = this.engine;
    const mem = this.mem;
    const words = this.arena.words;
    const at = input / 4;
    copyNode(words, c0 * NODE_WORDS, mem, at);
    copyNode(words, c1 * NODE_WORDS, mem, at + NODE_WORDS);
    copyNode(words, c2 * NODE_WORDS, mem, at + 2 * NODE_WORDS);
    copyNode(words, c3 * NODE_WORDS, mem, at + 3 * NODE_WORDS);
    hash();
    const slot = this.writeSlot(level, index);
    copyNode(mem, output / 4, this.arena.words, slot * NODE_WORDS);
    this.dirty[level]?.delete(index);
    return slot;
  }

  /**
   * Sets a node computed below (level >= lo), read from `from` at word `at`, and marks its ancestors
   * dirty. A dirty node's parent is always dirty (a rehash cleans a node's dirty descendants before
   * the node), so the walk stops at the first dirty ancestor: within a step the path's top is usually
   * dirty already.
   */
  setDeferred(level: number, index: number, from: Int32Array, at: number): void {
    const slot = this.writeSlot(level, index);
    copyNode(from, at, this.arena.words, slot * NODE_WORDS);
    this.dirty[level]?.delete(index);
    let i = index;
    for (let k = level + 1; k <= this.levels; k++) {
      i = Math.floor(i / 4);
      const dirty = this.dirty[k];
      if (dirty === undefined || dirty.has(i)) break;
      dirty.add(i);
    }
  }

  /** The 3 siblings per level from `level` up, written into `out` from word `at` (proof order). */
  siblings(level: number, index: number, out: Int32Array, at: number): void {
    let i = index;
    let o = at;
    for (let k = level; k < this.levels; k++) {
      const p = i % 4;
      const first = i - p;
      for (let c = 0; c < 4; c++) {
        if (c === p) continue;
        const slot = this.slot(k, first + c);
        copyNode(this.arena.words, slot * NODE_WORDS, out, o);
        o += NODE_WORDS;
      }
      i = (i - p) / 4;
    }
  }

  /** The root (resolving deferred work). */
  root(): Fr {
    const slot = this.slot(this.levels, 0);
    const bytes = this.arena.bytes;
    return readFrLEView(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), slot * 32);
  }

  /** Every node written at levels >= lo, into `into` (flushes deferred work first). */
  changes(into: Map<NodeKey, Uint8Array>): void {
    this.slot(this.levels, 0);
    for (let k = this.lo; k <= this.levels; k++) {
      const map = this.slots[k];
      for (const index of this.written[k] ?? []) {
        const slot = map?.get(index);
        if (slot !== undefined) into.set(nodeKey(k, index), this.arena.slice(slot));
      }
    }
  }
}
