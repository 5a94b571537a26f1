/**
 * Following L1: which committed batches the local database lacks, and rolling back local batches an
 * L1 reorg removed. Shared by every role that keeps a state database (sequencer, prover, follower).
 *
 * Reorg rule: the database records, per batch, the block (number and hash) its commit was included
 * in. The last local batch is kept iff L1 still has a block with that hash at that height, the
 * contract's `lastCommitted` is at least that batch and L1's state root for that number is still the
 * local one (a dispute may have removed a batch that another commit then replaced); otherwise it is
 * rolled back with its undo entry and the check repeats on the batch before. Batches are re-derived
 * from L1 afterwards.
 */
import type { Address, Hex } from 'viem';
import { bytesToHex } from 'viem';
import { RampartError } from '../core/errors.ts';
import type { BatchResult, FeeEntry } from '../core/stf.ts';
import { encodeL1Ops, type L1Op } from '../core/tx.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { rollupAbi } from '../l1/generated/Rollup.ts';
import { getCommittedBatches, type CommittedBatch } from '../l1/rollupActions.ts';
import type { BatchRecord, StateDb, StoredTx } from './state-db.ts';
import { toAddressHex, toHex32, toHexQ } from './stored-tx.ts';

export class FollowError extends RampartError {
  override readonly name = 'FollowError';
}

export async function lastCommittedOnL1(l1: L1Clients, rollup: Address): Promise<number> {
  return Number((await l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'lastCommitted' })) as bigint);
}

export async function lastProvenOnL1(l1: L1Clients, rollup: Address): Promise<number> {
  return Number((await l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'lastProven' })) as bigint);
}

/** The state root L1 holds for batch `batchNum` (0 for a number not committed). */
export async function stateRootOnL1(l1: L1Clients, rollup: Address, batchNum: number): Promise<bigint> {
  const b = (await l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'batches', args: [BigInt(batchNum)] })) as readonly unknown[];
  return b[1] as bigint;
}

/** The last final batch: the last proven one in zk mode, the last finalized one in optimistic and multi modes. */
export async function lastFinalOnL1(l1: L1Clients, rollup: Address): Promise<number> {
  return Number((await l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'lastFinalBatch' })) as bigint);
}

export async function inExodus(l1: L1Clients, rollup: Address): Promise<boolean> {
  return (await l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'exodus' })) as boolean;
}

/** Rolls back local batches whose commits L1 no longer has; returns the removed records (newest first). */
export async function rollbackReorged(state: StateDb, l1: L1Clients, rollup: Address): Promise<BatchRecord[]> {
  const removed: BatchRecord[] = [];
  const committed = await lastCommittedOnL1(l1, rollup);
  while (state.batchNum > 0) {
    const rec = state.getBatch(state.batchNum);
    if (rec === undefined) throw new FollowError('FOLLOW_NO_RECORD', `batch ${state.batchNum} has no record; the database predates reorg tracking`);
    if (state.batchNum <= committed) {
      const block = await l1.public.getBlock({ blockNumber: BigInt(rec.commitBlock) }).catch(() => undefined);
      // Same block, and still the same batch at this number: a dispute (optimistic modes) may have
      // removed the batch and someone committed another one in its place since.
      if (block?.hash === rec.commitBlockHash && (await stateRootOnL1(l1, rollup, state.batchNum)) === BigInt(rec.root)) break;
    }
    const r = state.revertLastBatch();
    if (r !== undefined) removed.push(r);
  }
  return removed;
}

/**
 * Batches committed on L1 after the local database's last batch, with `confirmations` blocks on top
 * (1 = included). The log scan starts at the block of the last local batch's commit.
 */
export async function newCommittedBatches(state: StateDb, l1: L1Clients, rollup: Address, deployBlock: bigint, confirmations: number): Promise<CommittedBatch[]> {
  const head = await l1.public.getBlockNumber();
  const to = head - BigInt(confirmations - 1);
  const last = state.batchNum > 0 ? state.getBatch(state.batchNum) : undefined;
  const from = last === undefined ? deployBlock : BigInt(last.commitBlock);
  if (to < from) return [];
  const all = await getCommittedBatches(l1, rollup, from, to);
  const out = all.filter((b) => b.batchNum > state.batchNum);
  for (const [i, b] of out.entries()) {
    if (b.batchNum !== state.batchNum + 1 + i) throw new FollowError('FOLLOW_GAP', `L1 batch ${b.batchNum} does not follow ${state.batchNum + i}`);
  }
  return out;
}

export type RecordInput = {
  readonly batchNum: number;
  readonly result: BatchResult;
  readonly l1Ops: readonly L1Op[];
  readonly l1Start: bigint;
  readonly feeTable: readonly FeeEntry[];
  readonly txs: readonly StoredTx[];
  readonly commit: { readonly tx: Hex; readonly block: bigint; readonly blockHash: Hex };
};

export function batchRecord(r: RecordInput): BatchRecord {
  return {
    batchNum: r.batchNum,
    root: toHex32(r.result.newRoot),
    exitRoot: toHex32(r.result.exitRoot),
    nextIndex: r.result.newNextIndex,
    l1Start: Number(r.l1Start),
    l1Ops: bytesToHex(encodeL1Ops(r.l1Ops)),
    txs: r.txs,
    feeTable: r.feeTable.map((f) => ({ tokenId: f.tokenId, accountIdx: f.accountIdx, fee: toHexQ(f.fee) })),
    exits: r.result.exits.map((e) => ({ slot: e.slot, l1Address: toAddressHex(e.l1Address), tokenId: e.tokenId, amount: toHexQ(e.amount), leaf: toHex32(e.leaf) })),
    commitTx: r.commit.tx,
    commitBlock: Number(r.commit.block),
    commitBlockHash: r.commit.blockHash,
  };
}

export function feeTableOf(rec: BatchRecord): FeeEntry[] {
  return rec.feeTable.map((f) => ({ tokenId: f.tokenId, accountIdx: f.accountIdx, fee: BigInt(f.fee) }));
}
