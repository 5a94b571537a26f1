/**
 * Typed reads and writes of the Rollup contract over any JSON-RPC L1. Everything read from L1 (event
 * data, transaction calldata) is validated before it is used: op bytes must decode and hash to the
 * queue entry, commitBatch calldata must decode with the Rollup ABI.
 */
import { type Abi, type Address, type Hex, type Log, decodeFunctionData, hexToBytes, keccak256, parseEventLogs } from 'viem';
import { decodeL1Op, type L1Op } from '../core/tx.ts';
import type { L1Clients } from './createL1Clients.ts';
import { L1Error } from './errors.ts';
import { rollupAbi } from './generated/Rollup.ts';
import { sequencerRegistryAbi } from './generated/SequencerRegistry.ts';
import { writeContractAndWait } from './sendAndWait.ts';

/**
 * The Rollup's ABI plus the registry's errors: commitBatch reverts with the registry's own reason
 * (e.g. NotAllowedToCommit) when a registry gates commits, and viem decodes reverts by this ABI.
 */
const abi = [...rollupAbi, ...sequencerRegistryAbi.filter((x) => x.type === 'error')] as Abi;

export type QueuedOp = { readonly index: number; readonly op: L1Op; readonly bytes: Uint8Array; readonly blockNumber: bigint };

/**
 * Most blocks one eth_getLogs call spans. Public RPC providers refuse wide ranges (limits of 1,000 to
 * 10,000 blocks are common), so every scan here walks its range in chunks of this size.
 */
export const LOG_CHUNK_BLOCKS = 2_000n;

/**
 * One contract's logs of one event (from `eventAbi`) in [fromBlock, toBlock], fetched in
 * LOG_CHUNK_BLOCKS chunks. Shared by every L1 reader (rollup, dispute game).
 */
export async function getLogsChunked(clients: L1Clients, address: Address, eventAbi: Abi, eventName: string, fromBlock: bigint, toBlock: bigint | 'latest'): Promise<Log[]> {
  const to = toBlock === 'latest' ? await clients.public.getBlockNumber() : toBlock;
  const event = eventAbi.find((x) => x.type === 'event' && x.name === eventName) as never;
  if (event === undefined) throw new L1Error('L1_RPC_FAILED', `no event ${eventName} in the ABI`);
  const logs: Log[] = [];
  for (let from = fromBlock; from <= to; from += LOG_CHUNK_BLOCKS) {
    const end = from + LOG_CHUNK_BLOCKS - 1n < to ? from + LOG_CHUNK_BLOCKS - 1n : to;
    logs.push(...(await clients.public.getLogs({ address, fromBlock: from, toBlock: end, event })));
  }
  return logs;
}

/** The rollup's logs of one event in [fromBlock, toBlock], fetched in LOG_CHUNK_BLOCKS chunks. */
function getRollupLogs(clients: L1Clients, rollup: Address, eventName: string, fromBlock: bigint, toBlock: bigint | 'latest') {
  return getLogsChunked(clients, rollup, abi, eventName, fromBlock, toBlock);
}

