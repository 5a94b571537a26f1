import type { RampartContext } from '../types.ts';
import { transactionResultSchema, type NodeTransaction } from '../schemas.ts';
import { SdkError } from '../errors.ts';
import { checkTxHash } from '../validate.ts';

export type GetTransactionParameters = { readonly hash: string };
export type GetTransactionReturnType = NodeTransaction | null;

/** An L2 transaction's status (pending, committed, final, rejected), or null if the node never saw it. */
export async function getTransaction(ctx: RampartContext, params: GetTransactionParameters): Promise<GetTransactionReturnType> {
  const hash = checkTxHash(params.hash);
  const tx = await ctx.transport.request('rampart_getTransaction', [hash], transactionResultSchema);
  if (tx !== null && tx.hash !== hash) throw new SdkError('NODE_INCONSISTENT', `rampart_getTransaction: asked for ${hash}, got ${tx.hash}`, { details: { hash } });
  return tx;
}
