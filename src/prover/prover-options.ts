/** Options of the Groth16 prover pool, with defaults. */
import { availableParallelism } from 'node:os';

export type ProverOptions = {
  /** Worker threads, each proving one batch at a time. Default: 1 (one proof at a time, all cores). */
  readonly threads: number;
  /**
   * BN254 engine inside each worker: 'pool' keeps snarkjs's engine (one thread per core, built once
   * per worker); 'single' makes snarkjs build a one-thread engine for every proof (≈ 0.2-0.3 s each).
   * Measured on the 4k-constraint test circuit, 2 cores: pool 0.85 s/proof alone, 4 proofs on 2
   * workers in 3.2 s; single 1.6 s/proof, 3.8 s.
   */
  readonly engine: 'single' | 'pool';
  /** Check each proof with snarkjs's verifier in the worker before returning it (≈ 10-20 ms). */
  readonly verify: boolean;
};

export const defaultProverOptions: ProverOptions = {
  threads: 1,
  engine: 'pool',
  verify: true,
};

/** A sensible worker count for proving many batches at once on this machine. */
export function parallelProverThreads(): number {
  return Math.max(1, availableParallelism());
}