/** L1 operations queued in [fromBlock, toBlock], in queue order, each checked against the contract's queue hash. */
export async function getQueuedOps(clients: L1Clients, rollup: Address, fromBlock: bigint, toBlock: bigint | 'latest' = 'latest'): Promise<QueuedOp[]> {
  const logs = await getRollupLogs(clients, rollup, 'L1OpQueued', fromBlock, toBlock);
  const parsed = parseEventLogs({ abi, logs, eventName: 'L1OpQueued' }) as unknown as { args: { queueIndex: bigint; op: Hex }; blockNumber: bigint }[];
  const out: QueuedOp[] = [];
  for (const l of parsed) {
    const bytes = hexToBytes(l.args.op);
    const index = Number(l.args.queueIndex);
    const stored = (await clients.public.readContract({ address: rollup, abi, functionName: 'queue', args: [l.args.queueIndex] })) as Hex;
    if (stored !== keccak256(bytes)) {
      throw new L1Error('L1_RPC_FAILED', `queued op ${index}: event bytes do not hash to the contract's queue entry`, { details: { index } });
    }
    out.push({ index, op: decodeL1Op(bytes), bytes, blockNumber: l.blockNumber });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** A committed batch as posted on L1 (what derivation replays). */
export type CommittedBatch = {
  readonly batchNum: number;
  readonly newRoot: bigint;
  readonly exitRoot: bigint;
  readonly newNextIndex: number;
  readonly l1OpsBytes: Uint8Array;
  readonly batchDataBytes: Uint8Array;
  readonly l1Start: bigint;
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
};

/**
 * Batches committed in [fromBlock, toBlock], decoded from their commitBatch calldata. In optimistic and
 * multi modes a fraud proof removes a batch and every later one (`BatchesReverted(fromBatch, …)`, docs/
 * PROTOCOL.md §14.1) and their numbers are committed again: a commit followed, later in the range, by a
 * revert from a batch number at or below its own is dropped, so each number appears at most once, with
 * the commit that stands. (Zk mode never reverts: nothing is dropped.)
 */
export async function getCommittedBatches(clients: L1Clients, rollup: Address, fromBlock: bigint, toBlock: bigint | 'latest' = 'latest'): Promise<CommittedBatch[]> {
  const to = toBlock === 'latest' ? await clients.public.getBlockNumber() : toBlock;
  const logs = await getRollupLogs(clients, rollup, 'BatchCommitted', fromBlock, to);
  const parsed = parseEventLogs({ abi, logs, eventName: 'BatchCommitted' }) as unknown as {
    args: { batchNum: bigint; newRoot: bigint; exitRoot: bigint; l1Start: bigint; l1Count: number; txCount: number };
    transactionHash: Hex;
    blockNumber: bigint;
    blockHash: Hex;
    logIndex: number;
  }[];
  const reverts = parseEventLogs({ abi, logs: await getRollupLogs(clients, rollup, 'BatchesReverted', fromBlock, to), eventName: 'BatchesReverted' }) as unknown as {
    args: { fromBatch: bigint };
    blockNumber: bigint;
    logIndex: number;
  }[];
  const after = (a: { blockNumber: bigint; logIndex: number }, b: { blockNumber: bigint; logIndex: number }): boolean =>
    a.blockNumber > b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex > b.logIndex);
  const standing = parsed.filter((c) => !reverts.some((r) => r.args.fromBatch <= c.args.batchNum && after(r, c)));
  const out: CommittedBatch[] = [];
  for (const l of standing) {
    const tx = await clients.public.getTransaction({ hash: l.transactionHash });
    let decoded;
    try {
      decoded = decodeFunctionData({ abi, data: tx.input });
    } catch (cause) {
      // A contract (not an EOA) may have called commitBatch; tracing its inner call is not supported yet.
      throw new L1Error('L1_RPC_FAILED', `batch ${l.args.batchNum}: transaction ${l.transactionHash} is not a direct commitBatch call`, { cause });
    }
    // A self-sequenced batch (selfSequenceBatch) posts the same first three arguments, plus its proof;
    // commitBatchOn posts them after the parent it names.
    const name = decoded.functionName;
    if (name !== 'commitBatch' && name !== 'selfSequenceBatch' && name !== 'commitBatchOn') {
      throw new L1Error('L1_RPC_FAILED', `batch ${l.args.batchNum}: unexpected call ${name}`);
    }
    const args = (name === 'commitBatchOn' ? decoded.args?.slice(2) : decoded.args) ?? [];
    const [header, l1Ops, batchData] = args as unknown as [{ newRoot: bigint; exitRoot: bigint; newNextIndex: number }, Hex, Hex];
    if (header.newRoot !== l.args.newRoot || header.exitRoot !== l.args.exitRoot) {
      throw new L1Error('L1_RPC_FAILED', `batch ${l.args.batchNum}: event and calldata disagree`);
    }
    out.push({
      batchNum: Number(l.args.batchNum),
      newRoot: header.newRoot,
      exitRoot: header.exitRoot,
      newNextIndex: header.newNextIndex,
      l1OpsBytes: hexToBytes(l1Ops),
      batchDataBytes: hexToBytes(batchData),
      l1Start: l.args.l1Start,
      txHash: l.transactionHash,
      blockNumber: l.blockNumber,
      blockHash: l.blockHash,
    });
  }
  return out.sort((a, b) => a.batchNum - b.batchNum);
}

/** Queue items [0, l1Consumed) are in committed batches. */
export async function getL1Consumed(clients: L1Clients, rollup: Address): Promise<bigint> {
  return (await clients.public.readContract({ address: rollup, abi, functionName: 'l1Consumed' })) as bigint;
}

export type CommitHeader = { readonly newRoot: bigint; readonly exitRoot: bigint; readonly dataCommitment: bigint; readonly newNextIndex: number; readonly l1Count: number };
export type Groth16Proof = { readonly a: readonly [bigint, bigint]; readonly b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]]; readonly c: readonly [bigint, bigint] };

