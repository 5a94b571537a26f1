/**
 * The prover service: proves committed batches, in order, and submits the proofs to L1.
 *
 * It keeps its own state database (a replica at the last batch it proved or saw proven) and follows
 * L1: for the next committed batch it takes the L1 operations from L1's calldata and the signed
 * transactions from a `BatchInputSource` (the sequencer's database in-process, or its RPC), replays
 * them through the STF on the replica, checks the result reproduces the roots L1 committed to, builds
 * the circuit witness, proves it in worker threads (src/prover) and calls `proveBatch`. Only then does
 * the replica move. A batch some other prover proved first is applied without proving, so several
 * services can run against one rollup and coordinate through L1 alone (at worst racing one proof).
 * Crash-safe by construction: nothing moves before L1 has the proof; a restart re-proves at most the
 * batch in hand.
 *
 * Priority window (docs/PROTOCOL.md §11.2): a batch still inside its window may be proven only by its
 * committer or the committer's designated prover; any other service waits ('waiting-priority', judged
 * by the latest L1 block's time) and proves once the window has passed, taking the batch's reward.
 */
import type { Address } from 'viem';
import { RampartError } from '../core/errors.ts';
import { applyBatch, type StfConfig } from '../core/stf.ts';
import type { L2Tx } from '../core/tx.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { ContractRevertedError } from '../l1/errors.ts';
import { getProverPriority, proveBatch } from '../l1/rollupActions.ts';
import type { CircuitParams } from '../prover/circuit-params.ts';
import type { Prover } from '../prover/prover.ts';
import { batchWitnessFromResult } from '../prover/witness.ts';
import { decodeL1OpsBytes } from './derivation.ts';
import { batchRecord, feeTableOf, lastProvenOnL1, newCommittedBatches, rollbackReorged } from './follow.ts';
import type { BatchRecord, StateDb } from './state-db.ts';
import { loadTx } from './stored-tx.ts';

/** Where the prover gets a batch's signed transactions (ZK batch data carries no signatures). */
export type BatchInputSource = {
  readonly getBatch: (batchNum: number) => Promise<BatchRecord | undefined> | BatchRecord | undefined;
};

export type ProverServiceDeps = {
  readonly l1: L1Clients;
  readonly rollup: Address;
  readonly deployBlock: bigint;
  /** The prover's own replica database. */
  readonly replica: StateDb;
  readonly source: BatchInputSource;
  readonly prover: Prover;
  readonly params: CircuitParams;
  readonly config: StfConfig;
  /** Multi-proof mode posts signed records; the proof binds them the same way (docs/PROTOCOL.md §14.1). */
  readonly mode?: 'zk' | 'multi';
  readonly confirmations?: number;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
};

export class ProverServiceError extends RampartError {
  override readonly name = 'ProverServiceError';
}

export type ProverStep =
  | { readonly kind: 'idle' }
  | { readonly kind: 'waiting-input'; readonly batchNum: number }
  /** Another prover has priority on this batch until `until` (unix seconds, L1 time). */
  | { readonly kind: 'waiting-priority'; readonly batchNum: number; readonly until: bigint }
  | { readonly kind: 'proven'; readonly batchNum: number; readonly witnessMs: number; readonly proveMs: number }
  | { readonly kind: 'skipped'; readonly batchNum: number };

export class ProverService {
  /** The batch whose missing signatures were last reported (logged once per batch). */
  private missingLogged: number | undefined;

  constructor(private readonly deps: ProverServiceDeps) {}

