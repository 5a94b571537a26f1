/**
 * Self-sequencing by an outsider (docs/PROTOCOL.md §11.1): when every sequencer has gone quiet for
 * `selfSequenceDelay`, anyone may add the next batch with `selfSequenceBatch` — the commit and its
 * validity proof in one call. This builds such a batch from L1 alone (no node, no database, no
 * operator): it rebuilds the last final state from commitBatch calldata, takes the oldest unconsumed
 * L1 queue items (deposits, force-exits, forced transfers) and any signed L2 transactions the caller
 * brings, runs the STF, proves the batch with the caller's circuit files and submits it. It repeats
 * until the queue and the given transactions are used up (or `maxBatches`).
 *
 * The self-sequencer takes no fees (empty fee table): it acts for itself or the users it serves.
 * Settlement modes (docs/PROTOCOL.md §14.1): zk posts a proof; optimistic posts the signed data with
 * the assertion bond instead (no circuit files needed; a wrong batch is disputed like any other); multi
 * posts both. The state it builds on is every committed batch's, rebuilt from calldata and checked
 * against the contract's root for the last one.
 */
import { type Address, bytesToHex, getAddress } from 'viem';
import { RampartError } from '../core/errors.ts';
import { signedBatchFromResult, type BatchCommitment, type BatchHeader } from '../core/batch-commitment.ts';
import { MemoryState } from '../core/state.ts';
import { SparseMerkleTree } from '../core/smt.ts';
import { applyBatch, type L2Receipt, type StfConfig } from '../core/stf.ts';
import { domainHash, encodeL1Ops, type L2Tx } from '../core/tx.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { getCommittedBatches, getEscapeHatchStatus, getQueuedOps, selfSequenceBatch, type Groth16Proof } from '../l1/rollupActions.ts';
import { getSettlement } from '../l1/optimisticActions.ts';
import { assertParamsMatchConfig, type CircuitParams } from '../prover/circuit-params.ts';
import type { Prover } from '../prover/prover.ts';
import { rollupAbi as BATCHES_ABI } from '../l1/generated/Rollup.ts';
import { batchWitnessFromResult } from '../prover/witness.ts';
import { findDeployBlock, readRollupConfig } from './exodus.ts';
import { deriveBatch } from './derivation.ts';
import { txHash } from './stored-tx.ts';

export type SelfSequenceErrorCode =
  | 'SELF_SEQUENCE_EXODUS'
  | 'SELF_SEQUENCE_CLOSED'
  | 'SELF_SEQUENCE_UNPROVEN'
  | 'SELF_SEQUENCE_NOTHING'
  | 'SELF_SEQUENCE_NO_KEY'
  | 'SELF_SEQUENCE_NO_PROVER'
  | 'SELF_SEQUENCE_BAD_CHAIN'
  | 'SELF_SEQUENCE_PROOF';

export class SelfSequenceError extends RampartError {
  override readonly name = 'SelfSequenceError';
  constructor(code: SelfSequenceErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
  }
}

export type SelfSequenceParameters = {
  /** L1 clients with the wallet that submits (and pays gas for) the batches. */
  readonly l1: L1Clients;
  readonly rollup: Address;
  /** A prover loaded with the circuit the rollup's verifier was generated from (zk and multi modes). */
  readonly prover?: Prover;
  /** Signed L2 transactions to include, in order (invalid ones are reported and left out). */
  readonly l2Txs?: readonly L2Tx[];
  /** Where log scans start; default: the rollup's deploy block, found by bisection. */
  readonly fromBlock?: bigint;
  /** At most this many batches (default: until nothing is left). */
  readonly maxBatches?: number;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
};

export type SelfSequencedBatch = {
  readonly batchNum: number;
  readonly txHash: `0x${string}`;
  readonly l1Ops: number;
  readonly l2Included: readonly string[];
  readonly newRoot: bigint;
  readonly proveMs: number;
};

export type SelfSequenceResult = {
  readonly batches: readonly SelfSequencedBatch[];
  /** Given transactions not included (self-sequencing closed again after our batch), in order. */
  readonly remaining: readonly L2Tx[];
  /** Given transactions the STF refused, with the reason (by tx hash). */
  readonly rejected: readonly { readonly hash: string; readonly reason: string }[];
};

