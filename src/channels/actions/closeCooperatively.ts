import type { FullySignedState } from '../types.ts';
import { type AdjudicatorWriter, type L1TxResult, signedArgs, writeAdjudicator } from './l1Write.ts';

/** Submits a final state both parties signed: pays out at once. */
export function closeCooperatively(w: AdjudicatorWriter, final: FullySignedState): Promise<L1TxResult> {
  return writeAdjudicator(w, 'closeCooperatively', signedArgs(final));
}
