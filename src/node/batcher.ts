/**
 * The batcher role: gets one sealed batch's `commitBatch` transaction included on L1, and never two.
 *
 *   1. estimate gas (a call L1 would refuse fails here, before anything is signed) and fees;
 *   2. sign the transaction locally with an explicit nonce and record it in the database's commit
 *      intent (durably) BEFORE broadcasting it;
 *   3. broadcast; watch for a receipt of any transaction sent for this batch;
 *   4. not included after `bumpAfterMs`: re-sign the same call with the same nonce and fees raised by
 *      `bumpPercent` (at least the current estimate, at most `maxFeePerGasCap`), record, re-broadcast.
 *      All attempts share the nonce, so at most one of them is ever included.
 * After a crash, `resume` re-broadcasts the last recorded attempt (harmless if already known or
 * mined) and continues watching: the batch is either included once or abandoned, never re-sealed
 * into a conflicting commit while an old attempt could still land.
 */
import { type Abi, type Address, type Hex, type TransactionReceipt, encodeFunctionData, keccak256 } from 'viem';
import { RampartError } from '../core/errors.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { decodeL1Error } from '../l1/decodeL1Error.ts';
import { rollupAbi } from '../l1/generated/Rollup.ts';
import { sequencerRegistryAbi } from '../l1/generated/SequencerRegistry.ts';
import type { CommitHeader } from '../l1/rollupActions.ts';
import type { BatchRecord, CommitIntent, StateDb } from './state-db.ts';

export type BatcherOptions = {
  /** Re-send with higher fees when no attempt is included after this long. */
  readonly bumpAfterMs: number;
  /** Fee increase per re-send, percent (L1 nodes require >= 10 to replace). */
  readonly bumpPercent: number;
  /** Never offer more than this per gas. */
  readonly maxFeePerGasCap: bigint;
  /** Blocks on top of the including block before the commit counts (1 = included). */
  readonly confirmations: number;
  readonly pollMs: number;
  /**
   * Wei attached to every commit: in zk mode the batch's proving reward (docs/PROTOCOL.md §11.2), paid
   * by the sequencer's L1 account out of the fees it collects on L2; in optimistic mode the assertion
   * bond, in multi mode bond + reward (§14.1). Default 0.
   */
  readonly commitValueWei?: bigint;
};

export const defaultBatcherOptions: BatcherOptions = {
  bumpAfterMs: 30_000,
  bumpPercent: 15,
  maxFeePerGasCap: 500n * 10n ** 9n,
  confirmations: 1,
  pollMs: 500,
};

export class BatcherError extends RampartError {
  override readonly name = 'BatcherError';
}

export type CommitOutcome =
  | { readonly outcome: 'included'; readonly receipt: TransactionReceipt; readonly intent: CommitIntent }
  /** The transaction was included but reverted (L1 state moved: e.g. another sequencer committed). */
  | { readonly outcome: 'reverted'; readonly receipt: TransactionReceipt; readonly intent: CommitIntent }
  /** The nonce was used by a transaction that is not one of ours: nothing of this batch can land. */
  | { readonly outcome: 'abandoned'; readonly intent: CommitIntent };

export type CommitCall = {
  readonly header: CommitHeader;
  readonly l1Ops: Hex;
  readonly batchData: Hex;
  /** The batch (number and state root) the batch was sealed on: posted with `commitBatchOn`, so a stale view of L1 reverts (StaleParent) instead of landing. */
  readonly parent?: { readonly batchNum: number; readonly root: bigint };
};

/** commitBatch reverts with the Rollup's errors, or the registry's when one gates commits. */
const commitErrorsAbi = [...rollupAbi, ...sequencerRegistryAbi].filter((x) => x.type === 'error') as Abi;

const ALREADY_KNOWN = /already known|known transaction|already imported/i;
const BENIGN_BROADCAST = /already known|nonce too low|known transaction|replacement transaction underpriced|already imported/i;

