/**
 * Errors of the trusted-setup tooling: reading circuits and powers-of-tau files, the development
 * ceremony, the snarkjs phase-2 steps, the setup cache and the exported verifier contract.
 */
import { RampartError, type RampartErrorOptions } from '../core/errors.ts';

export type SetupErrorCode =
  /** Options or parameters out of range (power, threads, window, cache folder). */
  | 'SETUP_CONFIG'
  /** The .r1cs file is missing, malformed, or not over BN254. */
  | 'SETUP_R1CS_INVALID'
  /** A powers-of-tau file is missing, malformed, not over BN254, or has no contribution. */
  | 'SETUP_PTAU_INVALID'
  /** The powers-of-tau file's power is smaller than the circuit needs. */
  | 'SETUP_PTAU_TOO_SMALL'
  /** A named circuit has no compiled artifacts (run `npm run build:circuits`). */
  | 'SETUP_CIRCUIT_MISSING'
  /** A setup step (ceremony, snarkjs new/contribute/export) failed. */
  | 'SETUP_FAILED'
  /** solc rejected the generated verifier, or its interface is not the one the Rollup calls. */
  | 'VERIFIER_BUILD_FAILED';

export class SetupError extends RampartError {
  override readonly name: string = 'SetupError';
  declare readonly code: SetupErrorCode;
  constructor(code: SetupErrorCode, message: string, options: RampartErrorOptions = {}) {
    super(code, message, options);
  }
}
