/**
 * Account leaves of the state tree and exit leaves of a batch's exit tree.
 *
 *   leaf(account) = Poseidon([tokenId + nonce·2^32 + balance·2^72, Ax, Ay, l1Address])
 *   exitLeaf      = Poseidon([l1Address, tokenId, amount])
 *
 * Packing token, nonce and balance (32 + 40 + 128 = 200 bits < 253) into one element makes the leaf a
 * 4-input Poseidon (≈300 constraints) instead of 6. An empty tree slot is the value 0, which no
 * Poseidon output is expected to equal.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { DecodeError, InvalidInputError } from './errors.ts';
import { FR_MODULUS, frFromBytesBE, frToBytesBE } from './field.ts';
import {
  BALANCE_BITS,
  MAX_BALANCE,
  MAX_NONCE,
  MAX_TOKEN_ID,
  NONCE_BITS,
  TOKEN_ID_BITS,
} from './params.ts';
import { poseidon } from './poseidon.ts';

/** Affine Baby Jubjub point (x, y). */
export type PublicKeyPoint = readonly [bigint, bigint];

export type Account = {
  readonly tokenId: number;
  readonly balance: bigint;
  readonly nonce: number;
  readonly publicKey: PublicKeyPoint;
  /** The L1 owner: a 160-bit address as an integer. Exits of this account pay to it. */
  readonly l1Address: bigint;
};

export const MAX_L1_ADDRESS: bigint = (1n << 160n) - 1n;

/** Asserts every field of an account is in range (storage and RPC boundaries call this). */
export function assertAccount(account: Account, name = 'account'): void {
  const { tokenId, balance, nonce, publicKey, l1Address } = account;
  if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId > MAX_TOKEN_ID) {
    throw new InvalidInputError(`${name}.tokenId out of range: ${tokenId}`);
  }
  if (typeof balance !== 'bigint' || balance < 0n || balance > MAX_BALANCE) {
    throw new InvalidInputError(`${name}.balance out of range`, { details: { balance: String(balance) } });
  }
  if (!Number.isInteger(nonce) || nonce < 0 || nonce > MAX_NONCE) {
    throw new InvalidInputError(`${name}.nonce out of range: ${nonce}`);
  }
  for (const [i, c] of publicKey.entries()) {
    if (typeof c !== 'bigint' || c < 0n || c >= FR_MODULUS) {
      throw new InvalidInputError(`${name}.publicKey[${i}] is not a field element`);
    }
  }
  if (typeof l1Address !== 'bigint' || l1Address < 0n || l1Address > MAX_L1_ADDRESS) {
    throw new InvalidInputError(`${name}.l1Address is not a 160-bit address`);
  }
}

/** First leaf input: tokenId | nonce << 32 | balance << 72. */
export function packAccountState(account: Pick<Account, 'tokenId' | 'nonce' | 'balance'>): bigint {
  return (
    BigInt(account.tokenId) +
    (BigInt(account.nonce) << BigInt(TOKEN_ID_BITS)) +
    (account.balance << BigInt(TOKEN_ID_BITS + NONCE_BITS))
  );
}

export function accountLeafInputs(account: Account): [bigint, bigint, bigint, bigint] {
  return [packAccountState(account), account.publicKey[0], account.publicKey[1], account.l1Address];
}

/** Poseidon(4) of the account; cost ≈ one 4-input Poseidon. */
export function accountLeaf(account: Account): bigint {
  return poseidon(accountLeafInputs(account));
}

export function exitLeaf(l1Address: bigint, tokenId: number, amount: bigint): bigint {
  return poseidon([l1Address, BigInt(tokenId), amount]);
}

/** Storage encoding, 109 bytes: tokenId u32 | nonce u40 | balance u128 | Ax | Ay | l1Address (20). */
export const ACCOUNT_BYTES = 4 + 5 + 16 + 32 + 32 + 20;

export function encodeAccount(account: Account): Uint8Array {
  const w = new ByteWriter(ACCOUNT_BYTES);
  w.u32(account.tokenId);
  w.uint(BigInt(account.nonce), NONCE_BITS / 8);
  w.uint(account.balance, BALANCE_BITS / 8);
  w.raw(frToBytesBE(account.publicKey[0]));
  w.raw(frToBytesBE(account.publicKey[1]));
  w.uint(account.l1Address, 20);
  return w.bytes;
}

export function decodeAccount(bytes: Uint8Array): Account {
  const r = new ByteReader(bytes, 'account');
  const tokenId = r.u32('tokenId');
  const nonce = Number(r.uint(NONCE_BITS / 8, 'nonce'));
  const balance = r.uint(BALANCE_BITS / 8, 'balance');
  let ax: bigint;
  let ay: bigint;
  try {
    ax = frFromBytesBE(r.raw(32, 'Ax'), 0, 'account Ax');
    ay = frFromBytesBE(r.raw(32, 'Ay'), 0, 'account Ay');
  } catch (cause) {
    if (cause instanceof DecodeError) throw cause;
    throw new DecodeError('account: public key coordinate is not a field element', { cause });
  }
  const l1Address = r.uint(20, 'l1Address');
  r.end();
  return { tokenId, nonce, balance, publicKey: [ax, ay], l1Address };
}
