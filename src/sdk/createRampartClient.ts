/**
 * The Rampart client: one object binding the SDK's actions to a node and an L1, viem-style — every
 * method is also a standalone function in actions/ taking the client's context.
 *
 *   const client = createRampartClient({ rpcUrl, l1: await createL1Clients({ url, privateKey }) });
 *   const dep = await client.deposit({ amount: 10n ** 18n, publicKey });
 *   const { index } = await client.waitForAccount({ deposit: dep });
 *   const { hash } = await client.withdraw({ privateKey: key, from: index, amount: 10n ** 17n });
 *   await client.waitForFinality({ hash });
 *   await client.claim({ hash });
 */
import { claim, type ClaimParameters, type ClaimReturnType } from './actions/claim.ts';
import { deposit, type DepositParameters, type DepositReturnType } from './actions/deposit.ts';
import { findAccounts, type FindAccountsParameters, type FindAccountsReturnType } from './actions/findAccounts.ts';
import { getAccount, type GetAccountParameters, type GetAccountReturnType } from './actions/getAccount.ts';
import { getBalance, type GetBalanceParameters, type GetBalanceReturnType } from './actions/getBalance.ts';
import { getBatch, type GetBatchParameters, type GetBatchReturnType } from './actions/getBatch.ts';
import { getBatchHeaders, type GetBatchHeadersParameters, type GetBatchHeadersReturnType } from './actions/getBatchHeaders.ts';
import { getDomain, type GetDomainReturnType } from './actions/getDomain.ts';
import { getExitProof, type GetExitProofParameters, type GetExitProofReturnType } from './actions/getExitProof.ts';
import { getStatus, type GetStatusReturnType } from './actions/getStatus.ts';
import { getTransaction, type GetTransactionParameters, type GetTransactionReturnType } from './actions/getTransaction.ts';
import { transfer, type TransferParameters, type TransferReturnType } from './actions/transfer.ts';
import { waitForAccount, type WaitForAccountParameters, type WaitForAccountReturnType } from './actions/waitForAccount.ts';
import { waitForFinality, type WaitForFinalityParameters, type WaitForFinalityReturnType } from './actions/waitForFinality.ts';
import { withdraw, type WithdrawParameters, type WithdrawReturnType } from './actions/withdraw.ts';
import { SdkError } from './errors.ts';
import { defaultRampartClientOptions, type RampartClientOptions } from './options.ts';
import { createHttpTransport } from './transport.ts';
import type { RampartContext } from './types.ts';
import { checkAddress, checkTimeout, checkUint } from './validate.ts';

export type CreateRampartClientParameters = Pick<RampartClientOptions, 'rpcUrl'> & Partial<Omit<RampartClientOptions, 'rpcUrl'>>;

export type RampartClient = {
  readonly context: RampartContext;
  readonly getStatus: () => Promise<GetStatusReturnType>;
  readonly getDomain: () => Promise<GetDomainReturnType>;
  readonly getAccount: (p: GetAccountParameters) => Promise<GetAccountReturnType>;
  readonly getBalance: (p: GetBalanceParameters) => Promise<GetBalanceReturnType>;
  readonly findAccounts: (p: FindAccountsParameters) => Promise<FindAccountsReturnType>;
  readonly getTransaction: (p: GetTransactionParameters) => Promise<GetTransactionReturnType>;
  readonly getBatch: (p: GetBatchParameters) => Promise<GetBatchReturnType>;
  /** Signed batch headers (pre-confirmations), each signature verified; with a sequencer registry only. */
  readonly getBatchHeaders: (p: GetBatchHeadersParameters) => Promise<GetBatchHeadersReturnType>;
  readonly getExitProof: (p: GetExitProofParameters) => Promise<GetExitProofReturnType>;
  readonly deposit: (p: DepositParameters) => Promise<DepositReturnType>;
  readonly waitForAccount: (p: WaitForAccountParameters) => Promise<WaitForAccountReturnType>;
  readonly transfer: (p: TransferParameters) => Promise<TransferReturnType>;
  readonly withdraw: (p: WithdrawParameters) => Promise<WithdrawReturnType>;
  readonly waitForFinality: (p: WaitForFinalityParameters) => Promise<WaitForFinalityReturnType>;
  readonly claim: (p: ClaimParameters) => Promise<ClaimReturnType>;
};

function resolveOptions(params: CreateRampartClientParameters): RampartClientOptions {
  const o: RampartClientOptions = { ...defaultRampartClientOptions, ...params };
  if (o.l1 !== undefined && (typeof o.l1 !== 'object' || o.l1 === null || o.l1.public === undefined || o.l1.chain === undefined)) {
    throw new SdkError('INVALID_ARGUMENT', 'l1 must be L1 clients from createL1Clients', { details: { argument: 'l1' } });
  }
  return {
    ...o,
    rollup: o.rollup === undefined ? undefined : checkAddress(o.rollup, 'rollup'),
    requestTimeoutMs: checkTimeout(o.requestTimeoutMs, 'requestTimeoutMs'),
    maxResponseBytes: checkUint(o.maxResponseBytes, 'maxResponseBytes', 1 << 30),
    pollIntervalMs: checkTimeout(o.pollIntervalMs, 'pollIntervalMs'),
    waitTimeoutMs: checkTimeout(o.waitTimeoutMs, 'waitTimeoutMs'),
    busyRetries: checkUint(o.busyRetries, 'busyRetries', 100),
    busyBackoffMs: checkUint(o.busyBackoffMs, 'busyBackoffMs', 60_000),
  };
}

export function createRampartClient(params: CreateRampartClientParameters): RampartClient {
  const options = resolveOptions(params);
  const transport = createHttpTransport({
    url: options.rpcUrl,
    timeoutMs: options.requestTimeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const ctx: RampartContext = { transport, l1: options.l1, options, cache: { domain: undefined, nonces: new Map() } };
  return {
    context: ctx,
    getStatus: () => getStatus(ctx),
    getDomain: () => getDomain(ctx),
    getAccount: (p) => getAccount(ctx, p),
    getBalance: (p) => getBalance(ctx, p),
    findAccounts: (p) => findAccounts(ctx, p),
    getTransaction: (p) => getTransaction(ctx, p),
    getBatch: (p) => getBatch(ctx, p),
    getBatchHeaders: (p) => getBatchHeaders(ctx, p),
    getExitProof: (p) => getExitProof(ctx, p),
    deposit: (p) => deposit(ctx, p),
    waitForAccount: (p) => waitForAccount(ctx, p),
    transfer: (p) => transfer(ctx, p),
    withdraw: (p) => withdraw(ctx, p),
    waitForFinality: (p) => waitForFinality(ctx, p),
    claim: (p) => claim(ctx, p),
  };
}
