/**
 * Node storage for the parallel sealer's stages (parallel-sealer-lower.ts, parallel-sealer-upper.ts):
 * every 32-byte node value in one growable Int32Array, addressed by slot, so moving a node between
 * the arena, the Poseidon engine's memory and the records is 8 word copies. A `TypedArray.set` of
 * 32 bytes costs several times that, and a 32-byte `slice` per hashed node is an allocation; both
 * stages move ~10 nodes per hash.
 */
import { emptySubtree } from '../core/smt.ts';

/** Int32 words per node. */
export const NODE_WORDS = 8;

/** Copies one node (8 words) from `src` at word `s` to `dst` at word `d`. Cost: 8 loads and stores. */
export function copyNode(src: Int32Array, s: number, dst: Int32Array, d: number): void {
  dst[d] = src[s] ?? 0;
  dst[d + 1] = src[s + 1] ?? 0;
  dst[d + 2] = src[s + 2] ?? 0;
  dst[d + 3] = src[s + 3] ?? 0;
  dst[d + 4] = src[s + 4] ?? 0;
  dst[d + 5] = src[s + 5] ?? 0;
  dst[d + 6] = src[s + 6] ?? 0;
  dst[d + 7] = src[s + 7] ?? 0;
}

/** An Int32Array over a byte view (its offset and length are multiples of 4 in every use here). */
export function wordsOf(bytes: Uint8Array): Int32Array {
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
}

export class NodeArena {
  /** Slot s is at words [8s, 8s + 8). Replaced when the arena grows: re-read after `alloc`. */
  words: Int32Array;
  /** Byte view of `words` (same buffer). */
  bytes: Uint8Array;
  private used = 0;

  /** Slots 0..levels hold the empty subtrees Z[0..levels] (shared: never written). */
  constructor(readonly levels: number, capacity = 1 << 8) {
    this.words = new Int32Array(Math.max(capacity, levels + 1) * NODE_WORDS);
    this.bytes = new Uint8Array(this.words.buffer);
    for (let k = 0; k <= levels; k++) this.bytes.set(emptySubtree(k), this.alloc() * 32);
  }

  /** Whether `slot` is a shared empty-subtree slot. */
  isEmpty(slot: number): boolean {
    return slot <= this.levels;
  }

  /** A fresh slot (contents unspecified). Amortised O(1): the arena doubles when full. */
  alloc(): number {
    if ((this.used + 1) * NODE_WORDS > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
      this.bytes = new Uint8Array(grown.buffer);
    }
    return this.used++;
  }

  /**
   * The slot node `index` of one level is written into: `slots` (index → slot) gives its own slot,
   * allocated on first write (a shared empty-subtree slot is never written); `written` records it.
   */
  writeSlot(slots: Map<number, number> | undefined, written: Set<number> | undefined, index: number): number {
    let slot = slots?.get(index);
    if (slot === undefined || this.isEmpty(slot)) {
      slot = this.alloc();
      slots?.set(index, slot);
    }
    written?.add(index);
    return slot;
  }

  /** A copy of the node in `slot`. */
  slice(slot: number): Uint8Array {
    return this.bytes.slice(slot * 32, slot * 32 + 32);
  }
}
