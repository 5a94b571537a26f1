import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryState, type StateReader } from '../../src/core/state.ts';
import { applyBatch, applyPostedBatch, ingestTransactions, createStfConfig, BatchError, InvalidBatchTxError, type BatchResult, type FeeEntry } from '../../src/core/stf.ts';
import type { L1Op, L2Tx, L2TxBody } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode, floatEncodeFloor } from '../../src/core/float.ts';
import { MAX_BALANCE } from '../../src/core/params.ts';
import { CONFIG, DOMAIN, replayStep, signTx, user } from '../support/rollup.ts';

const SMALL = createStfConfig({ domain: DOMAIN, treeDepth: 16, exitTreeDepth: 8, maxL1Ops: 16 });
const f32 = (v: bigint): number => floatEncode(FLOAT32, v);
const MAXFEE = floatEncode(FLOAT16, 1000n);

function create(i: number, tokenId: number, amount: bigint): L1Op {
  const u = user(i);
  return { kind: 'createAccount', l1Address: u.l1Address, tokenId, amount, publicKey: u.publicKey };
}

function run(state: MemoryState, l1Ops: L1Op[], l2Txs: L2Tx[], feeTable: FeeEntry[] = [], config = SMALL): BatchResult {
  const result = applyBatch(state, { l1Ops, l2Txs, feeTable }, config);
  for (const step of result.witness) replayStep(step, config.treeDepth, config.exitTreeDepth);
  state.apply(result.changes);
  return result;
}

function transfer(fromUser: number, from: number, to: number, amount: bigint, nonce: number, maxFeeF = MAXFEE): L2Tx {
  return signTx(user(fromUser), { kind: 'transfer', from, to, amountF: f32(amount), maxFeeF, nonce });
}

/** Accounts 1..3: users 0,1,2 with token 0 and 1000 each; account 4: user 0, token 1. */
function genesis(): MemoryState {
  const state = new MemoryState();
  run(state, [create(0, 0, 1000n), create(1, 0, 1000n), create(2, 0, 1000n), create(0, 1, 500n)], []);
  return state;
}

test('deposits create accounts in order and transfers move value, paying the batch fee', () => {
  const state = genesis();
  assert.equal(state.nextIndex, 5);
  assert.equal(state.getAccount(2)?.balance, 1000n);
  const r = run(state, [], [transfer(1, 2, 3, 100n, 0)], [{ tokenId: 0, accountIdx: 1, fee: 7n }]);
  assert.deepEqual(r.l2Receipts, [{ status: 'included', slot: SMALL.maxL1Ops, fee: 7n }], 'L2 slots start after the L1 region');
  assert.equal(state.getAccount(2)?.balance, 893n);
  assert.equal(state.getAccount(2)?.nonce, 1);
  assert.equal(state.getAccount(3)?.balance, 1100n);
  assert.equal(state.getAccount(1)?.balance, 1007n, 'fee credited to the fee account at batch end');
  assert.deepEqual(r.feeTotals, [7n]);
  assert.equal(r.witness.at(-1)?.kind, 'fee');
});

test('withdraw writes an exit leaf in its slot; exit root commits to it', () => {
  const state = genesis();
  const w = signTx(user(2), { kind: 'withdraw', from: 3, to: 0, amountF: f32(250n), maxFeeF: MAXFEE, nonce: 0 });
  const r = run(state, [create(3, 0, 5n)], [w]);
  assert.equal(state.getAccount(3)?.balance, 750n);
  assert.equal(r.exits.length, 1);
  assert.deepEqual({ ...r.exits[0], leaf: 0n }, { slot: SMALL.maxL1Ops, l1Address: user(2).l1Address, tokenId: 0, amount: 250n, leaf: 0n });
  assert.notEqual(r.exitRoot, run(new MemoryState(), [], []).exitRoot);
});

