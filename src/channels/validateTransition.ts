import { ChannelError } from './errors.ts';
import type { Role, State } from './types.ts';

export type ValidateTransitionParameters = {
  readonly prev: State;
  readonly next: State;
  /** Who proposed (and signed first) `next`. */
  readonly proposer: Role;
};

/**
 * The off-chain rules a proposal must follow beyond validateState: it is the very next version, the
 * channel is not final yet, and it only moves money away from its proposer (a payment) or, when final,
 * moves nothing. So any half-signed state a party holds from its peer can only be in its favour.
 * Returns the amount paid.
 */
export function validateTransition({ prev, next, proposer }: ValidateTransitionParameters): bigint {
  if (prev.isFinal) {
    throw new ChannelError('CHANNEL_FINALIZED', 'channel already has a final state', {
      details: { version: prev.version.toString() },
    });
  }
  if (next.version <= prev.version) {
    throw new ChannelError('CHANNEL_STALE_STATE', 'state is not newer than the latest one', {
      details: { got: next.version.toString(), latest: prev.version.toString() },
    });
  }
  if (next.version !== prev.version + 1n) {
    throw new ChannelError('CHANNEL_VERSION_GAP', 'state skips versions', {
      details: { got: next.version.toString(), expected: (prev.version + 1n).toString() },
    });
  }
  const paid = proposer === 'A' ? prev.balanceA - next.balanceA : prev.balanceB - next.balanceB;
  if (paid < 0n) {
    throw new ChannelError('CHANNEL_INVALID_TRANSFER', 'a proposal may not move money to its proposer', {
      details: { proposer, amount: paid.toString() },
    });
  }
  if (next.isFinal ? paid !== 0n : paid === 0n) {
    throw new ChannelError(
      'CHANNEL_INVALID_TRANSFER',
      next.isFinal ? 'a final state must not move money' : 'a payment must move a positive amount',
      { details: { proposer, amount: paid.toString(), isFinal: next.isFinal } },
    );
  }
  return paid;
}
