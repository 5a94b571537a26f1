import type { FullySignedState } from '../types.ts';
import { type AdjudicatorWriter, type L1TxResult, signedArgs, writeAdjudicator } from './l1Write.ts';

/** Answers a pending close with a newer doubly-signed state (the other party or a watchtower). */
export function respondChallenge(w: AdjudicatorWriter, newer: FullySignedState): Promise<L1TxResult> {
  return writeAdjudicator(w, 'respond', signedArgs(newer));
}
