/** Small byte helpers shared by the codecs. Big-endian throughout, as Solidity's abi.encodePacked. */
import { DecodeError, InvalidInputError } from './errors.ts';

export type Hex = `0x${string}`;

export function bytesToHex(bytes: Uint8Array): Hex {
  let s = '0x';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s as Hex;
}

export function hexToBytes(hex: string, name = 'hex'): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new InvalidInputError(`${name} must be 0x-prefixed hex with an even number of digits`);
  }
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

export function bytesToBigIntBE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function utf8ToBigInt(text: string): bigint {
  return bytesToBigIntBE(new TextEncoder().encode(text));
}

/** Sequential big-endian writer over a preallocated buffer. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(v: number): void {
    this.view.setUint8(this.offset, v);
    this.offset += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.offset, v);
    this.offset += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.offset, v);
    this.offset += 4;
  }
  /** Unsigned big-endian integer of `width` bytes. */
  uint(v: bigint, width: number): void {
    let x = v;
    for (let i = width - 1; i >= 0; i--) {
      this.bytes[this.offset + i] = Number(x & 0xffn);
      x >>= 8n;
    }
    this.offset += width;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.offset);
    this.offset += b.length;
  }
}

/** Sequential big-endian reader; every read past the end is a DecodeError naming the field. */
export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(readonly bytes: Uint8Array, readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, field: string): void {
    if (this.remaining < n) {
      throw new DecodeError(`${this.what}: truncated reading ${field} (need ${n} bytes at offset ${this.offset}, have ${this.remaining})`, {
        details: { what: this.what, field, offset: this.offset },
      });
    }
  }
  u8(field: string): number {
    this.need(1, field);
    const v = this.view.getUint8(this.offset);
    this.offset += 1;
    return v;
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  uint(width: number, field: string): bigint {
    this.need(width, field);
    let v = 0n;
    for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(this.bytes[this.offset + i] ?? 0);
    this.offset += width;
    return v;
  }
  raw(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  /** Rejects trailing bytes: an encoding has exactly one valid length. */
  end(): void {
    if (this.remaining !== 0) {
      throw new DecodeError(`${this.what}: ${this.remaining} trailing bytes after offset ${this.offset}`, {
        details: { what: this.what, offset: this.offset },
      });
    }
  }
}
