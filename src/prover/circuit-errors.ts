/**
 * Errors of the batch circuit's tooling: parameters, building a circuit input from an STF result,
 * running the circuit's witness calculator, reading circuit artifacts (.wasm, .r1cs, .sym).
 */
import { RampartError, type RampartErrorOptions } from '../core/errors.ts';

export type CircuitErrorCode =
  /** The circuit parameters are malformed or do not match the STF configuration. */
  | 'CIRCUIT_PARAMS'
  /** The STF result, batch inputs, header or commitment disagree with each other. */
  | 'WITNESS_INCONSISTENT'
  /** The circuit rejected the input while computing the witness (an assertion failed). */
  | 'WITNESS_REJECTED'
  /** A circuit artifact (wasm, r1cs, sym) is missing or malformed. */
  | 'CIRCUIT_ARTIFACT';

export class CircuitError extends RampartError {
  override readonly name: string = 'CircuitError';
  declare readonly code: CircuitErrorCode;
  constructor(code: CircuitErrorCode, message: string, options: RampartErrorOptions = {}) {
    super(code, message, options);
  }
}
