import type { Hex } from 'viem';
import { createPrivateKey, publicKeyFromPrivate, type PrivateKey } from '../../core/eddsa.ts';
import type { L2Tx } from '../../core/tx.ts';
import { SdkError, isSdkError } from '../errors.ts';
import { sendTransactionResultSchema } from '../schemas.ts';
import { l2TxToJson, signL2Tx } from '../signL2Tx.ts';
import type { RampartContext } from '../types.ts';
import { checkAccountIndex, sleep } from '../validate.ts';
import { getAccount } from './getAccount.ts';
import { getDomain } from './getDomain.ts';

export type SendL2TransactionParameters = {
  readonly kind: 'transfer' | 'withdraw';
  /** The sender's Baby Jubjub private key (32 bytes). */
  readonly privateKey: Uint8Array;
  readonly from: number;
  readonly to?: number;
  readonly amount: bigint;
  /** Fee cap in the token's base units (Float16-exact); default 0. */
  readonly maxFee?: bigint;
  /** Default: the account's nonce, or one past this client's last send from the account. */
  readonly nonce?: number;
};

export type SendL2TransactionReturnType = {
  /** The L2 transaction hash (the signed message), as the node confirmed it. */
  readonly hash: Hex;
  readonly tx: L2Tx;
  readonly nonce: number;
};

function asPrivateKey(bytes: Uint8Array): PrivateKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new SdkError('INVALID_ARGUMENT', 'privateKey must be 32 bytes (a Baby Jubjub key, not an L1 key)', { details: { argument: 'privateKey' } });
  }
  return createPrivateKey(bytes);
}

/**
 * Signs and sends a transfer or withdraw: checks the accounts on the node first (so a wrong key or
 * index fails with a clear code rather than a bare rejection), signs over the domain verified by
 * getDomain, and refuses a node that acknowledges a hash other than the one signed.
 */
export async function sendL2Transaction(ctx: RampartContext, params: SendL2TransactionParameters): Promise<SendL2TransactionReturnType> {
  const privateKey = asPrivateKey(params.privateKey);
  const from = checkAccountIndex(params.from, 'from');
  const maxFee = params.maxFee ?? 0n;
  const domain = await getDomain(ctx);
  const sender = await getAccount(ctx, { index: from });
  if (sender === null) throw new SdkError('ACCOUNT_NOT_FOUND', `no L2 account ${from}`, { details: { index: from } });
  const publicKey = publicKeyFromPrivate(privateKey);
  if (sender.publicKey[0] !== publicKey[0] || sender.publicKey[1] !== publicKey[1]) {
    throw new SdkError('KEY_MISMATCH', `account ${from} is controlled by another key`, { details: { index: from } });
  }
  if (params.kind === 'transfer') {
    const to = checkAccountIndex(params.to, 'to');
    const recipient = await getAccount(ctx, { index: to });
    if (recipient === null) throw new SdkError('ACCOUNT_NOT_FOUND', `no L2 account ${to} to transfer to`, { details: { index: to } });
    if (recipient.tokenId !== sender.tokenId) {
      throw new SdkError('TOKEN_MISMATCH', `account ${from} holds token ${sender.tokenId} but account ${to} holds token ${recipient.tokenId}`, {
        details: { from, to, fromToken: sender.tokenId, toToken: recipient.tokenId },
      });
    }
  }
  const nonce = params.nonce ?? Math.max(sender.nonce, ctx.cache.nonces.get(from) ?? 0);
  const signed = signL2Tx({
    kind: params.kind,
    from,
    ...(params.to === undefined ? {} : { to: params.to }),
    amount: params.amount,
    maxFee,
    nonce,
    privateKey,
    domain: domain.digest,
  });
  const wire = l2TxToJson(signed.tx);
  for (let attempt = 0; ; attempt++) {
    try {
      const hash = await ctx.transport.request('rampart_sendTransaction', [wire], sendTransactionResultSchema);
      if (hash !== signed.hash) {
        throw new SdkError('NODE_INCONSISTENT', `the node acknowledged ${hash} but the signed transaction is ${signed.hash}`, { details: { expected: signed.hash, got: hash } });
      }
      ctx.cache.nonces.set(from, nonce + 1);
      return { hash, tx: signed.tx, nonce };
    } catch (err) {
      if (isSdkError(err, 'NODE_BUSY') && attempt < ctx.options.busyRetries) {
        await sleep(ctx.options.busyBackoffMs * 2 ** attempt);
        continue;
      }
      // A nonce refusal means our view is stale: forget it so the next send re-reads the node.
      if (isSdkError(err, 'TX_REJECTED') && err.details['reason'] === 'bad-nonce') ctx.cache.nonces.delete(from);
      throw err;
    }
  }
}
