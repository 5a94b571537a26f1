/** Options of the watchtower service, with documented defaults. */
import type { Address, Hex } from 'viem';

export type WatchtowerOptions = {
  readonly dbPath: string;
  /** Key of the tower's L1 account: pays gas for responses, receives fees. */
  readonly privateKey: Hex;
  readonly l1Url: string;
  readonly adjudicator: Address;
  readonly listenHost: string;
  /** 0 picks a free port. */
  readonly listenPort: number;
  /** How often the tower scans L1 and answers disputes. Must be well below the shortest challenge period. */
  readonly pollIntervalMs: number;
  readonly l1PollingIntervalMs: number;
  /** First block to scan on a fresh database (default: the current head). */
  readonly startBlock: bigint | undefined;
  /** Largest eth_getLogs range per request. */
  readonly maxBlockRange: number;
  readonly maxRequestBytes: number;
};

export const defaultWatchtowerOptions: Omit<WatchtowerOptions, 'dbPath' | 'privateKey' | 'l1Url' | 'adjudicator'> = {
  listenHost: '127.0.0.1',
  listenPort: 0,
  pollIntervalMs: 1000,
  l1PollingIntervalMs: 100,
  startBlock: undefined,
  maxBlockRange: 5000,
  maxRequestBytes: 64 * 1024,
};
