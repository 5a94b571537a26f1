import type { RampartContext } from '../types.ts';
import { sendL2Transaction, type SendL2TransactionReturnType } from './sendL2Transaction.ts';

export type TransferParameters = {
  readonly privateKey: Uint8Array;
  readonly from: number;
  readonly to: number;
  /** Exact amount in base units; AMOUNT_NOT_REPRESENTABLE unless it has a Float32 encoding. */
  readonly amount: bigint;
  readonly maxFee?: bigint;
  readonly nonce?: number;
};
export type TransferReturnType = SendL2TransactionReturnType;

/** Transfers `amount` from L2 account `from` to account `to` (same token). */
export function transfer(ctx: RampartContext, params: TransferParameters): Promise<TransferReturnType> {
  return sendL2Transaction(ctx, { ...params, kind: 'transfer' });
}
