/** Options of the channel client, with documented defaults (see docs/CHANNELS.md "Parameters"). */
import type { Address, Hex } from 'viem';

export type AcceptPolicy = {
  /** Largest deposit this party agrees to make into a channel someone else opens. */
  readonly maxOwnDeposit: bigint;
  readonly minChallengePeriod: number;
  readonly maxChallengePeriod: number;
  /** Largest pipeline window accepted: it is also how stale a close may be without penalty. */
  readonly maxPipelineWindow: number;
};

export type ChannelClientOptions = {
  /** LMDB folder holding this party's channels. */
  readonly dbPath: string;
  /** secp256k1 key: signs states and L1 transactions. */
  readonly privateKey: Hex;
  readonly l1Url: string;
  readonly adjudicator: Address;
  /** Listen for peers on this port of 127.0.0.1 (0 = any free port); undefined = dial out only. */
  readonly listenPort: number | undefined;
  readonly listenHost: string;
  /** Watchtower JSON-RPC URL; every new doubly-signed state is handed to it. */
  readonly towerUrl: string | undefined;
  /** Wait for fsync on every commit (power-cut safe) instead of OS-buffered commits (crash safe). */
  readonly fsync: boolean;
  /** Most own proposals awaiting countersignature; capped by each channel's pipelineWindow. */
  readonly maxInFlight: number;
  /** Most payments coalesced into one state (1 = one state per payment). */
  readonly maxPaymentsPerState: number;
  readonly defaultChallengePeriod: number;
  readonly defaultPipelineWindow: number;
  /** Accept channels proposed by peers within these bounds; false refuses all. */
  readonly acceptPolicy: AcceptPolicy | false;
  /** How often the client reads its channels from L1 (dispute monitor). */
  readonly monitorIntervalMs: number;
  /** viem polling interval for receipts. */
  readonly l1PollingIntervalMs: number;
  /** Answer stale closes with our newer state. */
  readonly autoRespond: boolean;
  /** Settle challenged channels once their period is over. */
  readonly autoSettle: boolean;
  /** The side that did not submit a cooperative close submits it after this long. */
  readonly closeGraceMs: number;
  readonly handshakeTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly reconnectMs: number;
};

export const defaultChannelClientOptions: Omit<ChannelClientOptions, 'dbPath' | 'privateKey' | 'l1Url' | 'adjudicator'> = {
  listenPort: undefined,
  listenHost: '127.0.0.1',
  towerUrl: undefined,
  fsync: true,
  maxInFlight: 16,
  maxPaymentsPerState: 10_000,
  defaultChallengePeriod: 24 * 3600,
  defaultPipelineWindow: 64,
  acceptPolicy: {
    maxOwnDeposit: 10n ** 24n,
    minChallengePeriod: 3600,
    maxChallengePeriod: 30 * 24 * 3600,
    maxPipelineWindow: 256,
  },
  monitorIntervalMs: 1000,
  l1PollingIntervalMs: 100,
  autoRespond: true,
  autoSettle: true,
  closeGraceMs: 60_000,
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  reconnectMs: 1000,
};
