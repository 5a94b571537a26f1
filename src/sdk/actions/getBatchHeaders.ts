import { batchHeaderHash, recoverBatchHeaderSigner } from '../../l1/registryActions.ts';
import { SdkError } from '../errors.ts';
import { batchHeadersResultSchema, type SignedBatchHeader } from '../schemas.ts';
import type { RampartContext } from '../types.ts';
import { checkUint } from '../validate.ts';
import { nodeDomain } from './getDomain.ts';

export type GetBatchHeadersParameters = { readonly fromBatch: number };
export type GetBatchHeadersReturnType = SignedBatchHeader[];

/**
 * Signed batch headers (pre-confirmations) the node holds for batches ≥ fromBatch, with a sequencer
 * registry only (else the node answers method-not-found). Each signature is checked here against the
 * node's chain and rollup, as checked against the options and the L1 client's chain (the registry's
 * EIP-191 digest, OpenZeppelin's rules): a header that does
 * not recover to its sequencer means the node is lying, NODE_INCONSISTENT. A header is a promise for
 * one slot: a commit of that batch by that sequencer in that slot must carry these roots, or anyone
 * can slash its stake with the header (`proveCommitEquivocation`).
 */
export async function getBatchHeaders(ctx: RampartContext, params: GetBatchHeadersParameters): Promise<GetBatchHeadersReturnType> {
  const from = checkUint(params.fromBatch, 'fromBatch');
  if (from < 1) throw new SdkError('INVALID_ARGUMENT', 'fromBatch must be >= 1', { details: { argument: 'fromBatch' } });
  const [domain, list] = await Promise.all([nodeDomain(ctx), ctx.transport.request('rampart_getBatchHeaders', [from], batchHeadersResultSchema)]);
  for (const h of list) {
    if (h.batchNum < from) throw new SdkError('NODE_INCONSISTENT', `rampart_getBatchHeaders: asked from batch ${from}, got batch ${h.batchNum}`, { details: { from, batchNum: h.batchNum } });
    const signer = await recoverBatchHeaderSigner(BigInt(domain.chainId), domain.rollup, BigInt(h.batchNum), h.slot, batchHeaderHash(h.header), h.signature);
    if (signer === undefined || signer.toLowerCase() !== h.sequencer.toLowerCase()) {
      throw new SdkError('NODE_INCONSISTENT', `batch ${h.batchNum}: the header's signature does not recover to ${h.sequencer}`, { details: { batchNum: h.batchNum, sequencer: h.sequencer } });
    }
  }
  return list;
}