test('each invalid L2 transaction is rejected with its reason and changes nothing', () => {
  const state = genesis();
  const fee = [{ tokenId: 0, accountIdx: 1, fee: 10n }];
  const other = { ...DOMAIN, chainId: 1n };
  const wrongContract = { ...DOMAIN, rollupAddress: 1n };
  const ok = transfer(1, 2, 3, 10n, 0);
  const cases: [string, L2Tx][] = [
    ['unknown-sender', transfer(1, 9, 3, 10n, 0)],
    ['unknown-recipient', transfer(1, 2, 99, 10n, 0)],
    ['self-transfer', transfer(1, 2, 2, 10n, 0)],
    ['token-mismatch', transfer(1, 2, 4, 10n, 0)],
    ['bad-nonce', transfer(1, 2, 3, 10n, 1)],
    ['zero-amount', transfer(1, 2, 3, 0n, 0)],
    ['amount-too-large', signTx(user(1), { kind: 'transfer', from: 2, to: 3, amountF: 2 ** 32 - 1, maxFeeF: MAXFEE, nonce: 0 })],
    ['fee-above-max', transfer(1, 2, 3, 10n, 0, floatEncode(FLOAT16, 9n))],
    ['insufficient-balance', transfer(1, 2, 3, 991n, 0)],
    ['bad-signature', { ...transfer(0, 2, 3, 10n, 0) }],
    ['bad-signature', { ...ok, amountF: f32(11n) }],
    ['bad-signature', signTx(user(1), { kind: 'transfer', from: 2, to: 3, amountF: f32(10n), maxFeeF: MAXFEE, nonce: 0 }, other)],
    ['bad-signature', signTx(user(1), { kind: 'transfer', from: 2, to: 3, amountF: f32(10n), maxFeeF: MAXFEE, nonce: 0 }, wrongContract)],
    ['bad-signature', { ...ok, signature: { r8: ok.signature.r8, s: ok.signature.s + 1n } }],
    ['bad-signature', { ...ok, signature: { r8: [1n, 2n], s: ok.signature.s } }],
  ];
  for (const [reason, tx] of cases) {
    const r = applyBatch(state, { l1Ops: [], l2Txs: [tx], feeTable: fee }, SMALL);
    assert.deepEqual(r.l2Receipts, [{ status: 'rejected', reason }], reason);
    assert.equal(r.newRoot, r.oldRoot, `${reason} changed the root`);
    assert.equal(r.changes.accounts.size, 0);
  }
});

test('replay: an included transaction cannot be included again; cross-type signatures fail', () => {
  const state = genesis();
  const tx = transfer(1, 2, 3, 10n, 0);
  assert.equal(run(state, [], [tx]).l2Receipts[0]?.status, 'included');
  assert.deepEqual(run(state, [], [tx]).l2Receipts, [{ status: 'rejected', reason: 'bad-nonce' }]);
  // A withdraw's signature presented as a transfer of the same fields.
  const w = signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: f32(10n), maxFeeF: MAXFEE, nonce: 1 });
  const asTransfer: L2Tx = { ...w, kind: 'transfer', to: 3 };
  assert.deepEqual(run(state, [], [asTransfer]).l2Receipts, [{ status: 'rejected', reason: 'bad-signature' }]);
});

test('overflow rules: recipient overflow rejected; an account at max nonce cannot send', () => {
  const state = new MemoryState();
  run(state, [create(0, 0, MAX_BALANCE), create(1, 0, 10n)], []);
  const tx = transfer(1, 2, 1, 1n, 0);
  assert.deepEqual(run(state, [], [tx]).l2Receipts, [{ status: 'rejected', reason: 'balance-overflow' }]);
});

test('invalid L1 operations are no-ops; deposits are refunded through the exit tree', () => {
  const state = genesis();
  const u1 = user(1);
  const r = run(state, [
    { kind: 'deposit', l1Address: 77n, tokenId: 0, amount: 5n, toIdx: 99 }, // unknown-account, refunded
    { kind: 'deposit', l1Address: 77n, tokenId: 1, amount: 6n, toIdx: 2 }, // token-mismatch, refunded
    { kind: 'deposit', l1Address: 77n, tokenId: 0, amount: MAX_BALANCE, toIdx: 2 }, // balance-overflow, refunded
    { kind: 'forceExit', l1Address: 77n, fromIdx: 2 }, // not-owner
    { kind: 'forceTransfer', l1Address: u1.l1Address, fromIdx: 2, toIdx: 2, amount: 1n }, // self-transfer
    { kind: 'forceTransfer', l1Address: u1.l1Address, fromIdx: 2, toIdx: 4, amount: 1n }, // token-mismatch
    { kind: 'forceTransfer', l1Address: u1.l1Address, fromIdx: 2, toIdx: 3, amount: 1001n }, // insufficient
    { kind: 'forceTransfer', l1Address: u1.l1Address, fromIdx: 2, toIdx: 3, amount: 0n }, // zero-amount
    { kind: 'forceTransfer', l1Address: u1.l1Address, fromIdx: 2, toIdx: 3, amount: 400n }, // applied
    { kind: 'forceExit', l1Address: u1.l1Address, fromIdx: 2 }, // applied: exits 600
    { kind: 'forceExit', l1Address: u1.l1Address, fromIdx: 2 }, // zero-balance
    { kind: 'deposit', l1Address: 78n, tokenId: 0, amount: 9n, toIdx: 2 }, // applied
  ], []);
  assert.deepEqual(
    r.l1Receipts.map((x) => (x.status === 'noop' ? `${x.reason}${x.refunded ? '+refund' : ''}` : 'applied')),
    ['unknown-account+refund', 'token-mismatch+refund', 'balance-overflow+refund', 'not-owner', 'self-transfer', 'token-mismatch', 'insufficient-balance', 'zero-amount', 'applied', 'applied', 'zero-balance', 'applied'],
  );
  assert.deepEqual(r.exits.map((e) => [e.slot, e.l1Address, e.amount]), [[0, 77n, 5n], [1, 77n, 6n], [2, 77n, MAX_BALANCE], [9, u1.l1Address, 600n]]);
  assert.equal(state.getAccount(2)?.balance, 9n);
  assert.equal(state.getAccount(3)?.balance, 1400n);
});

