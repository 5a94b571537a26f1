/**
 * Protocol constants. Changing any of these changes the protocol (circuit, contracts, data), so each
 * is documented in docs/PROTOCOL.md. Deployment-specific values (chain id, tree depth) are config.
 */
import { utf8ToBigInt } from './bytes.ts';

/** Balances and amounts are unsigned 128-bit. The L1 contract caps the total locked per token at this
 * value, so no balance, fee accumulator or exit can ever exceed it (value is conserved). */
export const MAX_BALANCE: bigint = (1n << 128n) - 1n;
export const BALANCE_BITS = 128;
/** Token ids are assigned by the L1 contract's token registry; 0 is ETH. */
export const TOKEN_ID_BITS = 32;
export const MAX_TOKEN_ID = 2 ** TOKEN_ID_BITS - 1;
/** Nonces are 40-bit and only grow; an account at the maximum nonce cannot send again. */
export const NONCE_BITS = 40;
export const MAX_NONCE = 2 ** NONCE_BITS - 1;
/** Account indices are 32-bit. Index 0 is reserved: as `to` it means "exit to L1" (withdraw). */
export const ACCOUNT_INDEX_BITS = 32;
export const MAX_ACCOUNT_INDEX = 2 ** ACCOUNT_INDEX_BITS - 1;
export const EXIT_INDEX = 0;
export const FIRST_ACCOUNT_INDEX = 1;

/** Production state-tree depth; tests may use less. */
export const DEFAULT_TREE_DEPTH = 32;
export const MAX_TREE_DEPTH = 32;
/** Exit tree: one leaf slot per batch position (L1 ops then L2 txs); bounds a batch at 2^16 slots. */
export const DEFAULT_EXIT_TREE_DEPTH = 16;
/** At most this many (token, fee account, fee) entries per batch (deployments may allow fewer). */
export const MAX_FEE_TOKENS = 8;
/** Default L1 operations per batch: exit slots 0..63 are theirs, L2 transactions follow. */
export const DEFAULT_MAX_L1_OPS = 64;

/** "rampart.tx.v1" as a big-endian integer: separates Rampart's signed messages from any other use of
 * the same Baby Jubjub key. */
export const TX_DOMAIN_TAG: bigint = utf8ToBigInt('rampart.tx.v1');
