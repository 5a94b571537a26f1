import type { Hex } from 'viem';
import type { SignedState } from '../types.ts';
import { type AdjudicatorWriter, type L1TxResult, stateArg, writeAdjudicator } from './l1Write.ts';

const EMPTY: Hex = '0x';

/** Unilateral close with the latest state held; the opening state (version 0) goes without signatures. */
export function forceClose(w: AdjudicatorWriter, latest: SignedState): Promise<L1TxResult> {
  return writeAdjudicator(w, 'forceClose', [stateArg(latest.state), latest.sigA ?? EMPTY, latest.sigB ?? EMPTY]);
}