test('a full tree refunds account creation', () => {
  const state = new MemoryState();
  const tiny = { ...SMALL, treeDepth: 2 }; // indices 1..3 usable
  const r = run(state, [create(0, 0, 1n), create(1, 0, 1n), create(2, 0, 1n), create(3, 0, 4n)], [], [], tiny);
  assert.deepEqual(r.l1Receipts[3], { status: 'noop', slot: 3, reason: 'tree-full', refunded: true });
});

test('malformed batches are BatchErrors', () => {
  const state = genesis();
  const bad: FeeEntry[][] = [
    [{ tokenId: 0, accountIdx: 4, fee: 1n }], // account holds token 1
    [{ tokenId: 0, accountIdx: 99, fee: 1n }],
    [{ tokenId: 0, accountIdx: 1, fee: 1n }, { tokenId: 0, accountIdx: 1, fee: 2n }],
    Array.from({ length: 9 }, (_, i) => ({ tokenId: i, accountIdx: 1, fee: 0n })),
    [{ tokenId: 0, accountIdx: 1, fee: MAX_BALANCE + 1n }],
  ];
  for (const feeTable of bad) assert.throws(() => applyBatch(state, { l1Ops: [], l2Txs: [], feeTable }, SMALL), BatchError);
  assert.throws(() => applyBatch(state, { l1Ops: Array.from({ length: SMALL.maxL1Ops + 1 }, () => create(0, 0, 0n)), l2Txs: [], feeTable: [] }, SMALL), BatchError);
  assert.throws(() => applyBatch(state, { l1Ops: [], l2Txs: [], feeTable: [{ tokenId: 0, accountIdx: 1, fee: 1n }] }, { ...SMALL, maxFeeTokens: 0 }), BatchError);
});

test('batch capacity: transactions beyond maxL2Txs are rejected as batch-full; malformed bodies are rejected', () => {
  const state = genesis();
  const cfg = createStfConfig({ ...SMALL, exitTreeDepth: 4, maxL1Ops: 12, maxL2Txs: 4 }); // 16 slots, 4 of them for L2
  const txs = [0, 1, 2, 3, 4].map((n) => transfer(1, 2, 3, 1n, n));
  const r = applyBatch(state, { l1Ops: [], l2Txs: txs, feeTable: [] }, cfg);
  assert.deepEqual(r.l2Receipts.map((x) => x.status === 'rejected' ? x.reason : 'ok'), ['ok', 'ok', 'ok', 'ok', 'batch-full']);
  const two = createStfConfig({ ...SMALL, maxL2Txs: 2 });
  assert.deepEqual(applyBatch(state, { l1Ops: [], l2Txs: txs.slice(0, 3), feeTable: [] }, two).l2Receipts.map((x) => x.status), ['included', 'included', 'rejected']);
  // A withdraw must have to = 0 and a transfer to != 0: otherwise the posted record would mean something else.
  const badWithdraw = signTx(user(1), { kind: 'withdraw', from: 2, to: 3, amountF: f32(1n), maxFeeF: MAXFEE, nonce: 0 });
  const badTransfer = signTx(user(1), { kind: 'transfer', from: 2, to: 0, amountF: f32(1n), maxFeeF: MAXFEE, nonce: 0 });
  assert.deepEqual(applyBatch(state, { l1Ops: [], l2Txs: [badWithdraw, badTransfer], feeTable: [] }, SMALL).l2Receipts, [
    { status: 'rejected', reason: 'malformed' },
    { status: 'rejected', reason: 'malformed' },
  ]);
});

