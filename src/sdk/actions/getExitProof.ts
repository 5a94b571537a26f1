import type { RampartContext } from '../types.ts';
import { exitProofResultSchema, type ExitProof } from '../schemas.ts';
import { SdkError } from '../errors.ts';
import { checkUint } from '../validate.ts';

export type GetExitProofParameters = { readonly batchNum: number; readonly slot: number };
export type GetExitProofReturnType = ExitProof | null;

/** The exit at (batchNum, slot) with its Merkle siblings, as the node claims it (claim() verifies it). */
export async function getExitProof(ctx: RampartContext, params: GetExitProofParameters): Promise<GetExitProofReturnType> {
  const batchNum = checkUint(params.batchNum, 'batchNum');
  const slot = checkUint(params.slot, 'slot', 2 ** 32 - 1);
  const p = await ctx.transport.request('rampart_getExitProof', [batchNum, slot], exitProofResultSchema);
  if (p !== null && (p.batchNum !== batchNum || p.slot !== slot)) {
    throw new SdkError('NODE_INCONSISTENT', `rampart_getExitProof: asked for (${batchNum}, ${slot}), got (${p.batchNum}, ${p.slot})`, { details: { batchNum, slot } });
  }
  return p;
}
