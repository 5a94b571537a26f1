/**
 * The `test-wide` shape (4-leaf tree, two L1 slots, two L2 slots, two fee entries): STF batches that
 * use consecutive L1 slots and fee entries are accepted with the STF's inputHash, so the wiring
 * between slots (root and nextIndex chains, element positions, per-entry fee counts) is exercised,
 * not only each slot kind alone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { MemoryState, overlayState, type StateReader } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, type FeeEntry } from '../../src/core/stf.ts';
import type { L1Op, L2Tx, L2TxBody } from '../../src/core/tx.ts';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { firstViolation, parseR1cs } from '../../src/prover/r1cs.ts';
import { loadWitnessCalculator } from '../../src/prover/witness-calculator.ts';
import { batchWitnessFromResult } from '../../src/prover/witness.ts';
import { ensureCircuit } from '../../scripts/build-circuits.ts';
import { DOMAIN, signTx, user } from '../support/rollup.ts';

const PARAMS = CIRCUIT_SETS['test-wide'];
const CONFIG = createStfConfig({ domain: DOMAIN, treeDepth: 2 * PARAMS.levels, exitTreeDepth: 2 * PARAMS.exitLevels, maxL1Ops: PARAMS.maxL1Ops, maxL2Txs: PARAMS.maxL2Txs, maxFeeTokens: PARAMS.maxFeeTokens });

test('test-wide: consecutive L1 slots and fee entries, every batch accepted with the STF inputHash', async () => {
  const artifacts = await ensureCircuit('test-wide');
  assert.ok(artifacts.constraints <= 32_768, `${artifacts.constraints} constraints`);
  const calc = await loadWitnessCalculator(readFileSync(artifacts.wasmPath));
  const r1cs = parseR1cs(readFileSync(artifacts.r1csPath));
  const cap = floatEncode(FLOAT16, 10n);
  const nonces = new Map<number, number>();
  const tx = (signer: number, from: number, to: number, amount: bigint): L2Tx => {
    const nonce = nonces.get(from) ?? 0;
    nonces.set(from, nonce + 1);
    const body: L2TxBody = { kind: to === 0 ? 'withdraw' : 'transfer', from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF: cap, nonce };
    return signTx(user(signer), body);
  };
  const create = (i: number, tokenId: number, amount: bigint): L1Op => ({ kind: 'createAccount', l1Address: user(i).l1Address, tokenId, amount, publicKey: user(i).publicKey });
  const batches: { l1Ops: L1Op[]; l2Txs: L2Tx[]; feeTable: FeeEntry[]; expect: string }[] = [
    { l1Ops: [create(0, 0, 1_000n), create(1, 1, 500n)], l2Txs: [], feeTable: [], expect: 'applied,applied' },
    {
      l1Ops: [create(2, 0, 300n), { kind: 'deposit', l1Address: 0xd0n, tokenId: 1, amount: 50n, toIdx: 2 }],
      l2Txs: [tx(0, 1, 3, 100n), tx(1, 2, 0, 40n)],
      feeTable: [{ tokenId: 0, accountIdx: 1, fee: 1n }, { tokenId: 1, accountIdx: 2, fee: 2n }],
      expect: 'applied,applied',
    },
    {
      l1Ops: [{ kind: 'forceTransfer', l1Address: user(0).l1Address, fromIdx: 1, toIdx: 3, amount: 25n }, { kind: 'forceExit', l1Address: user(1).l1Address, fromIdx: 2 }],
      l2Txs: [tx(2, 3, 1, 5n)],
      feeTable: [{ tokenId: 1, accountIdx: 2, fee: 0n }, { tokenId: 0, accountIdx: 3, fee: 2n }],
      expect: 'applied,applied',
    },
    { l1Ops: [create(3, 0, 9n), { kind: 'deposit', l1Address: 0xd0n, tokenId: 0, amount: 8n, toIdx: 5 }], l2Txs: [tx(0, 1, 0, 1n)], feeTable: [{ tokenId: 0, accountIdx: 3, fee: 1n }], expect: 'noop,noop' },
  ];
  let state: StateReader = new MemoryState();
  for (const [n, b] of batches.entries()) {
    const result = applyBatch(state, b, CONFIG);
    assert.equal(result.l1Receipts.map((x) => x.status).join(','), b.expect, `batch ${n}`);
    assert.equal(result.included.length, b.l2Txs.length, `batch ${n}: ${JSON.stringify(result.l2Receipts, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
    const w = batchWitnessFromResult({ params: PARAMS, config: CONFIG, state, result, l1Ops: b.l1Ops, feeTable: b.feeTable, batchNum: BigInt(n + 1), l1Start: BigInt(2 * n) });
    const { witness, failedAssertions } = calc.calculate(w.input, { assertions: 'collect' });
    assert.deepEqual(failedAssertions, [], `batch ${n}`);
    assert.equal(firstViolation(r1cs, witness), -1, `batch ${n}`);
    assert.equal(witness[1], w.commitment.inputHash, `batch ${n}`);
    state = overlayState(state, result.changes);
  }
});
