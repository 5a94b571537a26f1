import type { Address, Hex } from 'viem';
import { exitLeaf } from '../../core/account.ts';
import { verifyMerkleProof } from '../../core/smt.ts';
import { rollupAbi } from '../../l1/generated/Rollup.ts';
import { ContractRevertedError } from '../../l1/errors.ts';
import { withdraw as rollupWithdraw } from '../../l1/rollupActions.ts';
import { SdkError } from '../errors.ts';
import { l1Failure, l1Read, requireL1, requireWallet } from '../l1.ts';
import type { RampartContext } from '../types.ts';
import { checkTxHash, checkUint } from '../validate.ts';
import { getDomain } from './getDomain.ts';
import { getExitProof } from './getExitProof.ts';
import { getTransaction } from './getTransaction.ts';

export type ClaimParameters =
  /** The withdraw transaction's hash (its batch and exit slot are looked up)… */
  | { readonly hash: string }
  /** …or the exit's position. */
  | { readonly batchNum: number; readonly slot: number };

export type ClaimReturnType = {
  readonly l1TxHash: Hex;
  readonly blockNumber: bigint;
  readonly batchNum: number;
  readonly slot: number;
  /** Who was paid: the exiting account's L1 address. */
  readonly to: Address;
  readonly tokenId: number;
  readonly amount: bigint;
};

async function locate(ctx: RampartContext, params: ClaimParameters): Promise<{ batchNum: number; slot: number }> {
  if ('hash' in params) {
    const hash = checkTxHash(params.hash);
    const tx = await getTransaction(ctx, { hash });
    if (tx === null) throw new SdkError('EXIT_NOT_FOUND', `the node does not know transaction ${hash}`, { details: { hash } });
    if (tx.status === 'rejected') throw new SdkError('EXIT_NOT_FOUND', `transaction ${hash} was rejected (${tx.reason ?? 'no reason'})`, { details: { hash, reason: tx.reason } });
    if (tx.kind !== 'withdraw') throw new SdkError('EXIT_NOT_FOUND', `transaction ${hash} is a ${tx.kind ?? 'transaction'}, not a withdraw`, { details: { hash } });
    if (tx.batchNum === null || tx.exitSlot === null) throw new SdkError('NOT_FINAL', `withdraw ${hash} is ${tx.status}, not in a batch yet`, { details: { hash, status: tx.status } });
    return { batchNum: tx.batchNum, slot: tx.exitSlot };
  }
  return { batchNum: checkUint(params.batchNum, 'batchNum'), slot: checkUint(params.slot, 'slot', 2 ** 32 - 1) };
}

/**
 * Pays an exit on L1 (Rollup.withdraw) to its account's L1 address; any L1 account may submit it. The
 * node supplies the exit and its Merkle siblings, but nothing it says is trusted: the batch must be
 * proven on L1, the proof must verify against the exit root stored on L1, and the exit must be unpaid.
 * Errors: NOT_FINAL, ALREADY_CLAIMED, EXIT_NOT_FOUND, NODE_INCONSISTENT (a proof that does not verify),
 * L1_FAILED.
 */
export async function claim(ctx: RampartContext, params: ClaimParameters): Promise<ClaimReturnType> {
  const l1 = requireL1(ctx, 'claim');
  requireWallet(ctx, 'claim');
  const { rollup } = await getDomain(ctx);
  const { batchNum, slot } = await locate(ctx, params);
  const proof = await getExitProof(ctx, { batchNum, slot });
  if (proof === null) throw new SdkError('EXIT_NOT_FOUND', `the node knows no exit at batch ${batchNum} slot ${slot}`, { details: { batchNum, slot } });

  const read = l1.public;
  const [, , exitRoot, , , , proven] = await l1Read('Rollup.batches', () => read.readContract({ address: rollup, abi: rollupAbi, functionName: 'batches', args: [BigInt(batchNum)] }));
  if (!proven) throw new SdkError('NOT_FINAL', `batch ${batchNum} is not proven on L1 yet`, { details: { batchNum, nodeSaysFinal: proof.final } });
  const exitTreeDepth = Number(await l1Read('Rollup.exitTreeDepth', () => read.readContract({ address: rollup, abi: rollupAbi, functionName: 'exitTreeDepth' })));
  const leaf = exitLeaf(BigInt(proof.l1Address), proof.tokenId, proof.amount);
  if (!verifyMerkleProof(exitRoot, slot, leaf, proof.siblings, exitTreeDepth)) {
    throw new SdkError('NODE_INCONSISTENT', `the node's exit proof for batch ${batchNum} slot ${slot} does not match the exit root on L1`, { details: { batchNum, slot } });
  }
  const paid = await l1Read('Rollup.isWithdrawn', () => read.readContract({ address: rollup, abi: rollupAbi, functionName: 'isWithdrawn', args: [BigInt(batchNum), BigInt(slot)] }));
  if (paid) throw new SdkError('ALREADY_CLAIMED', `exit ${batchNum}/${slot} was already paid`, { details: { batchNum, slot } });

  try {
    const receipt = await rollupWithdraw(l1, rollup, BigInt(batchNum), BigInt(slot), proof.l1Address, proof.tokenId, proof.amount, proof.siblings);
    return { l1TxHash: receipt.transactionHash, blockNumber: receipt.blockNumber, batchNum, slot, to: proof.l1Address, tokenId: proof.tokenId, amount: proof.amount };
  } catch (err) {
    // Someone may have claimed between our check and our transaction.
    if (err instanceof ContractRevertedError && err.reason === 'AlreadyWithdrawn') {
      throw new SdkError('ALREADY_CLAIMED', `exit ${batchNum}/${slot} was already paid`, { cause: err, details: { batchNum, slot } });
    }
    if (err instanceof ContractRevertedError && err.reason === 'BatchNotFinal') {
      throw new SdkError('NOT_FINAL', `batch ${batchNum} is not final on L1`, { cause: err, details: { batchNum } });
    }
    throw l1Failure(err, 'Rollup.withdraw');
  }
}
