/**
 * Sparse Merkle tree over Poseidon, depth 1..32, leaves at level 0, root at level `depth`.
 * parent = Poseidon([left, right]); an empty leaf is 0 and an empty subtree of height k has the
 * precomputed value Z[k] (Z[0] = 0, Z[k+1] = H(Z[k], Z[k])). Only non-empty nodes are stored.
 *
 * Nodes are 32-byte little-endian canonical field elements (the engine's wire format) keyed by
 * `level * 2^32 + index`. The tree reads through to a `NodeReader` (memory here, the node's database
 * later) and keeps its own writes in an overlay, so a batch can be applied, inspected and then
 * committed or dropped as a whole.
 */
import { InvalidInputError } from './errors.ts';
import { frFromBytesLE, frToBytesLE, type Fr } from './field.ts';
import { MAX_TREE_DEPTH } from './params.ts';
import { hash2LE, merklePathLE } from './poseidon.ts';

export type NodeKey = number;
export type NodeReader = { readonly getNode: (key: NodeKey) => Uint8Array | undefined };

const TWO32 = 2 ** 32;
export function nodeKey(level: number, index: number): NodeKey {
  return level * TWO32 + index;
}

const ZERO32 = new Uint8Array(32);
const zeroCache: Uint8Array[] = [ZERO32];
/** Z[k]: value of an empty subtree of height k. */
export function emptySubtree(height: number): Uint8Array {
  while (zeroCache.length <= height) {
    const prev = zeroCache[zeroCache.length - 1] ?? ZERO32;
    zeroCache.push(hash2LE(prev, prev));
  }
  return zeroCache[height] ?? ZERO32;
}

export function assertTreeDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_TREE_DEPTH) {
    throw new InvalidInputError(`tree depth must be 1..${MAX_TREE_DEPTH}, got ${depth}`, { details: { depth } });
  }
}

/** Parent index at the next level; `>>>` keeps indices up to 2^32-1 unsigned. */
function up(index: number): number {
  return index >= 2 ** 31 ? Math.floor(index / 2) : index >>> 1;
}
function siblingIndex(index: number): number {
  return index % 2 === 0 ? index + 1 : index - 1;
}

export type MerkleProof = {
  readonly index: number;
  /** Leaf value (0 = empty slot: the proof is then a non-inclusion proof). */
  readonly leaf: Uint8Array;
  /** depth × 32 bytes, sibling at level k at offset 32k. */
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
  readonly depth: number;
  private readonly base: NodeReader;
  private readonly overlay = new Map<NodeKey, Uint8Array>();

  constructor(depth: number, base: NodeReader = new MemoryNodeStore()) {
    assertTreeDepth(depth);
    this.depth = depth;
    this.base = base;
    emptySubtree(depth);
  }

  /** Nodes written since construction (or the last `clearChanges`). */
  get changes(): ReadonlyMap<NodeKey, Uint8Array> {
    return this.overlay;
  }
  clearChanges(): void {
    this.overlay.clear();
  }

  private assertIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** this.depth) {
      throw new InvalidInputError(`leaf index must be in [0, 2^${this.depth}), got ${index}`, { details: { index } });
    }
  }

  node(level: number, index: number): Uint8Array {
    const key = nodeKey(level, index);
    return this.overlay.get(key) ?? this.base.getNode(key) ?? emptySubtree(level);
  }

  rootLE(): Uint8Array {
    return this.node(this.depth, 0);
  }
  root(): Fr {
    return frFromBytesLE(this.rootLE());
  }

  leafLE(index: number): Uint8Array {
    this.assertIndex(index);
    return this.node(0, index);
  }

  /** Siblings along the path of `index`, in the tree as it is now (32 reads for depth 32). */
  siblings(index: number, out: Uint8Array = new Uint8Array(this.depth * 32)): Uint8Array {
    this.assertIndex(index);
    let i = index;
    for (let k = 0; k < this.depth; k++) {
      out.set(this.node(k, siblingIndex(i)), k * 32);
      i = up(i);
    }
    return out;
  }

  /** Inclusion proof, or non-inclusion proof when the slot is empty (leaf = 0). */
  proof(index: number): MerkleProof {
    return { index, leaf: this.leafLE(index).slice(), siblings: this.siblings(index) };
  }

  /**
   * Sets one leaf and rehashes its path (depth hashes, one engine call). Returns the siblings used,
   * which are also the witness for this update (the old leaf verifies against the old root with them).
   */
  update(index: number, leaf: Uint8Array): Uint8Array {
    const siblings = this.siblings(index);
    const path = new Uint8Array((this.depth + 1) * 32);
    merklePathLE(leaf, siblings, index, this.depth, path);
    let i = index;
    for (let k = 0; k <= this.depth; k++) {
      this.overlay.set(nodeKey(k, i), path.subarray(k * 32, k * 32 + 32));
      i = up(i);
    }
    return siblings;
  }

  /**
   * Sets many leaves, then rehashes each dirty node exactly once, level by level — for bulk loads and
   * derivation, where per-update witnesses are not needed. Later entries for the same index win.
   */
  updateMany(entries: Iterable<readonly [number, Uint8Array]>): void {
    let dirty = new Set<number>();
    for (const [index, leaf] of entries) {
      this.assertIndex(index);
      if (leaf.length !== 32) throw new InvalidInputError('leaf must be 32 bytes');
      this.overlay.set(nodeKey(0, index), leaf);
      dirty.add(index);
    }
    for (let level = 0; level < this.depth; level++) {
      const parents = new Set<number>();
      for (const i of dirty) parents.add(up(i));
      for (const p of parents) {
        const left = this.node(level, p * 2);
        const right = this.node(level, p * 2 + 1);
        this.overlay.set(nodeKey(level + 1, p), hash2LE(left, right));
      }
      dirty = parents;
    }
  }
}

/** Recomputes the root from a leaf and its siblings and compares; never throws on bad proofs. */
export function verifyMerkleProof(root: Fr, index: number, leaf: Fr, siblings: readonly Fr[], depth: number): boolean {
  assertTreeDepth(depth);
  if (siblings.length !== depth || !Number.isInteger(index) || index < 0 || index >= 2 ** depth) return false;
  const sib = new Uint8Array(depth * 32);
  siblings.forEach((s, k) => frToBytesLE(s, sib, k * 32));
  return frFromBytesLE(merklePathLE(frToBytesLE(leaf), sib, index, depth)) === root;
}

/** Splits a depth×32-byte sibling buffer into field elements (for witnesses and JSON vectors). */
export function siblingsToFr(siblings: Uint8Array): Fr[] {
  const out: Fr[] = [];
  for (let o = 0; o + 32 <= siblings.length; o += 32) out.push(frFromBytesLE(siblings, o));
  return out;
}
