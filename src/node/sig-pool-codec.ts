/**
 * Wire format between the SigPool and its workers: a 32-byte domain digest, then per item 7 × 32
 * bytes little-endian (packed body, R8.x, R8.y, S, A.x, A.y, then a 'verify me' flag byte), one transferable buffer
 * instead of structured-cloning thousands of bigints.
 */
import { frFromBytesLE, frToBytesLE } from '../core/field.ts';
import type { PublicKeyPoint } from '../core/account.ts';
import { packL2TxBody, type L2Tx } from '../core/tx.ts';

export const ITEM_BYTES = 7 * 32;

export type VerifyJobResult = { readonly id: number; readonly results: Uint8Array; readonly error?: string };

export function encodeVerifyJobs(txs: readonly L2Tx[], keys: readonly (PublicKeyPoint | undefined)[], domainDigest: bigint): Uint8Array {
  const buf = new Uint8Array(32 + txs.length * ITEM_BYTES);
  frToBytesLE(domainDigest, buf, 0);
  txs.forEach((tx, i) => {
    const o = 32 + i * ITEM_BYTES;
    const key = keys[i];
    const { r8, s } = tx.signature;
    // Out-of-range values cannot be carried in 32 bytes; they are invalid signatures, full stop.
    if (![r8[0], r8[1], s].every((v) => typeof v === 'bigint' && v >= 0n && v < 1n << 256n)) return;
    frToBytesLE(packL2TxBody(tx), buf, o);
    frToBytesLE(r8[0], buf, o + 32);
    frToBytesLE(r8[1], buf, o + 64);
    frToBytesLE(s, buf, o + 96);
    if (key !== undefined) {
      frToBytesLE(key[0], buf, o + 128);
      frToBytesLE(key[1], buf, o + 160);
      buf[o + 192] = 1;
    }
  });
  return buf;
}

export type DecodedJob = { packedBody: bigint; r8: [bigint, bigint]; s: bigint; key: PublicKeyPoint | undefined };

/** Raw little-endian read: values may be non-canonical here; verification rejects them. */
function readLE(buf: Uint8Array, o: number): bigint {
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(buf[o + i] ?? 0);
  return v;
}

export function decodeVerifyJobs(buf: Uint8Array): { domainDigest: bigint; items: DecodedJob[] } {
  const domainDigest = frFromBytesLE(buf, 0);
  const items: DecodedJob[] = [];
  for (let o = 32; o + ITEM_BYTES <= buf.length; o += ITEM_BYTES) {
    items.push({
      packedBody: readLE(buf, o),
      r8: [readLE(buf, o + 32), readLE(buf, o + 64)],
      s: readLE(buf, o + 96),
      key: buf[o + 192] === 1 ? [readLE(buf, o + 128), readLE(buf, o + 160)] : undefined,
    });
  }
  return { domainDigest, items };
}
