/**
 * Transactions: L1 operations (queued on L1, always processed, invalid ones become no-ops) and L2
 * transactions (signed with EdDSA-Poseidon, rejected before inclusion when invalid).
 * Byte layouts are specified in docs/PROTOCOL.md; this file is their reference implementation.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { DecodeError, InvalidInputError } from './errors.ts';
import { FR_MODULUS, frFromBytesBE, frToBytesBE } from './field.ts';
import { FLOAT16, FLOAT32, floatDecode } from './float.ts';
import { MAX_ACCOUNT_INDEX, MAX_BALANCE, MAX_NONCE, MAX_TOKEN_ID, TX_DOMAIN_TAG } from './params.ts';
import { MAX_L1_ADDRESS, type PublicKeyPoint } from './account.ts';
import { poseidon } from './poseidon.ts';

// ---------------------------------------------------------------------------------------------
// L1 operations

export const L1_OP_TYPE = { createAccount: 1, deposit: 2, forceExit: 3, forceTransfer: 4 } as const;
export type L1OpKind = keyof typeof L1_OP_TYPE;

/** Deposit into a new account owned by `l1Address`, signing with `publicKey`. */
export type CreateAccountOp = {
  readonly kind: 'createAccount';
  readonly l1Address: bigint;
  readonly tokenId: number;
  readonly amount: bigint;
  readonly publicKey: PublicKeyPoint;
};
/** Top up an existing account (anyone may top up any account of the same token). */
export type DepositOp = {
  readonly kind: 'deposit';
  readonly l1Address: bigint;
  readonly tokenId: number;
  readonly amount: bigint;
  readonly toIdx: number;
};
/** The account's L1 owner exits its whole balance to L1, without the sequencer's consent. */
export type ForceExitOp = {
  readonly kind: 'forceExit';
  readonly l1Address: bigint;
  readonly fromIdx: number;
};
/** The account's L1 owner moves `amount` to another account of the same token (forced L2 transfer). */
export type ForceTransferOp = {
  readonly kind: 'forceTransfer';
  readonly l1Address: bigint;
  readonly fromIdx: number;
  readonly toIdx: number;
  readonly amount: bigint;
};
export type L1Op = CreateAccountOp | DepositOp | ForceExitOp | ForceTransferOp;

/** type u8 | l1Address 20 | tokenId u32 | amount u128 | fromIdx u32 | toIdx u32 | Ax 32 | Ay 32 */
export const L1_OP_BYTES = 1 + 20 + 4 + 16 + 4 + 4 + 32 + 32;

function checkIndex(v: number, name: string, allowZero: boolean): void {
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1) || v > MAX_ACCOUNT_INDEX) {
    throw new InvalidInputError(`${name} must be an account index in ${allowZero ? 0 : 1}..2^32-1, got ${v}`);
  }
}
function checkAmount(v: bigint, name: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_BALANCE) {
    throw new InvalidInputError(`${name} must be a uint128, got ${String(v)}`);
  }
}
function checkAddress(v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_L1_ADDRESS) {
    throw new InvalidInputError('l1Address must be a 160-bit address');
  }
}
function checkToken(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_TOKEN_ID) throw new InvalidInputError(`tokenId out of range: ${v}`);
}

/** Validates an L1 op's fields are in range (what the L1 contract guarantees; derivation re-checks). */
export function assertL1Op(op: L1Op): void {
  checkAddress(op.l1Address);
  switch (op.kind) {
    case 'createAccount':
      checkToken(op.tokenId);
      checkAmount(op.amount, 'amount');
      for (const c of op.publicKey) {
        if (typeof c !== 'bigint' || c < 0n || c >= FR_MODULUS) throw new InvalidInputError('publicKey coordinate is not a field element');
      }
      return;
    case 'deposit':
      checkToken(op.tokenId);
      checkAmount(op.amount, 'amount');
      checkIndex(op.toIdx, 'toIdx', false);
      return;
    case 'forceExit':
      checkIndex(op.fromIdx, 'fromIdx', false);
      return;
    case 'forceTransfer':
      checkIndex(op.fromIdx, 'fromIdx', false);
      checkIndex(op.toIdx, 'toIdx', false);
      checkAmount(op.amount, 'amount');
      return;
  }
}