export function assertBatcherOptions(o: BatcherOptions): void {
  const bad = (what: string): never => {
    throw new BatcherError('BATCHER_CONFIG', `batcher option ${what}`);
  };
  if (!Number.isInteger(o.bumpAfterMs) || o.bumpAfterMs < 1) bad('bumpAfterMs must be a positive integer (ms)');
  if (!Number.isInteger(o.bumpPercent) || o.bumpPercent < 10 || o.bumpPercent > 1000) bad('bumpPercent must be an integer in 10..1000');
  if (o.maxFeePerGasCap <= 0n) bad('maxFeePerGasCap must be positive');
  if (!Number.isInteger(o.confirmations) || o.confirmations < 1 || o.confirmations > 1000) bad('confirmations must be an integer in 1..1000');
  if (!Number.isInteger(o.pollMs) || o.pollMs < 1) bad('pollMs must be a positive integer (ms)');
  if (o.commitValueWei !== undefined && (o.commitValueWei < 0n || o.commitValueWei >= 2n ** 128n)) bad('commitValueWei must be in 0..2^128-1 wei');
}

export class Batcher {
  constructor(
    private readonly l1: L1Clients,
    private readonly rollup: Address,
    private readonly state: StateDb,
    private readonly opts: BatcherOptions,
    private readonly log: (event: string, fields: Record<string, unknown>) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    assertBatcherOptions(opts);
  }

  private get account() {
    const wallet = this.l1.wallet;
    if (wallet === undefined) throw new BatcherError('BATCHER_NO_KEY', 'the batcher needs the sequencer L1 key');
    return wallet;
  }

  /** Signs, records and broadcasts the commit of `batch`, then watches it to an outcome. */
  async commit(batch: BatchRecord, call: CommitCall): Promise<CommitOutcome> {
    const wallet = this.account;
    const data =
      call.parent === undefined
        ? encodeFunctionData({ abi: rollupAbi, functionName: 'commitBatch', args: [call.header as never, call.l1Ops, call.batchData] })
        : encodeFunctionData({ abi: rollupAbi, functionName: 'commitBatchOn', args: [BigInt(call.parent.batchNum), call.parent.root, call.header as never, call.l1Ops, call.batchData] });
    const value = this.opts.commitValueWei ?? 0n;
    let gas: bigint;
    let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    let nonce: number;
    try {
      // Estimation runs the call: a commit L1 would refuse is reported with the contract's reason here.
      gas = await this.l1.public.estimateGas({ account: wallet.account, to: this.rollup, data, value });
      const est = await this.l1.public.estimateFeesPerGas();
      fees = { maxFeePerGas: est.maxFeePerGas, maxPriorityFeePerGas: est.maxPriorityFeePerGas };
      nonce = await this.l1.public.getTransactionCount({ address: wallet.account.address, blockTag: 'pending' });
    } catch (err) {
      throw decodeL1Error(err, `Rollup.commitBatch(batch ${batch.batchNum})`, commitErrorsAbi);
    }
    if (fees.maxFeePerGas > this.opts.maxFeePerGasCap) {
      throw new BatcherError('BATCHER_FEE_CAP', `L1 asks ${fees.maxFeePerGas} wei/gas, above the cap ${this.opts.maxFeePerGasCap}`);
    }
    // 20% gas headroom: state read by the call may differ slightly at inclusion.
    // The value is part of the intent: a bumped or resumed attempt re-signs the same reward.
    const intent: CommitIntent = { batch, nonce, attempts: [], gas: `0x${((gas * 120n) / 100n).toString(16)}`, data, ...(value === 0n ? {} : { value: `0x${value.toString(16)}` as Hex }) };
    return this.watch(await this.attempt(intent, fees));
  }

  /** Continues a commit recorded before a restart. */
  async resume(intent: CommitIntent): Promise<CommitOutcome> {
    const last = intent.attempts[intent.attempts.length - 1];
    if (last !== undefined) await this.broadcast(last.raw, true);
    return this.watch(intent);
  }

