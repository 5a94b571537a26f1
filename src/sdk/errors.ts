/**
 * Typed errors of the SDK. Every failure a wallet or dapp can meet — a bad argument, an unreachable or
 * misbehaving node, a refused transaction, an L1 revert — is an SdkError with a stable `code`, a short
 * message and (where there is one) the underlying error as `cause`. A response the node should never
 * send (wrong shape, a hash that is not the one we signed, an exit proof that does not verify) is
 * NODE_INVALID_RESPONSE or NODE_INCONSISTENT: the SDK never reads a field it has not validated.
 */
import { RampartError, type RampartErrorOptions } from '../core/errors.ts';

export const sdkErrorCodes = {
  /** A caller's argument is malformed or out of range (details name the argument). */
  INVALID_ARGUMENT: { retryable: false },
  /** An L2 amount (or fee cap) has no exact Float32 (Float16) encoding; details carry the nearest lower. */
  AMOUNT_NOT_REPRESENTABLE: { retryable: false },
  /** The node did not answer within the request timeout. */
  RPC_TIMEOUT: { retryable: true },
  /** The node could not be reached (connection refused, DNS, reset). */
  RPC_UNREACHABLE: { retryable: true },
  /** The node answered with a non-200 HTTP status or a body that is not a JSON-RPC response. */
  RPC_BAD_RESPONSE: { retryable: false },
  /** The node answered with a JSON-RPC error not covered by a more specific code (details.rpcCode). */
  RPC_ERROR: { retryable: false },
  /** The node does not implement the method (an older node). */
  RPC_METHOD_NOT_FOUND: { retryable: false },
  /** The node refused our parameters (-32602): a bug in the SDK or a protocol version mismatch. */
  RPC_INVALID_PARAMS: { retryable: false },
  /** The node's mempool is full (-32005); retry later. */
  NODE_BUSY: { retryable: true },
  /** A result failed validation (wrong shape, out-of-range numbers). */
  NODE_INVALID_RESPONSE: { retryable: false },
  /** A well-formed result contradicts what the SDK computed or read on L1 (hash, domain, exit proof). */
  NODE_INCONSISTENT: { retryable: false },
  /** The rollup's chain, address or signing domain differs between the options, the node and L1. */
  DOMAIN_MISMATCH: { retryable: false },
  /** The node rejected the transaction (details.reason is the STF's reason, e.g. bad-nonce). */
  TX_REJECTED: { retryable: false },
  /** The L2 account does not exist. */
  ACCOUNT_NOT_FOUND: { retryable: false },
  /** The signing key is not the account's key. */
  KEY_MISMATCH: { retryable: false },
  /** The token is not registered on the Rollup, or two accounts hold different tokens. */
  TOKEN_NOT_REGISTERED: { retryable: false },
  TOKEN_MISMATCH: { retryable: false },
  /** The L1 account holds too little ETH or ERC-20 for the deposit. */
  INSUFFICIENT_L1_BALANCE: { retryable: false },
  /** The ERC-20 allowance is too low and approving was disabled. */
  ALLOWANCE_TOO_LOW: { retryable: false },
  /** An operation needing L1 was called on a client without L1 clients. */
  NO_L1: { retryable: false },
  /** An operation needing an L1 signer was called without one. */
  NO_L1_WALLET: { retryable: false },
  /** An L1 call or transaction failed (the L1Error is the cause; details.reason for reverts). */
  L1_FAILED: { retryable: false },
  /** A wait (account, finality) ran past its timeout; details.last is the last state seen. */
  WAIT_TIMEOUT: { retryable: true },
  /** The node knows no exit at (batchNum, slot), or the transaction made none. */
  EXIT_NOT_FOUND: { retryable: false },
  /** The exit's batch is not proven on L1 yet. */
  NOT_FINAL: { retryable: true },
  /** The exit was already paid on L1. */
  ALREADY_CLAIMED: { retryable: false },
  /** A key file already exists (never overwritten). */
  KEY_FILE_EXISTS: { retryable: false },
  /** A key file is missing, unreadable or malformed. */
  KEY_FILE_INVALID: { retryable: false },
  /** A key file is readable by group or others. */
  KEY_FILE_PERMISSIONS: { retryable: false },
} as const satisfies Record<string, { readonly retryable: boolean }>;

export type SdkErrorCode = keyof typeof sdkErrorCodes;

export class SdkError extends RampartError {
  override readonly name = 'SdkError';
  declare readonly code: SdkErrorCode;
  constructor(code: SdkErrorCode, message: string, options: RampartErrorOptions = {}) {
    super(code, message, options);
  }
  /** Whether the same call may succeed later without changing anything. */
  get retryable(): boolean {
    return sdkErrorCodes[this.code].retryable;
  }
}

export function isSdkError(err: unknown, code?: SdkErrorCode): err is SdkError {
  return err instanceof SdkError && (code === undefined || err.code === code);
}
