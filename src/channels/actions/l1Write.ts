import type { Address, Hex, TransactionReceipt } from 'viem';
import type { L1Clients } from '../../l1/createL1Clients.ts';
import { L1Error } from '../../l1/errors.ts';
import { sendAndWait } from '../../l1/sendAndWait.ts';
import type { SerialQueue } from '../../l1/serialQueue.ts';
import { adjudicatorAbi } from '../../l1/generated/Adjudicator.ts';
import type { FullySignedState, State } from '../types.ts';

export type AdjudicatorWriter = {
  readonly clients: L1Clients;
  readonly adjudicator: Address;
  /** Serialises this account's transactions (nonces). */
  readonly queue: SerialQueue;
};

export type L1TxResult = { readonly hash: Hex; readonly gasUsed: bigint; readonly receipt: TransactionReceipt };

type AdjudicatorFunction =
  | 'open'
  | 'deposit'
  | 'cancel'
  | 'closeCooperatively'
  | 'forceClose'
  | 'respond'
  | 'settle'
  | 'withdraw'
  | 'openWithPermit'
  | 'depositWithPermit';

/**
 * Sends one adjudicator call from this writer's account and waits for it. A call the contract would
 * refuse fails before broadcast with its custom error (ContractRevertedError).
 */
export async function writeAdjudicator(
  w: AdjudicatorWriter,
  functionName: AdjudicatorFunction,
  args: readonly unknown[],
  value?: bigint,
): Promise<L1TxResult> {
  const wallet = w.clients.wallet;
  if (wallet === undefined) throw new L1Error('L1_TX_FAILED', 'no L1 key configured for this client');
  return w.queue(async () => {
    const receipt = await sendAndWait({
      public: w.clients.public,
      context: `Adjudicator.${functionName}`,
      // The union of argument tuples is checked by the typed wrappers in this folder.
      send: () =>
        wallet.writeContract({
          address: w.adjudicator,
          abi: adjudicatorAbi,
          functionName,
          args,
          ...(value === undefined ? {} : { value }),
        } as unknown as Parameters<typeof wallet.writeContract>[0]),
    });
    return { hash: receipt.transactionHash, gasUsed: receipt.gasUsed, receipt };
  });
}

export function stateArg(s: State): {
  channelId: Hex;
  version: bigint;
  balanceA: bigint;
  balanceB: bigint;
  isFinal: boolean;
} {
  return { channelId: s.channelId, version: s.version, balanceA: s.balanceA, balanceB: s.balanceB, isFinal: s.isFinal };
}

export function signedArgs(s: FullySignedState): readonly [ReturnType<typeof stateArg>, Hex, Hex] {
  return [stateArg(s.state), s.sigA, s.sigB];
}
