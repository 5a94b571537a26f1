/**
 * Builds the shared test vectors from the TypeScript STF. The circuit (ZK) and the one-step
 * re-execution contract (optimistic) replay them; test/vectors.test.ts checks the committed files are
 * exactly what this produces, so the three implementations are held to one source of truth.
 *
 * JSON conventions: field elements, amounts and addresses as 0x-prefixed lowercase hex (big-endian
 * numbers, no padding); byte strings as 0x hex; Merkle siblings as arrays of field elements, level 0
 * first.
 */
import { accountLeaf, type Account } from '../src/core/account.ts';
import { encodeBatchData } from '../src/core/batch-data.ts';
import { bytesToHex } from '../src/core/bytes.ts';
import { createPrivateKey, packSignature, publicKeyFromPrivate, sign, type PrivateKey } from '../src/core/eddsa.ts';
import { FLOAT16, FLOAT32, floatDecode, floatEncode } from '../src/core/float.ts';
import { poseidon } from '../src/core/poseidon.ts';
import { siblingsToFr } from '../src/core/smt.ts';
import { MemoryState } from '../src/core/state.ts';
import { applyBatch, type BatchResult, type FeeEntry, type StepWitness, createStfConfig, type StfConfig } from '../src/core/stf.ts';
import { domainHash, encodeL1Op, l2TxMessage, packL2TxBody, type L1Op, type L2Tx, type L2TxBody } from '../src/core/tx.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const hex = (v: bigint): string => '0x' + v.toString(16);

export const VECTOR_CONFIG: StfConfig = createStfConfig({
  domain: { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n },
  treeDepth: 32,
  exitTreeDepth: 8,
  maxL1Ops: 16,
  maxFeeTokens: 2,
});

type VectorUser = { key: PrivateKey; publicKey: readonly [bigint, bigint]; l1Address: bigint };
function vectorUser(i: number): VectorUser {
  const bytes = new Uint8Array(32).map((_, j) => (i * 31 + j * 7 + 1) & 0xff);
  const key = createPrivateKey(bytes);
  return { key, publicKey: publicKeyFromPrivate(key), l1Address: 0xa11ce000n + BigInt(i) };
}

function accountJson(a: Account): Json {
  return {
    tokenId: a.tokenId,
    balance: hex(a.balance),
    nonce: a.nonce,
    publicKey: [hex(a.publicKey[0]), hex(a.publicKey[1])],
    l1Address: hex(a.l1Address),
    leaf: hex(accountLeaf(a)),
  };
}

function l1OpJson(op: L1Op): Json {
  const base: { [k: string]: Json } = { kind: op.kind, l1Address: hex(op.l1Address), encoded: bytesToHex(encodeL1Op(op)) };
  switch (op.kind) {
    case 'createAccount':
      return { ...base, tokenId: op.tokenId, amount: hex(op.amount), publicKey: [hex(op.publicKey[0]), hex(op.publicKey[1])] };
    case 'deposit':
      return { ...base, tokenId: op.tokenId, amount: hex(op.amount), toIdx: op.toIdx };
    case 'forceExit':
      return { ...base, fromIdx: op.fromIdx };
    case 'forceTransfer':
      return { ...base, fromIdx: op.fromIdx, toIdx: op.toIdx, amount: hex(op.amount) };
  }
}

function l2TxJson(tx: L2Tx, domain: bigint): Json {
  return {
    kind: tx.kind,
    from: tx.from,
    to: tx.to,
    amountF: tx.amountF,
    amount: hex(floatDecode(FLOAT32, tx.amountF)),
    maxFeeF: tx.maxFeeF,
    maxFee: hex(floatDecode(FLOAT16, tx.maxFeeF)),
    nonce: tx.nonce,
    packedBody: hex(packL2TxBody(tx)),
    message: hex(l2TxMessage(tx, domain)),
    signature: { r8: [hex(tx.signature.r8[0]), hex(tx.signature.r8[1])], s: hex(tx.signature.s), packed: bytesToHex(packSignature(tx.signature)) },
  };
}

function stepJson(step: StepWitness): Json {
  return {
    kind: step.kind,
    slot: step.slot ?? null,
    preRoot: hex(step.preRoot),
    postRoot: hex(step.postRoot),
    preNextIndex: step.preNextIndex,
    postNextIndex: step.postNextIndex,
    feesBefore: step.feesBefore.map(hex),
    feesAfter: step.feesAfter.map(hex),
    updates: step.updates.map((u) => ({
      index: u.index,
      before: u.before === undefined ? null : accountJson(u.before),
      after: accountJson(u.after),
      oldLeaf: hex(u.oldLeaf),
      newLeaf: hex(u.newLeaf),
      siblings: siblingsToFr(u.siblings).map(hex),
    })),
    exit:
      step.exit === undefined
        ? null
        : { leaf: hex(step.exit.leaf), preRoot: hex(step.exit.preRoot), postRoot: hex(step.exit.postRoot), siblings: siblingsToFr(step.exit.siblings).map(hex) },
  };
}

