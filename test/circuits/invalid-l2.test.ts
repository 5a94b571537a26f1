/**
 * Every L2 rejection reason of docs/PROTOCOL.md §5.2, forced into a batch by a malicious prover:
 * the STF rejects the transaction (checked first), the forged input includes it anyway with every
 * other value computed consistently, and the circuit must reject — at the rule's own check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Account } from '../../src/core/account.ts';
import { BASE8, SUBGROUP_ORDER } from '../../src/core/babyjub.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { MAX_BALANCE, MAX_NONCE } from '../../src/core/params.ts';
import { applyBatch, BatchError, type FeeEntry, type L2RejectReason } from '../../src/core/stf.ts';
import { domainHash, type L2Tx, type L2TxBody } from '../../src/core/tx.ts';
import { signTx, user } from '../support/rollup.ts';
import { forgeBatch } from './forge.ts';
import { assertRejectedAt, judge, stateWith, TEST_CONFIG, type Verdict } from './helpers.ts';

const account = (i: number, tokenId: number, balance: bigint, nonce = 0, publicKey: readonly [bigint, bigint] = user(i).publicKey): Account => ({
  tokenId,
  balance,
  nonce,
  publicKey,
  l1Address: user(i).l1Address,
});
// 1 alice t0 · 2 bob t0 (fee account) · 3 carol t1 · 4 dave t0 near 2^128 · 5 erin t0 at the last
// nonce · 6, 7 keys of low order (the identity and the point of order 2), which L1 does not vet.
const STATE = stateWith([
  account(0, 0, 10_000n),
  account(1, 0, 5_000n),
  account(2, 1, 700n),
  account(3, 0, MAX_BALANCE - 5n),
  account(4, 0, 100n, MAX_NONCE),
  account(5, 0, 1_000n, 0, [0n, 1n]),
  account(6, 0, 1_000n, 0, [0n, FR_MODULUS - 1n]),
]);
const FEES: FeeEntry[] = [{ tokenId: 0, accountIdx: 2, fee: 2n }];
const f32 = (v: bigint): number => floatEncode(FLOAT32, v);
const CAP = floatEncode(FLOAT16, 10n);
const body = (from: number, to: number, amount: bigint, extra: Partial<L2TxBody> = {}): L2TxBody => ({
  kind: to === 0 ? 'withdraw' : 'transfer',
  from,
  to,
  amountF: f32(amount),
  maxFeeF: CAP,
  nonce: STATE.getAccount(from)?.nonce ?? 0,
  ...extra,
});

function stfRejects(tx: L2Tx, reason: L2RejectReason, feeTable: FeeEntry[] = FEES): void {
  const r = applyBatch(STATE, { l1Ops: [], l2Txs: [tx], feeTable }, TEST_CONFIG);
  assert.deepEqual(r.l2Receipts[0], { status: 'rejected', reason });
}

async function forced(tx: L2Tx, feeTable: FeeEntry[] = FEES): Promise<Verdict> {
  return judge(forgeBatch({ state: STATE, txs: [{ tx }], feeTable }));
}

test('forge sanity: valid transfers and withdrawals forged with honest outcomes are accepted', async () => {
  const txs = [signTx(user(0), body(1, 2, 300n)), signTx(user(1), body(2, 0, 40n))];
  const r = applyBatch(STATE, { l1Ops: [], l2Txs: txs, feeTable: FEES }, TEST_CONFIG);
  assert.equal(r.included.length, 2);
  const v = await judge(forgeBatch({ state: STATE, txs: txs.map((tx) => ({ tx })), feeTable: FEES }));
  assert.deepEqual(v.failedAssertions, []);
  assert.equal(v.ok, true);
});

test('unknown-sender: no account at `from`', async () => {
  const tx = signTx(user(0), body(9, 2, 1n, { nonce: 0 }));
  stfRejects(tx, 'unknown-sender');
  assertRejectedAt(await forced(tx), 'L2Slot', 'readS.exists === enabled;');
});

test('unknown-sender: `from` beyond the tree aliases an existing leaf, read honestly', async () => {
  const tx = signTx(user(0), body(17, 2, 1n, { nonce: 0 }));
  stfRejects(tx, 'unknown-sender');
  assertRejectedAt(await forced(tx), 'L2Slot', 'readS.exists === enabled;');
});

test('unknown-sender: `from` beyond the tree with the aliased account`s preimage claimed', async () => {
  const tx = signTx(user(0), body(17, 2, 1n, { nonce: 0 }));
  const input = forgeBatch({ state: STATE, txs: [{ tx }], feeTable: FEES });
  const alice = STATE.getAccount(1);
  assert.ok(alice !== undefined);
  const row = [0n, 0n, alice.balance, alice.publicKey[0], alice.publicKey[1], alice.l1Address] as const;
  const v = await judge({ ...input, txAccountS: [row, ...input.txAccountS.slice(1)] });
  assertRejectedAt(v, 'AccountRead', '(1 - exists) * packed === 0;');
});

test('self-transfer', async () => {
  const tx = signTx(user(0), body(1, 1, 5n));
  stfRejects(tx, 'self-transfer');
  assertRejectedAt(await forced(tx), 'L2Slot', '(from - to) * selfInv === isTransfer;');
});

test('unknown-recipient', async () => {
  const tx = signTx(user(0), body(1, 9, 5n));
  stfRejects(tx, 'unknown-recipient');
  assertRejectedAt(await forced(tx), 'L2Slot', 'readR.exists === isTransfer;');
});

test('unknown-recipient: `to` beyond the tree aliases an existing account', async () => {
  const tx = signTx(user(0), body(1, 18, 5n));
  stfRejects(tx, 'unknown-recipient');
  assertRejectedAt(await forced(tx), 'L2Slot', 'readR.exists === isTransfer;');
});

test('token-mismatch', async () => {
  const tx = signTx(user(0), body(1, 3, 5n));
  stfRejects(tx, 'token-mismatch');
  assertRejectedAt(await forced(tx), 'L2Slot', 'isTransfer * (accountR[0] - tokenS) === 0;');
});

test('bad-nonce: the signed nonce is not the account`s (the circuit signs with the account`s)', async () => {
  const tx = signTx(user(0), body(1, 2, 5n, { nonce: 1 }));
  stfRejects(tx, 'bad-nonce');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'compConstant.out*enabled === 0;', true);
});

test('nonce-overflow: the account is at nonce 2^40 - 1', async () => {
  const tx = signTx(user(4), body(5, 2, 5n));
  stfRejects(tx, 'nonce-overflow');
  assertRejectedAt(await forced(tx), 'L2Slot', '(nonceS - MAX_NONCE) * nonceInv === enabled;');
});

test('zero-amount', async () => {
  const tx = signTx(user(0), { ...body(1, 2, 0n), amountF: 0 });
  stfRejects(tx, 'zero-amount');
  assertRejectedAt(await forced(tx), 'L2Slot', 'amount * amountInv === enabled;');
});

test('amount-too-large: the float decodes above 2^128 - 1', async () => {
  const tx = signTx(user(0), { ...body(1, 2, 0n), amountF: 0xffffffff });
  stfRejects(tx, 'amount-too-large');
  assertRejectedAt(await forced(tx), 'L2Slot', 'amountRange.in <== amount;');
});

test('fee-above-max: the batch fee exceeds the signed cap', async () => {
  const tx = signTx(user(0), body(1, 2, 5n, { maxFeeF: floatEncode(FLOAT16, 1n) }));
  stfRejects(tx, 'fee-above-max');
  assertRejectedAt(await forced(tx), 'L2Slot', 'feeCap.in <== maxFeeDec.value - fee;');
});

test('insufficient-balance: amount + fee above the balance', async () => {
  const tx = signTx(user(0), body(1, 2, 9_999n));
  stfRejects(tx, 'insufficient-balance');
  assertRejectedAt(await forced(tx), 'L2Slot', 'senderRange.in <== newBalanceS;');
});

test('balance-overflow: the recipient would pass 2^128 - 1', async () => {
  const tx = signTx(user(0), body(1, 4, 6n));
  stfRejects(tx, 'balance-overflow');
  assertRejectedAt(await forced(tx), 'L2Slot', 'recipientRange.in <== accountR[2] + credit;');
});

test('bad-signature: signed by another key', async () => {
  const tx = signTx(user(1), body(1, 2, 5n));
  stfRejects(tx, 'bad-signature');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'compConstant.out*enabled === 0;', true);
});

test('bad-signature: signed for another deployment', async () => {
  const other = domainHash({ chainId: 1n, rollupAddress: TEST_CONFIG.domain.rollupAddress });
  const tx = signTx(user(0), body(1, 2, 5n), other);
  stfRejects(tx, 'bad-signature');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'compConstant.out*enabled === 0;', true);
});

test('bad-signature: a signed withdraw replayed as a transfer (the type is part of the message)', async () => {
  const w = signTx(user(0), body(1, 0, 5n));
  const tx: L2Tx = { ...w, kind: 'transfer', to: 2 };
  stfRejects(tx, 'bad-signature');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'compConstant.out*enabled === 0;', true);
});

test('bad-signature: S + l (same curve equation, rejected as S >= l)', async () => {
  const good = signTx(user(0), body(1, 2, 5n));
  const tx: L2Tx = { ...good, signature: { ...good.signature, s: good.signature.s + SUBGROUP_ORDER } };
  stfRejects(tx, 'bad-signature');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'compConstant.out*enabled === 0;');
});

test('bad-signature: a low-order key (the identity) "signs" anything with S = 1, R8 = B8', async () => {
  const tx: L2Tx = { ...body(6, 2, 5n), signature: { r8: BASE8, s: 1n } };
  stfRejects(tx, 'bad-signature');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'isZero.out*enabled === 0;');
});

test('bad-signature: a key of order 2', async () => {
  const tx: L2Tx = { ...body(7, 2, 5n), signature: { r8: BASE8, s: 1n } };
  stfRejects(tx, 'bad-signature');
  assertRejectedAt(await forced(tx), 'EdDSAPoseidonVerifier', 'isZero.out*enabled === 0;');
});

test('FEE_SETTLEMENT_OVERFLOW: fees that would push the fee account past 2^128 - 1', async () => {
  const fees: FeeEntry[] = [{ tokenId: 0, accountIdx: 4, fee: 3n }];
  const txs = [signTx(user(0), body(1, 2, 1n)), signTx(user(1), body(2, 1, 1n))];
  assert.throws(() => applyBatch(STATE, { l1Ops: [], l2Txs: txs, feeTable: fees }, TEST_CONFIG), (e: unknown) => e instanceof BatchError && e.code === 'FEE_SETTLEMENT_OVERFLOW');
  const v = await judge(forgeBatch({ state: STATE, txs: txs.map((tx) => ({ tx })), feeTable: fees }));
  assertRejectedAt(v, 'FeeSettle', 'balanceRange.in <== account[2] + total;');
});

test('a fee other than the table`s (here 0 instead of 2) is not the circuit`s fee', async () => {
  const tx = signTx(user(0), body(1, 2, 5n));
  const v = await judge(forgeBatch({ state: STATE, txs: [{ tx, fee: 0n }], feeTable: FEES }));
  assert.equal(v.ok, false);
  assert.notEqual(v.violated, -1);
});
