/** Deterministic batches (deposits then signed transfers) shared by the crash tests and their writer. */
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import type { ApplyBatchParameters } from '../../src/core/stf.ts';
import { signTx, user } from './rollup.ts';

export function crashBatches(count: number): ApplyBatchParameters[] {
  const out: ApplyBatchParameters[] = [];
  const maxFeeF = floatEncode(FLOAT16, 0n);
  for (let b = 0; b < count; b++) {
    const l1Ops = Array.from({ length: 8 }, (_, i) => {
      const u = user((b * 8 + i) % 16);
      return { kind: 'createAccount' as const, l1Address: u.l1Address, tokenId: 0, amount: 1000n, publicKey: u.publicKey };
    });
    // Accounts 1..8b exist before batch b; user(k) owns accounts k+1, k+17, ...
    const l2Txs =
      b === 0
        ? []
        : Array.from({ length: 4 }, (_, i) => {
            const from = i + 1;
            return signTx(user(i), { kind: 'transfer', from, to: from + 1, amountF: floatEncode(FLOAT32, 1n), maxFeeF, nonce: b - 1 });
          });
    out.push({ l1Ops, l2Txs, feeTable: [] });
  }
  return out;
}