function batchJson(name: string, l1Ops: L1Op[], l2Txs: L2Tx[], feeTable: FeeEntry[], r: BatchResult, domain: bigint): Json {
  return {
    name,
    oldRoot: hex(r.oldRoot),
    newRoot: hex(r.newRoot),
    oldNextIndex: r.oldNextIndex,
    newNextIndex: r.newNextIndex,
    exitRoot: hex(r.exitRoot),
    feeTable: feeTable.map((e) => ({ tokenId: e.tokenId, accountIdx: e.accountIdx, fee: hex(e.fee) })),
    l1Ops: l1Ops.map(l1OpJson),
    l2Txs: l2Txs.map((t) => l2TxJson(t, domain)),
    l1Receipts: r.l1Receipts.map((x) => (x.status === 'applied' ? { status: x.status, slot: x.slot } : { status: x.status, slot: x.slot, reason: x.reason, refunded: x.refunded })),
    l2Receipts: r.l2Receipts.map((x) => (x.status === 'included' ? { status: x.status, slot: x.slot, fee: hex(x.fee) } : { status: x.status, reason: x.reason })),
    exits: r.exits.map((e) => ({ slot: e.slot, l1Address: hex(e.l1Address), tokenId: e.tokenId, amount: hex(e.amount), leaf: hex(e.leaf) })),
    batchDataZk: bytesToHex(encodeBatchData({ mode: 'zk', feeTable, txs: r.included.map(({ from, to, amountF }) => ({ from, to, amountF })) })),
    batchDataOptimistic: bytesToHex(
      encodeBatchData({ mode: 'optimistic', feeTable, txs: r.included.map((t) => ({ from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, signature: packSignature(t.signature) })) }),
    ),
    witness: r.witness.map(stepJson),
  };
}

export type VectorFiles = Record<string, Json>;

