/**
 * The sequencer role: turns the L1 queue and the mempool into committed batches.
 *
 *   sync   — roll back local batches an L1 reorg removed, then apply every batch committed on L1
 *            that the database lacks: this node's own commit in flight (from its recorded intent, with
 *            the signed transactions) or anyone's batch derived from its L1 data alone;
 *   seal   — when the batch policy says so (a full batch, the oldest transaction's age, or L1
 *            operations waiting), run the STF over the next queued L1 ops and pending L2 txs;
 *   commit — hand the batch to the batcher (intent recorded, signed, broadcast, fee-bumped, watched);
 *            only once L1 included it does the database move, in one transaction with its record.
 *
 * Crash safety: the database changes only after L1 included the batch; a crash in between leaves the
 * intent, which the next start resumes (the same signed transactions, never a conflicting re-seal);
 * accepted transactions stay in the database's pending pool until a batch including them is applied.
 */
import { type Address, type Hex, bytesToHex } from 'viem';
import { signedBatchFromResult, zkBatchFromResult, type BatchCommitment } from '../core/batch-commitment.ts';
import { recordKind } from '../core/batch-data.ts';
import { RampartError } from '../core/errors.ts';
import { applyBatch, type BatchResult, type FeeEntry, type StfConfig } from '../core/stf.ts';
import { domainHash, encodeL1Ops, type L1Op, type L2Tx } from '../core/tx.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { getL1Consumed, getQueuedOps, type CommitHeader, type CommittedBatch, type QueuedOp } from '../l1/rollupActions.ts';
import { Batcher, defaultBatcherOptions } from './batcher.ts';
import { deriveBatch } from './derivation.ts';
import { batchRecord, newCommittedBatches, rollbackReorged } from './follow.ts';
import type { Mempool } from './mempool.ts';
import type { SealBatch } from './parallel-sealer.ts';
import type { BatchRecord, StateDb, StoredTx } from './state-db.ts';
import { loadTx, storeTx } from './stored-tx.ts';

export type SequencerDeps = {
  readonly l1: L1Clients;
  readonly rollup: Address;
  /** Block the rollup was deployed in: where log scans start. */
  readonly deployBlock: bigint;
  readonly state: StateDb;
  readonly mempool: Mempool;
  readonly config: StfConfig;
  /**
   * The rollup's settlement mode (docs/PROTOCOL.md §14.1): zk posts 12-byte records; optimistic and
   * multi post the signed 78-byte records a one-step proof re-executes. Default zk.
   */
  readonly mode?: 'zk' | 'optimistic' | 'multi';
  /** Posts batches to L1; default: a Batcher with default options polling at the L1 client's interval. */
  readonly batcher?: Batcher;
  /** The sequencer's fee table for the next batch (its fee accounts must exist). */
  readonly feeTable: () => readonly FeeEntry[];
  /**
   * Seals a batch (default: `applyBatch` on this thread). The node passes `ParallelSealer.sealBatch`
   * when configured: the same result, hashed on two threads. The state must not change meanwhile,
   * which holds because steps never overlap.
   */
  readonly seal?: SealBatch;
  /** Blocks on top of a commit before a follower applies it (1 = included, the default). */
  readonly confirmations?: number;
  /**
   * Called after L1 included a batch and before the database applies it, with the pre-batch state
   * (in-process provers and benches hook in here; the prover service follows L1 instead).
   */
  readonly onCommitted?: (batch: SealedBatch, preState: StateDb) => void | Promise<void>;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  /** Transactions a batch made invalid (stale nonce, balance gone): reported to whoever tracks status. */
  readonly onDropped?: (txs: readonly L2Tx[], reason: string) => void;
  /** Transactions an L1 reorg returned to the pool. */
  readonly onReorg?: (removed: readonly BatchRecord[]) => void;
  /**
   * Asked before sealing when there is work: may this node commit now? With a sequencer registry the
   * node answers from the slot schedule (and refuses while L1 holds a batch it has not applied yet,
   * so it never seals on top of a stale parent). Absent: always.
   */
  readonly gate?: () => Promise<boolean>;
  /**
   * Called with the sealed batch's header before it is committed: with a sequencer registry the node
   * signs it as a pre-confirmation for the slot it means to land it in (preconf.ts). False: this node
   * already signed a different header for that batch and slot, so committing would be equivocation;
   * the transactions stay pending for a later slot.
   */
  readonly preconfirm?: (batchNum: number, header: CommitHeader) => Promise<boolean>;
};

