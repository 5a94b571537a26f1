/** Messages between the prover pool (main thread) and its workers. */
import type { ProvingErrorCode } from './prover-errors.ts';

/** A circuit input: each input signal name maps to a value or a (nested) array of values. */
export type ProverInputValue = bigint | readonly ProverInputValue[];
export type ProverInput = Readonly<Record<string, ProverInputValue>>;

export type ProverWorkerInit = {
  readonly type: 'init';
  readonly wasmPath: string;
  readonly zkeyPath: string;
  readonly singleThread: boolean;
  readonly verify: boolean;
};

export type ProverWorkerRequest = ProverWorkerInit | { readonly type: 'prove'; readonly id: number; readonly input: ProverInput };

export type ProofPoints = {
  readonly a: readonly [bigint, bigint];
  readonly b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  readonly c: readonly [bigint, bigint];
};

export type ProverWorkerResponse =
  | { readonly type: 'ready'; readonly nPublic: number; readonly witnessSize: number }
  | {
      readonly type: 'proof';
      readonly id: number;
      readonly proof: ProofPoints;
      readonly publicSignals: readonly bigint[];
      readonly witnessMs: number;
      readonly proveMs: number;
      readonly verifyMs: number;
    }
  | { readonly type: 'error'; readonly id: number; readonly code: ProvingErrorCode; readonly message: string };