  private async attempt(intent: CommitIntent, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<CommitIntent> {
    const wallet = this.account;
    const raw = await wallet.signTransaction({
      account: wallet.account,
      chain: this.l1.chain,
      type: 'eip1559',
      to: this.rollup,
      data: intent.data,
      nonce: intent.nonce,
      gas: BigInt(intent.gas),
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      value: BigInt(intent.value ?? '0x0'),
    });
    const next: CommitIntent = {
      ...intent,
      attempts: [...intent.attempts, { hash: keccak256(raw), raw, maxFeePerGas: `0x${fees.maxFeePerGas.toString(16)}`, maxPriorityFeePerGas: `0x${fees.maxPriorityFeePerGas.toString(16)}` }],
    };
    // Durable before it leaves the process: after a crash the node knows this nonce is spoken for.
    this.state.putIntent(next);
    await this.broadcast(raw, intent.attempts.length > 0);
    this.log('commit-sent', { batchNum: intent.batch.batchNum, nonce: intent.nonce, attempt: next.attempts.length, maxFeePerGas: fees.maxFeePerGas.toString() });
    return next;
  }

  private async broadcast(raw: Hex, replacing: boolean): Promise<void> {
    try {
      await this.l1.public.sendRawTransaction({ serializedTransaction: raw });
    } catch (err) {
      const text = err instanceof Error ? `${err.message} ${(err as { details?: string }).details ?? ''}` : String(err);
      // Re-broadcasts after a restart or of a bump that lost the race are expected to be refused.
      // A first broadcast may only meet "already known"; nonce or price refusals mean it did not go out.
      if (replacing ? BENIGN_BROADCAST.test(text) : ALREADY_KNOWN.test(text)) return;
      throw decodeL1Error(err, 'broadcast commitBatch');
    }
  }

  private async receiptOf(intent: CommitIntent): Promise<TransactionReceipt | undefined> {
    for (const a of intent.attempts) {
      try {
        return await this.l1.public.getTransactionReceipt({ hash: a.hash });
      } catch {
        // not mined (viem throws TransactionReceiptNotFoundError)
      }
    }
    return undefined;
  }

  private async watch(start: CommitIntent): Promise<CommitOutcome> {
    let intent = start;
    let sentAt = this.now();
    const from = this.account.account.address;
    for (;;) {
      const receipt = await this.receiptOf(intent);
      if (receipt !== undefined) {
        for (;;) {
          const head = await this.l1.public.getBlockNumber();
          if (head - receipt.blockNumber + 1n >= BigInt(this.opts.confirmations)) break;
          await sleep(this.opts.pollMs);
        }
        // Still there after the confirmations? (A reorg may have moved or dropped it.)
        const again = await this.receiptOf(intent);
        if (again === undefined) continue;
        return again.status === 'success' ? { outcome: 'included', receipt: again, intent } : { outcome: 'reverted', receipt: again, intent };
      }
      const mined = await this.l1.public.getTransactionCount({ address: from, blockTag: 'latest' });
      if (mined > intent.nonce) {
        // The nonce is used; if none of our attempts has a receipt now, something else used it.
        const late = await this.receiptOf(intent);
        if (late === undefined) return { outcome: 'abandoned', intent };
        continue;
      }
      if (this.now() - sentAt >= this.opts.bumpAfterMs) {
        const last = intent.attempts[intent.attempts.length - 1];
        const est = await this.l1.public.estimateFeesPerGas();
        const bump = (v: bigint): bigint => (v * BigInt(100 + this.opts.bumpPercent)) / 100n + 1n;
        const maxPriorityFeePerGas = max(bump(BigInt(last?.maxPriorityFeePerGas ?? 0)), est.maxPriorityFeePerGas);
        const maxFeePerGas = max(max(bump(BigInt(last?.maxFeePerGas ?? 0)), est.maxFeePerGas), maxPriorityFeePerGas);
        if (maxFeePerGas > this.opts.maxFeePerGasCap) {
          this.log('commit-fee-cap', { batchNum: intent.batch.batchNum, wanted: maxFeePerGas.toString(), cap: this.opts.maxFeePerGasCap.toString() });
        } else {
          intent = await this.attempt(intent, { maxFeePerGas, maxPriorityFeePerGas });
        }
        sentAt = this.now();
      }
      await sleep(this.opts.pollMs);
    }
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
