/**
 * The node's state in an embedded LMDB database: tree nodes, accounts, next account index and the
 * number of the last batch applied; beside them what the node's roles need to survive a crash:
 *   batches  — per applied batch, its record (roots, L1 ops, signed transactions, exits, where L1
 *              committed it), for RPC, exit proofs, provers and reorg handling;
 *   txIndex  — transaction hash → batch and exit slot;
 *   pending  — transactions accepted into the mempool and not yet in an applied batch;
 *   intent   — the batch being committed to L1 (signed L1 transactions), so a restart finishes or
 *              abandons exactly that commit instead of sealing a conflicting one;
 *   undo     — per recent batch, the previous value of everything it changed, so an L1 reorg that
 *              removes a commit can be rolled back.
 * A batch's changes, record, index entries, pending deletions, intent deletion and undo entry are
 * written in ONE synchronous LMDB transaction together with its batch number, so after a crash
 * (kill -9 at any instant) the database holds exactly the state after some whole batch — never half
 * of one, never a batch twice.
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
import type { Hex } from 'viem';

export class StorageError extends RampartError {
  override readonly name = 'StorageError';
}

export type StateDbOptions = {
  readonly path: string;
  /** State tree index bits; recorded on first open and checked on every later open. */
  readonly treeDepth: number;
  /** How many recent batches can be rolled back (L1 reorg depth the node survives). Default 256. */
  readonly undoDepth?: number;
};

type Meta = { treeDepth: number; nextIndex: number; batchNum: number };

/** What the database keeps about one applied batch. Byte strings and big numbers are 0x-hex. */
export type BatchRecord = {
  readonly batchNum: number;
  readonly root: Hex;
  readonly exitRoot: Hex;
  readonly nextIndex: number;
  readonly l1Start: number;
  /** The batch's L1 operations as posted (113 bytes each). */
  readonly l1Ops: Hex;
  /** Included L2 transactions in batch order; with signatures when this node sequenced the batch. */
  readonly txs: readonly StoredTx[];
  readonly feeTable: readonly { readonly tokenId: number; readonly accountIdx: number; readonly fee: Hex }[];
  readonly exits: readonly { readonly slot: number; readonly l1Address: Hex; readonly tokenId: number; readonly amount: Hex; readonly leaf: Hex }[];
  /** Where L1 committed it (hash of the commit transaction, its block number and hash). */
  readonly commitTx: Hex;
  readonly commitBlock: number;
  readonly commitBlockHash: Hex;
};

/** A transaction as stored: its hash (the L2 message), body, and signature when known. */
export type StoredTx = {
  /** null for a transaction derived from ZK batch data (no fee cap or signature posted: no hash). */
  readonly hash: Hex | null;
  readonly kind: 'transfer' | 'withdraw';
  readonly from: number;
  readonly to: number;
  readonly amountF: number;
  readonly maxFeeF: number;
  readonly nonce: number;
  readonly signature: { readonly r8: readonly [Hex, Hex]; readonly s: Hex } | null;
};

/** A commit in flight: the sealed batch and every signed L1 transaction sent for it (fee bumps share one nonce). */
export type CommitIntent = {
  readonly batch: BatchRecord;
  /** The commitBatch calldata and gas limit every attempt uses. */
  readonly data: Hex;
  readonly gas: Hex;
  /** Wei sent with every attempt (the proving reward); absent = 0 (intents recorded before rewards). */
  readonly value?: Hex;
  readonly nonce: number;
  readonly attempts: readonly { readonly hash: Hex; readonly raw: Hex; readonly maxFeePerGas: Hex; readonly maxPriorityFeePerGas: Hex }[];
};

type Undo = { nodes: [number, Uint8Array | null][]; accounts: [number, Uint8Array | null][]; meta: Meta };

export type ApplyBatchExtras = {
  readonly record?: BatchRecord;
  /** Pending transactions to forget (included, or dropped as stale by this batch). */
  readonly dropPending?: readonly Hex[];
};

