import type { RampartContext } from '../types.ts';
import { SdkError } from '../errors.ts';
import { getAccount } from './getAccount.ts';

export type GetBalanceParameters = { readonly index: number };
export type GetBalanceReturnType = bigint;

/** The balance of L2 account `index` in its token's base units; ACCOUNT_NOT_FOUND if there is none. */
export async function getBalance(ctx: RampartContext, params: GetBalanceParameters): Promise<GetBalanceReturnType> {
  const account = await getAccount(ctx, params);
  if (account === null) throw new SdkError('ACCOUNT_NOT_FOUND', `no L2 account ${params.index}`, { details: { index: params.index } });
  return account.balance;
}