  private log(event: string, fields: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  /**
   * When this service may not prove `batchNum` yet: the end of its window, if the batch is unproven,
   * inside its priority window, and this key is neither its committer nor the designated prover.
   */
  private async priorityWait(batchNum: number): Promise<bigint | undefined> {
    const { l1, rollup } = this.deps;
    const me = l1.wallet?.account.address.toLowerCase();
    const p = await getProverPriority(l1, rollup, BigInt(batchNum));
    if (p.proven || me === p.committer.toLowerCase() || me === p.designated.toLowerCase()) return undefined;
    // L1's clock, not ours: the contract judges by block.timestamp (the next block's is at least this).
    const now = (await l1.public.getBlock({ blockTag: 'latest' })).timestamp;
    if (now + 1n >= p.until) return undefined;
    this.log('prover-priority-wait', { batchNum, until: p.until.toString(), committer: p.committer });
    return p.until;
  }

  /** Handles the next committed batch, if any: proves it (or applies it if already proven). */
  async step(): Promise<ProverStep> {
    const { l1, rollup, deployBlock, replica, config, params } = this.deps;
    const removed = await rollbackReorged(replica, l1, rollup);
    if (removed.length > 0) this.log('prover-reorg', { rolledBack: removed.map((r) => r.batchNum) });
    const [posted] = await newCommittedBatches(replica, l1, rollup, deployBlock, this.deps.confirmations ?? 1);
    if (posted === undefined) return { kind: 'idle' };
    const batchNum = posted.batchNum;
    const waitUntil = await this.priorityWait(batchNum);
    if (waitUntil !== undefined) return { kind: 'waiting-priority', batchNum, until: waitUntil };
    const input = await this.deps.source.getBatch(batchNum);
    if (input === undefined) return { kind: 'waiting-input', batchNum };
    const l2Txs: L2Tx[] = [];
    for (const t of input.txs) {
      const tx = loadTx(t);
      if (tx === undefined) {
        // ZK data posts no signatures: until a node that holds them (the committer's, typically) serves
        // the batch, there is nothing to prove yet. Not an error: retried next round.
        if (this.missingLogged !== batchNum) this.log('prover-waiting-signatures', { batchNum });
        this.missingLogged = batchNum;
        return { kind: 'waiting-input', batchNum };
      }
      l2Txs.push(tx);
    }
    const l1Ops = decodeL1OpsBytes(posted.l1OpsBytes);
    const feeTable = feeTableOf(input);
    const result = applyBatch(replica, { l1Ops, l2Txs, feeTable }, config);
    if (result.newRoot !== posted.newRoot || result.exitRoot !== posted.exitRoot || result.included.length !== l2Txs.length) {
      throw new ProverServiceError('PROVER_INPUT_MISMATCH', `batch ${batchNum}: the source's transactions do not reproduce the roots committed on L1`, {
        details: { batchNum, included: result.included.length, given: l2Txs.length },
      });
    }
    const record = batchRecord({ batchNum, result, l1Ops, l1Start: posted.l1Start, feeTable, txs: input.txs, commit: { tx: posted.txHash, block: posted.blockNumber, blockHash: posted.blockHash } });
    if (batchNum <= (await lastProvenOnL1(l1, rollup))) {
      replica.applyBatch(batchNum, result.changes, { record });
      return { kind: 'skipped', batchNum };
    }
    const { input: circuitInput, commitment } = batchWitnessFromResult({ params, config, state: replica, result, l1Ops, feeTable, batchNum: BigInt(batchNum), l1Start: posted.l1Start, mode: this.deps.mode ?? 'zk' });
    this.log('proving', { batchNum });
    const proof = await this.deps.prover.prove(circuitInput);
    if (proof.publicSignals[0] !== commitment.inputHash) {
      throw new ProverServiceError('PROVER_PUBLIC_INPUT', `batch ${batchNum}: the proof's public input is not the batch's input hash`);
    }
    try {
      await proveBatch(l1, rollup, BigInt(batchNum), proof.proof);
    } catch (err) {
      // Another prover won the race: fine, as long as L1 has the batch proven now.
      if (!(err instanceof ContractRevertedError) || batchNum > (await lastProvenOnL1(l1, rollup))) throw err;
      replica.applyBatch(batchNum, result.changes, { record });
      return { kind: 'skipped', batchNum };
    }
    replica.applyBatch(batchNum, result.changes, { record });
    this.log('proven', { batchNum, witnessMs: Math.round(proof.witnessMs), proveMs: Math.round(proof.proveMs) });
    return { kind: 'proven', batchNum, witnessMs: proof.witnessMs, proveMs: proof.proveMs };
  }
}