test('posted batches replay to the same roots; an invalid posted transaction is fraud evidence', () => {
  const state = genesis();
  const txs = [transfer(1, 2, 3, 10n, 0), transfer(2, 3, 1, 20n, 0)];
  const fee = [{ tokenId: 0, accountIdx: 1, fee: 1n }];
  const r = applyBatch(state, { l1Ops: [], l2Txs: txs, feeTable: fee }, SMALL);
  const zk = applyPostedBatch(state, { l1Ops: [], l2Txs: txs.map(({ kind, from, to, amountF }) => ({ kind, from, to, amountF })), feeTable: fee }, SMALL);
  const optimistic = applyPostedBatch(state, { l1Ops: [], l2Txs: txs, feeTable: fee }, SMALL);
  assert.equal(zk.newRoot, r.newRoot);
  assert.equal(optimistic.newRoot, r.newRoot);
  assert.equal(zk.exitRoot, r.exitRoot);
  const forged = [txs[0], { ...txs[1], amountF: f32(21n) }] as L2Tx[];
  assert.throws(() => applyPostedBatch(state, { l1Ops: [], l2Txs: forged, feeTable: fee }, SMALL), InvalidBatchTxError);
  const overspend = [{ kind: 'transfer' as const, from: 2, to: 3, amountF: f32(5000n) }];
  assert.throws(() => applyPostedBatch(state, { l1Ops: [], l2Txs: overspend, feeTable: fee }, SMALL), /insufficient-balance/);
});

// ---------------------------------------------------------------------------------------------
// Property: random sequences of valid and invalid operations keep the invariants.

const USERS = 4;
type Intent =
  | { t: 'l2'; sender: number; from: number; to: number; amount: bigint; nonceSkew: number; sig: 'ok' | 'wrong-key' | 'wrong-chain' | 'tamper'; maxFee: bigint }
  | { t: 'l1'; op: L1Op };

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    t: fc.constant('l2' as const),
    sender: fc.integer({ min: 0, max: USERS - 1 }),
    from: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: USERS }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) }),
    to: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: USERS }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 9 }) }),
    amount: fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 120n }) }, { weight: 1, arbitrary: fc.constantFrom(0n, 400n, MAX_BALANCE) }),
    nonceSkew: fc.constantFrom(0, 0, 0, 0, 1, -1),
    sig: fc.constantFrom('ok' as const, 'ok' as const, 'ok' as const, 'ok' as const, 'ok' as const, 'wrong-key' as const, 'wrong-chain' as const, 'tamper' as const),
    maxFee: fc.constantFrom(0n, 3n, 1000n, 1000n),
  }) },
  { weight: 2, arbitrary: fc.record({
    t: fc.constant('l1' as const),
    op: fc.oneof(
      fc.record({ kind: fc.constant('createAccount' as const), u: fc.integer({ min: 0, max: USERS - 1 }), tokenId: fc.integer({ min: 0, max: 1 }), amount: fc.bigInt({ min: 0n, max: 500n }) })
        .map(({ u, tokenId, amount }) => create(u, tokenId, amount)),
      fc.record({ kind: fc.constant('deposit' as const), l1Address: fc.constant(5n), tokenId: fc.integer({ min: 0, max: 1 }), amount: fc.bigInt({ min: 0n, max: 500n }), toIdx: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ kind: fc.constant('forceExit' as const), u: fc.integer({ min: 0, max: USERS - 1 }), fromIdx: fc.integer({ min: 1, max: 9 }) })
        .map(({ u, fromIdx }): L1Op => ({ kind: 'forceExit', l1Address: user(u).l1Address, fromIdx })),
      fc.record({ u: fc.integer({ min: 0, max: USERS - 1 }), fromIdx: fc.integer({ min: 1, max: 9 }), toIdx: fc.integer({ min: 1, max: 9 }), amount: fc.bigInt({ min: 0n, max: 300n }) })
        .map(({ u, fromIdx, toIdx, amount }): L1Op => ({ kind: 'forceTransfer', l1Address: user(u).l1Address, fromIdx, toIdx, amount })),
    ),
  }) },
);

function totals(state: StateReader & MemoryState): Map<number, bigint> {
  const m = new Map<number, bigint>();
  for (const [, a] of state.entries()) m.set(a.tokenId, (m.get(a.tokenId) ?? 0n) + a.balance);
  return m;
}

