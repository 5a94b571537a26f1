/** Options of the L1 edge (devnet and clients), with their documented defaults. */

export type DevnetOptions = {
  /** Chain id of the devnet. 31337 is Hardhat's; tests pick others to show cross-chain replay fails. */
  readonly chainId: number;
  /** How many fresh random accounts to fund. */
  readonly accounts: number;
  /** Balance of each funded account, in wei. */
  readonly balanceWei: bigint;
  /** 0 picks a free port. */
  readonly port: number;
  readonly hardfork: string;
  /** How long to wait for the node to print its URL. Hardhat takes 2-6 s to boot on a busy 2-core box. */
  readonly startTimeoutMs: number;
  /** Forward the node's stdout/stderr (useful when debugging a test). */
  readonly verbose: boolean;
};

export const defaultDevnetOptions: DevnetOptions = {
  chainId: 31337,
  accounts: 8,
  balanceWei: 10_000n * 10n ** 18n,
  port: 0,
  hardfork: 'cancun',
  startTimeoutMs: 60_000,
  verbose: false,
};
