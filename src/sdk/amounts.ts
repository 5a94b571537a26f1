/**
 * L2 amounts travel as Float32 (fee caps as Float16) bits. The SDK never rounds a payment: an amount
 * without an exact encoding is refused with the nearest lower representable amount in the error, so
 * the user decides (src/core/float.ts explains the formats).
 */
import { FLOAT16, FLOAT32, floatDecode, floatEncodeFloor, floatTryEncode, type FloatFormat } from '../core/float.ts';
import { MAX_BALANCE } from '../core/params.ts';
import { SdkError } from './errors.ts';

function encodeExact(format: FloatFormat, amount: bigint, argument: string): number {
  if (typeof amount !== 'bigint') throw new SdkError('INVALID_ARGUMENT', `${argument} must be a bigint`, { details: { argument } });
  if (amount < 0n || amount > MAX_BALANCE) {
    throw new SdkError('INVALID_ARGUMENT', `${argument} must be in 0..2^128-1, got ${amount}`, { details: { argument, value: amount.toString() } });
  }
  const bits = floatTryEncode(format, amount);
  if (bits === undefined) {
    const nearestLower = floatDecode(format, floatEncodeFloor(format, amount));
    throw new SdkError('AMOUNT_NOT_REPRESENTABLE', `${argument} ${amount} has no exact ${format.name} encoding; nearest lower is ${nearestLower}`, {
      details: { argument, value: amount.toString(), nearestLower: nearestLower.toString(), format: format.name },
    });
  }
  return bits;
}

/** Float32 bits of a transfer/withdraw amount, or AMOUNT_NOT_REPRESENTABLE. */
export function amountToFloat32(amount: bigint, argument = 'amount'): number {
  return encodeExact(FLOAT32, amount, argument);
}

/** Float16 bits of a fee cap, or AMOUNT_NOT_REPRESENTABLE. */
export function feeToFloat16(maxFee: bigint, argument = 'maxFee'): number {
  return encodeExact(FLOAT16, maxFee, argument);
}

/** True iff `amount` can be sent on L2 as is. */
export function isRepresentableAmount(amount: bigint): boolean {
  return amount >= 0n && amount <= MAX_BALANCE && floatTryEncode(FLOAT32, amount) !== undefined;
}