/** The circuit parameters a rollup's on-chain configuration implies (the verifier must match them). */
export function circuitParamsOf(config: StfConfig): CircuitParams {
  return {
    levels: config.treeDepth / 2,
    exitLevels: config.exitTreeDepth / 2,
    maxL1Ops: config.maxL1Ops,
    maxL2Txs: config.maxL2Txs,
    maxFeeTokens: config.maxFeeTokens,
  };
}

export async function selfSequence(p: SelfSequenceParameters): Promise<SelfSequenceResult> {
  const { l1, prover } = p;
  const rollup = getAddress(p.rollup);
  if (l1.wallet === undefined) throw new SelfSequenceError('SELF_SEQUENCE_NO_KEY', 'self-sequencing sends L1 transactions: give an L1 key');
  const settlement = await getSettlement(l1, rollup);
  if (settlement.mode !== 'optimistic' && prover === undefined) {
    throw new SelfSequenceError('SELF_SEQUENCE_NO_PROVER', `a ${settlement.mode}-mode rollup takes self-sequenced batches only with their proof: give the circuit files`);
  }
  // Modes 1/2: the self-sequencer's batch is a bonded assertion like any commit (exactly the bond).
  const bond = settlement.mode === 'zk' ? 0n : settlement.assertionBond;
  const maxBatches = p.maxBatches ?? Number.MAX_SAFE_INTEGER;
  const fromBlock = p.fromBlock ?? (await findDeployBlock(l1, rollup));
  const log = p.log ?? (() => {});
  let pending = [...(p.l2Txs ?? [])];
  const batches: SelfSequencedBatch[] = [];
  const rejected: { hash: string; reason: string }[] = [];

  while (batches.length < maxBatches) {
    const status = await getEscapeHatchStatus(l1, rollup);
    if (status.exodus) throw new SelfSequenceError('SELF_SEQUENCE_EXODUS', 'the rollup is in exodus mode: exit with `rampart exit` instead');
    const queueLeft = status.queueLength - status.l1Consumed;
    if (queueLeft === 0n && pending.length === 0) break;
    if (!status.selfSequencingOpen) {
      // Our own batch restarts the clock for what only L2 transactions need; queue items that waited
      // keep it open. Stop with what is left reported rather than fail after progress.
      if (batches.length > 0) break;
      throw new SelfSequenceError('SELF_SEQUENCE_CLOSED', 'self-sequencing is not open: the sequencer committed or no queue item waited selfSequenceDelay', {
        delay: status.delays.selfSequence.toString(),
      });
    }
    if (settlement.mode !== 'optimistic' && status.lastProven !== status.lastCommitted) {
      throw new SelfSequenceError('SELF_SEQUENCE_UNPROVEN', `batch ${status.lastProven + 1n} is committed but unproven: a prover must prove it first (or wait for exodus)`, {
        lastProven: status.lastProven.toString(),
        lastCommitted: status.lastCommitted.toString(),
      });
    }
    // The state of the last committed batch, rebuilt from calldata and checked against the contract's root.
    const config = await readRollupConfig(l1, rollup);
    const state = await committedState(l1, rollup, fromBlock, config, Number(status.lastCommitted));
    const domain = domainHash(config.domain);
    assertParamsMatchConfig(circuitParamsOf(config), config);
    const queued = (await getQueuedOps(l1, rollup, fromBlock)).filter((q) => BigInt(q.index) >= status.l1Consumed);
    const l1Ops = queued.slice(0, config.maxL1Ops).map((q) => q.op);
    const l2Txs = pending.slice(0, config.maxL2Txs * 4);
    const result = applyBatch(state, { l1Ops, l2Txs, feeTable: [] }, config);
    const included = new Set(result.included);
    const rest: L2Tx[] = [];
    result.l2Receipts.forEach((r: L2Receipt, i) => {
      const tx = l2Txs[i];
      if (tx === undefined) return;
      if (r.status === 'rejected' && r.reason !== 'batch-full') rejected.push({ hash: txHash(tx, domain), reason: r.reason });
      else if (!included.has(tx)) rest.push(tx);
    });
    pending = [...rest, ...pending.slice(l2Txs.length)];
    if (l1Ops.length === 0 && result.included.length === 0) {
      if (pending.length === 0 || rest.length === pending.length) break;
      continue;
    }
    const batchNum = Number(status.lastCommitted) + 1;
    const built = { config, maxL2Txs: config.maxL2Txs, result, l1Ops, feeTable: [], batchNum: BigInt(batchNum), l1Start: status.l1Consumed };
    let posted: { header: BatchHeader; batchData: Uint8Array; commitment: BatchCommitment };
    let proof: { proof: Groth16Proof; proveMs: number };
    if (settlement.mode === 'optimistic' || prover === undefined) {
      posted = signedBatchFromResult(built);
      proof = { proof: NO_PROOF, proveMs: 0 };
    } else {
      const params = circuitParamsOf(config);
      const w = batchWitnessFromResult({ params, config, state, result, l1Ops, feeTable: [], batchNum: BigInt(batchNum), l1Start: status.l1Consumed, mode: settlement.mode === 'multi' ? 'multi' : 'zk' });
      posted = w;
      log('self-sequence-proving', { batchNum, l1Ops: l1Ops.length, l2Txs: result.included.length });
      const proven = await prover.prove(w.input);
      if (proven.publicSignals[0] !== w.commitment.inputHash) {
        throw new SelfSequenceError('SELF_SEQUENCE_PROOF', `batch ${batchNum}: the proof's public input is not the batch's input hash (wrong circuit files?)`);
      }
      proof = { proof: proven.proof, proveMs: proven.proveMs };
    }
    const { header, batchData, commitment } = posted;
    const commitHeader = { newRoot: header.newRoot, exitRoot: header.exitRoot, dataCommitment: commitment.c, newNextIndex: header.newNextIndex, l1Count: l1Ops.length };
    const receipt = await selfSequenceBatch(l1, rollup, commitHeader, bytesToHex(encodeL1Ops(l1Ops)), bytesToHex(batchData), proof.proof, bond);
    const done: SelfSequencedBatch = {
      batchNum,
      txHash: receipt.transactionHash,
      l1Ops: l1Ops.length,
      l2Included: result.included.map((t) => txHash(t, domain)),
      newRoot: result.newRoot,
      proveMs: Math.round(proof.proveMs),
    };
    log('self-sequenced', { batchNum, tx: receipt.transactionHash, l1Ops: l1Ops.length, l2Txs: result.included.length });
    batches.push(done);
  }
  return { batches, rejected, remaining: pending };
}

