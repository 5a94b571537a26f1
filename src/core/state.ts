/**
 * Rollup state as the STF sees it: the account tree's nodes, the accounts themselves (the preimages
 * of the leaves) and the next account index to assign. The STF reads through a `StateReader` and
 * returns `StateChanges`; whoever owns storage applies them atomically. `MemoryState` is the
 * in-memory implementation used by tests, benches and the demo; the node plugs in its database.
 */
import type { Account } from './account.ts';
import { FIRST_ACCOUNT_INDEX } from './params.ts';
import { MemoryNodeStore, type NodeKey, type NodeReader } from './smt.ts';

export type StateReader = NodeReader & {
  readonly getAccount: (index: number) => Account | undefined;
  /** Next index a created account receives; accounts are exactly 1..nextIndex-1. */
  readonly nextIndex: number;
};

export type StateChanges = {
  readonly nodes: ReadonlyMap<NodeKey, Uint8Array>;
  readonly accounts: ReadonlyMap<number, Account>;
  readonly nextIndex: number;
};

export class MemoryState implements StateReader {
  private readonly tree = new MemoryNodeStore();
  private readonly accounts = new Map<number, Account>();
  nextIndex = FIRST_ACCOUNT_INDEX;

  getNode(key: NodeKey): Uint8Array | undefined {
    return this.tree.getNode(key);
  }
  getAccount(index: number): Account | undefined {
    return this.accounts.get(index);
  }
  get accountCount(): number {
    return this.accounts.size;
  }
  *entries(): IterableIterator<[number, Account]> {
    yield* this.accounts.entries();
  }
  apply(changes: StateChanges): void {
    this.tree.apply(changes.nodes);
    for (const [i, a] of changes.accounts) this.accounts.set(i, a);
    this.nextIndex = changes.nextIndex;
  }
}

/** A read view layering uncommitted changes over a base state (used between sequential batches). */
export function overlayState(base: StateReader, changes: StateChanges): StateReader {
  return {
    getNode: (key) => changes.nodes.get(key) ?? base.getNode(key),
    getAccount: (index) => changes.accounts.get(index) ?? base.getAccount(index),
    nextIndex: changes.nextIndex,
  };
}
