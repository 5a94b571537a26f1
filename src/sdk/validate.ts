/** Argument checks at the SDK's public boundary: a bad argument is INVALID_ARGUMENT naming it. */
import { type Address, type Hex, getAddress, isAddress } from 'viem';
import { MAX_ACCOUNT_INDEX, MAX_BALANCE, MAX_TOKEN_ID } from '../core/params.ts';
import { SdkError } from './errors.ts';

function bad(argument: string, message: string, value: unknown): SdkError {
  return new SdkError('INVALID_ARGUMENT', `${argument} ${message}`, { details: { argument, value: typeof value === 'bigint' ? value.toString() : String(value) } });
}

export function checkAccountIndex(v: unknown, argument: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_ACCOUNT_INDEX) throw bad(argument, 'must be an account index in 1..2^32-1', v);
  return v;
}

export function checkTokenId(v: unknown, argument = 'tokenId'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TOKEN_ID) throw bad(argument, 'must be a token id in 0..2^32-1', v);
  return v;
}

export function checkUint(v: unknown, argument: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw bad(argument, `must be an integer in 0..${max}`, v);
  return v;
}

export function checkL1Amount(v: unknown, argument = 'amount'): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_BALANCE) throw bad(argument, 'must be a bigint in 0..2^128-1', v);
  return v;
}

export function checkTxHash(v: unknown, argument = 'hash'): Hex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw bad(argument, 'must be a 32-byte 0x-hex transaction hash', v);
  return v.toLowerCase() as Hex;
}

export function checkAddress(v: unknown, argument: string): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw bad(argument, 'must be a 20-byte 0x address', v);
  return getAddress(v);
}

export function checkTimeout(v: unknown, argument: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 2 ** 31 - 1) throw bad(argument, 'must be a positive number of milliseconds', v);
  return v;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
