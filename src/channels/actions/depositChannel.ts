import type { Hex } from 'viem';
import { type AdjudicatorWriter, type L1TxResult, writeAdjudicator } from './l1Write.ts';

/** B's deposit, which opens the channel for payments (ETH as value; ERC-20 needs an allowance first). */
export function depositChannel(w: AdjudicatorWriter, channelId: Hex, ethValue: bigint | undefined): Promise<L1TxResult> {
  return writeAdjudicator(w, 'deposit', [channelId], ethValue);
}
