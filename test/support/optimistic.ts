/** Optimistic batches for one-step tests: posted data from STF results, and random batch scenarios. */
import fc from 'fast-check';
import { encodeBatchData } from '../../src/core/batch-data.ts';
import { packSignature } from '../../src/core/eddsa.ts';
import { FLOAT16, FLOAT32, floatEncode, floatEncodeFloor } from '../../src/core/float.ts';
import type { StateReader } from '../../src/core/state.ts';
import { applyBatch, type BatchResult, type FeeEntry, type StfConfig } from '../../src/core/stf.ts';
import type { L1Op, L2Tx, L2TxBody } from '../../src/core/tx.ts';
import { signTx, user } from './rollup.ts';

/** Optimistic batch data (mode 1) carrying `txs` with their packed signatures. */
export function optimisticData(feeTable: readonly FeeEntry[], txs: readonly L2Tx[]): Uint8Array {
  return encodeBatchData({
    mode: 'optimistic',
    feeTable,
    txs: txs.map((t) => ({ from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, signature: packSignature(t.signature) })),
  });
}

/** What an honest sequencer posts: the STF picks the valid transactions, the data carries them. */
export function postBatch(
  state: StateReader,
  batch: { readonly l1Ops: readonly L1Op[]; readonly l2Txs: readonly L2Tx[]; readonly feeTable: readonly FeeEntry[] },
  config: StfConfig,
): { readonly result: BatchResult; readonly batchData: Uint8Array } {
  const result = applyBatch(state, batch, config);
  return { result, batchData: optimisticData(batch.feeTable, result.included) };
}

/** Users 0..USERS-1 own accounts 1..USERS (token 0) after `genesisOps`. */
export const USERS = 5;

export function createOp(i: number, tokenId: number, amount: bigint): L1Op {
  const u = user(i);
  return { kind: 'createAccount', l1Address: u.l1Address, tokenId, amount, publicKey: u.publicKey };
}

export function genesisOps(): L1Op[] {
  return Array.from({ length: USERS }, (_, i) => createOp(i, 0, 1000n));
}

/** One intended operation of a random batch; indices may name missing accounts on purpose. */
export type Intent =
  | { readonly t: 'l1'; readonly op: L1Op }
  | { readonly t: 'l2'; readonly from: number; readonly to: number; readonly amount: bigint; readonly maxFee: bigint; readonly wrongKey: boolean };

const idx = fc.integer({ min: 1, max: USERS + 3 });
const userIdx = fc.integer({ min: 0, max: USERS - 1 });
const small = fc.bigInt({ min: 0n, max: 1500n });

export const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ t: fc.constant('l1' as const), op: fc.tuple(userIdx, fc.integer({ min: 0, max: 1 }), small).map(([u, tok, a]) => createOp(u, tok, a)) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('l1' as const),
      op: fc.tuple(userIdx, fc.integer({ min: 0, max: 1 }), small, idx).map(([u, tokenId, amount, toIdx]): L1Op => ({ kind: 'deposit', l1Address: user(u).l1Address, tokenId, amount, toIdx })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('l1' as const),
      op: fc.tuple(userIdx, idx).map(([u, fromIdx]): L1Op => ({ kind: 'forceExit', l1Address: user(u).l1Address, fromIdx })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('l1' as const),
      op: fc.tuple(userIdx, idx, idx, small).map(([u, fromIdx, toIdx, amount]): L1Op => ({ kind: 'forceTransfer', l1Address: user(u).l1Address, fromIdx, toIdx, amount })),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('l2' as const),
      from: idx,
      to: fc.integer({ min: 0, max: USERS + 3 }),
      amount: fc.bigInt({ min: 0n, max: 700n }),
      maxFee: fc.bigInt({ min: 0n, max: 4n }),
      wrongKey: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    }),
  },
);

/**
 * Turns intents into a batch over `state`: L1 ops as given, L2 transactions signed by the sender's
 * owner (or by the next user when `wrongKey`) with the nonce it will have. The STF then decides.
 */
export function batchFromIntents(state: StateReader, intents: readonly Intent[], config: StfConfig): { l1Ops: L1Op[]; l2Txs: L2Tx[] } {
  const l1Ops: L1Op[] = [];
  const l2Txs: L2Tx[] = [];
  const pending = new Map<number, number>();
  for (const it of intents) {
    if (it.t === 'l1') {
      l1Ops.push(it.op);
      continue;
    }
    const acct = state.getAccount(it.from);
    const seen = pending.get(it.from) ?? 0;
    pending.set(it.from, seen + 1);
    const body: L2TxBody = {
      kind: it.to === 0 ? 'withdraw' : 'transfer',
      from: it.from,
      to: it.to,
      amountF: floatEncodeFloor(FLOAT32, it.amount),
      maxFeeF: floatEncode(FLOAT16, it.maxFee),
      nonce: (acct?.nonce ?? 0) + seen,
    };
    const owner = acct === undefined ? 0 : Number(acct.l1Address - user(0).l1Address);
    l2Txs.push(signTx(user(it.wrongKey ? (owner + 1) % USERS : owner), body, config.domain));
  }
  return { l1Ops, l2Txs };
}
