/**
 * Calls OneStepProver.executeStep (a view: eth_call, no transaction) with a proof from
 * src/core/one-step.ts. A proof that does not match its pre-state or the committed data reverts; the
 * revert comes back as a ContractRevertedError with the contract's typed error name and arguments.
 */
import { type Address, type Hex, bytesToHex } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { decodeL1Error } from './decodeL1Error.ts';
import { oneStepProverAbi } from './generated/OneStepProver.ts';

/** BatchContext of docs/PROTOCOL.md §14.3. */
export type BatchContext = {
  readonly l1Start: bigint;
  /** nextIndex before the batch (the previous batch's): a fee account must lie below it. */
  readonly startNextIndex: number;
  readonly l1Count: number;
  readonly txCount: number;
  readonly feeCount: number;
  readonly stepDataHash: Hex;
};

export type ExecuteStepParameters = {
  readonly prover: Address;
  readonly ctx: BatchContext;
  readonly step: number;
  readonly preState: Uint8Array;
  readonly proof: Uint8Array;
};

export type ExecuteStepReturnType = { readonly valid: boolean; readonly postState: Hex };

export async function executeStep(clients: L1Clients, p: ExecuteStepParameters): Promise<ExecuteStepReturnType> {
  try {
    const [valid, postState] = await clients.public.readContract({
      address: p.prover,
      abi: oneStepProverAbi,
      functionName: 'executeStep',
      args: [p.ctx, BigInt(p.step), bytesToHex(p.preState), bytesToHex(p.proof)],
    });
    return { valid, postState };
  } catch (err) {
    throw decodeL1Error(err, `executeStep(${p.step})`);
  }
}

/** Gas an executeStep call costs (eth_estimateGas of the same call: execution + 21k + calldata). */
export async function estimateExecuteStepGas(clients: L1Clients, p: ExecuteStepParameters): Promise<bigint> {
  try {
    return await clients.public.estimateContractGas({
      address: p.prover,
      abi: oneStepProverAbi,
      functionName: 'executeStep',
      args: [p.ctx, BigInt(p.step), bytesToHex(p.preState), bytesToHex(p.proof)],
    });
  } catch (err) {
    throw decodeL1Error(err, `estimate executeStep(${p.step})`);
  }
}