test('property: conservation, monotone nonces, no overflow, rejected txs change nothing, witnesses replay', () => {
  const outcomes = new Map<string, number>();
  fc.assert(
    fc.property(fc.array(fc.array(intentArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }), (batches) => {
      const state = new MemoryState();
      // Genesis: each user has a token-0 account (1..USERS); fee account = account 1.
      run(state, Array.from({ length: USERS }, (_, i) => create(i, 0, 300n)), [], [], CONFIG);
      const deposited = new Map<number, bigint>([[0, 300n * BigInt(USERS)]]);
      const exited = new Map<number, bigint>();
      const feeTable = [{ tokenId: 0, accountIdx: 1, fee: 3n }];
      for (const intents of batches) {
        const l1Ops: L1Op[] = [];
        const l2Txs: L2Tx[] = [];
        const pending = new Map<number, number>();
        for (const it of intents) {
          if (it.t === 'l1') {
            l1Ops.push(it.op);
            if (it.op.kind === 'createAccount' || it.op.kind === 'deposit') {
              deposited.set(it.op.tokenId, (deposited.get(it.op.tokenId) ?? 0n) + it.op.amount);
            }
            continue;
          }
          const acct = state.getAccount(it.from);
          const seen = pending.get(it.from) ?? 0;
          pending.set(it.from, seen + 1);
          const nonce = Math.max(0, (acct?.nonce ?? 0) + seen + it.nonceSkew);
          const body: L2TxBody = { kind: it.to === 0 ? 'withdraw' : 'transfer', from: it.from, to: it.to, amountF: floatEncodeFloor(FLOAT32, it.amount), maxFeeF: floatEncode(FLOAT16, it.maxFee), nonce };
          // Sign as the owner of `from` when known (so most txs are valid), else as a random user.
          const owner = acct === undefined ? it.sender : Number(acct.l1Address - 0x1000n);
          const signer = it.sig === 'wrong-key' ? (owner + 1) % USERS : owner;
          const tx = signTx(user(signer), body, it.sig === 'wrong-chain' ? { ...DOMAIN, chainId: 5n } : DOMAIN);
          l2Txs.push(it.sig === 'tamper' ? { ...tx, nonce: tx.nonce + 1 } : tx);
        }
        const before = new Map([...state.entries()].map(([i, a]) => [i, a] as const));
        const result = applyBatch(state, { l1Ops, l2Txs, feeTable }, CONFIG);
        for (const r of [...result.l2Receipts, ...result.l1Receipts]) {
          const key = 'reason' in r ? r.reason : r.status;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }
        // Mempool admission (no hashing) agrees with the sealing STF on every receipt.
        assert.deepEqual(ingestTransactions(state, { l1Ops, l2Txs, feeTable }, CONFIG).l2Receipts, result.l2Receipts);
        // Rejected transactions changed nothing: the included ones alone give the same batch.
        const only = applyBatch(state, { l1Ops, l2Txs: [...result.included], feeTable }, CONFIG);
        assert.equal(only.newRoot, result.newRoot);
        assert.equal(only.exitRoot, result.exitRoot);
        assert.ok(only.l2Receipts.every((r) => r.status === 'included'));
        for (const step of result.witness) replayStep(step, CONFIG.treeDepth, CONFIG.exitTreeDepth);
        // Derivation from ZK-mode data (bare records, no signatures) and from optimistic data agree.
        const records = result.included.map(({ kind, from, to, amountF }) => ({ kind, from, to, amountF }));
        assert.equal(applyPostedBatch(state, { l1Ops, l2Txs: records, feeTable }, CONFIG).newRoot, result.newRoot);
        assert.equal(applyPostedBatch(state, { l1Ops, l2Txs: result.included, feeTable }, CONFIG).exitRoot, result.exitRoot);
        state.apply(result.changes);
        for (const e of result.exits) exited.set(e.tokenId, (exited.get(e.tokenId) ?? 0n) + e.amount);
        for (const [i, a] of state.entries()) {
          assert.ok(a.balance >= 0n && a.balance <= MAX_BALANCE, 'balance in range');
          assert.ok(a.nonce >= (before.get(i)?.nonce ?? 0), 'nonce never decreases');
        }
        const t = totals(state);
        for (const [token, d] of deposited) {
          assert.equal((t.get(token) ?? 0n) + (exited.get(token) ?? 0n), d, `value conserved for token ${token}`);
        }
      }
    }),
    { numRuns: 30 },
  );
  // Not vacuous: valid and invalid operations of several kinds were exercised.
  assert.ok((outcomes.get('included') ?? 0) >= 10, JSON.stringify([...outcomes]));
  if (process.env["RAMPART_SHOW_COVERAGE"]) console.log(JSON.stringify([...outcomes]));
  assert.ok((outcomes.get('bad-signature') ?? 0) >= 3, JSON.stringify([...outcomes]));
  assert.ok((outcomes.get('applied') ?? 0) >= 3, JSON.stringify([...outcomes]));
});