/** Deterministic: same code, same bytes. */
export function buildVectors(): VectorFiles {
  const config = VECTOR_CONFIG;
  const domain = domainHash(config.domain);
  const users = [0, 1, 2, 3].map(vectorUser);
  const u = (i: number): VectorUser => users[i] ?? vectorUser(i);
  const create = (i: number, tokenId: number, amount: bigint): L1Op => ({ kind: 'createAccount', l1Address: u(i).l1Address, tokenId, amount, publicKey: u(i).publicKey });
  const signed = (i: number, body: L2TxBody, signDomain: bigint = domain): L2Tx => ({ ...body, signature: sign(u(i).key, l2TxMessage(body, signDomain)) });
  const f32 = (v: bigint): number => floatEncode(FLOAT32, v);
  const maxFeeF = floatEncode(FLOAT16, 100n);

  const state = new MemoryState();
  const batches: Json[] = [];
  const run = (name: string, l1Ops: L1Op[], l2Txs: L2Tx[], feeTable: FeeEntry[]): BatchResult => {
    const r = applyBatch(state, { l1Ops, l2Txs, feeTable }, config);
    batches.push(batchJson(name, l1Ops, l2Txs, feeTable, r, domain));
    state.apply(r.changes);
    return r;
  };

  run('genesis deposits', [create(0, 0, 10_000n), create(1, 0, 5_000n), create(2, 0, 1_000n), create(3, 1, 700n)], [], []);
  const fee = [{ tokenId: 0, accountIdx: 1, fee: 2n }];
  run('transfers and a withdraw with fees', [], [
    signed(1, { kind: 'transfer', from: 2, to: 3, amountF: f32(1_200n), maxFeeF, nonce: 0 }),
    signed(2, { kind: 'transfer', from: 3, to: 1, amountF: f32(300n), maxFeeF, nonce: 0 }),
    signed(1, { kind: 'withdraw', from: 2, to: 0, amountF: f32(500n), maxFeeF, nonce: 1 }),
  ], fee);
  run('L1 operations including no-ops and refunds', [
    { kind: 'deposit', l1Address: 0xbeefn, tokenId: 0, amount: 50n, toIdx: 3 },
    { kind: 'deposit', l1Address: 0xbeefn, tokenId: 0, amount: 60n, toIdx: 4 },
    { kind: 'deposit', l1Address: 0xbeefn, tokenId: 0, amount: 70n, toIdx: 99 },
    { kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 2, amount: 25n },
    { kind: 'forceTransfer', l1Address: u(1).l1Address, fromIdx: 1, toIdx: 2, amount: 25n },
    { kind: 'forceExit', l1Address: u(3).l1Address, fromIdx: 4 },
    { kind: 'forceExit', l1Address: u(3).l1Address, fromIdx: 4 },
    create(1, 1, 0n),
  ], [signed(0, { kind: 'transfer', from: 1, to: 2, amountF: f32(1n), maxFeeF, nonce: 0 })], fee);

  // Invalid transactions against the state left above: each with its expected rejection.
  const maxFee0 = floatEncode(FLOAT16, 0n);
  const invalid: [string, L2Tx][] = [
    ['unknown-sender', signed(0, { kind: 'transfer', from: 77, to: 2, amountF: f32(1n), maxFeeF, nonce: 0 })],
    ['unknown-recipient', signed(0, { kind: 'transfer', from: 1, to: 77, amountF: f32(1n), maxFeeF, nonce: 1 })],
    ['self-transfer', signed(0, { kind: 'transfer', from: 1, to: 1, amountF: f32(1n), maxFeeF, nonce: 1 })],
    ['token-mismatch', signed(0, { kind: 'transfer', from: 1, to: 4, amountF: f32(1n), maxFeeF, nonce: 1 })],
    ['bad-nonce', signed(0, { kind: 'transfer', from: 1, to: 2, amountF: f32(1n), maxFeeF, nonce: 0 })],
    ['zero-amount', signed(0, { kind: 'transfer', from: 1, to: 2, amountF: 0, maxFeeF, nonce: 1 })],
    ['amount-too-large', signed(0, { kind: 'transfer', from: 1, to: 2, amountF: 0xffffffff, maxFeeF, nonce: 1 })],
    ['fee-above-max', signed(0, { kind: 'transfer', from: 1, to: 2, amountF: f32(1n), maxFeeF: maxFee0, nonce: 1 })],
    ['insufficient-balance', signed(0, { kind: 'transfer', from: 1, to: 2, amountF: f32(100_000n), maxFeeF, nonce: 1 })],
    ['bad-signature', signed(1, { kind: 'transfer', from: 1, to: 2, amountF: f32(1n), maxFeeF, nonce: 1 })],
    ['bad-signature', signed(0, { kind: 'transfer', from: 1, to: 2, amountF: f32(1n), maxFeeF, nonce: 1 }, domainHash({ chainId: 1n, rollupAddress: config.domain.rollupAddress }))],
    ['bad-signature', { ...signed(0, { kind: 'transfer', from: 1, to: 2, amountF: f32(1n), maxFeeF, nonce: 1 }), amountF: f32(2n) }],
  ];
  const invalidJson = invalid.map(([reason, tx]) => {
    const r = applyBatch(state, { l1Ops: [], l2Txs: [tx], feeTable: fee }, config);
    const got = r.l2Receipts[0];
    if (got?.status !== 'rejected' || got.reason !== reason) {
      throw new Error(`vector generation: expected ${reason}, got ${JSON.stringify(got)}`);
    }
    const sender = state.getAccount(tx.from);
    return { expectedReason: reason, preRoot: hex(r.oldRoot), sender: sender === undefined ? null : accountJson(sender), tx: l2TxJson(tx, domain) };
  });

  const poseidonVectors = [1, 2, 3, 4, 5, 6].map((n) => {
    const inputs = Array.from({ length: n }, (_, i) => BigInt(i + 1));
    const big = Array.from({ length: n }, (_, i) => (1n << 253n) + BigInt(i) * 0x1234567n);
    return { n, cases: [inputs, big].map((x) => ({ inputs: x.map(hex), output: hex(poseidon(x)) })) };
  });

  const floats = [0n, 1n, 999n, 134_217_727n, 134_217_730n, 1_500_000_000_000_000_000n, (2n ** 27n - 1n) * 10n ** 31n].map((v) => ({
    amount: hex(v),
    float32: floatEncode(FLOAT32, v),
  }));

  return {
    'stf-batches.json': {
      description: 'Sequential batches from an empty state: inputs, receipts, roots and per-step witnesses (siblings level 0 first).',
      config: { chainId: hex(config.domain.chainId), rollupAddress: hex(config.domain.rollupAddress), domainHash: hex(domain), treeDepth: config.treeDepth, exitTreeDepth: config.exitTreeDepth },
      batches,
    },
    'stf-invalid-txs.json': {
      description: 'Each transaction is rejected against the state after the last batch of stf-batches.json, with the given reason.',
      fee: { tokenId: 0, accountIdx: 1, fee: hex(2n) },
      cases: invalidJson,
    },
    'poseidon.json': { description: 'circomlib-compatible Poseidon, inputs and outputs.', vectors: poseidonVectors },
    'float.json': { description: 'Float32 (5-bit exponent, 27-bit mantissa) canonical encodings.', vectors: floats },
  };
}
