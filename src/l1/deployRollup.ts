/**
 * Deploys the ZK rollup: the three Poseidon contracts it hashes with, then Rollup itself, against any
 * L1 by URL. The Groth16 verifier is deployed separately (it is generated from the proving key) and
 * passed in by address.
 */
import type { Abi, Address } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { deployContract } from './deployContract.ts';
import { L1Error } from './errors.ts';
import { poseidonT3Abi, poseidonT3Bytecode } from './generated/PoseidonT3.ts';
import { poseidonT4Abi, poseidonT4Bytecode } from './generated/PoseidonT4.ts';
import { poseidonT5Abi, poseidonT5Bytecode } from './generated/PoseidonT5.ts';
import { rollupAbi, rollupBytecode } from './generated/Rollup.ts';

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
};

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
};

export async function deployRollup(clients: L1Clients, config: RollupDeployConfig): Promise<RollupDeployment> {
  const p2 = await deployContract({ clients, abi: poseidonT3Abi as Abi, bytecode: poseidonT3Bytecode, name: 'PoseidonT3' });
  const p3 = await deployContract({ clients, abi: poseidonT4Abi as Abi, bytecode: poseidonT4Bytecode, name: 'PoseidonT4' });
  const p4 = await deployContract({ clients, abi: poseidonT5Abi as Abi, bytecode: poseidonT5Bytecode, name: 'PoseidonT5' });
  const exodusDelay = config.exodusDelay ?? defaultEscapeHatchDelays.exodusDelay;
  const proverPriorityWindow = config.proverPriorityWindow ?? Math.min(defaultProverPriorityWindow, Math.floor(exodusDelay / 2));
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
    gasUsed: p2.gasUsed + p3.gasUsed + p4.gasUsed + rollup.gasUsed,
  };
}