/** Sends any Rollup call with the clients' key and waits for it; reverts surface as ContractRevertedError with the Rollup's reason. */
export function writeRollup(clients: L1Clients, rollup: Address, functionName: string, args: readonly unknown[], value?: bigint) {
  return writeContractAndWait(clients, rollup, abi, 'Rollup', functionName, args, value);
}

/** `proverRewardWei` is attached as the batch's proving reward (docs/PROTOCOL.md §11.2). */
export function commitBatch(clients: L1Clients, rollup: Address, header: CommitHeader, l1Ops: Hex, batchData: Hex, proverRewardWei = 0n) {
  return writeRollup(clients, rollup, 'commitBatch', [header, l1Ops, batchData], proverRewardWei);
}

/** Names the prover that shares the caller's priority window on the batches the caller commits. */
export function setDesignatedProver(clients: L1Clients, rollup: Address, prover: Address) {
  return writeRollup(clients, rollup, 'setDesignatedProver', [prover]);
}

/** Who may prove a committed batch now, and what it pays (docs/PROTOCOL.md §11.2). */
export type ProverPriority = {
  readonly committer: Address;
  /** The committer's designated prover as of now (the zero address when none). */
  readonly designated: Address;
  /** Unix seconds: from then on anyone may prove the batch. */
  readonly until: bigint;
  readonly reward: bigint;
  readonly proven: boolean;
};

export async function getProverPriority(clients: L1Clients, rollup: Address, batchNum: bigint): Promise<ProverPriority> {
  const b = (await clients.public.readContract({ address: rollup, abi, functionName: 'batches', args: [batchNum] })) as readonly unknown[];
  const [, , , , , committedAt, proven, committer, batchReward] = b as [bigint, bigint, bigint, bigint, number, bigint, boolean, Address, bigint];
  const [window, designated, mode] = await Promise.all([
    clients.public.readContract({ address: rollup, abi, functionName: 'proverPriorityWindow' }) as Promise<bigint>,
    clients.public.readContract({ address: rollup, abi, functionName: 'designatedProverOf', args: [committer] }) as Promise<Address>,
    clients.public.readContract({ address: rollup, abi, functionName: 'mode' }) as Promise<number>,
  ]);
  // Multi mode keeps the reward with the commit (it must survive a removal that reuses the batch number).
  let reward = batchReward;
  if (mode === 2) {
    const commitId = (await clients.public.readContract({ address: rollup, abi, functionName: 'commitIdOf', args: [batchNum] })) as bigint;
    const a = (await clients.public.readContract({ address: rollup, abi, functionName: 'assertions', args: [commitId] })) as readonly unknown[];
    reward = a[8] as bigint;
  }
  return { committer, designated, until: committedAt + window, reward, proven };
}

/** What the Rollup stores about committed batch `batchNum` (all zero when not committed). */
export type BatchCommit = {
  readonly stateRoot: bigint;
  readonly exitRoot: bigint;
  readonly nextIndex: number;
  /** Timestamp of the including block (unix seconds); 0 when not committed. */
  readonly committedAt: bigint;
  readonly committer: Address;
  readonly proven: boolean;
};

export async function getBatchCommit(clients: L1Clients, rollup: Address, batchNum: bigint): Promise<BatchCommit> {
  const b = (await clients.public.readContract({ address: rollup, abi, functionName: 'batches', args: [batchNum] })) as readonly unknown[];
  const [, stateRoot, exitRoot, , nextIndex, committedAt, proven, committer] = b as [bigint, bigint, bigint, bigint, number, bigint, boolean, Address];
  return { stateRoot, exitRoot, nextIndex, committedAt, committer, proven };
}

export function proveBatch(clients: L1Clients, rollup: Address, batchNum: bigint, proof: Groth16Proof) {
  return writeRollup(clients, rollup, 'proveBatch', [batchNum, { a: proof.a, b: proof.b, c: proof.c }]);
}

