/**
 * Deploys the ZK rollup: the three Poseidon contracts it hashes with, then Rollup itself, against any
 * L1 by URL. The Groth16 verifier is deployed separately (it is generated from the proving key) and
 * passed in by address. With `registry`, a SequencerRegistry (docs/PROTOCOL.md §11.3) is deployed
 * just before the Rollup, bound to the Rollup's address predicted from the deployer's next nonce (the
 * Rollup's constructor checks the binding, so a wrong prediction fails the deploy).
 */
import { type Abi, type Address, getContractAddress } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { deployContract } from './deployContract.ts';
import { L1Error } from './errors.ts';
import { poseidonT3Abi, poseidonT3Bytecode } from './generated/PoseidonT3.ts';
import { poseidonT4Abi, poseidonT4Bytecode } from './generated/PoseidonT4.ts';
import { poseidonT5Abi, poseidonT5Bytecode } from './generated/PoseidonT5.ts';
import { rollupAbi, rollupBytecode } from './generated/Rollup.ts';
import { sequencerRegistryAbi, sequencerRegistryBytecode } from './generated/SequencerRegistry.ts';

export type RollupDeployConfig = {
  readonly verifier: Address;
  readonly sequencer: Address;
  readonly governance: Address;
  /** State tree index bits (even). */
  readonly treeDepth: number;
  readonly exitTreeDepth: number;
  readonly maxL1Ops: number;
  readonly maxFeeTokens: number;
  readonly maxL2Txs: number;
  /**
   * Escape hatches (docs/PROTOCOL.md §11.1), seconds; must satisfy 0 < forcedInclusion ≤ selfSequence ≤ exodus.
   * Defaults: 24 h, 48 h, 7 days (defaultEscapeHatchDelays).
   */
  readonly forcedInclusionDelay?: number;
  readonly selfSequenceDelay?: number;
  readonly exodusDelay?: number;
  /**
   * Seconds after a commit during which only the batch's committer or its designated prover may prove
   * it (docs/PROTOCOL.md §11.2); 0 = no priority; must be < exodusDelay. Default: 1 h, or half the
   * exodus delay when that is shorter (short devnet delays).
   */
  readonly proverPriorityWindow?: number;
  /** Deploy a sequencer registry (staked, rotating sequencers); absent: the single `sequencer` commits. */
  readonly registry?: RegistryDeployConfig;
};

/** Sequencer registry parameters (docs/PROTOCOL.md §11.3); every field has a default (defaultRegistryConfig). */
export type RegistryDeployConfig = {
  /** May call `slash` (the optimistic dispute game); default: nobody (the zero address). */
  readonly slasher?: Address;
  readonly minStakeWei?: bigint;
  readonly slotDuration?: number;
  readonly leaderDeadline?: number;
  readonly epochSlots?: number;
  /** Must exceed twice the rollup's proverPriorityWindow (checked by the Rollup's constructor). */
  readonly unbondingDelay?: number;
  readonly maxSequencers?: number;
  readonly reporterShareBps?: number;
  readonly missedProofPenaltyWei?: bigint;
};

/**
 * Production defaults. A slot of 60 s is five L1 blocks: room to seal, land and confirm a commit, and
 * a missed leader costs users 30 s (the deadline) at most. Epochs of 32 slots (32 min) keep the
 * schedule fixed long enough for nodes to forward by it and short enough that joins and leaves (two
 * epochs, ≈ 1 h) take effect promptly. Unbonding 8 days outlasts every window in which a fault becomes
 * provable (a missed proof: two 1 h priority windows; the 7-day exodus bound a stuck batch runs into;
 * a 7-day optimistic challenge period). The Rollup requires unbondingDelay > 2 × proverPriorityWindow. 1 ETH stake, a quarter of it for a missed proof, half of any slash to whoever proves it.
 */
export const defaultRegistryConfig = {
  minStakeWei: 10n ** 18n,
  slotDuration: 60,
  leaderDeadline: 30,
  epochSlots: 32,
  unbondingDelay: 8 * 24 * 3600,
  maxSequencers: 32,
  reporterShareBps: 5000,
  missedProofPenaltyWei: 25n * 10n ** 16n,
} as const;

/** Production defaults of the escape-hatch bounds, in seconds. */
export const defaultEscapeHatchDelays = { forcedInclusionDelay: 24 * 3600, selfSequenceDelay: 48 * 3600, exodusDelay: 7 * 24 * 3600 } as const;

