/**
 * src/prover/witness.ts, witness-calculator.ts, r1cs.ts and the circuit's size: inconsistent inputs
 * are typed errors before any circuit runs; the calculator names the failing template; the `test`
 * parameter set fits the 2^15-constraint budget.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RampartError } from '../../src/core/errors.ts';
import { applyBatch, createStfConfig } from '../../src/core/stf.ts';
import { CIRCUIT_SETS, assertParamsMatchConfig, stfConfigForCircuit } from '../../src/prover/circuit-params.ts';
import { CircuitError } from '../../src/prover/circuit-errors.ts';
import { checkWitness } from '../../src/prover/r1cs.ts';
import { buildBatchWitness, batchWitnessFromResult, circuitInputFromJson, circuitInputToJson, type BuildBatchWitnessParameters } from '../../src/prover/witness.ts';
import { circuitScenario } from '../../scripts/vectors-circuit.ts';
import { DOMAIN_DIGEST, PARAMS, TEST_CONFIG, testCircuit } from './helpers.ts';
import { DOMAIN } from '../support/rollup.ts';

const SCENARIO = circuitScenario();
const RICH = SCENARIO.find((b) => b.name.startsWith('deposit + two transfers'));
assert.ok(RICH !== undefined);
const base: BuildBatchWitnessParameters = {
  params: PARAMS,
  config: TEST_CONFIG,
  state: RICH.state,
  result: RICH.result,
  l1Ops: RICH.l1Ops,
  txs: RICH.result.included,
  feeTable: RICH.feeTable,
  header: RICH.header,
  commitment: RICH.commitment,
  domain: DOMAIN_DIGEST,
};

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RampartError, String(e));
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

test('test circuit: at most 2^15 constraints, one public input', async () => {
  const { artifacts, r1cs } = await testCircuit();
  assert.ok(artifacts.constraints <= 32_768, `${artifacts.constraints} constraints`);
  assert.equal(r1cs.constraints.length, artifacts.constraints);
  assert.equal(r1cs.nPubIn + r1cs.nPubOut, 1);
});

test('the builder reproduces itself and round-trips through JSON', () => {
  assert.deepEqual(buildBatchWitness(base), RICH.input);
  assert.deepEqual(circuitInputFromJson(JSON.parse(JSON.stringify(circuitInputToJson(RICH.input)))), RICH.input);
});

test('builder: parameters that do not match the STF config', () => {
  throwsCode(() => buildBatchWitness({ ...base, params: CIRCUIT_SETS.devnet }), 'CIRCUIT_PARAMS', /treeDepth/);
  throwsCode(() => assertParamsMatchConfig(PARAMS, createStfConfig({ ...TEST_CONFIG, maxFeeTokens: 2 })), 'CIRCUIT_PARAMS', /maxFeeTokens/);
  throwsCode(() => buildBatchWitness({ ...base, params: { ...PARAMS, maxL2Txs: 0 } }), 'CIRCUIT_PARAMS');
});

test('builder: a state, header, commitment or domain of another batch', () => {
  const next = SCENARIO[SCENARIO.indexOf(RICH) + 1];
  assert.ok(next !== undefined);
  throwsCode(() => buildBatchWitness({ ...base, state: next.state }), 'WITNESS_INCONSISTENT');
  throwsCode(() => buildBatchWitness({ ...base, header: { ...base.header, newRoot: next.header.newRoot } }), 'WITNESS_INCONSISTENT', /header roots/);
  throwsCode(() => buildBatchWitness({ ...base, header: { ...base.header, batchNum: 99n } }), 'WITNESS_INCONSISTENT', /counters/);
  throwsCode(() => buildBatchWitness({ ...base, commitment: { ...base.commitment, f: base.commitment.f + 1n } }), 'WITNESS_INCONSISTENT', /f does not match/);
  throwsCode(() => buildBatchWitness({ ...base, commitment: next.commitment }), 'WITNESS_INCONSISTENT');
  throwsCode(() => buildBatchWitness({ ...base, domain: base.domain + 1n }), 'WITNESS_INCONSISTENT', /domain/);
  throwsCode(() => buildBatchWitness({ ...base, feeTable: [] }), 'WITNESS_INCONSISTENT');
  throwsCode(() => buildBatchWitness({ ...base, txs: [...base.txs].reverse() }), 'WITNESS_INCONSISTENT', /included/);
});

test('builder: a tampered or missing STF witness', () => {
  const [first, ...rest] = base.result.witness;
  assert.ok(first !== undefined);
  const [u] = first.updates;
  assert.ok(u !== undefined);
  const siblings = u.siblings.slice();
  siblings[0] = (siblings[0] ?? 0) ^ 1;
  const tampered = { ...first, updates: [{ ...u, siblings }] };
  throwsCode(() => buildBatchWitness({ ...base, result: { ...base.result, witness: [tampered, ...rest] } }), 'WITNESS_INCONSISTENT', /siblings/);
  throwsCode(() => buildBatchWitness({ ...base, result: { ...base.result, witness: rest } }), 'WITNESS_INCONSISTENT');
  const bare = applyBatch(RICH.state, { l1Ops: RICH.l1Ops, l2Txs: RICH.l2Txs, feeTable: RICH.feeTable }, TEST_CONFIG, { witness: false });
  throwsCode(() => buildBatchWitness({ ...base, result: bare }), 'WITNESS_INCONSISTENT', /witness/);
});

test('builder: more transactions than the circuit has slots', () => {
  const b = SCENARIO.find((x) => x.result.included.length === 2);
  assert.ok(b !== undefined);
  const small = { ...PARAMS, maxL2Txs: 1 };
  // The STF config now carries maxL2Txs, so a circuit with fewer slots is refused as a config mismatch.
  throwsCode(() => batchWitnessFromResult({ params: small, config: TEST_CONFIG, state: b.state, result: b.result, l1Ops: b.l1Ops, feeTable: b.feeTable, batchNum: 1n, l1Start: 0n }), 'CIRCUIT_PARAMS', /maxL2Txs/);
  // With a matching config, the builder itself still refuses a result holding more txs than slots.
  throwsCode(() => buildBatchWitness({ ...base, params: small, config: stfConfigForCircuit(small, DOMAIN) }), 'WITNESS_INCONSISTENT', /exceed maxL2Txs/);
});

test('JSON inputs: malformed values are typed errors', () => {
  throwsCode(() => circuitInputFromJson([]), 'WITNESS_INCONSISTENT');
  throwsCode(() => circuitInputFromJson({ a: 'x' }), 'WITNESS_INCONSISTENT');
  throwsCode(() => circuitInputFromJson({ a: `0x${'f'.repeat(64)}` }), 'WITNESS_INCONSISTENT', /field element/);
});

test('calculator: names the failing template; wrong input shapes are typed errors; checkWitness guards a proof', async () => {
  const { calc, r1cs } = await testCircuit();
  const bad = { ...RICH.input, newRoot: RICH.input.newRoot + 1n };
  throwsCode(() => calc.calculate(bad), 'WITNESS_REJECTED', /template Batch_\d+ line: \d+/);
  throwsCode(() => calc.calculate({ ...RICH.input, txFrom: [1n] }), 'WITNESS_INCONSISTENT', /txFrom/);
  throwsCode(() => calc.calculate({ ...RICH.input, nope: 1n }), 'WITNESS_INCONSISTENT', /nope/);
  const { newRoot: _drop, ...missing } = RICH.input;
  void _drop;
  throwsCode(() => calc.calculate(missing), 'WITNESS_INCONSISTENT', /input values/);
  const { witness } = calc.calculate(RICH.input);
  checkWitness(r1cs, witness);
  const broken = [...witness];
  broken[5] = (broken[5] ?? 0n) + 1n;
  assert.throws(() => checkWitness(r1cs, broken), (e: unknown) => e instanceof CircuitError && e.code === 'WITNESS_REJECTED');
});
