/**
 * The sequencer's mempool: signed L2 transactions waiting for a batch. Admission applies the STF's
 * own checks (via `ingestTransactions`) against the current state plus what is already pending, so
 * everything admitted would be included if sealed now. Limits give back-pressure instead of unbounded
 * memory: a full pool refuses with MEMPOOL_FULL and callers (RPC) map it to a "try later" error.
 *
 * Ordering: per account strictly by nonce (a tx is admitted only if its nonce is the account's next
 * one, counting pending txs), across accounts by arrival. The batch policy seals when the pool holds a
 * full batch or when the oldest pending transaction has waited `maxAgeMs`.
 */
import { RampartError } from '../core/errors.ts';
import type { StateReader } from '../core/state.ts';
import { ingestTransactions, type FeeEntry, type L2RejectReason, type StfConfig } from '../core/stf.ts';
import { assertL2TxBody, type L2Tx } from '../core/tx.ts';

export type MempoolOptions = {
  /** Most transactions held at once (back-pressure beyond). */
  readonly maxPending: number;
  /** Most pending transactions per sending account. */
  readonly maxPerAccount: number;
  /** Seal a partial batch once its oldest transaction is this old. */
  readonly maxAgeMs: number;
};

export const defaultMempoolOptions: MempoolOptions = { maxPending: 50_000, maxPerAccount: 64, maxAgeMs: 2_000 };

export type MempoolDeps = {
  readonly now: () => number;
};

export type MempoolErrorCode = 'MEMPOOL_FULL' | 'MEMPOOL_ACCOUNT_FULL' | 'MEMPOOL_DUPLICATE' | 'TX_REJECTED';

export class MempoolError extends RampartError {
  override readonly name = 'MempoolError';
  declare readonly code: MempoolErrorCode;
  constructor(code: MempoolErrorCode, message: string, readonly reason?: L2RejectReason) {
    super(code, message, { details: reason === undefined ? {} : { reason } });
  }
}

type Entry = { readonly tx: L2Tx; readonly arrivedAt: number; readonly seq: number };

export class Mempool {
  private readonly byAccount = new Map<number, Entry[]>();
  private readonly arrival: Entry[] = [];
  private seq = 0;

  constructor(
    private readonly opts: MempoolOptions,
    private readonly deps: MempoolDeps,
  ) {
    for (const [k, v] of Object.entries(opts)) {
      if (!Number.isInteger(v) || v < 1) throw new RampartError('MEMPOOL_CONFIG', `mempool option ${k} must be a positive integer`);
    }
  }

  get size(): number {
    return this.arrival.length;
  }

  pendingFor(account: number): readonly L2Tx[] {
    return (this.byAccount.get(account) ?? []).map((e) => e.tx);
  }

  /**
   * Admits one transaction whose signature the caller has verified (`signatureValid`), or throws a
   * MempoolError: MEMPOOL_FULL / MEMPOOL_ACCOUNT_FULL (retry later), MEMPOOL_DUPLICATE, or
   * TX_REJECTED with the STF's reason (e.g. bad-nonce, insufficient-balance, bad-signature).
   * Cost: one account-level STF pass over the sender's pending transactions (no hashing).
   */
  add(tx: L2Tx, signatureValid: boolean, state: StateReader, config: StfConfig, feeTable: readonly FeeEntry[]): void {
    assertL2TxBody(tx);
    if (this.arrival.length >= this.opts.maxPending) throw new MempoolError('MEMPOOL_FULL', `mempool holds ${this.arrival.length} transactions; try again later`);
    const mine = this.byAccount.get(tx.from) ?? [];
    if (mine.length >= this.opts.maxPerAccount) {
      throw new MempoolError('MEMPOOL_ACCOUNT_FULL', `account ${tx.from} already has ${mine.length} pending transactions`);
    }
    if (mine.some((e) => e.tx.nonce === tx.nonce)) throw new MempoolError('MEMPOOL_DUPLICATE', `account ${tx.from} already has nonce ${tx.nonce} pending`);
    // The sender's pending transactions first (all valid by construction), then the newcomer: the STF
    // decides with exactly the state this transaction will meet when sealed.
    const pending = mine.map((e) => e.tx);
    const verified = [...pending.map(() => true), signatureValid];
    // An account's pending transactions may span several batches: admission checks the rules, not
    // one batch's capacity (the sealer fills batches up to maxL2Txs).
    const slots = 2 ** config.exitTreeDepth - config.maxL1Ops;
    const roomy = { ...config, maxL2Txs: Math.min(slots, Math.max(config.maxL2Txs, pending.length + 1)) };
    const receipts = ingestTransactions(state, { l1Ops: [], l2Txs: [...pending, tx], feeTable }, roomy, { verified }).l2Receipts;
    const last = receipts[receipts.length - 1];
    if (last?.status === 'rejected' && last.reason === 'batch-full') {
      throw new MempoolError('MEMPOOL_ACCOUNT_FULL', `account ${tx.from} has as many pending transactions as a batch layout can check at once; try again later`);
    }
    if (last === undefined || last.status !== 'included') {
      const reason = last?.status === 'rejected' ? last.reason : 'malformed';
      throw new MempoolError('TX_REJECTED', `transaction rejected: ${reason}`, reason);
    }
    const entry = { tx, arrivedAt: this.deps.now(), seq: this.seq++ };
    mine.push(entry);
    this.byAccount.set(tx.from, mine);
    this.arrival.push(entry);
  }

  /** True when a batch should be sealed now: a full batch is waiting, or the oldest tx is too old. */
  shouldSeal(batchSize: number): boolean {
    const oldest = this.arrival[0];
    if (oldest === undefined) return false;
    return this.arrival.length >= batchSize || this.deps.now() - oldest.arrivedAt >= this.opts.maxAgeMs;
  }

  /**
   * Up to `max` transactions in arrival order; per account the nonce order is kept because an
   * account's transactions arrive in nonce order (admission requires the next nonce).
   */
  peek(max: number): L2Tx[] {
    return this.arrival.slice(0, max).map((e) => e.tx);
  }

  /**
   * Drops transactions a sealed batch included, and any whose admission the new state invalidates
   * (their nonce is now stale). Returns the dropped stale ones so callers can report them.
   */
  removeIncluded(included: readonly L2Tx[], state: StateReader): L2Tx[] {
    const gone = new Set(included.map((t) => `${t.from}:${t.nonce}`));
    const stale: L2Tx[] = [];
    const keep = (e: Entry): boolean => {
      if (gone.has(`${e.tx.from}:${e.tx.nonce}`)) return false;
      const account = state.getAccount(e.tx.from);
      if (account === undefined || e.tx.nonce < account.nonce) {
        stale.push(e.tx);
        return false;
      }
      return true;
    };
    const kept = this.arrival.filter(keep);
    this.arrival.length = 0;
    this.arrival.push(...kept);
    this.byAccount.clear();
    for (const e of kept) {
      const list = this.byAccount.get(e.tx.from) ?? [];
      list.push(e);
      this.byAccount.set(e.tx.from, list);
    }
    return stale;
  }
}
