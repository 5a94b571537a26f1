/**
 * Shared fixtures for the circuit tests: the compiled `test` circuit (compiled once per source
 * change, cached under .cache/circuits), STF runs turned into circuit inputs, full-witness verdicts
 * and the location of the circuit line that rejected an input.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { accountLeaf, type Account } from '../../src/core/account.ts';
import type { BatchCommitment, BatchHeader } from '../../src/core/batch-commitment.ts';
import { frToBytesLE, type Fr } from '../../src/core/field.ts';
import { SparseMerkleTree } from '../../src/core/smt.ts';
import { MemoryState, type StateReader } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, type BatchResult, type FeeEntry, type StfConfig } from '../../src/core/stf.ts';
import { domainHash, type L1Op, type L2Tx } from '../../src/core/tx.ts';
import { CIRCUIT_SETS, stfConfigForCircuit, type CircuitParams } from '../../src/prover/circuit-params.ts';
import { firstViolation, parseR1cs, parseSym, type R1cs } from '../../src/prover/r1cs.ts';
import { loadWitnessCalculator, type CircuitInput, type WitnessCalculator } from '../../src/prover/witness-calculator.ts';
import { batchWitnessFromResult, type BatchCircuitInput } from '../../src/prover/witness.ts';
import { ensureCircuit, type CircuitArtifacts } from '../../scripts/build-circuits.ts';
import { DOMAIN } from '../support/rollup.ts';

export const PARAMS: CircuitParams = CIRCUIT_SETS.test;
/** The STF configuration the `test` circuit proves. */
export const TEST_CONFIG: StfConfig = stfConfigForCircuit(PARAMS, DOMAIN);
export const DOMAIN_DIGEST: Fr = domainHash(DOMAIN);

export type TestCircuit = {
  readonly artifacts: CircuitArtifacts;
  readonly calc: WitnessCalculator;
  readonly r1cs: R1cs;
  /** Signal name → witness index (-1 when the optimiser folded it into others). */
  readonly sym: Map<string, number>;
};

let circuit: Promise<TestCircuit> | undefined;
/** The compiled `test` circuit, loaded once per test process. */
export function testCircuit(): Promise<TestCircuit> {
  circuit ??= (async () => {
    const artifacts = await ensureCircuit('test');
    const calc = await loadWitnessCalculator(readFileSync(artifacts.wasmPath));
    const r1cs = parseR1cs(readFileSync(artifacts.r1csPath));
    const sym = parseSym(readFileSync(artifacts.symPath, 'utf8'));
    return { artifacts, calc, r1cs, sym };
  })();
  return circuit;
}

export type BatchSpec = {
  readonly l1Ops?: readonly L1Op[];
  readonly l2Txs?: readonly L2Tx[];
  readonly feeTable?: readonly FeeEntry[];
};

export type BatchRun = {
  readonly result: BatchResult;
  readonly header: BatchHeader;
  readonly commitment: BatchCommitment;
  readonly input: BatchCircuitInput;
};

/** Applies a batch with the STF and builds the circuit input for it. Does not touch `state`. */
export function runBatch(state: StateReader, spec: BatchSpec, batchNum = 1n, l1Start = 0n): BatchRun {
  const l1Ops = spec.l1Ops ?? [];
  const feeTable = spec.feeTable ?? [];
  const result = applyBatch(state, { l1Ops, l2Txs: spec.l2Txs ?? [], feeTable }, TEST_CONFIG);
  const w = batchWitnessFromResult({ params: PARAMS, config: TEST_CONFIG, state, result, l1Ops, feeTable, batchNum, l1Start });
  return { result, ...w };
}

/** A state holding exactly these accounts at indices 1..n (any values, e.g. a nonce at its maximum). */
export function stateWith(accounts: readonly Account[]): MemoryState {
  const s = new MemoryState();
  const tree = new SparseMerkleTree(TEST_CONFIG.treeDepth, s);
  tree.updateMany(accounts.map((a, i) => [i + 1, frToBytesLE(accountLeaf(a))] as const));
  s.apply({ nodes: tree.changes, accounts: new Map(accounts.map((a, i) => [i + 1, a])), nextIndex: accounts.length + 1 });
  return s;
}

export type Verdict = {
  /** Every constraint holds and no assertion failed. */
  readonly ok: boolean;
  readonly failedAssertions: readonly string[];
  /** First violated constraint, -1 if none. */
  readonly violated: number;
  readonly witness: readonly Fr[];
};

/**
 * Computes the full witness vector for `input` with the circuit's own code — failed assertions are
 * collected instead of thrown (a template stops at its first failure, leaving later signals 0) — and
 * checks it against the R1CS with the public input as given. A rejection is therefore an R1CS
 * violation, not merely a refusal of the witness generator.
 */
export async function judge(input: CircuitInput): Promise<Verdict> {
  const { calc, r1cs } = await testCircuit();
  const { witness, failedAssertions } = calc.calculate(input, { assertions: 'collect' });
  const violated = firstViolation(r1cs, witness);
  return { ok: violated === -1 && failedAssertions.length === 0, failedAssertions, violated, witness };
}

const circuitDirs = [join(import.meta.dirname, '..', '..', 'circuits'), join(import.meta.dirname, '..', '..', 'node_modules', 'circomlib', 'circuits')];
function circomFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? circomFiles(join(dir, n)) : n.endsWith('.circom') ? [join(dir, n)] : []));
}

/** Line number of `snippet` inside `template name(` in circuits/ or circomlib (what circom's assertion messages cite). */
export function lineOf(template: string, snippet: string): number {
  for (const file of circuitDirs.flatMap((d) => circomFiles(d))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.startsWith(`template ${template}(`));
    if (start < 0) continue;
    const at = lines.findIndex((l, i) => i > start && l.includes(snippet));
    assert.ok(at > start, `snippet not found in template ${template}: ${snippet}`);
    return at + 1;
  }
  return assert.fail(`template ${template} not found`);
}

/**
 * Asserts the verdict is a rejection by the R1CS AND that the circuit's own computation failed at
 * the given check (template + source line; for signature failures, anywhere in the verifier), so a
 * test cannot pass by failing somewhere incidental.
 */
export function assertRejectedAt(v: Verdict, template: string, snippet: string, anyLineOfTemplate = false): void {
  assert.equal(v.ok, false, 'the circuit accepted the input');
  assert.notEqual(v.violated, -1, 'the full witness satisfies the R1CS');
  const line = anyLineOfTemplate ? '\\d+' : String(lineOf(template, snippet));
  const re = new RegExp(`template ${template}_\\d+ line: ${line}\\b`);
  assert.ok(
    v.failedAssertions.some((m) => re.test(m)),
    `expected a failure at ${template} line ${line} (${snippet}); got:\n${v.failedAssertions.join('\n')}`,
  );
}

/** Asserts a rejection (R1CS violated) without pinning where. */
export function assertRejected(v: Verdict): void {
  assert.equal(v.ok, false, 'the circuit accepted the input');
  assert.notEqual(v.violated, -1, 'the full witness satisfies the R1CS');
}
