/** Errors of the Groth16 prover pool (witness generation and proving on worker threads). */
import { RampartError, type RampartErrorOptions } from '../core/errors.ts';

export type ProvingErrorCode =
  /** Options out of range, or the wasm / zkey files are missing or unreadable. */
  | 'PROVER_CONFIG'
  /** The circuit refused the input: a constraint cannot be satisfied, or a signal is missing. */
  | 'WITNESS_FAILED'
  /** snarkjs failed to prove, or the proof it made does not verify against the key. */
  | 'PROVE_FAILED'
  /** prove() after close(). */
  | 'PROVER_CLOSED'
  /** A worker thread died. */
  | 'PROVER_WORKER';

export class ProvingError extends RampartError {
  override readonly name: string = 'ProvingError';
  declare readonly code: ProvingErrorCode;
  constructor(code: ProvingErrorCode, message: string, options: RampartErrorOptions = {}) {
    super(code, message, options);
  }
}
