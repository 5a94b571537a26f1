import type { Hex } from 'viem';
import { type AdjudicatorWriter, type L1TxResult, writeAdjudicator } from './l1Write.ts';

/** Pays out a challenged channel once its period is over. Anyone may call it. */
export function settleChannel(w: AdjudicatorWriter, channelId: Hex): Promise<L1TxResult> {
  return writeAdjudicator(w, 'settle', [channelId]);
}