/** Production default of the prover priority window, in seconds. */
export const defaultProverPriorityWindow = 3600;

export type RollupDeployment = {
  readonly rollup: Address;
  readonly poseidon2: Address;
  readonly poseidon3: Address;
  readonly poseidon4: Address;
  readonly deployBlock: bigint;
  readonly gasUsed: bigint;
  /** The sequencer registry, when one was deployed. */
  readonly registry?: Address;
};

export async function deployRollup(clients: L1Clients, config: RollupDeployConfig): Promise<RollupDeployment> {
  const p2 = await deployContract({ clients, abi: poseidonT3Abi as Abi, bytecode: poseidonT3Bytecode, name: 'PoseidonT3' });
  const p3 = await deployContract({ clients, abi: poseidonT4Abi as Abi, bytecode: poseidonT4Bytecode, name: 'PoseidonT4' });
  const p4 = await deployContract({ clients, abi: poseidonT5Abi as Abi, bytecode: poseidonT5Bytecode, name: 'PoseidonT5' });
  const exodusDelay = config.exodusDelay ?? defaultEscapeHatchDelays.exodusDelay;
  const proverPriorityWindow = config.proverPriorityWindow ?? Math.min(defaultProverPriorityWindow, Math.floor(exodusDelay / 2));
  let registry: { address: Address; gasUsed: bigint } | undefined;
  if (config.registry !== undefined) {
    const wallet = clients.wallet;
    if (wallet === undefined) throw new L1Error('L1_DEPLOY_FAILED', 'cannot deploy SequencerRegistry: no deployer key');
    const nonce = await clients.public.getTransactionCount({ address: wallet.account.address, blockTag: 'pending' });
    const predicted = getContractAddress({ from: wallet.account.address, nonce: BigInt(nonce + 1) });
    const r = { ...defaultRegistryConfig, ...config.registry };
    registry = await deployContract({
      clients,
      abi: sequencerRegistryAbi as Abi,
      bytecode: sequencerRegistryBytecode,
      name: 'SequencerRegistry',
      args: [
        {
          rollup: predicted,
          slasher: r.slasher ?? '0x0000000000000000000000000000000000000000',
          minStake: r.minStakeWei,
          slotDuration: BigInt(r.slotDuration),
          leaderDeadline: BigInt(r.leaderDeadline),
          epochSlots: r.epochSlots,
          unbondingDelay: BigInt(r.unbondingDelay),
          maxSequencers: r.maxSequencers,
          reporterShareBps: r.reporterShareBps,
          missedProofPenalty: r.missedProofPenaltyWei,
        },
      ],
    });
  }
  const rollup = await deployContract({
    clients,
    abi: rollupAbi as Abi,
    bytecode: rollupBytecode,
    name: 'Rollup',
    args: [
      {
        verifier: config.verifier,
        poseidon2: p2.address,
        poseidon3: p3.address,
        poseidon4: p4.address,
        sequencer: config.sequencer,
        governance: config.governance,
        treeDepth: config.treeDepth,
        exitTreeDepth: config.exitTreeDepth,
        maxL1Ops: config.maxL1Ops,
        maxFeeTokens: config.maxFeeTokens,
        maxL2Txs: config.maxL2Txs,
        forcedInclusionDelay: BigInt(config.forcedInclusionDelay ?? defaultEscapeHatchDelays.forcedInclusionDelay),
        selfSequenceDelay: BigInt(config.selfSequenceDelay ?? defaultEscapeHatchDelays.selfSequenceDelay),
        exodusDelay: BigInt(exodusDelay),
        proverPriorityWindow: BigInt(proverPriorityWindow),
        registry: registry?.address ?? '0x0000000000000000000000000000000000000000',
      },
    ],
  });
  const receipt = await clients.public.getTransactionReceipt({ hash: rollup.hash });
  if (receipt.contractAddress !== rollup.address) throw new L1Error('L1_DEPLOY_FAILED', 'Rollup deploy receipt mismatch');
  return {
    rollup: rollup.address,
    poseidon2: p2.address,
    poseidon3: p3.address,
    poseidon4: p4.address,
    deployBlock: receipt.blockNumber,
    gasUsed: p2.gasUsed + p3.gasUsed + p4.gasUsed + rollup.gasUsed + (registry?.gasUsed ?? 0n),
    ...(registry === undefined ? {} : { registry: registry.address }),
  };
}
