import type { Address, Hex } from 'viem';

/** Where a channel lives: the EIP-712 domain of its adjudicator. */
export type ChannelDomain = {
  readonly chainId: number;
  readonly adjudicator: Address;
};

/** Fixed at open and hashed into the channel id (see computeChannelId). */
export type ChannelParams = {
  /** The opener; deposits in the open transaction. */
  readonly participantA: Address;
  readonly participantB: Address;
  /** ERC-20 token, or the zero address for ETH. */
  readonly token: Address;
  readonly nonce: bigint;
  /** Seconds between a unilateral close and settlement. */
  readonly challengePeriod: number;
  /** How many of its own proposals a party may have unacknowledged (see docs/CHANNELS.md "Penalty"). */
  readonly pipelineWindow: number;
};

/** The signed object: exactly the adjudicator's EIP-712 `State`. */
export type State = {
  readonly channelId: Hex;
  readonly version: bigint;
  readonly balanceA: bigint;
  readonly balanceB: bigint;
  readonly isFinal: boolean;
};

/** A state with whichever signatures are known (65-byte r‖s‖v hex). */
export type SignedState = {
  readonly state: State;
  readonly sigA?: Hex;
  readonly sigB?: Hex;
};

/** A state with both signatures: enforceable on L1. */
export type FullySignedState = {
  readonly state: State;
  readonly sigA: Hex;
  readonly sigB: Hex;
};

export type Role = 'A' | 'B';

export function otherRole(role: Role): Role {
  return role === 'A' ? 'B' : 'A';
}

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_UINT128 = (1n << 128n) - 1n;
export const MAX_UINT64 = (1n << 64n) - 1n;
