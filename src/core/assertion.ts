/**
 * What an optimistic / multi-proof commit stores for disputes (docs/PROTOCOL.md §14.1), computed
 * exactly as contracts/rollup/Rollup.sol and contracts/optimistic/DisputeGame.sol do:
 *
 *   recordsRoot   binary keccak Merkle tree over the 78-byte signed records: leaf i = keccak256(record_i),
 *                 width W = smallest power of two ≥ max(txCount, 1), missing leaves 0,
 *                 parent = keccak256(left ‖ right); a proof is log2(W) siblings, bottom level first
 *   stepDataHash  keccak256(header ‖ recordsRoot), header = batchData[0 : 3 + 24·feeCount + 4]
 *   stepState     keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc[0], …, acc[feeCount−1]))
 *
 * Pure: bytes in, hashes out. The one-step prover's TS side (src/core/one-step.ts) builds on these.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToBigIntBE } from './bytes.ts';
import { DecodeError, InvalidInputError } from './errors.ts';
import { FEE_ENTRY_BYTES, OPTIMISTIC_RECORD_BYTES } from './batch-data.ts';

const ZERO32 = new Uint8Array(32);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Header length and record count of mode-1 batch data; DecodeError when it is not mode-1 data. */
export function signedBatchLayout(batchData: Uint8Array): { readonly headerLen: number; readonly feeCount: number; readonly txCount: number } {
  if (batchData.length < 7 || batchData[1] !== 1) throw new DecodeError('batch data: not mode-1 (signed) batch data');
  const feeCount = batchData[2] ?? 0;
  const headerLen = 3 + feeCount * FEE_ENTRY_BYTES + 4;
  if (batchData.length < headerLen) throw new DecodeError('batch data: truncated header');
  const txCount = Number(bytesToBigIntBE(batchData.subarray(headerLen - 4, headerLen)));
  if (batchData.length !== headerLen + txCount * OPTIMISTIC_RECORD_BYTES) throw new DecodeError(`batch data: ${txCount} records do not fill ${batchData.length - headerLen} bytes`);
  return { headerLen, feeCount, txCount };
}

/** The levels of the records tree, leaves first (levels[0][i] = leaf i); the last level is [root]. */
export function recordsTree(batchData: Uint8Array): Uint8Array[][] {
  const { headerLen, txCount } = signedBatchLayout(batchData);
  let width = 1;
  while (width < txCount) width *= 2;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < width; i++) {
    const o = headerLen + i * OPTIMISTIC_RECORD_BYTES;
    leaves.push(i < txCount ? keccak_256(batchData.subarray(o, o + OPTIMISTIC_RECORD_BYTES)) : ZERO32);
  }
  const levels = [leaves];
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak_256(concat(level[i] ?? ZERO32, level[i + 1] ?? ZERO32)));
    levels.push(next);
    level = next;
  }
  return levels;
}

/** recordsRoot of mode-1 batch data (32 bytes). Cost: one keccak per record and per inner node. */
export function recordsRoot(batchData: Uint8Array): Uint8Array {
  const levels = recordsTree(batchData);
  return levels[levels.length - 1]?.[0] ?? ZERO32;
}

/** The log2(W) siblings of record `index`, bottom level first. */
export function recordProof(batchData: Uint8Array, index: number): Uint8Array[] {
  const levels = recordsTree(batchData);
  const width = levels[0]?.length ?? 1;
  if (!Number.isInteger(index) || index < 0 || index >= width) throw new InvalidInputError(`record index ${index} out of range`);
  const out: Uint8Array[] = [];
  let i = index;
  for (let k = 0; k < levels.length - 1; k++) {
    out.push(levels[k]?.[i ^ 1] ?? ZERO32);
    i >>= 1;
  }
  return out;
}

/** keccak256(header ‖ recordsRoot): what the one-step prover checks the posted data against. */
export function stepDataHash(batchData: Uint8Array): Uint8Array {
  const { headerLen } = signedBatchLayout(batchData);
  return keccak_256(concat(batchData.subarray(0, headerLen), recordsRoot(batchData)));
}

function word(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new InvalidInputError('step state word out of range');
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** S = keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc…)) — one acc word per fee entry. */
export function stepState(stateRoot: bigint, exitRoot: bigint, nextIndex: number, acc: readonly bigint[]): Uint8Array {
  const buf = new Uint8Array(32 * (3 + acc.length));
  buf.set(word(stateRoot), 0);
  buf.set(word(exitRoot), 32);
  buf.set(word(BigInt(nextIndex)), 64);
  acc.forEach((a, k) => buf.set(word(a), 96 + 32 * k));
  return keccak_256(buf);
}
