/**
 * Circuit vectors for the `test` parameter set (src/prover/circuit-params.ts): a sequence of batches
 * run through the TypeScript STF from an empty state, each turned into the batch circuit's full input
 * (src/prover/witness.ts) with the public inputHash it must prove. Together they exercise every L1 op
 * kind and every L1 no-op reason (with and without refund), transfers, withdrawals, fees (paid, not
 * paid, to a fee account touched in the same batch), padding slots, indices that alias beyond the
 * tree, floats with exponents, near-2^128 balances and a full tree.
 *
 * test/circuits/vectors.test.ts checks the committed test/vectors/circuit-*.json equal what this
 * produces and replays each input against the compiled circuit. Run `npm run vectors` after a
 * protocol or circuit-layout change.
 *
 * JSON: circuit inputs as 0x-hex field elements in nested arrays (signal names of
 * circuits/batch.circom); snarkjs `wtns calculate` reads the `input` objects as they are.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatchCommitment, BatchHeader } from '../src/core/batch-commitment.ts';
import { bytesToHex } from '../src/core/bytes.ts';
import { createPrivateKey, publicKeyFromPrivate, sign, type PrivateKey } from '../src/core/eddsa.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../src/core/float.ts';
import { MAX_BALANCE } from '../src/core/params.ts';
import { MemoryState, overlayState, type StateReader } from '../src/core/state.ts';
import { RampartError } from '../src/core/errors.ts';
import { applyBatch, createStfConfig, type BatchResult, type FeeEntry, type StfConfig } from '../src/core/stf.ts';
import { l2TxMessage, domainHash, type L1Op, type L2Tx, type L2TxBody } from '../src/core/tx.ts';
import { CIRCUIT_SETS, type CircuitParams } from '../src/prover/circuit-params.ts';
import { batchWitnessFromResult, circuitInputToJson, type BatchCircuitInput } from '../src/prover/witness.ts';

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
const hex = (v: bigint): string => '0x' + v.toString(16);

export const CIRCUIT_VECTOR_PARAMS: CircuitParams = CIRCUIT_SETS.test;
export const CIRCUIT_VECTOR_CONFIG: StfConfig = createStfConfig({
  domain: { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n },
  treeDepth: 2 * CIRCUIT_VECTOR_PARAMS.levels,
  exitTreeDepth: 2 * CIRCUIT_VECTOR_PARAMS.exitLevels,
  maxL1Ops: CIRCUIT_VECTOR_PARAMS.maxL1Ops,
  maxL2Txs: CIRCUIT_VECTOR_PARAMS.maxL2Txs,
  maxFeeTokens: CIRCUIT_VECTOR_PARAMS.maxFeeTokens,
});

export type ScenarioUser = { readonly key: PrivateKey; readonly publicKey: readonly [bigint, bigint]; readonly l1Address: bigint };
export function scenarioUser(i: number): ScenarioUser {
  const bytes = new Uint8Array(32).map((_, j) => (i * 37 + j * 11 + 5) & 0xff);
  const key = createPrivateKey(bytes);
  return { key, publicKey: publicKeyFromPrivate(key), l1Address: 0xc0de0000n + BigInt(i) };
}

export type ScenarioBatch = {
  readonly name: string;
  /** State before the batch (a snapshot view; the scenario's state moves on). */
  readonly state: StateReader;
  readonly l1Ops: readonly L1Op[];
  readonly l2Txs: readonly L2Tx[];
  readonly feeTable: readonly FeeEntry[];
  readonly result: BatchResult;
  readonly header: BatchHeader;
  readonly commitment: BatchCommitment;
  readonly batchData: Uint8Array;
  readonly input: BatchCircuitInput;
  /** Written to the vectors file (the tree-filling batches are not: they repeat "create"). */
  readonly record: boolean;
};

/** The scenario is not what it claims (a batch it expects valid was not). */
export class ScenarioError extends RampartError {
  override readonly name = 'ScenarioError';
  constructor(message: string) {
    super('VECTOR_SCENARIO', message);
  }
}

