/** The SDK's L1 edge: the signer it needs, and L1 failures as SdkErrors (the L1Error is the cause). */
import type { Account, Chain, HttpTransport, WalletClient } from 'viem';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { decodeL1Error } from '../l1/decodeL1Error.ts';
import { ContractRevertedError } from '../l1/errors.ts';
import { SdkError } from './errors.ts';
import type { RampartContext } from './types.ts';

export function requireL1(ctx: RampartContext, action: string): L1Clients {
  if (ctx.l1 === undefined) throw new SdkError('NO_L1', `${action} needs L1: pass l1 (createL1Clients) to createRampartClient`);
  return ctx.l1;
}

export function requireWallet(ctx: RampartContext, action: string): WalletClient<HttpTransport, Chain, Account> {
  const wallet = requireL1(ctx, action).wallet;
  if (wallet === undefined) throw new SdkError('NO_L1_WALLET', `${action} sends an L1 transaction: create the L1 clients with a private key`);
  return wallet;
}

/** An L1 failure as L1_FAILED; a revert carries the contract's reason in details.reason. */
export function l1Failure(err: unknown, context: string): SdkError {
  if (err instanceof SdkError) return err;
  const e = decodeL1Error(err, context);
  const reason = e instanceof ContractRevertedError ? e.reason : undefined;
  return new SdkError('L1_FAILED', `${context}: ${e.message}`, { cause: e, details: { context, l1Code: e.code, ...(reason === undefined ? {} : { reason }) } });
}

/** Runs an L1 read, mapping failures to L1_FAILED. */
export async function l1Read<T>(context: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw l1Failure(err, context);
  }
}
