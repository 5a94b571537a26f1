/**
 * Compact decimal floats for amounts on L1 data (as Hermez Float40 / zkSync's packed amounts).
 * A float is `mantissa * 10^exponent`; the bits are `exponent << mantissaBits | mantissa`.
 * Representations are not unique (10e0 == 1e1); the protocol carries and signs the bits, so that is
 * harmless, and encoders pick the smallest exponent.
 *   Float32: 5-bit exponent, 27-bit mantissa — transfer/withdraw amounts (9 significant digits).
 *   Float16: 5-bit exponent, 11-bit mantissa — the fee cap a user signs.
 */
import { InvalidInputError } from './errors.ts';

export type FloatFormat = {
  readonly name: string;
  readonly mantissaBits: number;
  readonly exponentBits: number;
};

export const FLOAT32: FloatFormat = { name: 'Float32', mantissaBits: 27, exponentBits: 5 };
export const FLOAT16: FloatFormat = { name: 'Float16', mantissaBits: 11, exponentBits: 5 };

const POW10: bigint[] = Array.from({ length: 32 }, (_, i) => 10n ** BigInt(i));

function limits(format: FloatFormat): { maxBits: number; maxMantissa: bigint; maxExponent: number } {
  return {
    maxBits: 2 ** (format.mantissaBits + format.exponentBits) - 1,
    maxMantissa: (1n << BigInt(format.mantissaBits)) - 1n,
    maxExponent: 2 ** format.exponentBits - 1,
  };
}

/** Decodes float bits to the exact integer amount. Every bit pattern of the right width is valid. */
export function floatDecode(format: FloatFormat, bits: number): bigint {
  const { maxBits } = limits(format);
  if (!Number.isInteger(bits) || bits < 0 || bits > maxBits) {
    throw new InvalidInputError(`${format.name} bits out of range: ${bits}`, { details: { bits } });
  }
  const mantissa = BigInt(bits % 2 ** format.mantissaBits);
  const exponent = Math.floor(bits / 2 ** format.mantissaBits);
  return mantissa * (POW10[exponent] ?? 0n);
}

/** Encodes `amount` exactly, or returns undefined when it has no exact representation. */
export function floatTryEncode(format: FloatFormat, amount: bigint): number | undefined {
  if (amount < 0n) return undefined;
  const { maxMantissa, maxExponent } = limits(format);
  let mantissa = amount;
  let exponent = 0;
  while (mantissa > maxMantissa) {
    if (mantissa % 10n !== 0n || exponent === maxExponent) return undefined;
    mantissa /= 10n;
    exponent++;
  }
  return exponent * 2 ** format.mantissaBits + Number(mantissa);
}

/** Encodes `amount` exactly; throws InvalidInputError naming the nearest lower representable amount. */
export function floatEncode(format: FloatFormat, amount: bigint): number {
  const bits = floatTryEncode(format, amount);
  if (bits === undefined) {
    const floor = amount < 0n ? undefined : floatDecode(format, floatEncodeFloor(format, amount));
    throw new InvalidInputError(
      `${amount} is not exactly representable as ${format.name}` + (floor === undefined ? '' : `; nearest lower is ${floor}`),
      { details: { amount: amount.toString(), format: format.name } },
    );
  }
  return bits;
}

/** Largest representable amount <= `amount` (wallets round a payment down, never up). */
export function floatEncodeFloor(format: FloatFormat, amount: bigint): number {
  if (amount < 0n) throw new InvalidInputError(`${format.name}: negative amount ${amount}`);
  const { maxMantissa, maxExponent } = limits(format);
  let mantissa = amount;
  let exponent = 0;
  while (mantissa > maxMantissa) {
    if (exponent === maxExponent) return maxExponent * 2 ** format.mantissaBits + Number(maxMantissa);
    mantissa /= 10n;
    exponent++;
  }
  return exponent * 2 ** format.mantissaBits + Number(mantissa);
}
