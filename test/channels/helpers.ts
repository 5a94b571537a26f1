/** Shared helpers for channel tests: signing states and driving the adjudicator directly. */
import type { Address, Hex } from 'viem';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { createSerialQueue } from '../../src/l1/serialQueue.ts';
import { adjudicatorAbi } from '../../src/l1/generated/Adjudicator.ts';
import type { AdjudicatorWriter } from '../../src/channels/actions/l1Write.ts';
import { computeChannelId } from '../../src/channels/computeChannelId.ts';
import { domainSeparator, hashState } from '../../src/channels/hashState.ts';
import { privateKeyBytes, signDigest } from '../../src/channels/signDigest.ts';
import type { ChannelDomain, ChannelParams, FullySignedState, State } from '../../src/channels/types.ts';
import { ZERO_ADDRESS } from '../../src/channels/types.ts';

export function signState(domain: ChannelDomain, key: Hex, state: State): Hex {
  return signDigest(privateKeyBytes(key), hashState(domainSeparator(domain), state));
}

export function signBoth(domain: ChannelDomain, keyA: Hex, keyB: Hex, state: State): FullySignedState {
  return { state, sigA: signState(domain, keyA, state), sigB: signState(domain, keyB, state) };
}

export function writer(clients: L1Clients, adjudicator: Address): AdjudicatorWriter {
  return { clients, adjudicator, queue: createSerialQueue() };
}

let nonce = 1n;
export function makeParams(a: Address, b: Address, over: Partial<ChannelParams> = {}): ChannelParams {
  nonce += 1n;
  return { participantA: a, participantB: b, token: ZERO_ADDRESS, nonce, challengePeriod: 3600, pipelineWindow: 4, ...over };
}

export function stateOf(channelId: Hex, version: bigint, balanceA: bigint, balanceB: bigint, isFinal = false): State {
  return { channelId, version, balanceA, balanceB, isFinal };
}

export function idOf(domain: ChannelDomain, p: ChannelParams): Hex {
  return computeChannelId(domain, p);
}

/** Sends an arbitrary adjudicator call (including malformed ones) and waits. */
export async function callAdjudicator(
  clients: L1Clients,
  adjudicator: Address,
  functionName: string,
  args: readonly unknown[],
  value?: bigint,
): Promise<{ gasUsed: bigint; fee: bigint }> {
  const wallet = clients.wallet;
  if (wallet === undefined) throw new TypeError('no wallet');
  const r = await sendAndWait({
    public: clients.public,
    context: `Adjudicator.${functionName}`,
    send: () =>
      wallet.writeContract({ address: adjudicator, abi: adjudicatorAbi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<
        typeof wallet.writeContract
      >[0]),
  });
  return { gasUsed: r.gasUsed, fee: r.gasUsed * r.effectiveGasPrice };
}
