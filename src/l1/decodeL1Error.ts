import { BaseError, ContractFunctionRevertedError } from 'viem';
import { ContractRevertedError, L1Error } from './errors.ts';

/**
 * Turns whatever viem threw for a contract call into a Rampart error: a decoded custom error becomes a
 * ContractRevertedError with the contract's reason; anything else (transport, nonce, gas) an L1Error.
 */
export function decodeL1Error(err: unknown, context: string): L1Error {
  if (err instanceof L1Error) return err;
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? revert.reason ?? 'unknown';
      const args = revert.data?.args ?? [];
      return new ContractRevertedError(name, args, { cause: err, details: { context } });
    }
    return new L1Error('L1_TX_FAILED', `${context}: ${err.shortMessage}`, { cause: err, details: { context } });
  }
  return new L1Error('L1_RPC_FAILED', `${context}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    details: { context },
  });
}
