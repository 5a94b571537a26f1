import { type Abi, BaseError, ContractFunctionRevertedError, type Hex, decodeErrorResult } from 'viem';
import { ContractRevertedError, L1Error } from './errors.ts';

/**
 * Turns whatever viem threw for a contract call into a Rampart error: a decoded custom error becomes a
 * ContractRevertedError with the contract's reason; anything else (transport, nonce, gas) an L1Error.
 */
export function decodeL1Error(err: unknown, context: string, abi?: Abi): L1Error {
  if (err instanceof L1Error) return err;
  // A raw call (estimateGas, eth_call on encoded data) carries no ABI: decode its revert data by `abi`.
  if (abi !== undefined) {
    const data = revertData(err);
    if (data !== undefined) {
      try {
        const decoded = decodeErrorResult({ abi, data });
        return new ContractRevertedError(decoded.errorName, decoded.args ?? [], { cause: err, details: { context } });
      } catch {
        // not one of abi's errors: fall through
      }
    }
  }
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

/**
 * The revert data of a failed call, wherever the transport put it: `data` as hex (geth, viem's raw
 * call errors), `data.data` (JSON-RPC error objects), or inside the message (Hardhat/EDR: "return data: 0x…").
 */
function revertData(err: unknown): Hex | undefined {
  let found: Hex | undefined;
  const visit = (e: unknown): void => {
    if (found !== undefined || typeof e !== 'object' || e === null) return;
    const d = (e as { data?: unknown }).data;
    if (typeof d === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(d)) found = d as Hex;
    else if (typeof d === 'object' && d !== null) {
      const inner = (d as { data?: unknown }).data;
      if (typeof inner === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(inner)) found = inner as Hex;
      const m = (d as { message?: unknown }).message;
      if (found === undefined && typeof m === 'string') found = /return data: (0x[0-9a-fA-F]{8,})/.exec(m)?.[1] as Hex | undefined;
    }
    if (found === undefined) {
      const m = (e as { message?: unknown }).message;
      if (typeof m === 'string') found = /return data: (0x[0-9a-fA-F]{8,})/.exec(m)?.[1] as Hex | undefined;
    }
    visit((e as { cause?: unknown }).cause);
  };
  visit(err);
  return found;
}
