import type { RampartContext } from '../types.ts';
import type { NodeTransaction } from '../schemas.ts';
import { SdkError, isSdkError } from '../errors.ts';
import { checkTimeout, checkTxHash, sleep } from '../validate.ts';
import { getTransaction } from './getTransaction.ts';

export type WaitForFinalityParameters = {
  readonly hash: string;
  /** Default: the client's waitTimeoutMs. */
  readonly timeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** Called whenever the status changes (pending → committed → final). */
  readonly onStatus?: (tx: NodeTransaction | null) => void;
};
export type WaitForFinalityReturnType = NodeTransaction & { readonly status: 'final'; readonly batchNum: number };

/**
 * Polls the node until the transaction is in a proven batch. A rejection is TX_REJECTED (with the
 * STF's reason); running out of time is WAIT_TIMEOUT carrying the last status seen. Transient RPC
 * failures (timeouts, unreachable, busy) are retried until the deadline.
 */
export async function waitForFinality(ctx: RampartContext, params: WaitForFinalityParameters): Promise<WaitForFinalityReturnType> {
  const hash = checkTxHash(params.hash);
  const timeoutMs = checkTimeout(params.timeoutMs ?? ctx.options.waitTimeoutMs, 'timeoutMs');
  const interval = checkTimeout(params.pollIntervalMs ?? ctx.options.pollIntervalMs, 'pollIntervalMs');
  const deadline = Date.now() + timeoutMs;
  let last: NodeTransaction | null = null;
  let lastStatus: string | undefined;
  let lastError: SdkError | undefined;
  for (;;) {
    try {
      const tx = await getTransaction(ctx, { hash });
      lastError = undefined;
      last = tx;
      const status = tx?.status ?? 'unknown';
      if (status !== lastStatus) {
        lastStatus = status;
        params.onStatus?.(tx);
      }
      if (tx !== null && tx.status === 'final' && tx.batchNum !== null) return { ...tx, status: 'final', batchNum: tx.batchNum };
      if (tx !== null && tx.status === 'rejected') {
        throw new SdkError('TX_REJECTED', `transaction ${hash} rejected: ${tx.reason ?? 'no reason given'}`, { details: { hash, reason: tx.reason } });
      }
    } catch (err) {
      if (!(isSdkError(err) && err.retryable)) throw err;
      lastError = err;
    }
    if (Date.now() + interval > deadline) {
      throw new SdkError('WAIT_TIMEOUT', `transaction ${hash} not final after ${timeoutMs} ms (last status: ${last?.status ?? 'unknown to the node'})`, {
        details: { hash, last: last?.status ?? null, batchNum: last?.batchNum ?? null },
        ...(lastError === undefined ? {} : { cause: lastError }),
      });
    }
    await sleep(interval);
  }
}
