import { type Address, type Hex, erc20Abi, getAddress, parseEventLogs, zeroAddress, hexToBytes } from 'viem';
import { assertPoint, isLowOrder } from '../../core/babyjub.ts';
import { decodeL1Op } from '../../core/tx.ts';
import { rollupAbi } from '../../l1/generated/Rollup.ts';
import { sendAndWait } from '../../l1/sendAndWait.ts';
import { SdkError } from '../errors.ts';
import type { L1Clients } from '../../l1/createL1Clients.ts';
import { l1Failure, l1Read, requireL1, requireWallet } from '../l1.ts';
import type { RampartContext } from '../types.ts';
import { checkAccountIndex, checkAddress, checkL1Amount, checkTokenId } from '../validate.ts';
import { findAccounts } from './findAccounts.ts';
import { getAccount } from './getAccount.ts';
import { getDomain } from './getDomain.ts';

export type DepositParameters = {
  /** 'eth' (default) or a registered ERC-20's address. */
  readonly token?: Address | 'eth';
  /** The token by id instead (0 = ETH). */
  readonly tokenId?: number;
  /** Base units, up to 2^128-1 (L1 deposits are not floats). */
  readonly amount: bigint;
  /** Create a new L2 account controlled by this Baby Jubjub public key… */
  readonly publicKey?: readonly [bigint, bigint];
  /** …or top up this existing account (anyone may top up any account of the same token). */
  readonly toIndex?: number;
  /** Approve the Rollup for an ERC-20 when the allowance is short (default true). */
  readonly approve?: boolean;
  /**
   * Check the target account and snapshot existing accounts on the node first (default true). Off,
   * the deposit needs only L1 — the way to deposit while the node is down.
   */
  readonly checkNode?: boolean;
};

export type DepositReturnType = {
  readonly kind: 'createAccount' | 'deposit';
  readonly l1TxHash: Hex;
  readonly blockNumber: bigint;
  /** Position in the Rollup's L1 operation queue. */
  readonly queueIndex: number;
  readonly tokenId: number;
  /** The ERC-20 (zero address for ETH). */
  readonly token: Address;
  readonly amount: bigint;
  /** The L1 owner of the account (the sender). */
  readonly l1Address: Address;
  readonly publicKey: readonly [bigint, bigint] | undefined;
  readonly toIndex: number | undefined;
  /** Accounts with the same owner, key and token before this deposit (waitForAccount skips them). */
  readonly knownAccounts: readonly number[] | undefined;
};

async function resolveToken(l1: L1Clients, rollup: Address, params: DepositParameters): Promise<{ tokenId: number; token: Address }> {
  if (params.tokenId !== undefined) {
    const tokenId = checkTokenId(params.tokenId);
    const count = await l1Read('Rollup.tokenCount', () => l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'tokenCount' }));
    if (BigInt(tokenId) >= count) throw new SdkError('TOKEN_NOT_REGISTERED', `token id ${tokenId} is not registered on the Rollup`, { details: { tokenId } });
    const token = tokenId === 0 ? zeroAddress : await l1Read('Rollup.tokens', () => l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'tokens', args: [BigInt(tokenId)] }));
    if (params.token !== undefined && (params.token === 'eth' ? zeroAddress : checkAddress(params.token, 'token')).toLowerCase() !== token.toLowerCase()) {
      throw new SdkError('INVALID_ARGUMENT', `token ${params.token} is not token id ${tokenId} (${token})`, { details: { argument: 'token' } });
    }
    return { tokenId, token: getAddress(token) };
  }
  if (params.token === undefined || params.token === 'eth') return { tokenId: 0, token: zeroAddress };
  const token = checkAddress(params.token, 'token');
  const id = await l1Read('Rollup.tokenIdOf', () => l1.public.readContract({ address: rollup, abi: rollupAbi, functionName: 'tokenIdOf', args: [token] }));
  if (id === 0) throw new SdkError('TOKEN_NOT_REGISTERED', `ERC-20 ${token} is not registered on the Rollup (Rollup.registerToken)`, { details: { token } });
  return { tokenId: id, token };
}

function checkPublicKey(pk: readonly [bigint, bigint]): void {
  try {
    assertPoint(pk, 'publicKey');
  } catch (cause) {
    throw new SdkError('INVALID_ARGUMENT', `publicKey is not a Baby Jubjub point: ${(cause as Error).message}`, { cause, details: { argument: 'publicKey' } });
  }
  // Funds deposited to a low-order key could be spent by anyone (signatures degenerate).
  if (isLowOrder(pk)) throw new SdkError('INVALID_ARGUMENT', 'publicKey is a low-order point: anyone could sign for it', { details: { argument: 'publicKey' } });
}

/**
 * Deposits ETH or a registered ERC-20 into the Rollup's L1 queue: into a new L2 account (`publicKey`)
 * or an existing one (`toIndex`). Checks balances, allowance and the target first; approves an ERC-20
 * when needed; returns the L1 transaction and the queue index read back from the L1OpQueued event
 * (whose bytes must decode to exactly the operation requested).
 */
