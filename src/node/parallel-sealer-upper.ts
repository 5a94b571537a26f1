/**
 * The upper stage's view of the state tree (src/node/parallel-sealer.ts): levels lo..root only,
 * with `SparseMerkleTree`'s deferred semantics — a node set at the split marks its ancestors dirty,
 * and a dirty node is hashed when first read (a sibling lookup or the root), so a transfer's two
 * paths hash their common ancestors once. Values equal `SparseMerkleTree`'s exactly; the difference
 * is cost on the sealer's critical thread: per-level maps keyed by small integers instead of one map
 * keyed by level·2^32 + index, base reads cached, and no buffer allocated per hash.
 */
import { emptySubtree, nodeKey, type NodeKey, type NodeReader } from '../core/smt.ts';
import { poseidon4Engine } from '../core/poseidon.ts';

export class UpperTree {
  /** Per level: index -> value (base reads cached, writes, resolved dirty nodes). */
  private readonly nodes: Map<number, Uint8Array>[] = [];
  /** Per level: indices written or rehashed (the batch's `changes` at this level). */
  private readonly written: Set<number>[] = [];
  private readonly dirty: Set<number>[] = [];
  private readonly engine = poseidon4Engine();
  private readonly empty: Uint8Array[] = [];

  constructor(private readonly base: NodeReader, readonly lo: number, readonly levels: number) {
    for (let k = 0; k <= levels; k++) {
      this.nodes.push(new Map());
      this.written.push(new Set());
      this.dirty.push(new Set());
      this.empty.push(emptySubtree(k));
    }
  }

  /** Node (level >= lo); cost: one map read, or one base read the first time, or a rehash. */
  node(level: number, index: number): Uint8Array {
    if (this.dirty[level]?.has(index) === true) return this.rehash(level, index);
    const map = this.nodes[level];
    const hit = map?.get(index);
    if (hit !== undefined) return hit;
    const value = this.base.getNode(nodeKey(level, index)) ?? this.empty[level] ?? emptySubtree(level);
    map?.set(index, value);
    return value;
  }

  /** One 4-input Poseidon over the (recursively resolved) children. */
  private rehash(level: number, index: number): Uint8Array {
    // Children first (resolving one may rehash below, using the engine), then into its memory.
    const c0 = this.node(level - 1, index * 4);
    const c1 = this.node(level - 1, index * 4 + 1);
    const c2 = this.node(level - 1, index * 4 + 2);
    const c3 = this.node(level - 1, index * 4 + 3);
    const { mem, input, output, hash } = this.engine;
    mem.set(c0, input);
    mem.set(c1, input + 32);
    mem.set(c2, input + 64);
    mem.set(c3, input + 96);
    hash();
    const value = mem.slice(output, output + 32);
    this.nodes[level]?.set(index, value);
    this.written[level]?.add(index);
    this.dirty[level]?.delete(index);
    return value;
  }

  /**
   * Sets a node computed below (level >= lo) and marks its ancestors dirty. A dirty node's parent is
   * always dirty (a rehash cleans a node's dirty descendants before the node), so the walk stops at
   * the first dirty ancestor: within a step the path's top is usually dirty already.
   */
  setDeferred(level: number, index: number, value: Uint8Array): void {
    this.nodes[level]?.set(index, value);
    this.written[level]?.add(index);
    this.dirty[level]?.delete(index);
    let i = index;
    for (let k = level + 1; k <= this.levels; k++) {
      i = Math.floor(i / 4);
      const dirty = this.dirty[k];
      if (dirty === undefined || dirty.has(i)) break;
      dirty.add(i);
    }
  }

  /** The 3 siblings per level from `level` up, written at `offset` (proof order). */
  siblings(level: number, index: number, out: Uint8Array, offset: number): void {
    let i = index;
    let o = offset;
    for (let k = level; k < this.levels; k++) {
      const p = i % 4;
      const first = i - p;
      for (let c = 0; c < 4; c++) {
        if (c === p) continue;
        out.set(this.node(k, first + c), o);
        o += 32;
      }
      i = (i - p) / 4;
    }
  }

  root(): Uint8Array {
    return this.node(this.levels, 0);
  }

  /** Every node written at levels >= lo, into `into` (flushes deferred work first). */
  changes(into: Map<NodeKey, Uint8Array>): void {
    this.root();
    for (let k = this.lo; k <= this.levels; k++) {
      const map = this.nodes[k];
      for (const index of this.written[k] ?? []) {
        const value = map?.get(index);
        if (value !== undefined) into.set(nodeKey(k, index), value);
      }
    }
  }
}
