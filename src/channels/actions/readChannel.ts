import type { Address, Hex } from 'viem';
import { adjudicatorAbi } from '../../l1/generated/Adjudicator.ts';
import type { L1Clients } from '../../l1/createL1Clients.ts';
import { decodeL1Error } from '../../l1/decodeL1Error.ts';

export const onchainStatuses = ['none', 'opening', 'open', 'challenged', 'closed'] as const;
export type OnchainStatus = (typeof onchainStatuses)[number];

export type OnchainChannel = {
  readonly status: OnchainStatus;
  readonly participantA: Address;
  readonly participantB: Address;
  readonly token: Address;
  readonly challengePeriod: number;
  readonly pipelineWindow: number;
  readonly depositA: bigint;
  readonly depositB: bigint;
  readonly deadline: bigint;
  readonly closerIsB: boolean;
  readonly penalized: boolean;
  readonly closeVersion: bigint;
  readonly version: bigint;
  readonly balanceA: bigint;
  readonly balanceB: bigint;
  readonly feeRecipient: Address;
};

/** Reads a channel's on-chain record (status "none" when the adjudicator never saw it). */
export async function readChannel(clients: L1Clients, adjudicator: Address, channelId: Hex): Promise<OnchainChannel> {
  try {
    const c = await clients.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: 'getChannel', args: [channelId] });
    return { ...c, status: onchainStatuses[c.status] ?? 'none', deadline: BigInt(c.deadline) };
  } catch (err) {
    throw decodeL1Error(err, 'Adjudicator.getChannel');
  }
}
