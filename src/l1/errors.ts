/**
 * Errors raised at the L1 edge: starting a devnet, talking JSON-RPC, and contract calls that revert.
 * A revert carries the contract's custom error name and arguments so callers (and users) see the
 * contract's own reason, e.g. `StaleVersion(channelId, 3, 7)`.
 */
import { RampartError, type RampartErrorOptions } from '../core/errors.ts';

export type L1ErrorCode = 'DEVNET_START_FAILED' | 'L1_RPC_FAILED' | 'L1_TX_FAILED' | 'L1_REVERTED' | 'L1_DEPLOY_FAILED';

export class L1Error extends RampartError {
  override readonly name: string = 'L1Error';
  declare readonly code: L1ErrorCode;
  constructor(code: L1ErrorCode, message: string, options: RampartErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A contract call reverted; `reason` is the custom error's name (or the revert string). */
export class ContractRevertedError extends L1Error {
  override readonly name = 'ContractRevertedError';
  readonly reason: string;
  readonly args: readonly unknown[];
  constructor(reason: string, args: readonly unknown[], options: RampartErrorOptions = {}) {
    super('L1_REVERTED', `contract reverted: ${reason}(${args.map(formatArg).join(', ')})`, {
      ...options,
      details: { reason, args: args.map(formatArg), ...(options.details ?? {}) },
    });
    this.reason = reason;
    this.args = args;
  }
}

function formatArg(a: unknown): string {
  return typeof a === 'bigint' ? a.toString() : typeof a === 'string' ? a : JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
