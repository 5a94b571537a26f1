import type { RampartContext } from '../types.ts';
import { batchResultSchema, type NodeBatch } from '../schemas.ts';
import { SdkError } from '../errors.ts';
import { checkUint } from '../validate.ts';

export type GetBatchParameters = { readonly batchNum: number };
export type GetBatchReturnType = NodeBatch | null;

/** A committed batch: roots, the L1 queue range it consumed, its transactions and exits. */
export async function getBatch(ctx: RampartContext, params: GetBatchParameters): Promise<GetBatchReturnType> {
  const batchNum = checkUint(params.batchNum, 'batchNum');
  const b = await ctx.transport.request('rampart_getBatch', [batchNum], batchResultSchema);
  if (b !== null && b.batchNum !== batchNum) throw new SdkError('NODE_INCONSISTENT', `rampart_getBatch: asked for ${batchNum}, got ${b.batchNum}`, { details: { batchNum } });
  return b;
}
