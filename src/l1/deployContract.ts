import { type Abi, type Address, type Hex, encodeDeployData } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { L1Error } from './errors.ts';
import { sendAndWait } from './sendAndWait.ts';

export type DeployContractParameters = {
  readonly clients: L1Clients;
  readonly abi: Abi;
  readonly bytecode: Hex;
  readonly args?: readonly unknown[];
  /** Name for error messages. */
  readonly name: string;
};

export type DeployContractReturnType = { readonly address: Address; readonly hash: Hex; readonly gasUsed: bigint };

/** Deploys a contract from generated bindings and waits for it; any L1 works (by URL). */
export async function deployContract(p: DeployContractParameters): Promise<DeployContractReturnType> {
  const wallet = p.clients.wallet;
  if (wallet === undefined) throw new L1Error('L1_DEPLOY_FAILED', `cannot deploy ${p.name}: no deployer key`);
  const data = encodeDeployData({ abi: p.abi, bytecode: p.bytecode, args: p.args ?? [] } as Parameters<typeof encodeDeployData>[0]);
  const receipt = await sendAndWait({
    public: p.clients.public,
    context: `deploy ${p.name}`,
    send: () => wallet.sendTransaction({ data }),
  });
  if (receipt.contractAddress === null || receipt.contractAddress === undefined) {
    throw new L1Error('L1_DEPLOY_FAILED', `deploy ${p.name}: receipt has no contract address`, {
      details: { hash: receipt.transactionHash },
    });
  }
  return { address: receipt.contractAddress, hash: receipt.transactionHash, gasUsed: receipt.gasUsed };
}
