import type { RampartContext } from '../types.ts';
import { accountResultSchema, type NodeAccount } from '../schemas.ts';
import { SdkError } from '../errors.ts';
import { checkAccountIndex } from '../validate.ts';

export type GetAccountParameters = { readonly index: number };
export type GetAccountReturnType = NodeAccount | null;

/** The L2 account at `index` as the node holds it, or null when there is none. */
export async function getAccount(ctx: RampartContext, params: GetAccountParameters): Promise<GetAccountReturnType> {
  const index = checkAccountIndex(params.index, 'index');
  const account = await ctx.transport.request('rampart_getAccount', [index], accountResultSchema);
  if (account !== null && account.index !== index) {
    throw new SdkError('NODE_INCONSISTENT', `rampart_getAccount: asked for account ${index}, got ${account.index}`, { details: { index } });
  }
  return account;
}