/** An optimistic self-sequenced batch carries no proof; the contract ignores the argument in mode 1. */
const NO_PROOF: Groth16Proof = { a: [0n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] };

/**
 * The state after batch `lastCommitted`, derived from every committed batch's calldata and checked
 * against the root the contract holds. A committed batch that does not derive (optimistic fraud not
 * yet disputed) cannot be built on: SELF_SEQUENCE_BAD_CHAIN (dispute it first).
 */
async function committedState(l1: L1Clients, rollup: Address, fromBlock: bigint, config: StfConfig, lastCommitted: number): Promise<MemoryState> {
  const state = new MemoryState();
  const batches = (await getCommittedBatches(l1, rollup, fromBlock)).filter((b) => b.batchNum <= lastCommitted);
  for (const [i, b] of batches.entries()) {
    if (b.batchNum !== i + 1) throw new SelfSequenceError('SELF_SEQUENCE_BAD_CHAIN', `L1 logs skip from batch ${i} to ${b.batchNum}`);
    try {
      state.apply(deriveBatch(state, b, config).result.changes);
    } catch (cause) {
      throw new SelfSequenceError('SELF_SEQUENCE_BAD_CHAIN', `committed batch ${b.batchNum} does not derive from its data: dispute it before building on it`, { batchNum: b.batchNum, cause: cause instanceof Error ? cause.message : String(cause) });
    }
  }
  if (batches.length !== lastCommitted) throw new SelfSequenceError('SELF_SEQUENCE_BAD_CHAIN', `found ${batches.length} committed batches on L1, need ${lastCommitted}`);
  const onChain = (await l1.public.readContract({ address: rollup, abi: BATCHES_ABI, functionName: 'batches', args: [BigInt(lastCommitted)] })) as readonly unknown[];
  if (new SparseMerkleTree(config.treeDepth, state).root() !== (onChain[1] as bigint)) {
    throw new SelfSequenceError('SELF_SEQUENCE_BAD_CHAIN', `the state derived from L1 calldata does not give batch ${lastCommitted}'s root`);
  }
  return state;
}
