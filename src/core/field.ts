/**
 * The BN254 scalar field Fr (the field circom and snarkjs work in; Baby Jubjub's base field).
 * Values are canonical bigints in [0, p). This module is the slow, obviously-correct reference;
 * hot paths run in the WebAssembly engine (src/core/wasm) and are tested against it.
 */
import { InvalidInputError } from './errors.ts';

export type Fr = bigint;

/** p = 21888242871839275222246405745257275088548364400416034343698204186575808495617 */
export const FR_MODULUS: bigint =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const FR_BYTES = 32;

export function isFr(value: unknown): value is Fr {
  return typeof value === 'bigint' && value >= 0n && value < FR_MODULUS;
}

/** Asserts a boundary value is a canonical field element. */
export function assertFr(value: unknown, name = 'value'): asserts value is Fr {
  if (typeof value !== 'bigint') {
    throw new InvalidInputError(`${name} must be a bigint field element`, { details: { name } });
  }
  if (value < 0n || value >= FR_MODULUS) {
    throw new InvalidInputError(`${name} is not a canonical BN254 field element (0 <= x < p)`, {
      details: { name, value: value.toString() },
    });
  }
}

export function frMod(a: bigint): Fr {
  const r = a % FR_MODULUS;
  return r < 0n ? r + FR_MODULUS : r;
}

export function frAdd(a: Fr, b: Fr): Fr {
  const r = a + b;
  return r >= FR_MODULUS ? r - FR_MODULUS : r;
}

export function frSub(a: Fr, b: Fr): Fr {
  const r = a - b;
  return r < 0n ? r + FR_MODULUS : r;
}

export function frNeg(a: Fr): Fr {
  return a === 0n ? 0n : FR_MODULUS - a;
}

export function frMul(a: Fr, b: Fr): Fr {
  return (a * b) % FR_MODULUS;
}

export function frPow(base: Fr, exponent: bigint): Fr {
  let result = 1n;
  let b = base % FR_MODULUS;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % FR_MODULUS;
    b = (b * b) % FR_MODULUS;
    e >>= 1n;
  }
  return result;
}

/** Multiplicative inverse; inverse of 0 is a programming error upstream, reported as input error. */
export function frInv(a: Fr): Fr {
  if (a === 0n) throw new InvalidInputError('cannot invert zero in Fr');
  // Extended Euclid: ~50x faster than Fermat exponentiation on bigints.
  let [oldR, r] = [a, FR_MODULUS];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return frMod(oldS);
}

/** 32-byte big-endian encoding (the protocol's and Solidity's uint256 order). */
export function frToBytesBE(a: Fr, out: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  let v = a;
  for (let i = 31; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Decodes 32 big-endian bytes; rejects non-canonical values (>= p). */
export function frFromBytesBE(bytes: Uint8Array, offset = 0, name = 'field element'): Fr {
  if (bytes.length < offset + 32) {
    throw new InvalidInputError(`${name}: need 32 bytes at offset ${offset}, have ${bytes.length - offset}`);
  }
  let v = 0n;
  for (let i = 0; i < 32; i++) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  assertFr(v, name);
  return v;
}

/** 32-byte little-endian encoding (the WebAssembly engine's wire order). */
export function frToBytesLE(a: Fr, out: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  let v = a;
  for (let i = 0; i < 32; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function frFromBytesLE(bytes: Uint8Array, offset = 0, name = 'field element'): Fr {
  if (bytes.length < offset + 32) {
    throw new InvalidInputError(`${name}: need 32 bytes at offset ${offset}, have ${bytes.length - offset}`);
  }
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  assertFr(v, name);
  return v;
}

const U64 = (1n << 64n) - 1n;

/** Canonical Fr into 32 little-endian bytes at `offset` of `view`: 4 word writes (no per-byte BigInt ops). */
export function writeFrLEView(view: DataView, offset: number, x: bigint): void {
  view.setBigUint64(offset, x & U64, true);
  view.setBigUint64(offset + 8, (x >> 64n) & U64, true);
  view.setBigUint64(offset + 16, (x >> 128n) & U64, true);
  view.setBigUint64(offset + 24, x >> 192n, true);
}

/** 32 little-endian bytes at `offset` of `view` as a number (the caller knows they are canonical). */
export function readFrLEView(view: DataView, offset: number): bigint {
  return (
    view.getBigUint64(offset, true) |
    (view.getBigUint64(offset + 8, true) << 64n) |
    (view.getBigUint64(offset + 16, true) << 128n) |
    (view.getBigUint64(offset + 24, true) << 192n)
  );
}
