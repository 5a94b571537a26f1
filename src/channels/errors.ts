/**
 * Typed errors of the channel client, transport and watchtower. Each code is stable and documented in
 * docs/CHANNELS.md ("Refusal reasons"); the peer protocol sends the code back in an `error` frame.
 */
import { RampartError, type RampartErrorOptions } from '../core/errors.ts';

export const channelErrorCodes = [
  /** Parameters of a channel (participants, period, window, deposits) are invalid or unacceptable. */
  'CHANNEL_INVALID_PARAMS',
  /** The channel is not known to this client / tower / adjudicator. */
  'CHANNEL_UNKNOWN',
  /** A state names another channel (or a channel of another chain or adjudicator). */
  'CHANNEL_WRONG_ID',
  /** A signature does not recover to the expected participant. */
  'CHANNEL_BAD_SIGNATURE',
  /** A state's version is not newer than the one held. */
  'CHANNEL_STALE_STATE',
  /** A state skips versions. */
  'CHANNEL_VERSION_GAP',
  /** Balances do not sum to the deposits. */
  'CHANNEL_BALANCE_MISMATCH',
  /** A balance is negative or does not fit in uint256. */
  'CHANNEL_BALANCE_OVERFLOW',
  /** A proposal moves money towards its proposer, or pays more than the payer holds. */
  'CHANNEL_INVALID_TRANSFER',
  /** The channel already has a final state or is closing. */
  'CHANNEL_FINALIZED',
  /** The peer proposed while it did not hold the turn (pen) or exceeded the pipeline window. */
  'CHANNEL_PROTOCOL_VIOLATION',
  /** Operation not possible in the channel's current status. */
  'CHANNEL_WRONG_STATUS',
  /** Payer's balance is too small. */
  'CHANNEL_INSUFFICIENT_FUNDS',
  /** The peer's handshake or a frame's MAC failed. */
  'CHANNEL_AUTH_FAILED',
  /** A frame was malformed. */
  'CHANNEL_BAD_MESSAGE',
  /** The peer is not connected or did not answer in time. */
  'CHANNEL_PEER_UNAVAILABLE',
  /** The peer refused our message (its reason is in details). */
  'CHANNEL_PEER_REFUSED',
  /** Stored data failed validation (corruption or a foreign database). */
  'CHANNEL_STORAGE_CORRUPT',
  /** The watchtower refused a state or could not be reached. */
  'CHANNEL_TOWER_FAILED',
  /** The client was shut down while the operation was pending. */
  'CHANNEL_CLOSED',
] as const;

export type ChannelErrorCode = (typeof channelErrorCodes)[number];

export class ChannelError extends RampartError {
  override readonly name = 'ChannelError';
  declare readonly code: ChannelErrorCode;
  constructor(code: ChannelErrorCode, message: string, options: RampartErrorOptions = {}) {
    super(code, message, options);
  }
}

export function isChannelErrorCode(code: string): code is ChannelErrorCode {
  return (channelErrorCodes as readonly string[]).includes(code);
}
