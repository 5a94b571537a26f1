/**
 * Sparse Merkle tree over Poseidon with ARITY 4: a node is Poseidon([c0, c1, c2, c3]) of its four
 * children, so each level consumes 2 bits of the leaf index. `depth` counts index bits (even,
 * 2..32; production 32 = 16 levels = 2^32 leaves). Leaves at level 0, root at level depth/2.
 *
 * Why 4-ary (docs/PROTOCOL.md §4): measured with circom --O2, one 4-input Poseidon costs 297
 * constraints against 2 × 240 for the two binary levels it replaces, so a depth-32 path costs ≈ 4,900
 * constraints instead of ≈ 7,700, and a transfer's four paths ≈ 19k instead of ≈ 31k — the difference
 * between meeting and missing the 40k-per-transfer budget. Native hashing is ~13% cheaper too.
 *
 * An empty leaf is 0; an empty subtree of height k has the precomputed value Z[k] (Z[0] = 0,
 * Z[k+1] = H(Z[k], Z[k], Z[k], Z[k])). Only non-empty nodes are stored.
 *
 * Nodes are 32-byte little-endian canonical field elements (the engine's wire format) keyed by
 * `level * 2^32 + index`. The tree reads through to a `NodeReader` (memory here, the node's database
 * later) and keeps its own writes in an overlay, so a batch can be applied, inspected and then
 * committed or dropped as a whole.
 */
import { InvalidInputError } from './errors.ts';
import { frFromBytesLE, frToBytesLE, type Fr } from './field.ts';
import { MAX_TREE_DEPTH } from './params.ts';
import { poseidonLE } from './poseidon.ts';

export const TREE_ARITY = 4;
/** Siblings per level of a proof (the other three children). */
export const SIBLINGS_PER_LEVEL = TREE_ARITY - 1;

export type NodeKey = number;
export type NodeReader = { readonly getNode: (key: NodeKey) => Uint8Array | undefined };

const TWO32 = 2 ** 32;
export function nodeKey(level: number, index: number): NodeKey {
  return level * TWO32 + index;
}

const ZERO32 = new Uint8Array(32);

/** Poseidon of four 32-byte LE children laid out contiguously in `children` (128 bytes). */
function hash4(children: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  return poseidonLE(children, 4, out);
}

const zeroCache: Uint8Array[] = [ZERO32];
/** Z[k]: value of an empty subtree of height k (levels). */
export function emptySubtree(height: number): Uint8Array {
  while (zeroCache.length <= height) {
    const prev = zeroCache[zeroCache.length - 1] ?? ZERO32;
    const children = new Uint8Array(128);
    for (let c = 0; c < 4; c++) children.set(prev, c * 32);
    zeroCache.push(hash4(children));
  }
  return zeroCache[height] ?? ZERO32;
}

export function assertTreeDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 2 || depth > MAX_TREE_DEPTH || depth % 2 !== 0) {
    throw new InvalidInputError(`tree depth (index bits) must be even, 2..${MAX_TREE_DEPTH}; got ${depth}`, { details: { depth } });
  }
}

/** Number of hashing levels of a tree addressing 2^depth leaves. */
export function treeLevels(depth: number): number {
  return depth / 2;
}

/** Index of the ancestor `levels` levels up; exact for indices up to 2^32 - 1. */
function ancestor(index: number, levels: number): number {
  return Math.floor(index / 4 ** levels);
}

/**
 * Recomputes a path bottom-up in place of a storage walk. At level k the node's position among its
 * siblings is p = (index >> 2k) & 3; the four hash inputs are the three siblings of that level (in
 * position order) with the node inserted at p. Writes the levels+1 path nodes into `nodesOut` when
 * given and returns the root. Cost: `levels` 4-input Poseidon hashes.
 */
