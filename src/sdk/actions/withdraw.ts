import type { RampartContext } from '../types.ts';
import { sendL2Transaction, type SendL2TransactionReturnType } from './sendL2Transaction.ts';

export type WithdrawParameters = {
  readonly privateKey: Uint8Array;
  readonly from: number;
  /** Exact amount in base units; AMOUNT_NOT_REPRESENTABLE unless it has a Float32 encoding. */
  readonly amount: bigint;
  readonly maxFee?: bigint;
  readonly nonce?: number;
};
export type WithdrawReturnType = SendL2TransactionReturnType;

/**
 * Moves `amount` out of L2 account `from` into an exit payable to the account's L1 address. Once the
 * batch is final (waitForFinality), `claim` pays it on L1.
 */
export function withdraw(ctx: RampartContext, params: WithdrawParameters): Promise<WithdrawReturnType> {
  return sendL2Transaction(ctx, { ...params, kind: 'withdraw' });
}
