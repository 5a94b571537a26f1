/** What every SDK action receives: the transport, L1 clients, options and per-client caches. */
import type { Address } from 'viem';
import type { L1Clients } from '../l1/createL1Clients.ts';
import type { RampartClientOptions } from './options.ts';
import type { RpcTransport } from './transport.ts';

/** The deployment every signature binds, checked between the options, the node and L1. */
export type RollupDomain = {
  readonly chainId: number;
  readonly rollup: Address;
  /** domainHash({ chainId, rollupAddress }): Poseidon([tag, chainId, rollup]). */
  readonly digest: bigint;
};

export type RampartContext = {
  readonly transport: RpcTransport;
  readonly l1: L1Clients | undefined;
  readonly options: RampartClientOptions;
  /** Resolved once per client (actions/getDomain.ts), then cached. */
  readonly cache: {
    domain: Promise<RollupDomain> | undefined;
    /** Next nonce per account after our own sends (the node may still report the older one). */
    readonly nonces: Map<number, number>;
  };
};