export function merklePath4LE(leaf: Uint8Array, siblings: Uint8Array, index: number, levels: number, nodesOut?: Uint8Array): Uint8Array {
  if (siblings.length !== levels * SIBLINGS_PER_LEVEL * 32) {
    throw new InvalidInputError(`need ${levels * SIBLINGS_PER_LEVEL} siblings, got ${siblings.length / 32}`);
  }
  const children = new Uint8Array(128);
  let node = leaf.subarray(0, 32);
  if (nodesOut !== undefined) nodesOut.set(node, 0);
  let i = index;
  for (let k = 0; k < levels; k++) {
    const p = i % 4;
    const s = k * SIBLINGS_PER_LEVEL * 32;
    let next = 0;
    for (let c = 0; c < 4; c++) {
      if (c === p) children.set(node, c * 32);
      else {
        children.set(siblings.subarray(s + next * 32, s + next * 32 + 32), c * 32);
        next++;
      }
    }
    const out = nodesOut === undefined ? new Uint8Array(32) : nodesOut.subarray((k + 1) * 32, (k + 2) * 32);
    hash4(children, out);
    node = out;
    i = Math.floor(i / 4);
  }
  return node.slice();
}

export type MerkleProof = {
  readonly index: number;
  /** Leaf value (0 = empty slot: the proof is then a non-inclusion proof). */
  readonly leaf: Uint8Array;
  /** levels × 3 × 32 bytes: at level k, the three other children in position order. */
  readonly siblings: Uint8Array;
};

export class MemoryNodeStore implements NodeReader {
  readonly nodes = new Map<NodeKey, Uint8Array>();
  getNode(key: NodeKey): Uint8Array | undefined {
    return this.nodes.get(key);
  }
  apply(changes: ReadonlyMap<NodeKey, Uint8Array>): void {
    for (const [k, v] of changes) this.nodes.set(k, v);
  }
}

export class SparseMerkleTree {
  /** Index bits. */
  readonly depth: number;
  /** Hashing levels (depth / 2). */
  readonly levels: number;
  private readonly base: NodeReader;
  private readonly overlay = new Map<NodeKey, Uint8Array>();
  /** Ancestors of deferred leaf writes, hashed only when first read (see `setLeafDeferred`). */
  private readonly dirty = new Set<NodeKey>();

  constructor(depth: number, base: NodeReader = new MemoryNodeStore()) {
    assertTreeDepth(depth);
    this.depth = depth;
    this.levels = treeLevels(depth);
    this.base = base;
    emptySubtree(this.levels);
  }

  /** Nodes written since construction (or the last `clearChanges`), with deferred work flushed. */
  get changes(): ReadonlyMap<NodeKey, Uint8Array> {
    this.rootLE();
    return this.overlay;
  }
  clearChanges(): void {
    this.overlay.clear();
    this.dirty.clear();
  }

