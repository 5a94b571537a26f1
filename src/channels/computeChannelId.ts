import { type Hex, encodeAbiParameters, keccak256 } from 'viem';
import type { ChannelDomain, ChannelParams } from './types.ts';

/**
 * The channel id, exactly as Adjudicator.channelIdOf computes it: keccak256(abi.encode(chainId,
 * adjudicator, participantA, participantB, token, nonce, challengePeriod, pipelineWindow)). Binding the
 * chain and the contract makes a state of this channel worthless anywhere else.
 */
export function computeChannelId(domain: ChannelDomain, params: ChannelParams): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'uint256' },
        { type: 'address' },
        { type: 'address' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint64' },
        { type: 'uint32' },
        { type: 'uint16' },
      ],
      [
        BigInt(domain.chainId),
        domain.adjudicator,
        params.participantA,
        params.participantB,
        params.token,
        params.nonce,
        params.challengePeriod,
        params.pipelineWindow,
      ],
    ),
  );
}
