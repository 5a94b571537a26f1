/**
 * The sequencer role: turns the L1 queue and the mempool into committed batches.
 *
 *   sync   — before sequencing, replay every batch already committed on L1 that the local database
 *            lacks (derivation), so a restart after any crash resumes from L1's truth;
 *   seal   — when the mempool's policy says so (or L1 operations wait), run the STF over the next
 *            queued L1 ops and pending L2 txs, build the ZK batch data and commitment;
 *   commit — post commitBatch and wait for inclusion; only then apply the batch to the database.
 *
 * Crash safety: the database changes only after L1 accepted the batch, in one LMDB transaction keyed
 * by the batch number; a crash between the two is healed by `sync` deriving that batch from L1. A
 * commit that L1 refuses leaves the database untouched and the transactions in the mempool.
 */
import { type Address, type Hex, bytesToHex } from 'viem';
import { zkBatchFromResult, type BatchCommitment } from '../core/batch-commitment.ts';
import { RampartError } from '../core/errors.ts';
import { applyBatch, type BatchResult, type FeeEntry, type StfConfig } from '../core/stf.ts';
import { encodeL1Ops, type L1Op, type L2Tx } from '../core/tx.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { commitBatch, getCommittedBatches, getL1Consumed, getQueuedOps, type QueuedOp } from '../l1/rollupActions.ts';
import { deriveBatch } from './derivation.ts';
import type { Mempool } from './mempool.ts';
import type { StateDb } from './state-db.ts';

export type SequencerDeps = {
  readonly l1: L1Clients;
  readonly rollup: Address;
  /** Block the rollup was deployed in: where log scans start. */
  readonly deployBlock: bigint;
  readonly state: StateDb;
  readonly mempool: Mempool;
  readonly config: StfConfig;
  /** The sequencer's fee table for the next batch (its fee accounts must exist). */
  readonly feeTable: () => readonly FeeEntry[];
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  /**
   * Called after L1 accepted a batch and before the database applies it, with the pre-batch state:
   * what a prover needs to build the batch's witness (the prover service hooks in here).
   */
  readonly onCommitted?: (batch: SealedBatch, preState: StateDb) => void | Promise<void>;
};

export type SealedBatch = {
  readonly batchNum: number;
  readonly l1Ops: readonly L1Op[];
  readonly l1Start: bigint;
  readonly feeTable: readonly FeeEntry[];
  readonly result: BatchResult;
  readonly batchData: Uint8Array;
  readonly commitment: BatchCommitment;
};

export class SequencerError extends RampartError {
  override readonly name = 'SequencerError';
}

export class Sequencer {
  private queue: QueuedOp[] = [];
  private scannedTo: bigint;

  constructor(private readonly deps: SequencerDeps) {
    this.scannedTo = deps.deployBlock - 1n;
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  /** Applies every batch committed on L1 beyond the local database (derivation). */
  async sync(): Promise<number> {
    const { l1, rollup, deployBlock, state, config } = this.deps;
    const committed = await getCommittedBatches(l1, rollup, deployBlock);
    let applied = 0;
    for (const b of committed) {
      if (b.batchNum <= state.batchNum) continue;
      if (b.batchNum !== state.batchNum + 1) throw new SequencerError('SEQUENCER_GAP', `L1 batch ${b.batchNum} follows local batch ${state.batchNum}`);
      const d = deriveBatch(state, b, config);
      state.applyBatch(b.batchNum, d.result.changes);
      this.deps.mempool.removeIncluded([], state);
      applied++;
    }
    if (applied > 0) this.log('synced', { applied, batchNum: state.batchNum });
    return applied;
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
   * Returns the batch, or undefined when idle. `force` seals whatever is pending.
   */
  async step(force = false): Promise<SealedBatch | undefined> {
    const { config, mempool, state } = this.deps;
    await this.pollQueue();
    const { waiting, consumed } = await this.unconsumed();
    if (waiting.length === 0 && !(force ? mempool.size > 0 : mempool.shouldSeal(config.maxL2Txs))) return undefined;
    const l1 = waiting.slice(0, config.maxL1Ops);
    if (l1.some((q, i) => BigInt(q.index) !== consumed + BigInt(i))) {
      throw new SequencerError('SEQUENCER_QUEUE_GAP', `queued operations from ${consumed} are not contiguous; rescan needed`);
    }
    const l1Start = consumed;
    const feeTable = this.deps.feeTable();
    const candidates: L2Tx[] = mempool.peek(config.maxL2Txs);
    const l1Ops = l1.map((q) => q.op);
    const result = applyBatch(state, { l1Ops, l2Txs: candidates, feeTable }, config, {
      verified: candidates.map(() => true), // admission verified every signature
    });
    const batchNum = state.batchNum + 1;
    const { records, batchData, commitment } = zkBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result, l1Ops, feeTable, batchNum: BigInt(batchNum), l1Start });
    await commitBatch(
      this.deps.l1,
      this.deps.rollup,
      { newRoot: result.newRoot, exitRoot: result.exitRoot, dataCommitment: commitment.c, newNextIndex: result.newNextIndex, l1Count: l1.length },
      bytesToHex(encodeL1Ops(l1Ops)) as Hex,
      bytesToHex(batchData) as Hex,
    );
    const sealed: SealedBatch = { batchNum, l1Ops, l1Start, feeTable, result, batchData, commitment };
    await this.deps.onCommitted?.(sealed, state);
    // L1 accepted the batch: now (and only now) the database moves.
    state.applyBatch(batchNum, result.changes);
    mempool.removeIncluded(result.included, state);
    this.log('committed', { batchNum, l1Ops: l1.length, txs: records.length, root: `0x${result.newRoot.toString(16)}` });
    return sealed;
  }
}
