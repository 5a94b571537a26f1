/**
 * The node's state in an embedded LMDB database: tree nodes, accounts, next account index and the
 * number of the last batch applied. A batch's changes are written in ONE synchronous LMDB transaction
 * together with its batch number, so after a crash (kill -9 at any instant) the database holds exactly
 * the state after some whole batch — never half of one, never a batch twice.
 *
 * Implements the core's `StateReader` (synchronous reads), so the STF runs directly on it.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { decodeAccount, encodeAccount, type Account } from '../core/account.ts';
import { RampartError } from '../core/errors.ts';
import { FIRST_ACCOUNT_INDEX } from '../core/params.ts';
import { SparseMerkleTree, assertTreeDepth, type NodeKey } from '../core/smt.ts';
import type { StateChanges, StateReader } from '../core/state.ts';
import type { Fr } from '../core/field.ts';

export class StorageError extends RampartError {
  override readonly name = 'StorageError';
}

export type StateDbOptions = {
  readonly path: string;
  /** State tree index bits; recorded on first open and checked on every later open. */
  readonly treeDepth: number;
};

type Meta = { treeDepth: number; nextIndex: number; batchNum: number };

export class StateDb implements StateReader {
  private readonly env: RootDatabase;
  private readonly nodes: Database<Uint8Array, number>;
  private readonly accounts: Database<Uint8Array, number>;
  private readonly meta: Database<Meta, string>;
  private cached: Meta;

  private constructor(root: RootDatabase, treeDepth: number) {
    this.env = root;
    this.nodes = root.openDB<Uint8Array, number>({ name: 'nodes', encoding: 'binary' });
    this.accounts = root.openDB<Uint8Array, number>({ name: 'accounts', encoding: 'binary' });
    this.meta = root.openDB<Meta, string>({ name: 'meta', encoding: 'json' });
    const stored = this.meta.get('state');
    if (stored === undefined) {
      this.cached = { treeDepth, nextIndex: FIRST_ACCOUNT_INDEX, batchNum: 0 };
      this.meta.putSync('state', this.cached);
    } else {
      if (stored.treeDepth !== treeDepth) {
        throw new StorageError('STATE_DB_MISMATCH', `database was created for tree depth ${stored.treeDepth}, not ${treeDepth}`);
      }
      this.cached = stored;
    }
  }

  static open(options: StateDbOptions): StateDb {
    assertTreeDepth(options.treeDepth);
    let root: RootDatabase;
    try {
      // Synchronous durable commits (LMDB's default): a committed batch survives power loss.
      root = open({ path: options.path, compression: false });
    } catch (cause) {
      throw new StorageError('STATE_DB_OPEN', `cannot open state database at ${options.path}`, { cause });
    }
    return new StateDb(root, options.treeDepth);
  }

  get treeDepth(): number {
    return this.cached.treeDepth;
  }
  get nextIndex(): number {
    return this.cached.nextIndex;
  }
  /** Number of the last batch whose changes are in the database (0 = genesis). */
  get batchNum(): number {
    return this.cached.batchNum;
  }

  getNode(key: NodeKey): Uint8Array | undefined {
    return this.nodes.get(key);
  }

  getAccount(index: number): Account | undefined {
    const bytes = this.accounts.get(index);
    if (bytes === undefined) return undefined;
    try {
      return decodeAccount(bytes);
    } catch (cause) {
      throw new StorageError('STATE_DB_CORRUPT', `account ${index} is not decodable`, { cause });
    }
  }

  root(): Fr {
    return new SparseMerkleTree(this.cached.treeDepth, this).root();
  }

  /**
   * Applies batch `batchNum`'s changes atomically. Batches must come in order: applying a batch that is
   * not the next one is refused, so a replay after a crash can never double-apply.
   */
  applyBatch(batchNum: number, changes: StateChanges): void {
    if (batchNum !== this.cached.batchNum + 1) {
      throw new StorageError('STATE_DB_ORDER', `batch ${batchNum} is not the next batch (${this.cached.batchNum + 1})`, {
        details: { batchNum, expected: this.cached.batchNum + 1 },
      });
    }
    const next: Meta = { ...this.cached, nextIndex: changes.nextIndex, batchNum };
    // Inside transactionSync, put() writes synchronously into the one transaction being built.
    this.env.transactionSync(() => {
      for (const [k, v] of changes.nodes) void this.nodes.put(k, v);
      for (const [i, a] of changes.accounts) void this.accounts.put(i, encodeAccount(a));
      void this.meta.put('state', next);
    });
    this.cached = next;
  }

  *allAccounts(): IterableIterator<[number, Account]> {
    for (const { key, value } of this.accounts.getRange({})) yield [key, decodeAccount(value)];
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
