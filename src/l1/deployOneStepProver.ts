/**
 * Deploys the optimistic one-step prover (contracts/optimistic/OneStepProver.sol) for a Rollup: the
 * Poseidon(5) contract its EdDSA check hashes with (unless one is given; PoseidonT6 keeps part of its
 * constants in PoseidonT6Data, deployed first), then the prover, which reads the Rollup's queue,
 * domain, tree depths and Poseidon contracts at construction and per step.
 */
import type { Abi, Address } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { deployContract } from './deployContract.ts';
import { oneStepProverAbi, oneStepProverBytecode } from './generated/OneStepProver.ts';
import { poseidonT6Abi, poseidonT6Bytecode } from './generated/PoseidonT6.ts';
import { poseidonT6DataAbi, poseidonT6DataBytecode } from './generated/PoseidonT6Data.ts';

export type DeployOneStepProverParameters = {
  /** The Rollup (or anything with its view surface, IRollupView). */
  readonly rollup: Address;
  /** An existing PoseidonT6 deployment; deployed when absent. */
  readonly poseidon5?: Address;
};

export type DeployOneStepProverReturnType = { readonly prover: Address; readonly poseidon5: Address; readonly gasUsed: bigint };

/** Deploys the Poseidon(5) contract (PoseidonT6 with its PoseidonT6Data constants). */
export async function deployPoseidon5(clients: L1Clients): Promise<{ readonly address: Address; readonly gasUsed: bigint }> {
  const data = await deployContract({ clients, abi: poseidonT6DataAbi as Abi, bytecode: poseidonT6DataBytecode, name: 'PoseidonT6Data' });
  const p5 = await deployContract({ clients, abi: poseidonT6Abi as Abi, bytecode: poseidonT6Bytecode, name: 'PoseidonT6', args: [data.address] });
  return { address: p5.address, gasUsed: data.gasUsed + p5.gasUsed };
}

export async function deployOneStepProver(clients: L1Clients, params: DeployOneStepProverParameters): Promise<DeployOneStepProverReturnType> {
  let poseidon5 = params.poseidon5;
  let gasUsed = 0n;
  if (poseidon5 === undefined) {
    const p5 = await deployPoseidon5(clients);
    poseidon5 = p5.address;
    gasUsed += p5.gasUsed;
  }
  const prover = await deployContract({ clients, abi: oneStepProverAbi as Abi, bytecode: oneStepProverBytecode, name: 'OneStepProver', args: [params.rollup, poseidon5] });
  return { prover: prover.address, poseidon5, gasUsed: gasUsed + prover.gasUsed };
}