export type SealedBatch = {
  readonly batchNum: number;
  readonly l1Ops: readonly L1Op[];
  readonly l1Start: bigint;
  readonly feeTable: readonly FeeEntry[];
  readonly result: BatchResult;
  readonly batchData: Uint8Array;
  readonly commitment: BatchCommitment;
  readonly record: BatchRecord;
};

export class SequencerError extends RampartError {
  override readonly name = 'SequencerError';
}

export class Sequencer {
  private queue: QueuedOp[] = [];
  private scannedTo: bigint;
  private readonly batcher: Batcher;
  private readonly domainHash: bigint;
  /** Optimistic modes: a committed batch that does not derive (see sync), if any. */
  suspect: number | undefined;

  constructor(private readonly deps: SequencerDeps) {
    this.scannedTo = deps.deployBlock - 1n;
    this.domainHash = domainHash(deps.config.domain);
    this.batcher =
      deps.batcher ??
      new Batcher(deps.l1, deps.rollup, deps.state, { ...defaultBatcherOptions, pollMs: Math.max(1, deps.l1.public.pollingInterval) }, deps.log);
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  /**
   * Finishes a commit left in flight by a crash (resume its signed transactions), rolls back batches
   * an L1 reorg removed, and applies every batch committed on L1 beyond the local database.
   */
  async sync(): Promise<number> {
    const { l1, rollup, deployBlock, state, config } = this.deps;
    const intent = state.getIntent();
    if (intent !== undefined) {
      if (intent.batch.batchNum !== state.batchNum + 1) {
        state.clearIntent();
      } else {
        const out = await this.batcher.resume(intent);
        this.log('commit-resumed', { batchNum: intent.batch.batchNum, outcome: out.outcome });
        if (out.outcome !== 'included') state.clearIntent();
      }
    }
    const removed = await rollbackReorged(state, l1, rollup);
    if (removed.length > 0) {
      this.log('reorg', { rolledBack: removed.map((r) => r.batchNum), batchNum: state.batchNum });
      this.scannedTo = deployBlock - 1n;
      this.queue = [];
      this.readmit(removed.flatMap((r) => r.txs));
      this.deps.onReorg?.(removed);
    }
    const posted = await newCommittedBatches(state, l1, rollup, deployBlock, this.deps.confirmations ?? 1);
    let applied = 0;
    const mine: L2Tx[] = [];
    const wasSuspect = this.suspect;
    this.suspect = undefined;
    for (const b of posted) {
      try {
        mine.push(...this.applyPosted(b));
      } catch (err) {
        // Optimistic modes: a batch whose data does not produce its posted roots (or posts a rejected
        // transaction) is fraud, not a local fault. It is never applied; the node waits here until a
        // dispute removes it (the challenger role opens one) — it cannot build on it either.
        if (this.deps.mode === undefined || this.deps.mode === 'zk' || !(err instanceof RampartError)) throw err;
        if (wasSuspect !== b.batchNum) this.log('batch-invalid', { batchNum: b.batchNum, code: err.code, error: err.message });
        this.suspect = b.batchNum;
        break;
      }
      applied++;
    }
    if (applied > 0) {
      this.dropStale(mine);
      this.log('synced', { applied, batchNum: state.batchNum });
    }
    return applied;
  }

  /**
   * Applies a batch committed on L1. Returns the pool's transactions it included: another sequencer's
   * batch may include transactions this node accepted (forwarded ones); their signed copies go into
   * the record, so they are indexed by hash here too and the record can feed a prover.
   */
  private applyPosted(b: CommittedBatch): L2Tx[] {
    const { state, config, mempool } = this.deps;
    const intent = state.getIntent();
    const commit = { tx: b.txHash, block: b.blockNumber, blockHash: b.blockHash };
    const d = deriveBatch(state, b, config);
    // Our own commit: keep the signed transactions (the prover needs them) from the intent.
    const own = intent !== undefined && intent.batch.batchNum === b.batchNum && intent.attempts.some((a) => a.hash === b.txHash);
    const matched: L2Tx[] = [];
    // ZK batch data posts no nonces: a sender's k-th transaction in the batch used its pre-batch nonce + k.
    const seen = new Map<number, number>();
    const txs: StoredTx[] = own
      ? [...intent.batch.txs]
      : d.data.txs.map((r) => {
          const kind = recordKind(r);
          const k = seen.get(r.from) ?? 0;
          seen.set(r.from, k + 1);
          const nonce = (state.getAccount(r.from)?.nonce ?? 0) + k;
          const local = mempool.pendingFor(r.from).find((p) => p.nonce === nonce && p.kind === kind && p.to === r.to && p.amountF === r.amountF);
          if (local !== undefined) {
            matched.push(local);
            return storeTx(local, this.domainHash);
          }
          return { hash: null, kind, from: r.from, to: r.to, amountF: r.amountF, maxFeeF: 'maxFeeF' in r ? r.maxFeeF : 0, nonce, signature: null };
        });
    const record = batchRecord({ batchNum: b.batchNum, result: d.result, l1Ops: d.l1Ops, l1Start: b.l1Start, feeTable: d.data.feeTable, txs, commit });
    state.applyBatch(b.batchNum, d.result.changes, { record });
    return matched;
  }

  /** Puts transactions back into the mempool (after a reorg, or at start from the pending pool). */
  readmit(txs: readonly StoredTx[]): void {
    const { mempool, state, config } = this.deps;
    const bad: Hex[] = [];
    for (const t of txs) {
      const tx = loadTx(t);
      if (tx === undefined || t.hash === null) continue;
      try {
        // Signatures were verified at admission and the stored bytes are ours.
        mempool.add(tx, true, state, config, this.deps.feeTable());
      } catch {
        bad.push(t.hash);
      }
    }
    if (bad.length > 0) void state.dropPending(bad);
  }

  private dropStale(included: readonly L2Tx[]): void {
    const stale = this.deps.mempool.removeIncluded(included, this.deps.state);
    if (stale.length === 0) return;
    void this.deps.state.dropPending(stale.map((t) => storeTx(t, this.domainHash).hash).filter((h): h is Hex => h !== null));
    this.deps.onDropped?.(stale, 'stale');
  }

  /** Fetches newly queued L1 operations (the forced-inclusion queue). */
  async pollQueue(): Promise<void> {
    const head = await this.deps.l1.public.getBlockNumber();
    if (head <= this.scannedTo) return;
    const ops = await getQueuedOps(this.deps.l1, this.deps.rollup, this.scannedTo + 1n, head);
    this.queue.push(...ops);
    this.scannedTo = head;
  }

  /** Queue items not yet in a committed batch, and the index of the first. */
  private async unconsumed(): Promise<{ waiting: QueuedOp[]; consumed: bigint }> {
    const consumed = await getL1Consumed(this.deps.l1, this.deps.rollup);
    this.queue = this.queue.filter((q) => BigInt(q.index) >= consumed);
    return { waiting: this.queue, consumed };
  }

  /**
   * Seals and commits one batch if there is anything to do (L1 ops waiting, or the mempool's policy).
   * Returns the batch once L1 included it and the database applied it; undefined when idle or when
   * L1 refused it (the transactions stay pending). `force` seals whatever is pending.
   */
  async step(force = false): Promise<SealedBatch | undefined> {
    const { config, mempool, state } = this.deps;
    // Never build on a state L1 does not have: an invalid batch on L1 waits for its dispute.
    if (this.suspect !== undefined) return undefined;
    await this.pollQueue();
    const { waiting, consumed } = await this.unconsumed();
    if (waiting.length === 0 && !(force ? mempool.size > 0 : mempool.shouldSeal(config.maxL2Txs))) return undefined;
    if (this.deps.gate !== undefined && !(await this.deps.gate())) return undefined;
    const l1 = waiting.slice(0, config.maxL1Ops);
    if (l1.some((q, i) => BigInt(q.index) !== consumed + BigInt(i))) {
      // Missing queue items (e.g. a reorg replaced them): rescan from the start next time.
      this.scannedTo = this.deps.deployBlock - 1n;
      this.queue = [];
      throw new SequencerError('SEQUENCER_QUEUE_GAP', `queued operations from ${consumed} are not contiguous; rescanning`);
    }
    const l1Start = consumed;
    const feeTable = this.deps.feeTable();
    const candidates: L2Tx[] = mempool.peek(config.maxL2Txs);
    const l1Ops = l1.map((q) => q.op);
    const params = { l1Ops, l2Txs: candidates, feeTable };
    const options = { verified: candidates.map(() => true) }; // admission verified every signature
    const result = this.deps.seal === undefined ? applyBatch(state, params, config, options) : await this.deps.seal(state, params, config, options);
    const batchNum = state.batchNum + 1;
    const built = { config, maxL2Txs: config.maxL2Txs, result, l1Ops, feeTable, batchNum: BigInt(batchNum), l1Start };
    const { records, batchData, commitment } = (this.deps.mode ?? 'zk') === 'zk' ? zkBatchFromResult(built) : signedBatchFromResult(built);
    const txs = result.included.map((t) => storeTx(t, this.domainHash));
    const draft = batchRecord({ batchNum, result, l1Ops, l1Start, feeTable, txs, commit: { tx: '0x', block: 0n, blockHash: '0x' } });
    const header: CommitHeader = { newRoot: result.newRoot, exitRoot: result.exitRoot, dataCommitment: commitment.c, newNextIndex: result.newNextIndex, l1Count: l1.length };
    if (this.deps.preconfirm !== undefined && !(await this.deps.preconfirm(batchNum, header))) {
      this.log('commit-deferred', { batchNum, reason: 'a different header is already signed for this batch and slot' });
      return undefined;
    }
    const outcome = await this.batcher.commit(draft, {
      header,
      l1Ops: bytesToHex(encodeL1Ops(l1Ops)) as Hex,
      batchData: bytesToHex(batchData) as Hex,
      // Sealed on the local state: L1 must still be exactly there when the commit lands.
      parent: { batchNum: state.batchNum, root: result.oldRoot },
    });
    if (outcome.outcome !== 'included') {
      state.clearIntent();
      this.log('commit-failed', { batchNum, outcome: outcome.outcome });
      return undefined;
    }
    const r = outcome.receipt;
    const record: BatchRecord = { ...draft, commitTx: r.transactionHash, commitBlock: Number(r.blockNumber), commitBlockHash: r.blockHash };
    const sealed: SealedBatch = { batchNum, l1Ops, l1Start, feeTable, result, batchData, commitment, record };
    await this.deps.onCommitted?.(sealed, state);
    // L1 included the batch: now (and only now) the database moves, record and all, in one transaction.
    state.applyBatch(batchNum, result.changes, { record });
    this.dropStale(result.included);
    this.log('committed', { batchNum, l1Ops: l1.length, txs: records.length, root: record.root });
    return sealed;
  }
}