export function encodeL1Op(op: L1Op): Uint8Array {
  assertL1Op(op);
  const w = new ByteWriter(L1_OP_BYTES);
  w.u8(L1_OP_TYPE[op.kind]);
  w.uint(op.l1Address, 20);
  w.u32(op.kind === 'createAccount' || op.kind === 'deposit' ? op.tokenId : 0);
  w.uint(op.kind === 'forceExit' ? 0n : op.amount, 16);
  w.u32(op.kind === 'forceExit' || op.kind === 'forceTransfer' ? op.fromIdx : 0);
  w.u32(op.kind === 'deposit' || op.kind === 'forceTransfer' ? op.toIdx : 0);
  w.raw(frToBytesBE(op.kind === 'createAccount' ? op.publicKey[0] : 0n));
  w.raw(frToBytesBE(op.kind === 'createAccount' ? op.publicKey[1] : 0n));
  return w.bytes;
}

/** The concatenated 113-byte encodings, as commitBatch posts them and dataHash hashes them. */
export function encodeL1Ops(ops: readonly L1Op[]): Uint8Array {
  const out = new Uint8Array(ops.length * L1_OP_BYTES);
  ops.forEach((op, i) => out.set(encodeL1Op(op), i * L1_OP_BYTES));
  return out;
}

/** Decodes one L1 op; unused fields must be zero so each op has exactly one encoding. */
export function decodeL1Op(bytes: Uint8Array): L1Op {
  const r = new ByteReader(bytes, 'L1 op');
  const type = r.u8('type');
  const l1Address = r.uint(20, 'l1Address');
  const tokenId = r.u32('tokenId');
  const amount = r.uint(16, 'amount');
  const fromIdx = r.u32('fromIdx');
  const toIdx = r.u32('toIdx');
  const axBytes = r.raw(32, 'Ax');
  const ayBytes = r.raw(32, 'Ay');
  r.end();
  const zero = (cond: boolean, field: string): void => {
    if (!cond) throw new DecodeError(`L1 op type ${type}: field ${field} must be zero`, { details: { type, field } });
  };
  const noKey = (): void => {
    zero(axBytes.every((b) => b === 0), 'Ax');
    zero(ayBytes.every((b) => b === 0), 'Ay');
  };
  const index = (v: number, field: string): number => {
    if (v === 0) throw new DecodeError(`L1 op type ${type}: ${field} must not be 0 (reserved)`);
    return v;
  };
  switch (type) {
    case L1_OP_TYPE.createAccount: {
      zero(fromIdx === 0, 'fromIdx');
      zero(toIdx === 0, 'toIdx');
      let publicKey: PublicKeyPoint;
      try {
        publicKey = [frFromBytesBE(axBytes, 0, 'Ax'), frFromBytesBE(ayBytes, 0, 'Ay')];
      } catch (cause) {
        throw new DecodeError('L1 op createAccount: public key coordinate is not a field element', { cause });
      }
      return { kind: 'createAccount', l1Address, tokenId, amount, publicKey };
    }
    case L1_OP_TYPE.deposit:
      zero(fromIdx === 0, 'fromIdx');
      noKey();
      return { kind: 'deposit', l1Address, tokenId, amount, toIdx: index(toIdx, 'toIdx') };
    case L1_OP_TYPE.forceExit:
      zero(tokenId === 0, 'tokenId');
      zero(amount === 0n, 'amount');
      zero(toIdx === 0, 'toIdx');
      noKey();
      return { kind: 'forceExit', l1Address, fromIdx: index(fromIdx, 'fromIdx') };
    case L1_OP_TYPE.forceTransfer:
      zero(tokenId === 0, 'tokenId');
      noKey();
      return { kind: 'forceTransfer', l1Address, fromIdx: index(fromIdx, 'fromIdx'), toIdx: index(toIdx, 'toIdx'), amount };
    default:
      throw new DecodeError(`L1 op: unknown type ${type}`, { details: { type } });
  }
}

