/**
 * zod schemas for every result a node returns, converting wire values (0x-hex quantities, small JSON
 * integers) into the SDK's types. Ranges are the protocol's (src/core/params.ts): a node cannot hand
 * the SDK a negative balance, a 300-bit "field element" or a 19-byte address.
 */
import { z } from 'zod';
import { getAddress, type Address, type Hex } from 'viem';
import { FR_MODULUS } from '../core/field.ts';
import { MAX_ACCOUNT_INDEX, MAX_BALANCE, MAX_NONCE, MAX_TOKEN_ID } from '../core/params.ts';
import { L2_REJECT_REASONS } from '../core/stf.ts';
import type { SignedBatchHeader } from '../l1/registryActions.ts';

const int = (max: number, what: string) => z.number().int(`${what} must be an integer`).min(0, `${what} must be >= 0`).max(max, `${what} must be <= ${max}`);
/** 0x-hex of at most 256 bits (leading zeros tolerated: we are the reader, not the protocol). */
const hexBig = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, 'a 0x-hex quantity of at most 256 bits')
  .transform((s) => BigInt(s));
const field = hexBig.refine((v) => v < FR_MODULUS, 'not a BN254 field element');
const balance = hexBig.refine((v) => v <= MAX_BALANCE, 'exceeds uint128');
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte 0x address')
  .transform((s) => getAddress(s));
const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte 0x hash')
  .transform((s) => s.toLowerCase() as Hex);
const accountIndex = int(MAX_ACCOUNT_INDEX, 'account index').refine((v) => v >= 1, 'account index 0 is reserved');
const tokenId = int(MAX_TOKEN_ID, 'tokenId');
const batchNum = int(Number.MAX_SAFE_INTEGER, 'batch number');
const slot = int(MAX_ACCOUNT_INDEX, 'slot');

export const accountSchema = z.object({
  index: accountIndex,
  tokenId,
  balance,
  nonce: int(MAX_NONCE, 'nonce'),
  publicKey: z.tuple([field, field]),
  l1Address: address,
});
export type NodeAccount = {
  readonly index: number;
  readonly tokenId: number;
  readonly balance: bigint;
  readonly nonce: number;
  readonly publicKey: readonly [bigint, bigint];
  readonly l1Address: Address;
};
export const accountResultSchema: z.ZodType<NodeAccount | null> = accountSchema.nullable();

export const findAccountsResultSchema: z.ZodType<number[]> = z.array(accountIndex).max(100_000);

export const txStatuses = ['pending', 'committed', 'final', 'rejected'] as const;
export type TxStatus = (typeof txStatuses)[number];
export type NodeTransaction = {
  readonly hash: Hex;
  /** Null only for a rejected transaction the node no longer holds (it keeps just the reason). */
  readonly from: number | null;
  readonly nonce: number | null;
  readonly kind: 'transfer' | 'withdraw' | null;
  readonly status: TxStatus;
  readonly batchNum: number | null;
  readonly exitSlot: number | null;
  /** The STF's reason when rejected (one of L2_REJECT_REASONS on an honest node; kept as text). */
  readonly reason: string | null;
};
export const transactionResultSchema: z.ZodType<NodeTransaction | null> = z
  .object({
    hash: hash32,
    from: accountIndex.nullable(),
    nonce: int(MAX_NONCE, 'nonce').nullable(),
    kind: z.enum(['transfer', 'withdraw']).nullable(),
    status: z.enum(txStatuses),
    batchNum: batchNum.nullable(),
    exitSlot: slot.nullable(),
    reason: z.string().max(64).nullable(),
  })
  .refine((t) => t.status === 'rejected' || (t.from !== null && t.nonce !== null && t.kind !== null), 'from, nonce and kind are set unless rejected')
  .refine((t) => (t.status === 'committed' || t.status === 'final') === (t.batchNum !== null), 'batchNum is set exactly when committed or final')
  .refine((t) => t.exitSlot === null || (t.kind === 'withdraw' && t.batchNum !== null), 'only an included withdraw has an exit slot')
  .refine((t) => (t.status === 'rejected') === (t.reason !== null), 'reason is set exactly when rejected')
  .nullable();

export type NodeExit = { readonly slot: number; readonly l1Address: Address; readonly tokenId: number; readonly amount: bigint };
export type NodeBatch = {
  readonly batchNum: number;
  readonly status: 'committed' | 'final';
  readonly root: bigint;
  readonly exitRoot: bigint;
  readonly l1Start: number;
  readonly l1Count: number;
  readonly txs: readonly Hex[];
  readonly exits: readonly NodeExit[];
  readonly commitTx: Hex | null;
};
export const batchResultSchema: z.ZodType<NodeBatch | null> = z
  .object({
    batchNum,
    status: z.enum(['committed', 'final']),
    root: field,
    exitRoot: field,
    l1Start: int(Number.MAX_SAFE_INTEGER, 'l1Start'),
    l1Count: int(1 << 16, 'l1Count'),
    txs: z.array(hash32).max(1 << 16),
    exits: z.array(z.object({ slot, l1Address: address, tokenId, amount: balance })).max(1 << 16),
    commitTx: hash32.nullable(),
  })
  .nullable();

