import { ChannelError } from './errors.ts';
import { type Hex } from 'viem';
import { MAX_UINT256, MAX_UINT64, type State } from './types.ts';

export type ValidateStateParameters = {
  readonly channelId: Hex;
  /** depositA + depositB of the channel. */
  readonly total: bigint;
  readonly state: State;
};

/**
 * Checks what the adjudicator would check about a state on its own: it names this channel, its numbers
 * fit their Solidity types, and the balances split the deposits exactly. Throws a ChannelError naming the
 * first violated rule.
 */
export function validateState({ channelId, total, state }: ValidateStateParameters): void {
  if (state.channelId.toLowerCase() !== channelId.toLowerCase()) {
    throw new ChannelError('CHANNEL_WRONG_ID', 'state belongs to another channel (or chain, or adjudicator)', {
      details: { expected: channelId, got: state.channelId },
    });
  }
  if (state.version < 0n || state.version > MAX_UINT64) {
    throw new ChannelError('CHANNEL_BALANCE_OVERFLOW', 'version does not fit in uint64', {
      details: { version: state.version.toString() },
    });
  }
  for (const [name, v] of [
    ['balanceA', state.balanceA],
    ['balanceB', state.balanceB],
  ] as const) {
    if (v < 0n || v > MAX_UINT256) {
      throw new ChannelError('CHANNEL_BALANCE_OVERFLOW', `${name} is negative or does not fit in uint256`, {
        details: { [name]: v.toString() },
      });
    }
  }
  if (state.balanceA + state.balanceB !== total) {
    throw new ChannelError('CHANNEL_BALANCE_MISMATCH', 'balances do not sum to the deposits', {
      details: { balanceA: state.balanceA.toString(), balanceB: state.balanceB.toString(), total: total.toString() },
    });
  }
}
