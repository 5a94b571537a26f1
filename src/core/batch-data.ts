/**
 * The batch data posted for data availability: everything needed, with the L1 queue, to rebuild the
 * state from L1 alone. Big-endian, fixed-width records (docs/PROTOCOL.md "Batch data"):
 *
 *   version u8 (=1) | mode u8 (0 = zk, 1 = optimistic) | feeCount u8 (<= 8)
 *   feeCount × ( tokenId u32 | accountIdx u32 | fee u128 )            24 bytes each
 *   txCount u32
 *   txCount × record
 *     zk:         from u32 | to u32 | amountF u32                       12 bytes
 *     optimistic: from u32 | to u32 | amountF u32 | maxFeeF u16 | sig   78 bytes (sig = packed R8 ‖ S LE, 64)
 *
 * `to = 0` marks a withdraw. ZK mode carries no nonce, fee cap or signature: the validity proof covers
 * them, and the nonce is the sender's current nonce. Optimistic mode carries what one-step
 * re-execution needs to check the signature.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { DecodeError, InvalidInputError } from './errors.ts';
import { MAX_BALANCE, MAX_FEE_TOKENS } from './params.ts';
import type { FeeEntry } from './stf.ts';

export const BATCH_DATA_VERSION = 1;
export type BatchMode = 'zk' | 'optimistic';
const MODE_BYTE: Record<BatchMode, number> = { zk: 0, optimistic: 1 };

export const ZK_RECORD_BYTES = 12;
export const OPTIMISTIC_RECORD_BYTES = 12 + 2 + 64;
export const FEE_ENTRY_BYTES = 24;
export const SIGNATURE_BYTES = 64;

export type TxRecord = {
  readonly from: number;
  readonly to: number;
  readonly amountF: number;
};
export type SignedTxRecord = TxRecord & {
  readonly maxFeeF: number;
  /** 64 bytes: packed R8 (32) ‖ S little-endian (32), as circomlib's packSignature. */
  readonly signature: Uint8Array;
};

export type BatchData =
  | { readonly mode: 'zk'; readonly feeTable: readonly FeeEntry[]; readonly txs: readonly TxRecord[] }
  | { readonly mode: 'optimistic'; readonly feeTable: readonly FeeEntry[]; readonly txs: readonly SignedTxRecord[] };

function headerBytes(feeCount: number): number {
  return 3 + feeCount * FEE_ENTRY_BYTES + 4;
}

export function batchDataLength(mode: BatchMode, feeCount: number, txCount: number): number {
  return headerBytes(feeCount) + txCount * (mode === 'zk' ? ZK_RECORD_BYTES : OPTIMISTIC_RECORD_BYTES);
}

function u32ok(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

export function encodeBatchData(data: BatchData): Uint8Array {
  if (data.feeTable.length > MAX_FEE_TOKENS) throw new InvalidInputError(`at most ${MAX_FEE_TOKENS} fee entries`);
  const w = new ByteWriter(batchDataLength(data.mode, data.feeTable.length, data.txs.length));
  w.u8(BATCH_DATA_VERSION);
  w.u8(MODE_BYTE[data.mode]);
  w.u8(data.feeTable.length);
  for (const e of data.feeTable) {
    if (!u32ok(e.tokenId) || !u32ok(e.accountIdx) || e.fee < 0n || e.fee > MAX_BALANCE) {
      throw new InvalidInputError('fee entry out of range');
    }
    w.u32(e.tokenId);
    w.u32(e.accountIdx);
    w.uint(e.fee, 16);
  }
  w.u32(data.txs.length);
  const record = (r: TxRecord): void => {
    if (!u32ok(r.from) || r.from === 0 || !u32ok(r.to) || !u32ok(r.amountF)) throw new InvalidInputError('tx record out of range');
    w.u32(r.from);
    w.u32(r.to);
    w.u32(r.amountF);
  };
  if (data.mode === 'zk') {
    for (const r of data.txs) record(r);
  } else {
    for (const r of data.txs) {
      record(r);
      if (!Number.isInteger(r.maxFeeF) || r.maxFeeF < 0 || r.maxFeeF > 0xffff) throw new InvalidInputError('maxFeeF out of range');
      if (r.signature.length !== SIGNATURE_BYTES) throw new InvalidInputError('signature must be 64 bytes');
      w.u16(r.maxFeeF);
      w.raw(r.signature);
    }
  }
  return w.bytes;
}

/** Decodes batch data; any malformed input (version, mode, lengths, reserved values) is a DecodeError. */
export function decodeBatchData(bytes: Uint8Array): BatchData {
  const r = new ByteReader(bytes, 'batch data');
  const version = r.u8('version');
  if (version !== BATCH_DATA_VERSION) throw new DecodeError(`batch data: unsupported version ${version}`, { details: { version } });
  const modeByte = r.u8('mode');
  if (modeByte !== 0 && modeByte !== 1) throw new DecodeError(`batch data: unknown mode ${modeByte}`, { details: { modeByte } });
  const feeCount = r.u8('feeCount');
  if (feeCount > MAX_FEE_TOKENS) throw new DecodeError(`batch data: ${feeCount} fee entries, max ${MAX_FEE_TOKENS}`);
  const feeTable: FeeEntry[] = [];
  const tokens = new Set<number>();
  for (let i = 0; i < feeCount; i++) {
    const tokenId = r.u32(`fee[${i}].tokenId`);
    const accountIdx = r.u32(`fee[${i}].accountIdx`);
    const fee = r.uint(16, `fee[${i}].fee`);
    if (tokens.has(tokenId)) throw new DecodeError(`batch data: duplicate fee token ${tokenId}`);
    if (accountIdx === 0) throw new DecodeError(`batch data: fee[${i}] account index 0 is reserved`);
    tokens.add(tokenId);
    feeTable.push({ tokenId, accountIdx, fee });
  }
  const txCount = r.u32('txCount');
  const recordBytes = modeByte === 0 ? ZK_RECORD_BYTES : OPTIMISTIC_RECORD_BYTES;
  // Check the length before allocating: a forged txCount must not make us allocate gigabytes.
  if (r.remaining !== txCount * recordBytes) {
    throw new DecodeError(`batch data: ${txCount} records need ${txCount * recordBytes} bytes, have ${r.remaining}`, {
      details: { txCount, remaining: r.remaining },
    });
  }
  const readRecord = (i: number): TxRecord => {
    const from = r.u32(`tx[${i}].from`);
    if (from === 0) throw new DecodeError(`batch data: tx[${i}].from is 0 (reserved)`);
    return { from, to: r.u32(`tx[${i}].to`), amountF: r.u32(`tx[${i}].amountF`) };
  };
  if (modeByte === 0) {
    const txs: TxRecord[] = [];
    for (let i = 0; i < txCount; i++) txs.push(readRecord(i));
    r.end();
    return { mode: 'zk', feeTable, txs };
  }
  const txs: SignedTxRecord[] = [];
  for (let i = 0; i < txCount; i++) {
    const base = readRecord(i);
    txs.push({ ...base, maxFeeF: r.u16(`tx[${i}].maxFeeF`), signature: r.raw(SIGNATURE_BYTES, `tx[${i}].signature`) });
  }
  r.end();
  return { mode: 'optimistic', feeTable, txs };
}

/** Kind of a posted record: `to = 0` is a withdraw. */
export function recordKind(record: TxRecord): 'transfer' | 'withdraw' {
  return record.to === 0 ? 'withdraw' : 'transfer';
}
