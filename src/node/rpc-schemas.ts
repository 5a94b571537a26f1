/**
 * zod schemas for the node's JSON-RPC parameters: every value from the network is validated here and
 * converted to the core's types; nothing unvalidated reaches the mempool or state.
 * Numbers travel as 0x-hex strings (like Ethereum's JSON-RPC) or small JSON integers where noted.
 */
import { z } from 'zod';
import { FR_MODULUS } from '../core/field.ts';
import { MAX_ACCOUNT_INDEX, MAX_NONCE } from '../core/params.ts';
import type { L2Tx } from '../core/tx.ts';

const hexQuantity = z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/, 'a 0x-prefixed hex quantity without leading zeros');
const fieldElement = hexQuantity.transform((s) => BigInt(s)).refine((v) => v < FR_MODULUS, 'not a BN254 field element (must be < p)');
const uint = (max: number, what: string) => z.number().int(`${what} must be an integer`).min(0, `${what} must be >= 0`).max(max, `${what} must be <= ${max}`);

export const accountIndexSchema = uint(MAX_ACCOUNT_INDEX, 'account index').refine((v) => v >= 1, 'account index 0 is reserved');

export const signatureSchema = z
  .object({
    r8: z.tuple([fieldElement, fieldElement]),
    s: hexQuantity.transform((s) => BigInt(s)).refine((v) => v < 1n << 256n, 'S must fit 256 bits'),
  })
  .strict();

export const l2TxSchema = z
  .object({
    kind: z.enum(['transfer', 'withdraw']),
    from: accountIndexSchema,
    to: uint(MAX_ACCOUNT_INDEX, 'to'),
    amountF: uint(0xffffffff, 'amountF'),
    maxFeeF: uint(0xffff, 'maxFeeF'),
    nonce: uint(MAX_NONCE, 'nonce'),
    signature: signatureSchema,
  })
  .strict()
  .refine((t) => (t.kind === 'withdraw') === (t.to === 0), 'a withdraw has to = 0 and a transfer to >= 1');

export const sendTransactionParams = z.tuple([l2TxSchema]);
export const accountParams = z.tuple([accountIndexSchema]);
export const txStatusParams = z.tuple([z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte lowercase hex transaction hash')]);
export const batchParams = z.tuple([uint(2 ** 53 - 1, 'batch number')]);
export const exitProofParams = z.tuple([uint(2 ** 53 - 1, 'batch number'), uint(2 ** 32 - 1, 'exit slot')]);

export const findAccountsParams = z.tuple([
  z
    .object({
      l1Address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte 0x-hex address').transform((s) => BigInt(s)).optional(),
      publicKey: z.tuple([fieldElement, fieldElement]).optional(),
      tokenId: uint(2 ** 32 - 1, 'tokenId').optional(),
    })
    .strict()
    .refine((f) => f.l1Address !== undefined || f.publicKey !== undefined, 'give l1Address or publicKey'),
]);

const fieldHex = hexQuantity.refine((s) => BigInt(s) < FR_MODULUS, 'not a BN254 field element (must be < p)');

/** A sequencer's signed batch header (pre-confirmation), docs/PROTOCOL.md §11.3; kept as its JSON form. */
export const signedHeaderSchema = z
  .object({
    sequencer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte 0x-hex address'),
    batchNum: uint(2 ** 53 - 1, 'batch number').refine((v) => v >= 1, 'batch 0 has no header'),
    slot: hexQuantity.refine((s) => BigInt(s) < 1n << 64n, 'slot must fit 64 bits'),
    header: z
      .object({ newRoot: fieldHex, exitRoot: fieldHex, dataCommitment: fieldHex, newNextIndex: uint(2 ** 32 - 1, 'newNextIndex'), l1Count: uint(0xffff, 'l1Count') })
      .strict(),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte 0x-hex signature'),
  })
  .strict();
export const submitHeaderParams = z.tuple([signedHeaderSchema]);

export function toL2Tx(p: z.infer<typeof l2TxSchema>): L2Tx {
  return { kind: p.kind, from: p.from, to: p.to, amountF: p.amountF, maxFeeF: p.maxFeeF, nonce: p.nonce, signature: { r8: [p.signature.r8[0], p.signature.r8[1]], s: p.signature.s } };
}

/** The body of a JSON-RPC 2.0 request (single; batches are arrays of these). */
export const requestSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string().max(128), z.number().int(), z.null()]).optional(),
    method: z.string().min(1).max(64),
    params: z.array(z.unknown()).max(16).optional(),
  })
  .strict();