export async function deposit(ctx: RampartContext, params: DepositParameters): Promise<DepositReturnType> {
  const l1 = requireL1(ctx, 'deposit');
  const wallet = requireWallet(ctx, 'deposit');
  const amount = checkL1Amount(params.amount);
  if ((params.publicKey === undefined) === (params.toIndex === undefined)) {
    throw new SdkError('INVALID_ARGUMENT', 'pass exactly one of publicKey (create an account) or toIndex (top up)', { details: { argument: 'publicKey|toIndex' } });
  }
  const create = params.publicKey !== undefined;
  if (params.publicKey !== undefined) checkPublicKey(params.publicKey);
  const toIndex = params.toIndex === undefined ? undefined : checkAccountIndex(params.toIndex, 'toIndex');
  if (!create && amount === 0n) throw new SdkError('INVALID_ARGUMENT', 'a top-up of 0 does nothing', { details: { argument: 'amount' } });
  const { rollup } = await getDomain(ctx);
  const owner = wallet.account.address;
  const { tokenId, token } = await resolveToken(l1, rollup, params);

  let knownAccounts: readonly number[] | undefined;
  if (params.checkNode !== false) {
    if (toIndex !== undefined) {
      const target = await getAccount(ctx, { index: toIndex });
      if (target === null) throw new SdkError('ACCOUNT_NOT_FOUND', `no L2 account ${toIndex} to top up`, { details: { index: toIndex } });
      if (target.tokenId !== tokenId) {
        throw new SdkError('TOKEN_MISMATCH', `account ${toIndex} holds token ${target.tokenId}, not ${tokenId}`, { details: { index: toIndex, tokenId, accountToken: target.tokenId } });
      }
    } else if (params.publicKey !== undefined) {
      knownAccounts = await findAccounts(ctx, { l1Address: owner, publicKey: params.publicKey, tokenId });
    }
  }

  if (tokenId === 0) {
    const balance = await l1Read('eth_getBalance', () => l1.public.getBalance({ address: owner }));
    if (balance < amount) throw new SdkError('INSUFFICIENT_L1_BALANCE', `${owner} holds ${balance} wei, needs ${amount} plus gas`, { details: { balance: balance.toString(), amount: amount.toString() } });
  } else if (amount > 0n) {
    const balance = await l1Read('ERC20.balanceOf', () => l1.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner] }));
    if (balance < amount) throw new SdkError('INSUFFICIENT_L1_BALANCE', `${owner} holds ${balance} of ${token}, needs ${amount}`, { details: { token, balance: balance.toString(), amount: amount.toString() } });
    const allowance = await l1Read('ERC20.allowance', () => l1.public.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [owner, rollup] }));
    if (allowance < amount) {
      if (params.approve === false) throw new SdkError('ALLOWANCE_TOO_LOW', `allowance ${allowance} of ${token} for the Rollup is below ${amount}`, { details: { token, allowance: allowance.toString() } });
      try {
        await sendAndWait({ public: l1.public, context: 'ERC20.approve', send: () => wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [rollup, amount] }) });
      } catch (err) {
        throw l1Failure(err, 'ERC20.approve');
      }
    }
  }

  const context = create ? 'Rollup.createAccount' : 'Rollup.deposit';
  let receipt;
  try {
    receipt = await sendAndWait({
      public: l1.public,
      context,
      send: () =>
        params.publicKey !== undefined
          ? wallet.writeContract({ address: rollup, abi: rollupAbi, functionName: 'createAccount', args: [tokenId, amount, params.publicKey[0], params.publicKey[1]], value: tokenId === 0 ? amount : 0n })
          : wallet.writeContract({ address: rollup, abi: rollupAbi, functionName: 'deposit', args: [tokenId, amount, toIndex ?? 0], value: tokenId === 0 ? amount : 0n }),
    });
  } catch (err) {
    throw l1Failure(err, context);
  }
  const events = parseEventLogs({ abi: rollupAbi, logs: receipt.logs, eventName: 'L1OpQueued' }).filter((l) => l.address.toLowerCase() === rollup.toLowerCase());
  const ev = events[0];
  if (events.length !== 1 || ev === undefined) throw new SdkError('L1_FAILED', `${context}: expected one L1OpQueued event, got ${events.length}`, { details: { tx: receipt.transactionHash } });
  const op = decodeL1Op(hexToBytes(ev.args.op));
  const matches =
    op.l1Address === BigInt(owner) &&
    (op.kind === 'createAccount'
      ? create && op.tokenId === tokenId && op.amount === amount && op.publicKey[0] === params.publicKey?.[0] && op.publicKey[1] === params.publicKey[1]
      : op.kind === 'deposit' && !create && op.tokenId === tokenId && op.amount === amount && op.toIdx === toIndex);
  if (!matches) throw new SdkError('L1_FAILED', `${context}: the queued operation is not the one requested`, { details: { tx: receipt.transactionHash } });
  return {
    kind: create ? 'createAccount' : 'deposit',
    l1TxHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    queueIndex: Number(ev.args.queueIndex),
    tokenId,
    token,
    amount,
    l1Address: owner,
    publicKey: params.publicKey,
    toIndex,
    knownAccounts,
  };
}
