import { type ChannelParams, ZERO_ADDRESS } from '../types.ts';
import { type AdjudicatorWriter, type L1TxResult, writeAdjudicator } from './l1Write.ts';

/** A opens the channel and deposits in the same transaction (ETH as value; ERC-20 needs an allowance first). */
export function openChannel(w: AdjudicatorWriter, params: ChannelParams, depositA: bigint, depositB: bigint): Promise<L1TxResult> {
  const isEth = params.token === ZERO_ADDRESS;
  return writeAdjudicator(w, 'open', [{ ...params }, depositA, depositB], isEth ? depositA : undefined);
}
