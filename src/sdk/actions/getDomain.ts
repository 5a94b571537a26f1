import type { Address } from 'viem';
import { domainHash } from '../../core/tx.ts';
import { rollupAbi } from '../../l1/generated/Rollup.ts';
import { SdkError } from '../errors.ts';
import type { RampartContext, RollupDomain } from '../types.ts';
import { getStatus } from './getStatus.ts';

export type GetDomainReturnType = RollupDomain;

/**
 * The deployment as the node reports it, checked against the options (rollup), the L1 client's chain
 * and the node's own domain digest — everything short of reading the contract on L1.
 */
export async function nodeDomain(ctx: RampartContext): Promise<RollupDomain> {
  const status = await getStatus(ctx);
  const l1 = ctx.l1;
  if (l1 !== undefined && status.chainId !== l1.chain.id) {
    throw new SdkError('DOMAIN_MISMATCH', `the node serves chain ${status.chainId} but the L1 client is on chain ${l1.chain.id}`, {
      details: { node: status.chainId, l1: l1.chain.id },
    });
  }
  const expected = ctx.options.rollup;
  if (expected !== undefined && expected.toLowerCase() !== status.rollup.toLowerCase()) {
    throw new SdkError('DOMAIN_MISMATCH', `the node serves rollup ${status.rollup}, not ${expected}`, { details: { node: status.rollup, expected } });
  }
  const rollup: Address = expected ?? status.rollup;
  const digest = domainHash({ chainId: BigInt(status.chainId), rollupAddress: BigInt(rollup) });
  if (status.domain !== undefined && status.domain !== digest) {
    throw new SdkError('NODE_INCONSISTENT', 'the node reports a signing domain that is not Poseidon(tag, chainId, rollup)', {
      details: { node: `0x${status.domain.toString(16)}`, computed: `0x${digest.toString(16)}` },
    });
  }
  return { chainId: status.chainId, rollup, digest };
}

async function resolve(ctx: RampartContext): Promise<RollupDomain> {
  const { chainId, rollup, digest } = await nodeDomain(ctx);
  const l1 = ctx.l1;
  if (ctx.options.verifyDomainOnL1) {
    if (l1 === undefined) throw new SdkError('NO_L1', 'signing needs L1 clients to check the rollup domain on L1 (or verifyDomainOnL1: false)');
    let onchain: bigint;
    try {
      onchain = await l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'domainDigest' });
    } catch (cause) {
      throw new SdkError('DOMAIN_MISMATCH', `cannot read domainDigest of ${rollup} on L1 (not a Rampart Rollup?)`, { cause, details: { rollup } });
    }
    if (onchain !== digest) {
      throw new SdkError('DOMAIN_MISMATCH', `Rollup ${rollup} on chain ${l1.chain.id} has another signing domain`, { details: { rollup } });
    }
  }
  return { chainId, rollup, digest };
}

/**
 * The deployment every signature binds: chain id and Rollup address, agreed by the options, the node
 * and (unless disabled) the contract's own `domainDigest` on L1. Resolved once per client; a failure
 * is not cached, so the next call tries again.
 */
export function getDomain(ctx: RampartContext): Promise<GetDomainReturnType> {
  if (ctx.cache.domain === undefined) {
    const p = resolve(ctx);
    ctx.cache.domain = p;
    p.catch(() => {
      if (ctx.cache.domain === p) ctx.cache.domain = undefined;
    });
  }
  return ctx.cache.domain;
}
