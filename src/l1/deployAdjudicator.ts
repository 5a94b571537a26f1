import type { Abi } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { type DeployContractReturnType, deployContract } from './deployContract.ts';
import { adjudicatorAbi, adjudicatorBytecode } from './generated/Adjudicator.ts';

export type AdjudicatorConfig = {
  /** Shortest challenge period a channel may choose, in seconds. */
  readonly minChallengePeriod: number;
  readonly maxChallengePeriod: number;
  /** Share of a cheater's forfeited balance paid to the third party that proved the stale close. */
  readonly watchtowerFeeBps: number;
};

/** Defaults: channels choose 1 hour to 30 days; towers earn 10% of a forfeited balance. */
export const defaultAdjudicatorConfig: AdjudicatorConfig = {
  minChallengePeriod: 3600,
  maxChallengePeriod: 30 * 24 * 3600,
  watchtowerFeeBps: 1000,
};

export function deployAdjudicator(clients: L1Clients, config: Partial<AdjudicatorConfig> = {}): Promise<DeployContractReturnType> {
  const c = { ...defaultAdjudicatorConfig, ...config };
  return deployContract({
    clients,
    abi: adjudicatorAbi as Abi,
    bytecode: adjudicatorBytecode,
    args: [c.minChallengePeriod, c.maxChallengePeriod, c.watchtowerFeeBps],
    name: 'Adjudicator',
  });
}