export class StateDb implements StateReader {
  private readonly env: RootDatabase;
  private readonly nodes: Database<Uint8Array, number>;
  private readonly accounts: Database<Uint8Array, number>;
  private readonly meta: Database<Meta, string>;
  private readonly batches: Database<BatchRecord, number>;
  private readonly txIndex: Database<{ batchNum: number; slot: number }, string>;
  private readonly pending: Database<{ seq: number; tx: StoredTx }, string>;
  private readonly intents: Database<CommitIntent, string>;
  private readonly undo: Database<Undo, number>;
  /** Lookup keys of accounts by owner and by key (`ownerKey`/`pubKey` + index → ''); set at creation. */
  private readonly lookup: Database<string, string>;
  private readonly undoDepth: number;
  private cached: Meta;
  private pendingSeq = 0;

  private constructor(root: RootDatabase, treeDepth: number, undoDepth: number) {
    this.env = root;
    this.undoDepth = undoDepth;
    this.nodes = root.openDB<Uint8Array, number>({ name: 'nodes', encoding: 'binary' });
    this.accounts = root.openDB<Uint8Array, number>({ name: 'accounts', encoding: 'binary' });
    this.meta = root.openDB<Meta, string>({ name: 'meta', encoding: 'json' });
    this.batches = root.openDB<BatchRecord, number>({ name: 'batches', encoding: 'json' });
    this.txIndex = root.openDB<{ batchNum: number; slot: number }, string>({ name: 'txIndex', encoding: 'json' });
    this.pending = root.openDB<{ seq: number; tx: StoredTx }, string>({ name: 'pending', encoding: 'json' });
    this.intents = root.openDB<CommitIntent, string>({ name: 'intent', encoding: 'json' });
    this.undo = root.openDB<Undo, number>({ name: 'undo', encoding: 'msgpack' });
    this.lookup = root.openDB<string, string>({ name: 'lookup', encoding: 'string' });
    // Databases written before the lookup existed: build it once from the accounts.
    if (this.lookup.getKeysCount() === 0 && this.accounts.getKeysCount() > 0) {
      this.env.transactionSync(() => {
        for (const [i, a] of this.allAccounts()) for (const k of lookupKeys(i, a)) void this.lookup.put(k, '');
      });
    }
    for (const { value } of this.pending.getRange({})) this.pendingSeq = Math.max(this.pendingSeq, value.seq + 1);
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
    const undoDepth = options.undoDepth ?? 256;
    if (!Number.isInteger(undoDepth) || undoDepth < 0) throw new StorageError('STATE_DB_CONFIG', `undoDepth must be a non-negative integer, got ${undoDepth}`);
    return new StateDb(root, options.treeDepth, undoDepth);
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
   * Applies batch `batchNum`'s changes atomically, with its record, index entries, pending-pool
   * deletions, the commit intent's removal and an undo entry. Batches must come in order: applying a
   * batch that is not the next one is refused, so a replay after a crash can never double-apply.
   */
  applyBatch(batchNum: number, changes: StateChanges, extras: ApplyBatchExtras = {}): void {
    if (batchNum !== this.cached.batchNum + 1) {
      throw new StorageError('STATE_DB_ORDER', `batch ${batchNum} is not the next batch (${this.cached.batchNum + 1})`, {
        details: { batchNum, expected: this.cached.batchNum + 1 },
      });
    }
    const prev = this.cached;
    const next: Meta = { ...this.cached, nextIndex: changes.nextIndex, batchNum };
    const { record, dropPending = [] } = extras;
    // Inside transactionSync, put() writes synchronously into the one transaction being built.
    this.env.transactionSync(() => {
      if (this.undoDepth > 0) {
        const undo: Undo = { nodes: [], accounts: [], meta: prev };
        for (const k of changes.nodes.keys()) undo.nodes.push([k, this.nodes.get(k) ?? null]);
        for (const i of changes.accounts.keys()) undo.accounts.push([i, this.accounts.get(i) ?? null]);
        void this.undo.put(batchNum, undo);
        if (batchNum > this.undoDepth) void this.undo.remove(batchNum - this.undoDepth);
      }
      for (const [k, v] of changes.nodes) void this.nodes.put(k, v);
      for (const [i, a] of changes.accounts) {
        // An account's owner, token and key never change after creation: index it when it appears.
        if (this.accounts.get(i) === undefined) for (const k of lookupKeys(i, a)) void this.lookup.put(k, '');
        void this.accounts.put(i, encodeAccount(a));
      }
      if (record !== undefined) {
        if (record.batchNum !== batchNum) throw new StorageError('STATE_DB_ORDER', `record of batch ${record.batchNum} given for batch ${batchNum}`);
        void this.batches.put(batchNum, record);
        for (const [j, t] of record.txs.entries()) {
          if (t.hash === null) continue;
          void this.txIndex.put(t.hash, { batchNum, slot: j });
          void this.pending.remove(t.hash);
        }
      }
      for (const h of dropPending) void this.pending.remove(h);
      void this.intents.remove('current');
      void this.meta.put('state', next);
    });
    this.cached = next;
  }

  /**
   * The state as it stood after batch `batchNum` (≤ the current batch), read through the undo entries
   * of every later batch: what a challenger or defender needs to re-execute an older batch still in
   * its challenge window. Cost: the later batches' undo entries are read once, into memory. A view,
   * not a snapshot: valid until the database next changes (use it synchronously).
   */
  stateAfter(batchNum: number): StateReader {
    const current = this.cached.batchNum;
    if (!Number.isInteger(batchNum) || batchNum < 0 || batchNum > current) {
      throw new StorageError('STATE_DB_ORDER', `no state after batch ${batchNum}: the database is at batch ${current}`, { details: { batchNum, current } });
    }
    if (batchNum === current) return this;
    const nodes = new Map<number, Uint8Array | null>();
    const accounts = new Map<number, Uint8Array | null>();
    let meta: Meta = this.cached;
    // Newest first, so the oldest undo entry (the value before batch batchNum + 1) wins.
    for (let b = current; b > batchNum; b--) {
      const undo = this.undo.get(b);
      if (undo === undefined) {
        throw new StorageError('STATE_DB_UNDO', `batch ${b} is older than the undo depth (${this.undoDepth}); raise undoDepth to cover the challenge window`, { details: { batchNum: b } });
      }
      for (const [k, v] of undo.nodes) nodes.set(k, v);
      for (const [i, v] of undo.accounts) accounts.set(i, v);
      meta = undo.meta;
    }
    const nextIndex = meta.nextIndex;
    return {
      nextIndex,
      getNode: (key) => {
        const v = nodes.get(key);
        return v === undefined ? this.nodes.get(key) : (v ?? undefined);
      },
      getAccount: (index) => {
        const v = accounts.get(index);
        if (v === null) return undefined;
        if (v === undefined) return index < nextIndex ? this.getAccount(index) : undefined;
        try {
          return decodeAccount(v);
        } catch (cause) {
          throw new StorageError('STATE_DB_CORRUPT', `account ${index} is not decodable`, { cause });
        }
      },
    };
  }

  /**
   * Rolls back the last applied batch (an L1 reorg removed its commit) and returns its record. Its
   * signed transactions go back to the pending pool; the caller re-admits them.
   */
  revertLastBatch(): BatchRecord | undefined {
    const batchNum = this.cached.batchNum;
    if (batchNum === 0) throw new StorageError('STATE_DB_UNDO', 'no batch to roll back');
    const undo = this.undo.get(batchNum);
    if (undo === undefined) throw new StorageError('STATE_DB_UNDO', `batch ${batchNum} is older than the undo depth (${this.undoDepth}); resync from L1 into a fresh database`);
    const record = this.batches.get(batchNum);
    this.env.transactionSync(() => {
      for (const [k, v] of undo.nodes) void (v === null ? this.nodes.remove(k) : this.nodes.put(k, v));
      for (const [i, v] of undo.accounts) {
        if (v === null) {
          const created = this.getAccount(i);
          if (created !== undefined) for (const k of lookupKeys(i, created)) void this.lookup.remove(k);
          void this.accounts.remove(i);
        } else void this.accounts.put(i, v);
      }
      void this.undo.remove(batchNum);
      void this.batches.remove(batchNum);
      if (record !== undefined) {
        for (const t of record.txs) {
          if (t.hash === null) continue;
          void this.txIndex.remove(t.hash);
          if (t.signature !== null) void this.pending.put(t.hash, { seq: this.pendingSeq++, tx: t });
        }
      }
      void this.meta.put('state', undo.meta);
    });
    this.cached = undo.meta;
    return record;
  }

  getBatch(batchNum: number): BatchRecord | undefined {
    return this.batches.get(batchNum);
  }

  getTxLocation(hash: string): { readonly batchNum: number; readonly slot: number } | undefined {
    return this.txIndex.get(hash);
  }

  /** Records an accepted transaction durably (group-committed; resolves once on disk). */
  async putPending(tx: StoredTx & { readonly hash: Hex }): Promise<void> {
    await this.pending.put(tx.hash, { seq: this.pendingSeq++, tx });
  }

  getPending(hash: string): StoredTx | undefined {
    return this.pending.get(hash)?.tx;
  }

  /** Accepted, not yet applied transactions in arrival order. */
  allPending(): StoredTx[] {
    return [...this.pending.getRange({})].sort((a, b) => a.value.seq - b.value.seq).map((e) => e.value.tx);
  }

  async dropPending(hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.env.transaction(() => {
      for (const h of hashes) void this.pending.remove(h);
    });
  }

  getIntent(): CommitIntent | undefined {
    return this.intents.get('current');
  }

  /** Stores the commit in flight, synchronously and durably, before any of its L1 transactions is broadcast. */
  putIntent(intent: CommitIntent): void {
    if (intent.batch.batchNum !== this.cached.batchNum + 1) {
      throw new StorageError('STATE_DB_ORDER', `intent for batch ${intent.batch.batchNum}, but the next batch is ${this.cached.batchNum + 1}`);
    }
    this.intents.putSync('current', intent);
  }

  clearIntent(): void {
    this.intents.removeSync('current');
  }

  /**
   * Indices of accounts owned by `l1Address` (optionally of one token), or controlled by `publicKey`,
   * ascending, at most `limit`: an index lookup, not a scan.
   */
  findAccounts(filter: { readonly l1Address?: bigint | undefined; readonly publicKey?: readonly [bigint, bigint] | undefined; readonly tokenId?: number | undefined }, limit = 1000): number[] {
    const prefix =
      filter.l1Address !== undefined
        ? `o:${hex(filter.l1Address, 40)}:${filter.tokenId === undefined ? '' : `${hex(BigInt(filter.tokenId), 8)}:`}`
        : filter.publicKey !== undefined
          ? `k:${hex(filter.publicKey[0], 64)}:${hex(filter.publicKey[1], 64)}:`
          : undefined;
    if (prefix === undefined) throw new StorageError('STATE_DB_QUERY', 'findAccounts needs an owner or a public key');
    const out: number[] = [];
    for (const key of this.lookup.getKeys({ start: prefix, end: `${prefix}~` })) {
      const index = Number.parseInt(key.slice(key.lastIndexOf(':') + 1), 16);
      const a = this.getAccount(index);
      if (a === undefined) continue;
      if (filter.tokenId !== undefined && a.tokenId !== filter.tokenId) continue;
      if (filter.l1Address !== undefined && a.l1Address !== filter.l1Address) continue;
      if (filter.publicKey !== undefined && (a.publicKey[0] !== filter.publicKey[0] || a.publicKey[1] !== filter.publicKey[1])) continue;
      out.push(index);
    }
    return out.sort((x, y) => x - y).slice(0, limit);
  }

  *allAccounts(): IterableIterator<[number, Account]> {
    for (const { key, value } of this.accounts.getRange({})) yield [key, decodeAccount(value)];
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

const hex = (v: bigint, width: number): string => v.toString(16).padStart(width, '0');

/** The account's lookup keys: by owner and token, and by public key (index last, fixed-width hex). */
function lookupKeys(index: number, a: Account): [string, string] {
  const i = hex(BigInt(index), 8);
  return [`o:${hex(a.l1Address, 40)}:${hex(BigInt(a.tokenId), 8)}:${i}`, `k:${hex(a.publicKey[0], 64)}:${hex(a.publicKey[1], 64)}:${i}`];
}
