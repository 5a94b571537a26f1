import type { Abi } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { type DeployContractReturnType, deployContract } from './deployContract.ts';
import { testTokenAbi, testTokenBytecode } from './generated/TestToken.ts';

/** Deploys the devnet-only ERC-20 (with ERC-2612 permit and an open mint). */
export function deployTestToken(clients: L1Clients, name = 'Test Token', symbol = 'TEST'): Promise<DeployContractReturnType> {
  return deployContract({ clients, abi: testTokenAbi as Abi, bytecode: testTokenBytecode, args: [name, symbol], name: 'TestToken' });
}