// ---------------------------------------------------------------------------------------------
// L2 transactions

export const L2_TX_TYPE = { transfer: 1, withdraw: 2 } as const;
export type L2TxKind = keyof typeof L2_TX_TYPE;

export type EddsaSignature = { readonly r8: PublicKeyPoint; readonly s: bigint };

/** The fields a user signs. `to` is 0 for a withdraw (exit to the account's L1 address). */
export type L2TxBody = {
  readonly kind: L2TxKind;
  readonly from: number;
  readonly to: number;
  /** Float32 bits of the amount. */
  readonly amountF: number;
  /** Float16 bits of the most the user will pay as fee (the batch's fee for the token applies). */
  readonly maxFeeF: number;
  readonly nonce: number;
};
export type L2Tx = L2TxBody & { readonly signature: EddsaSignature };

/** Rollup deployment identity that every signature binds (chain id + rollup contract address). */
export type Domain = { readonly chainId: bigint; readonly rollupAddress: bigint };

export function assertL2TxBody(tx: L2TxBody): void {
  if (tx.kind !== 'transfer' && tx.kind !== 'withdraw') throw new InvalidInputError(`unknown L2 tx kind ${String(tx.kind)}`);
  checkIndex(tx.from, 'from', false);
  checkIndex(tx.to, 'to', tx.kind === 'withdraw');
  if (tx.kind === 'withdraw' && tx.to !== 0) throw new InvalidInputError('a withdraw has to = 0');
  if (tx.kind === 'transfer' && tx.to === 0) throw new InvalidInputError('a transfer needs to >= 1 (0 means withdraw)');
  if (!Number.isInteger(tx.amountF) || tx.amountF < 0 || tx.amountF > 0xffffffff) throw new InvalidInputError('amountF must be 32-bit');
  if (!Number.isInteger(tx.maxFeeF) || tx.maxFeeF < 0 || tx.maxFeeF > 0xffff) throw new InvalidInputError('maxFeeF must be 16-bit');
  if (!Number.isInteger(tx.nonce) || tx.nonce < 0 || tx.nonce > MAX_NONCE) throw new InvalidInputError('nonce must be 40-bit');
}

export function domainHash(domain: Domain): bigint {
  if (domain.chainId < 0n || domain.chainId >= FR_MODULUS) throw new InvalidInputError('chainId out of range');
  checkAddress(domain.rollupAddress);
  return poseidon([TX_DOMAIN_TAG, domain.chainId, domain.rollupAddress]);
}

/** type u8 | from u32 | to u32 | nonce u40 | amountF u32 | maxFeeF u16 = 152 bits, as one element. */
export function packL2TxBody(tx: L2TxBody): bigint {
  return (
    BigInt(L2_TX_TYPE[tx.kind]) |
    (BigInt(tx.from) << 8n) |
    (BigInt(tx.to) << 40n) |
    (BigInt(tx.nonce) << 72n) |
    (BigInt(tx.amountF) << 112n) |
    (BigInt(tx.maxFeeF) << 144n)
  );
}

/**
 * The field element a user signs: Poseidon([Poseidon([tag, chainId, rollup]), packedBody]).
 * Binding chain, contract and tx type stops replays across chains, deployments and tx kinds.
 * `domainDigest` may be passed precomputed (it is a deployment constant).
 */
export function l2TxMessage(tx: L2TxBody, domain: Domain | bigint): bigint {
  const d = typeof domain === 'bigint' ? domain : domainHash(domain);
  return poseidon([d, packL2TxBody(tx)]);
}

export function l2TxAmount(tx: Pick<L2TxBody, 'amountF'>): bigint {
  return floatDecode(FLOAT32, tx.amountF);
}
export function l2TxMaxFee(tx: Pick<L2TxBody, 'maxFeeF'>): bigint {
  return floatDecode(FLOAT16, tx.maxFeeF);
}
