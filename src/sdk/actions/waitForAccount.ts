import type { Address } from 'viem';
import type { NodeAccount } from '../schemas.ts';
import { SdkError, isSdkError } from '../errors.ts';
import type { RampartContext } from '../types.ts';
import { checkTimeout, sleep } from '../validate.ts';
import type { DepositReturnType } from './deposit.ts';
import { findAccounts } from './findAccounts.ts';
import { getAccount } from './getAccount.ts';

export type WaitForAccountParameters = {
  /** The account-creating deposit to wait for… */
  readonly deposit?: Pick<DepositReturnType, 'kind' | 'l1Address' | 'publicKey' | 'tokenId' | 'knownAccounts'>;
  /** …or the account's fields directly. */
  readonly l1Address?: Address;
  readonly publicKey?: readonly [bigint, bigint];
  readonly tokenId?: number;
  /** Indices to skip (accounts that existed before the deposit). */
  readonly exclude?: readonly number[];
  readonly timeoutMs?: number;
  readonly pollIntervalMs?: number;
};
export type WaitForAccountReturnType = { readonly index: number; readonly account: NodeAccount };

/**
 * Waits until the node has applied an account-creating deposit and returns the new account's index:
 * the lowest index owned by the L1 address, under the key and token, that is not excluded. Two
 * pending deposits of the same owner, key and token are interchangeable, so either may be returned
 * first. The account is re-read and must match the fields asked for.
 */
export async function waitForAccount(ctx: RampartContext, params: WaitForAccountParameters): Promise<WaitForAccountReturnType> {
  const d = params.deposit;
  if (d !== undefined && d.kind !== 'createAccount') throw new SdkError('INVALID_ARGUMENT', 'a top-up deposit creates no account', { details: { argument: 'deposit' } });
  const l1Address = d?.l1Address ?? params.l1Address;
  const publicKey = d?.publicKey ?? params.publicKey;
  const tokenId = d?.tokenId ?? params.tokenId;
  if (l1Address === undefined || publicKey === undefined || tokenId === undefined) {
    throw new SdkError('INVALID_ARGUMENT', 'waitForAccount needs a deposit, or l1Address, publicKey and tokenId', { details: { argument: 'deposit' } });
  }
  const exclude = new Set([...(d?.knownAccounts ?? []), ...(params.exclude ?? [])]);
  const timeoutMs = checkTimeout(params.timeoutMs ?? ctx.options.waitTimeoutMs, 'timeoutMs');
  const interval = checkTimeout(params.pollIntervalMs ?? ctx.options.pollIntervalMs, 'pollIntervalMs');
  const deadline = Date.now() + timeoutMs;
  let lastError: SdkError | undefined;
  for (;;) {
    try {
      const found = (await findAccounts(ctx, { l1Address, publicKey, tokenId })).filter((i) => !exclude.has(i));
      const index = found[0];
      if (index !== undefined) {
        const account = await getAccount(ctx, { index });
        if (
          account === null ||
          account.l1Address.toLowerCase() !== l1Address.toLowerCase() ||
          account.tokenId !== tokenId ||
          account.publicKey[0] !== publicKey[0] ||
          account.publicKey[1] !== publicKey[1]
        ) {
          throw new SdkError('NODE_INCONSISTENT', `rampart_findAccounts returned account ${index}, which does not match the filter`, { details: { index } });
        }
        return { index, account };
      }
      lastError = undefined;
    } catch (err) {
      if (!(isSdkError(err) && err.retryable)) throw err;
      lastError = err;
    }
    if (Date.now() + interval > deadline) {
      throw new SdkError('WAIT_TIMEOUT', `no new account for ${l1Address} (token ${tokenId}) after ${timeoutMs} ms`, {
        details: { l1Address, tokenId },
        ...(lastError === undefined ? {} : { cause: lastError }),
      });
    }
    await sleep(interval);
  }
}
