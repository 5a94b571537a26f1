/**
 * Conversions between the core's L2 transactions and their stored / wire form (StoredTx: hex strings,
 * JSON-safe), and the transaction hash: the 32-byte big-endian L2 message (Poseidon of the domain and
 * the packed body), which is unique per (sender, nonce, body) and is what the sender signed.
 */
import type { Hex } from 'viem';
import type { Fr } from '../core/field.ts';
import { l2TxMessage, type L2Tx } from '../core/tx.ts';
import type { StoredTx } from './state-db.ts';

export const toHex32 = (v: bigint): Hex => `0x${v.toString(16).padStart(64, '0')}`;
export const toHexQ = (v: bigint): Hex => `0x${v.toString(16)}`;
/** A 160-bit L1 address held as a number (accounts, exits, L1 ops), as 0x + 40 lowercase hex. */
export const toAddressHex = (v: bigint): Hex => `0x${v.toString(16).padStart(40, '0')}`;

export function txHash(tx: Omit<L2Tx, 'signature'>, domain: Fr): Hex {
  return toHex32(l2TxMessage(tx, domain));
}

export function storeTx(tx: L2Tx, domain: Fr): StoredTx & { readonly hash: Hex } {
  return {
    hash: txHash(tx, domain),
    kind: tx.kind,
    from: tx.from,
    to: tx.to,
    amountF: tx.amountF,
    maxFeeF: tx.maxFeeF,
    nonce: tx.nonce,
    signature: { r8: [toHexQ(tx.signature.r8[0]), toHexQ(tx.signature.r8[1])], s: toHexQ(tx.signature.s) },
  };
}

/** The signed transaction back; undefined when the record has no signature (derived from ZK batch data). */
export function loadTx(t: StoredTx): L2Tx | undefined {
  if (t.signature === null) return undefined;
  return {
    kind: t.kind,
    from: t.from,
    to: t.to,
    amountF: t.amountF,
    maxFeeF: t.maxFeeF,
    nonce: t.nonce,
    signature: { r8: [BigInt(t.signature.r8[0]), BigInt(t.signature.r8[1])], s: BigInt(t.signature.s) },
  };
}
