/**
 * Parameters of the batch circuit (circuits/batch.circom `Batch(levels, exitLevels, maxL1Ops,
 * maxL2Txs, maxFeeTokens)`) and the named sets the repository compiles.
 *
 * A circuit instance fixes the whole batch layout, so the STF configuration it proves must agree:
 * treeDepth = 2·levels, exitTreeDepth = 2·exitLevels, the same maxL1Ops and maxFeeTokens, and at
 * most maxL2Txs included transactions per batch.
 */
import { createStfConfig, type StfConfig } from '../core/stf.ts';
import { CircuitError } from './circuit-errors.ts';

export type CircuitParams = {
  /** State tree levels (4-ary): treeDepth / 2. */
  readonly levels: number;
  /** Exit tree levels: exitTreeDepth / 2. */
  readonly exitLevels: number;
  readonly maxL1Ops: number;
  readonly maxL2Txs: number;
  readonly maxFeeTokens: number;
};

/**
 * - `test`: what the circuit tests replay (≤ 2^15 constraints): a 16-leaf tree, so tree-full is
 *   reachable, one L1 op, two L2 transactions, one fee token.
 * - `devnet`: the production tree (depth 32) and exit tree (depth 16) with the smallest batch that
 *   still has two L2 slots; ≈ 90k constraints, < 2^17, so a development setup stays about a minute.
 * - `test-wide`: a 4-leaf tree with two slots of every kind, so the tests also cover the wiring
 *   between consecutive L1 slots and fee entries (≤ 2^15 constraints as well).
 * - `depth32-tx1`: devnet with one L2 slot; `devnet` minus this is the cost of one transfer at
 *   depth 32 (bench/circuit.bench.ts). `depth32-l1x2`: devnet with two L1 slots, for the L1-op cost.
 * - `depth32-tx8`: devnet with eight L2 slots (≈ 250k constraints, < 2^18): the larger batch whose
 *   setup (≈ 8 min on the loaded 2-core box) and proving are timed by `npm run bench:large` only.
 */
export const CIRCUIT_SETS = {
  test: { levels: 2, exitLevels: 2, maxL1Ops: 1, maxL2Txs: 2, maxFeeTokens: 1 },
  'test-wide': { levels: 1, exitLevels: 2, maxL1Ops: 2, maxL2Txs: 2, maxFeeTokens: 2 },
  devnet: { levels: 16, exitLevels: 8, maxL1Ops: 1, maxL2Txs: 2, maxFeeTokens: 1 },
  'depth32-tx1': { levels: 16, exitLevels: 8, maxL1Ops: 1, maxL2Txs: 1, maxFeeTokens: 1 },
  'depth32-l1x2': { levels: 16, exitLevels: 8, maxL1Ops: 2, maxL2Txs: 2, maxFeeTokens: 1 },
  'depth32-tx8': { levels: 16, exitLevels: 8, maxL1Ops: 1, maxL2Txs: 8, maxFeeTokens: 1 },
} as const satisfies Record<string, CircuitParams>;

export type CircuitSetName = keyof typeof CIRCUIT_SETS;

export function isCircuitSetName(name: string): name is CircuitSetName {
  return Object.hasOwn(CIRCUIT_SETS, name);
}

export function assertCircuitParams(params: CircuitParams): void {
  const int = (v: number, lo: number, hi: number, name: string): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new CircuitError('CIRCUIT_PARAMS', `${name} must be an integer in ${lo}..${hi}, got ${v}`, { details: { [name]: v } });
    }
  };
  int(params.levels, 1, 16, 'levels');
  int(params.exitLevels, 1, 16, 'exitLevels');
  int(params.maxL1Ops, 1, 2 ** 16 - 1, 'maxL1Ops');
  int(params.maxL2Txs, 1, 2 ** 32 - 1, 'maxL2Txs');
  int(params.maxFeeTokens, 1, 8, 'maxFeeTokens');
  if (params.maxL1Ops + params.maxL2Txs > 4 ** params.exitLevels) {
    throw new CircuitError('CIRCUIT_PARAMS', 'maxL1Ops + maxL2Txs exceed the exit tree slots', { details: { ...params } });
  }
}

/** Throws unless the circuit proves batches of exactly this STF configuration. */
export function assertParamsMatchConfig(params: CircuitParams, config: StfConfig): void {
  assertCircuitParams(params);
  const mismatch: string[] = [];
  if (config.treeDepth !== 2 * params.levels) mismatch.push(`treeDepth ${config.treeDepth} != 2·levels ${2 * params.levels}`);
  if (config.exitTreeDepth !== 2 * params.exitLevels) mismatch.push(`exitTreeDepth ${config.exitTreeDepth} != 2·exitLevels ${2 * params.exitLevels}`);
  if (config.maxL1Ops !== params.maxL1Ops) mismatch.push(`maxL1Ops ${config.maxL1Ops} != ${params.maxL1Ops}`);
  if (config.maxFeeTokens !== params.maxFeeTokens) mismatch.push(`maxFeeTokens ${config.maxFeeTokens} != ${params.maxFeeTokens}`);
  if (config.maxL2Txs !== params.maxL2Txs) mismatch.push(`maxL2Txs ${config.maxL2Txs} != ${params.maxL2Txs}`);
  if (mismatch.length > 0) {
    throw new CircuitError('CIRCUIT_PARAMS', `circuit parameters do not match the STF config: ${mismatch.join('; ')}`, { details: { mismatch } });
  }
}

/** The STF configuration a circuit of these parameters proves, for a deployment's domain. */
export function stfConfigForCircuit(params: CircuitParams, domain: StfConfig['domain']): StfConfig {
  assertCircuitParams(params);
  return createStfConfig({
    domain,
    treeDepth: 2 * params.levels,
    exitTreeDepth: 2 * params.exitLevels,
    maxL1Ops: params.maxL1Ops,
    maxL2Txs: params.maxL2Txs,
    maxFeeTokens: params.maxFeeTokens,
  });
}

/** The circom `component main` line for these parameters. */
export function circuitMainSource(params: CircuitParams, batchCircomPath: string): string {
  assertCircuitParams(params);
  const { levels, exitLevels, maxL1Ops, maxL2Txs, maxFeeTokens } = params;
  return [
    'pragma circom 2.1.5;',
    `include "${batchCircomPath}";`,
    `component main {public [inputHash]} = Batch(${levels}, ${exitLevels}, ${maxL1Ops}, ${maxL2Txs}, ${maxFeeTokens});`,
    '',
  ].join('\n');
}