  private assertIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** this.depth) {
      throw new InvalidInputError(`leaf index must be in [0, 2^${this.depth}), got ${index}`, { details: { index } });
    }
  }

  node(level: number, index: number): Uint8Array {
    const key = nodeKey(level, index);
    if (this.dirty.size !== 0 && this.dirty.has(key)) return this.rehash(level, index, key);
    return this.overlay.get(key) ?? this.base.getNode(key) ?? emptySubtree(level);
  }

  /** Recomputes a dirty node from its (recursively resolved) children; one 4-input Poseidon. */
  private rehash(level: number, index: number, key: NodeKey): Uint8Array {
    const children = new Uint8Array(128);
    for (let c = 0; c < 4; c++) children.set(this.node(level - 1, index * 4 + c), c * 32);
    const value = hash4(children);
    this.overlay.set(key, value);
    this.dirty.delete(key);
    return value;
  }

  rootLE(): Uint8Array {
    return this.node(this.levels, 0);
  }
  root(): Fr {
    return frFromBytesLE(this.rootLE());
  }

  leafLE(index: number): Uint8Array {
    this.assertIndex(index);
    return this.node(0, index);
  }

  /** Siblings along the path of `index`, in the tree as it is now (3 reads per level). */
  siblings(index: number, out: Uint8Array = new Uint8Array(this.levels * SIBLINGS_PER_LEVEL * 32)): Uint8Array {
    this.assertIndex(index);
    let i = index;
    let o = 0;
    for (let k = 0; k < this.levels; k++) {
      const first = i - (i % 4);
      for (let c = first; c < first + 4; c++) {
        if (c === i) continue;
        out.set(this.node(k, c), o);
        o += 32;
      }
      i = Math.floor(i / 4);
    }
    return out;
  }

  /** Inclusion proof, or non-inclusion proof when the slot is empty (leaf = 0). */
  proof(index: number): MerkleProof {
    return { index, leaf: this.leafLE(index).slice(), siblings: this.siblings(index) };
  }

  /**
   * Sets one leaf and rehashes its path (`levels` hashes). Returns the siblings used, which are also
   * the witness for this update (the old leaf verifies against the old root with them).
   */
  update(index: number, leaf: Uint8Array): Uint8Array {
    if (leaf.length !== 32) throw new InvalidInputError('leaf must be 32 bytes');
    const siblings = this.siblings(index);
    const path = new Uint8Array((this.levels + 1) * 32);
    merklePath4LE(leaf, siblings, index, this.levels, path);
    for (let k = 0; k <= this.levels; k++) {
      const key = nodeKey(k, ancestor(index, k));
      this.overlay.set(key, path.subarray(k * 32, k * 32 + 32));
      // The siblings were resolved, so this path is exact even over deferred writes elsewhere.
      this.dirty.delete(key);
    }
    return siblings;
  }

  /**
   * Sets one leaf without rehashing its path; ancestors are hashed when something first reads them
   * (a sibling lookup, `root()`, `changes`). Returns the siblings at this moment — the witness of the
   * update. Two updates in a row (a transfer's sender then receiver) thus hash their common ancestors
   * once: levels + m hashes instead of 2·levels, m being the level where the two paths meet.
   */
  setLeafDeferred(index: number, leaf: Uint8Array): Uint8Array {
    if (leaf.length !== 32) throw new InvalidInputError('leaf must be 32 bytes');
    const siblings = this.siblings(index);
    this.overlay.set(nodeKey(0, index), leaf);
    for (let k = 1; k <= this.levels; k++) this.dirty.add(nodeKey(k, ancestor(index, k)));
    return siblings;
  }

  /**
   * Sets many leaves, then rehashes each dirty node exactly once, level by level — for bulk loads and
   * derivation, where per-update witnesses are not needed. Later entries for the same index win.
   */
  updateMany(entries: Iterable<readonly [number, Uint8Array]>): void {
    this.rootLE(); // settle deferred writes first so no stale dirty mark outlives this rewrite
    let dirty = new Set<number>();
    for (const [index, leaf] of entries) {
      this.assertIndex(index);
      if (leaf.length !== 32) throw new InvalidInputError('leaf must be 32 bytes');
      this.overlay.set(nodeKey(0, index), leaf);
      dirty.add(index);
    }
    const children = new Uint8Array(128);
    for (let level = 0; level < this.levels; level++) {
      const parents = new Set<number>();
      for (const i of dirty) parents.add(Math.floor(i / 4));
      for (const p of parents) {
        for (let c = 0; c < 4; c++) children.set(this.node(level, p * 4 + c), c * 32);
        this.overlay.set(nodeKey(level + 1, p), hash4(children));
      }
      dirty = parents;
    }
  }
}

/** Recomputes the root from a leaf and its siblings and compares; never throws on a bad proof. */
export function verifyMerkleProof(root: Fr, index: number, leaf: Fr, siblings: readonly Fr[], depth: number): boolean {
  assertTreeDepth(depth);
  const levels = treeLevels(depth);
  if (siblings.length !== levels * SIBLINGS_PER_LEVEL || !Number.isInteger(index) || index < 0 || index >= 2 ** depth) return false;
  const sib = new Uint8Array(siblings.length * 32);
  siblings.forEach((s, k) => frToBytesLE(s, sib, k * 32));
  return frFromBytesLE(merklePath4LE(frToBytesLE(leaf), sib, index, levels)) === root;
}

/** Splits a sibling buffer into field elements (for witnesses and JSON vectors). */
export function siblingsToFr(siblings: Uint8Array): Fr[] {
  const out: Fr[] = [];
  for (let o = 0; o + 32 <= siblings.length; o += 32) out.push(frFromBytesLE(siblings, o));
  return out;
}
