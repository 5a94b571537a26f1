import type { Hex } from 'viem';
import { type AdjudicatorWriter, type L1TxResult, writeAdjudicator } from './l1Write.ts';

/** A takes its deposit back while B has not funded the channel. */
export function cancelChannel(w: AdjudicatorWriter, channelId: Hex): Promise<L1TxResult> {
  return writeAdjudicator(w, 'cancel', [channelId]);
}