/** Runs the scenario. Deterministic: same code, same batches; every transaction is included. */
export function circuitScenario(): ScenarioBatch[] {
  const config = CIRCUIT_VECTOR_CONFIG;
  const params = CIRCUIT_VECTOR_PARAMS;
  const domain = domainHash(config.domain);
  const u = scenarioUser;
  const create = (i: number, tokenId: number, amount: bigint): L1Op => ({ kind: 'createAccount', l1Address: u(i).l1Address, tokenId, amount, publicKey: u(i).publicKey });
  const signed = (i: number, body: L2TxBody): L2Tx => ({ ...body, signature: sign(u(i).key, l2TxMessage(body, domain)) });
  const f32 = (v: bigint): number => floatEncode(FLOAT32, v);
  const maxFeeF = floatEncode(FLOAT16, 10n);
  const nonces = new Map<number, number>();
  const tx = (i: number, kind: L2TxBody['kind'], from: number, to: number, amount: bigint, cap = maxFeeF): L2Tx => {
    const nonce = nonces.get(from) ?? 0;
    nonces.set(from, nonce + 1);
    return signed(i, { kind, from, to, amountF: f32(amount), maxFeeF: cap, nonce });
  };

  // Each batch's pre-state stays readable (tests re-run batches on it): states are overlays, never mutated.
  let state: StateReader = new MemoryState();
  const batches: ScenarioBatch[] = [];
  let batchNum = 0n;
  let l1Start = 0n;
  const run = (name: string, l1Ops: L1Op[], l2Txs: L2Tx[], feeTable: FeeEntry[], record = true): BatchResult => {
    const before = state;
    const result = applyBatch(before, { l1Ops, l2Txs, feeTable }, config);
    const rejected = result.l2Receipts.filter((r) => r.status === 'rejected');
    if (rejected.length > 0) throw new ScenarioError(`scenario batch "${name}": a transaction was rejected: ${JSON.stringify(rejected)}`);
    batchNum += 1n;
    const w = batchWitnessFromResult({ params, config, state: before, result, l1Ops, feeTable, batchNum, l1Start });
    l1Start += BigInt(l1Ops.length);
    batches.push({ name, state: before, l1Ops, l2Txs, feeTable, result, ...w, record });
    state = overlayState(before, result.changes);
    return result;
  };

  // Accounts: 1 alice (t0), 2 bob (t0), 3 carol (t1), 4 dave (t2, near 2^128), 5 erin (t2).
  run('create alice', [create(0, 0, 10_000n)], [], []);
  run('create bob', [create(1, 0, 5_000n)], [], []);
  run('create carol (token 1)', [create(2, 1, 700n)], [], []);
  const fee2 = [{ tokenId: 0, accountIdx: 2, fee: 2n }];
  run('deposit + two transfers paying fees to a party of the batch', [{ kind: 'deposit', l1Address: 0xbeefn, tokenId: 0, amount: 50n, toIdx: 1 }], [tx(0, 'transfer', 1, 2, 1_200n), tx(1, 'transfer', 2, 1, 300n)], fee2);
  run('forceExit applied + withdraw with fee', [{ kind: 'forceExit', l1Address: u(2).l1Address, fromIdx: 3 }], [tx(1, 'withdraw', 2, 0, 500n)], [{ tokenId: 0, accountIdx: 1, fee: 3n }]);
  run('deposit to an unknown account: refund; one padding L2 slot', [{ kind: 'deposit', l1Address: 0xbeefn, tokenId: 0, amount: 70n, toIdx: 9 }], [tx(0, 'transfer', 1, 2, 1n)], fee2);
  run('deposit of another token: refund', [{ kind: 'deposit', l1Address: 0xbeefn, tokenId: 1, amount: 80n, toIdx: 1 }], [], []);
  run('create dave near 2^128 (token 2)', [create(3, 2, MAX_BALANCE - 10n)], [], []);
  run('deposit overflowing 2^128: refund', [{ kind: 'deposit', l1Address: 0xbeefn, tokenId: 2, amount: 100n, toIdx: 4 }], [], []);
  run('create erin (token 2)', [create(4, 2, 100n)], [], []);
  run('forceTransfer overflowing the recipient: no-op', [{ kind: 'forceTransfer', l1Address: u(4).l1Address, fromIdx: 5, toIdx: 4, amount: 100n }], [], []);
  run('transfer 10^30 from dave to erin (float exponent; token without fee entry pays 0)', [], [tx(3, 'transfer', 4, 5, 10n ** 30n)], fee2);
  run('deposit of zero to an unknown account: no-op without refund', [{ kind: 'deposit', l1Address: 0xbeefn, tokenId: 0, amount: 0n, toIdx: 11 }], [], []);
  run('forceExit by a non-owner: no-op', [{ kind: 'forceExit', l1Address: u(0).l1Address, fromIdx: 2 }], [], []);
  run('forceExit of an empty balance: no-op', [{ kind: 'forceExit', l1Address: u(2).l1Address, fromIdx: 3 }], [], []);
  run('forceExit of an unknown account: no-op', [{ kind: 'forceExit', l1Address: u(2).l1Address, fromIdx: 12 }], [], []);
  run('forceExit of an index beyond the tree (aliases account 1): no-op', [{ kind: 'forceExit', l1Address: u(0).l1Address, fromIdx: 17 }], [], []);
  run('forceTransfer applied', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 2, amount: 25n }], [], []);
  run('forceTransfer by a non-owner: no-op', [{ kind: 'forceTransfer', l1Address: u(1).l1Address, fromIdx: 1, toIdx: 2, amount: 25n }], [], []);
  run('forceTransfer to itself: no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 1, amount: 25n }], [], []);
  run('forceTransfer to an unknown account: no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 13, amount: 25n }], [], []);
  run('forceTransfer to an index beyond the tree (aliases account 2): no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 18, amount: 25n }], [], []);
  run('forceTransfer across tokens: no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 3, amount: 25n }], [], []);
  run('forceTransfer of zero: no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 2, amount: 0n }], [], []);
  run('forceTransfer above the balance: no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 1, toIdx: 2, amount: 10n ** 9n }], [], []);
  run('forceTransfer from an unknown account: no-op', [{ kind: 'forceTransfer', l1Address: u(0).l1Address, fromIdx: 14, toIdx: 2, amount: 1n }], [], []);
  run('empty batch with an unpaid fee entry', [], [], fee2);
  run('create with zero amount', [create(5, 0, 0n)], [tx(0, 'transfer', 1, 6, 7n), tx(0, 'withdraw', 1, 0, 8n)], fee2);
  // Fill the tree: accounts 7..15 (16 leaves, index 0 reserved), then one more create is tree-full.
  for (let i = 6; i < 15; i++) run(`create account ${i + 1}`, [create(i, 0, BigInt(i))], [], [], i === 14);
  run('create into a full tree: refund', [create(15, 0, 99n)], [tx(1, 'transfer', 2, 15, 1n)], fee2);
  run('create into a full tree with zero amount: no-op without refund', [create(16, 0, 0n)], [], []);
  return batches;
}

function receiptsJson(r: BatchResult): Json {
  return {
    l1: r.l1Receipts.map((x) => (x.status === 'applied' ? { status: x.status } : { status: x.status, reason: x.reason, refunded: x.refunded })),
    l2: r.l2Receipts.map((x) => (x.status === 'included' ? { status: x.status, slot: x.slot, fee: hex(x.fee) } : { status: x.status, reason: x.reason })),
    exits: r.exits.map((e) => ({ slot: e.slot, l1Address: hex(e.l1Address), tokenId: e.tokenId, amount: hex(e.amount) })),
  };
}

export function buildCircuitVectors(): Record<string, Json> {
  const config = CIRCUIT_VECTOR_CONFIG;
  const batches = circuitScenario().filter((b) => b.record).map((b) => ({
    name: b.name,
    receipts: receiptsJson(b.result),
    header: {
      batchNum: hex(b.header.batchNum),
      oldRoot: hex(b.header.oldRoot),
      newRoot: hex(b.header.newRoot),
      oldNextIndex: b.header.oldNextIndex,
      newNextIndex: b.header.newNextIndex,
      l1Start: hex(b.header.l1Start),
      l1Count: b.header.l1Count,
      txCount: b.header.txCount,
      exitRoot: hex(b.header.exitRoot),
    },
    batchDataZk: bytesToHex(b.batchData),
    commitment: { c: hex(b.commitment.c), dataHash: bytesToHex(b.commitment.dataHash), z: hex(b.commitment.z), f: hex(b.commitment.f), counters: hex(b.commitment.counters) },
    inputHash: hex(b.commitment.inputHash),
    input: circuitInputToJson(b.input),
  }));
  return {
    'circuit-test-batches.json': {
      description:
        'Batches of the STF from an empty state, each as the full input of the batch circuit (circuits/batch.circom) for the `test` parameter set, with the public inputHash it proves. Inputs are 0x-hex field elements; the `input` objects are snarkjs input.json files.',
      params: { ...CIRCUIT_VECTOR_PARAMS },
      config: { chainId: hex(config.domain.chainId), rollupAddress: hex(config.domain.rollupAddress), domainHash: hex(domainHash(config.domain)), treeDepth: config.treeDepth, exitTreeDepth: config.exitTreeDepth, maxL1Ops: config.maxL1Ops, maxFeeTokens: config.maxFeeTokens },
      batches,
    },
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = join(import.meta.dirname, '..', 'test', 'vectors');
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(buildCircuitVectors())) {
    writeFileSync(join(dir, name), `${JSON.stringify(content, null, 1)}\n`);
    process.stdout.write(`wrote test/vectors/${name}\n`);
  }
}
