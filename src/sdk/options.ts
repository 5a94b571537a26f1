/** Options of the Rampart client, with documented defaults. */
import type { Address } from 'viem';
import type { L1Clients } from '../l1/createL1Clients.ts';

export type RampartClientOptions = {
  /** The node's JSON-RPC URL (http or https). */
  readonly rpcUrl: string;
  /**
   * L1 clients (src/l1/createL1Clients.ts). Reads from the node work without; signing needs them to
   * check the domain on L1 (unless verifyDomainOnL1 is off); deposit and claim need a wallet client.
   */
  readonly l1: L1Clients | undefined;
  /**
   * The Rollup contract the user means to use. When set, a node reporting another one is refused
   * (DOMAIN_MISMATCH); when unset, the node's answer is used after checking it on L1.
   */
  readonly rollup: Address | undefined;
  /** Per JSON-RPC request to the node. */
  readonly requestTimeoutMs: number;
  /** Largest node response read. */
  readonly maxResponseBytes: number;
  /** How often waits (account, finality) poll the node. */
  readonly pollIntervalMs: number;
  /** Default timeout of waitForAccount / waitForFinality (a batch proof takes seconds to minutes). */
  readonly waitTimeoutMs: number;
  /**
   * Check the signing domain against the Rollup's `domainDigest` on L1 before the first signature, so
   * a node cannot make the SDK sign for another chain or contract. Only tests without an L1 turn it off.
   */
  readonly verifyDomainOnL1: boolean;
  /** Times a transaction is resent when the node answers "busy" (-32005), with doubling back-off. */
  readonly busyRetries: number;
  readonly busyBackoffMs: number;
  /** Injected fetch (tests); defaults to the global one. */
  readonly fetch: typeof fetch | undefined;
};

export const defaultRampartClientOptions: Omit<RampartClientOptions, 'rpcUrl'> = {
  l1: undefined,
  rollup: undefined,
  requestTimeoutMs: 10_000,
  maxResponseBytes: 8 << 20,
  pollIntervalMs: 500,
  waitTimeoutMs: 10 * 60_000,
  verifyDomainOnL1: true,
  busyRetries: 3,
  busyBackoffMs: 250,
  fetch: undefined,
};
