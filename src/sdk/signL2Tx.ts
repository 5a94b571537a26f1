/**
 * Builds and signs an L2 transaction (pure: no I/O). The signed message is the core's
 * `l2TxMessage(body, domain)`, so what the SDK signs is exactly what the STF and the circuit verify;
 * its 32-byte big-endian encoding is the transaction hash the node returns.
 */
import { type Hex, numberToHex } from 'viem';
import { sign, type PrivateKey } from '../core/eddsa.ts';
import { MAX_ACCOUNT_INDEX, MAX_NONCE } from '../core/params.ts';
import { assertL2TxBody, l2TxMessage, type Domain, type L2Tx, type L2TxBody } from '../core/tx.ts';
import { amountToFloat32, feeToFloat16 } from './amounts.ts';
import { SdkError } from './errors.ts';

export type SignL2TxParameters = {
  readonly kind: 'transfer' | 'withdraw';
  readonly from: number;
  /** Recipient account index; omitted (or 0) for a withdraw. */
  readonly to?: number;
  /** Exact amount in the token's base units; must have a Float32 encoding. */
  readonly amount: bigint;
  /** Most the sender pays as fee; must have a Float16 encoding. */
  readonly maxFee: bigint;
  readonly nonce: number;
  readonly privateKey: PrivateKey;
  /** The rollup's domain, or its digest `domainHash(domain)`. */
  readonly domain: Domain | bigint;
};

export type SignL2TxReturnType = { readonly tx: L2Tx; readonly hash: Hex; readonly message: bigint };

function checkIndex(v: unknown, argument: string, min: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_ACCOUNT_INDEX) {
    throw new SdkError('INVALID_ARGUMENT', `${argument} must be an account index in ${min}..2^32-1, got ${String(v)}`, { details: { argument } });
  }
}

/** `0x` + 64 lowercase hex digits of the message: the transaction hash. */
export function l2TxHash(message: bigint): Hex {
  return numberToHex(message, { size: 32 });
}

export function signL2Tx(params: SignL2TxParameters): SignL2TxReturnType {
  if (params.kind !== 'transfer' && params.kind !== 'withdraw') {
    throw new SdkError('INVALID_ARGUMENT', `kind must be transfer or withdraw, got ${String(params.kind)}`, { details: { argument: 'kind' } });
  }
  checkIndex(params.from, 'from', 1);
  const to = params.kind === 'withdraw' ? (params.to ?? 0) : params.to;
  if (params.kind === 'withdraw' && to !== 0) throw new SdkError('INVALID_ARGUMENT', 'a withdraw has no recipient account (to = 0)', { details: { argument: 'to' } });
  checkIndex(to, 'to', params.kind === 'withdraw' ? 0 : 1);
  if (params.kind === 'transfer' && to === params.from) {
    throw new SdkError('INVALID_ARGUMENT', 'cannot transfer to the sending account', { details: { argument: 'to' } });
  }
  if (!Number.isInteger(params.nonce) || params.nonce < 0 || params.nonce > MAX_NONCE) {
    throw new SdkError('INVALID_ARGUMENT', `nonce must be in 0..2^40-1, got ${params.nonce}`, { details: { argument: 'nonce' } });
  }
  if (params.amount === 0n) throw new SdkError('INVALID_ARGUMENT', 'amount must be > 0', { details: { argument: 'amount' } });
  const body: L2TxBody = {
    kind: params.kind,
    from: params.from,
    to,
    amountF: amountToFloat32(params.amount),
    maxFeeF: feeToFloat16(params.maxFee),
    nonce: params.nonce,
  };
  let message: bigint;
  try {
    assertL2TxBody(body);
    message = l2TxMessage(body, params.domain);
  } catch (cause) {
    throw new SdkError('INVALID_ARGUMENT', `cannot build the transaction: ${(cause as Error).message}`, { cause });
  }
  const tx: L2Tx = { ...body, signature: sign(params.privateKey, message) };
  return { tx, hash: l2TxHash(message), message };
}

/** The transaction as rampart_sendTransaction takes it (rpc-schemas.ts: hex without leading zeros). */
export function l2TxToJson(tx: L2Tx): Record<string, unknown> {
  const hex = (v: bigint): string => `0x${v.toString(16)}`;
  return {
    kind: tx.kind,
    from: tx.from,
    to: tx.to,
    amountF: tx.amountF,
    maxFeeF: tx.maxFeeF,
    nonce: tx.nonce,
    signature: { r8: [hex(tx.signature.r8[0]), hex(tx.signature.r8[1])], s: hex(tx.signature.s) },
  };
}