export function withdraw(clients: L1Clients, rollup: Address, batchNum: bigint, slot: bigint, to: Address, tokenId: number, amount: bigint, siblings: readonly bigint[]) {
  return writeRollup(clients, rollup, 'withdraw', [batchNum, slot, to, tokenId, amount, siblings]);
}

/** `bondWei`: the assertion bond in optimistic/multi mode (docs/PROTOCOL.md §14.1; in optimistic mode the proof is ignored); 0 in zk mode. */
export function selfSequenceBatch(clients: L1Clients, rollup: Address, header: CommitHeader, l1Ops: Hex, batchData: Hex, proof: Groth16Proof, bondWei = 0n) {
  return writeRollup(clients, rollup, 'selfSequenceBatch', [header, l1Ops, batchData, { a: proof.a, b: proof.b, c: proof.c }], bondWei);
}

/** Freezes the rollup at its last final batch (anyone, once `exodusAllowed()`; docs/PROTOCOL.md §11.1). */
export function triggerExodus(clients: L1Clients, rollup: Address) {
  return writeRollup(clients, rollup, 'triggerExodus', []);
}

/** The preimage of an account leaf and its 4-ary proof against the exodus root. */
export type ExodusAccountProof = {
  readonly accountIndex: number;
  readonly tokenId: number;
  readonly nonce: number;
  readonly balance: bigint;
  readonly publicKey: readonly [bigint, bigint];
  readonly l1Address: Address;
  readonly siblings: readonly bigint[];
};

export function exodusWithdraw(clients: L1Clients, rollup: Address, p: ExodusAccountProof) {
  return writeRollup(clients, rollup, 'exodusWithdraw', [p.accountIndex, p.tokenId, p.nonce, p.balance, p.publicKey[0], p.publicKey[1], p.l1Address, p.siblings]);
}

export function exodusRefund(clients: L1Clients, rollup: Address, queueIndex: bigint, op: Hex) {
  return writeRollup(clients, rollup, 'exodusRefund', [queueIndex, op]);
}

export type EscapeHatchStatus = {
  readonly exodus: boolean;
  readonly exodusAllowed: boolean;
  readonly selfSequencingOpen: boolean;
  /** Set once exodus was triggered: the frozen final batch, its state root and the queue position it consumed up to. */
  readonly exodusBatch: bigint;
  readonly exodusRoot: bigint;
  readonly exodusL1End: bigint;
  readonly lastCommitted: bigint;
  readonly lastProven: bigint;
  /** The last final batch: `lastProven` in zk mode, `lastFinal` (finalized) in optimistic/multi (docs/PROTOCOL.md §14.1). */
  readonly lastFinal: bigint;
  readonly queueLength: bigint;
  readonly l1Consumed: bigint;
  readonly delays: { readonly forcedInclusion: bigint; readonly selfSequence: bigint; readonly exodus: bigint };
};

/** One read of everything the escape hatches depend on. */
export async function getEscapeHatchStatus(clients: L1Clients, rollup: Address): Promise<EscapeHatchStatus> {
  const r = <T>(functionName: string): Promise<T> => clients.public.readContract({ address: rollup, abi, functionName }) as Promise<T>;
  const [exodus, exodusAllowed, selfSequencingOpen, exodusBatch, exodusRoot, exodusL1End, lastCommitted, lastProven, lastFinal, queueLength, l1Consumed, fi, ss, ex] = await Promise.all([
    r<boolean>('exodus'),
    r<boolean>('exodusAllowed'),
    r<boolean>('selfSequencingOpen'),
    r<bigint>('exodusBatch'),
    r<bigint>('exodusRoot'),
    r<bigint>('exodusL1End'),
    r<bigint>('lastCommitted'),
    r<bigint>('lastProven'),
    r<bigint>('lastFinalBatch'),
    r<bigint>('queueLength'),
    r<bigint>('l1Consumed'),
    r<bigint>('forcedInclusionDelay'),
    r<bigint>('selfSequenceDelay'),
    r<bigint>('exodusDelay'),
  ]);
  return { exodus, exodusAllowed, selfSequencingOpen, exodusBatch, exodusRoot, exodusL1End, lastCommitted, lastProven, lastFinal, queueLength, l1Consumed, delays: { forcedInclusion: fi, selfSequence: ss, exodus: ex } };
}