export type ExitProof = {
  readonly batchNum: number;
  readonly slot: number;
  readonly l1Address: Address;
  readonly tokenId: number;
  readonly amount: bigint;
  readonly siblings: readonly bigint[];
  readonly final: boolean;
};
export const exitProofResultSchema: z.ZodType<ExitProof | null> = z
  .object({
    batchNum: batchNum.refine((v) => v >= 1, 'batch 0 is genesis'),
    slot,
    l1Address: address,
    tokenId,
    amount: balance,
    siblings: z.array(field).max(48),
    final: z.boolean(),
  })
  .nullable();

export type NodeStatus = {
  readonly chainId: number;
  readonly rollup: Address;
  /** Optional on the wire: older nodes do not report it. */
  readonly deployBlock: bigint | undefined;
  readonly batchNum: number;
  readonly lastFinal: number;
  readonly root: bigint;
  readonly pending: number;
  readonly nextIndex: number;
  /** The node's signing-domain digest, when it reports one (the SDK computes its own either way). */
  readonly domain: bigint | undefined;
  /** Settlement mode (docs/PROTOCOL.md §14.1), when the node reports it. */
  readonly mode: 'zk' | 'optimistic' | 'multi' | undefined;
  /** With a sequencer registry and a sequencing node: the slot of the next L1 block and its leader (else undefined). */
  readonly sequencing: SlotStatus | undefined;
};
export type SlotStatus = {
  readonly slot: bigint;
  readonly epoch: bigint;
  readonly leader: Address;
  /** The leader's registered RPC URL (null without a leader). */
  readonly leaderUrl: string | null;
  readonly slotStart: bigint;
  readonly slotEnd: bigint;
  /** From then on any active sequencer may take the slot if its leader has not committed. */
  readonly openAt: bigint;
  /** Who claimed the slot with its first commit, null while nobody has. */
  readonly committer: Address | null;
};
const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'a decimal integer below 10^20')
  .transform((s) => BigInt(s));
const slotStatusSchema = z.object({
  slot: decimal,
  epoch: decimal,
  leader: address,
  leaderUrl: z.string().max(256).nullable(),
  slotStart: decimal,
  slotEnd: decimal,
  openAt: decimal,
  committer: address.nullable(),
});
export const statusResultSchema: z.ZodType<NodeStatus> = z
  .object({
    chainId: int(Number.MAX_SAFE_INTEGER, 'chainId').refine((v) => v >= 1, 'chainId must be >= 1'),
    rollup: address,
    deployBlock: hexBig.optional(),
    batchNum,
    lastFinal: batchNum,
    root: field,
    pending: int(Number.MAX_SAFE_INTEGER, 'pending'),
    nextIndex: int(2 ** 32, 'nextIndex'),
    domain: field.optional(),
    mode: z.enum(['zk', 'optimistic', 'multi']).optional(),
    sequencing: slotStatusSchema.nullable().optional(),
  })
  .refine((s) => s.sequencing === undefined || s.sequencing === null || (s.sequencing.slotStart < s.sequencing.slotEnd && s.sequencing.openAt >= s.sequencing.slotStart && s.sequencing.openAt <= s.sequencing.slotEnd), 'the slot must start before its deadline and end')
  .transform((s) => ({ ...s, deployBlock: s.deployBlock, domain: s.domain, mode: s.mode, sequencing: s.sequencing ?? undefined }));

export type { SignedBatchHeader };
export const batchHeadersResultSchema: z.ZodType<SignedBatchHeader[]> = z
  .array(
    z.object({
      sequencer: address,
      batchNum: int(Number.MAX_SAFE_INTEGER, 'batch number').refine((v) => v >= 1, 'batch 0 has no header'),
      slot: hexBig.refine((v) => v < 1n << 64n, 'slot must fit 64 bits'),
      header: z.object({ newRoot: field, exitRoot: field, dataCommitment: field, newNextIndex: int(2 ** 32 - 1, 'newNextIndex'), l1Count: int(0xffff, 'l1Count') }),
      signature: z
        .string()
        .regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte 0x signature')
        .transform((s) => s as Hex),
    }),
  )
  .max(512, 'at most 512 headers per answer');

/** rampart_sendTransaction's result: the hash of the signed message, 32 bytes big-endian. */
export const sendTransactionResultSchema: z.ZodType<Hex> = hash32;

/** The STF's rejection reasons, for callers that switch on TX_REJECTED's details.reason. */
export const l2RejectReasons: readonly string[] = L2_REJECT_REASONS;
