/** Options of the trusted-setup tooling (development ceremony, phase 2, cache), with defaults. */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export type CeremonyOptions = {
  /** Worker threads computing points. Default: the machine's available parallelism. */
  readonly threads: number;
  /**
   * Fixed-base window width per group (bits); undefined chooses by a cost model (larger windows mean
   * fewer additions per point but bigger tables to build).
   */
  readonly windowG1: number | undefined;
  readonly windowG2: number | undefined;
  /** Name recorded in the ptau's contribution record (ASCII, ≤ 64 characters). */
  readonly contributionName: string;
  /** Points per worker job: small enough for smooth progress, large enough to amortise messages. */
  readonly chunkG1: number;
  readonly chunkG2: number;
};

export const defaultCeremonyOptions: CeremonyOptions = {
  threads: availableParallelism(),
  windowG1: undefined,
  windowG2: undefined,
  contributionName: 'rampart development ceremony (single party, not for production)',
  chunkG1: 8192,
  chunkG2: 2048,
};

export type SetupOptions = {
  /** Where set-up circuits are cached: `<cacheDir>/<sha256 of the r1cs>/`. */
  readonly cacheDir: string;
  /** Redo every step even when the cache holds a matching setup. */
  readonly force: boolean;
  /** Name of the phase-2 (zkey) contribution. */
  readonly zkeyContributionName: string;
  /**
   * How the development ceremony makes the proving key: 'direct' computes it from the ceremony's
   * secrets (seconds; byte-identical to snarkjs `zkey new` before the contribution), 'snarkjs' runs
   * `zkey new` + `zkey contribute` on the dev ptau (over 12 minutes for the devnet circuit here).
   * An imported ptau always goes through snarkjs: its secrets are unknown.
   */
  readonly phase2: 'direct' | 'snarkjs';
  readonly ceremony: CeremonyOptions;
};

export const defaultSetupOptions: SetupOptions = {
  cacheDir: join('.cache', 'setup'),
  force: false,
  zkeyContributionName: 'rampart development phase-2 contribution',
  phase2: 'direct',
  ceremony: defaultCeremonyOptions,
};

/**
 * Relative costs (G1 batch-affine addition = 1, measured 0.57 µs): an addition while multiplying,
 * and a table entry (a mixed Jacobian addition plus its share of the batched affine conversion).
 */
const ADD_COST = { G1: 1, G2: 3.3 } as const;
const TABLE_COST = { G1: 2.8, G2: 11 } as const;

/**
 * The window minimising additions per worker: h(w)·n (multiplications) + h(w)·2^(w−1) (table),
 * with h(w) = ceil(255/w). For 2^17 ceremonies this picks 15-16 bits (≈ 16 additions per point).
 */
export function chooseWindow(group: 'G1' | 'G2', pointsPerWorker: number): number {
  let best = 4;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let w = 4; w <= 16; w++) {
    const h = Math.ceil(255 / w);
    const cost = h * pointsPerWorker * ADD_COST[group] + h * 2 ** (w - 1) * TABLE_COST[group];
    if (cost < bestCost) {
      bestCost = cost;
      best = w;
    }
  }
  return best;
}
