/**
 * Forwarding between sequencer nodes (docs/PROTOCOL.md §12, §13): a sequencer that may not commit now
 * sends the transactions of its pending pool to the node that may — the slot's claimed committer, else
 * its leader — at the URL that node registered on L1. The local pool keeps every transaction until a
 * batch on L1 includes it (whoever committed it), so a leader that is unreachable or dies loses
 * nothing: the transactions are re-forwarded to the next leader, or committed by this node when it may
 * commit itself. Each transaction is included at most once because its (sender, nonce) can be used
 * once; the receiving node refuses a second copy as MEMPOOL_DUPLICATE, which counts as delivered.
 *
 * Per target, a transaction is sent once; a transport failure marks the target down for `retryMs`;
 * a refusal (e.g. bad-nonce while an earlier nonce of the sender is still on its way from another node)
 * is retried after `retryMs`. Transactions go in pool order (per sender, nonce order) in JSON-RPC
 * batches of at most `maxBatch`, which the receiving server admits in array order.
 */
import type { Address } from 'viem';
import { RampartError } from '../core/errors.ts';
import { readBounded } from './peer-http.ts';
import type { StoredTx } from './state-db.ts';

export type ForwarderOptions = {
  /** Abort a forwarding request after this long. */
  readonly timeoutMs: number;
  /** Retry a refused transaction, or a target that failed, after this long. */
  readonly retryMs: number;
  /** Most transactions per request (the RPC server's batch limit is 100). */
  readonly maxBatch: number;
};

export const defaultForwarderOptions: ForwarderOptions = { timeoutMs: 2_000, retryMs: 1_000, maxBatch: 100 };

export type ForwardTarget = { readonly address: Address; readonly url: string };

export type ForwarderDeps = {
  /** The pending pool, in arrival order. */
  readonly pending: () => readonly StoredTx[];
  /** Where transactions should go now; undefined when this node may commit itself (or nobody leads). */
  readonly target: () => Promise<ForwardTarget | undefined>;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
};

export class ForwarderError extends RampartError {
  override readonly name = 'ForwarderError';
}

/** A registered URL is untrusted input (any member sets its own): http(s), at most 256 bytes. */
export function assertForwardUrl(url: string): URL {
  if (url.length === 0 || url.length > 256) throw new ForwarderError('FORWARD_BAD_URL', `registered URL has ${url.length} bytes (1..256)`);
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new ForwarderError('FORWARD_BAD_URL', `registered URL ${JSON.stringify(url)} does not parse`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ForwarderError('FORWARD_BAD_URL', `registered URL ${JSON.stringify(url)} is not http(s)`);
  if (u.username !== '' || u.password !== '') throw new ForwarderError('FORWARD_BAD_URL', 'registered URL carries credentials');
  return u;
}

/** Answers to ≤ 100 sendTransaction calls are a few kB; a peer's URL is untrusted, so bound what is read. */
const MAX_ANSWER_BYTES = 1 << 20;

type RpcAnswer = { id?: unknown; result?: unknown; error?: { code?: number; message?: string; data?: { code?: string; reason?: string } } };

export class Forwarder {
  /** hash -> (target it reached, or when to retry). */
  private readonly delivered = new Map<string, string>();
  private readonly retryAt = new Map<string, number>();
  private readonly downUntil = new Map<string, number>();
  forwarded = 0;
  failures = 0;

  constructor(
    private readonly opts: ForwarderOptions,
    private readonly deps: ForwarderDeps,
  ) {
    if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs < 1) throw new ForwarderError('FORWARD_CONFIG', 'forwarder timeoutMs must be a positive integer');
    if (!Number.isInteger(opts.retryMs) || opts.retryMs < 1) throw new ForwarderError('FORWARD_CONFIG', 'forwarder retryMs must be a positive integer');
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1 || opts.maxBatch > 100) throw new ForwarderError('FORWARD_CONFIG', 'forwarder maxBatch must be in 1..100');
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  /** Forwards what the current target has not received yet; returns how many it accepted. */
  async step(): Promise<number> {
    const pending = this.deps.pending();
    const live = new Set<string>(pending.flatMap((t) => (t.hash === null ? [] : [t.hash])));
    for (const h of [...this.delivered.keys()]) if (!live.has(h)) this.delivered.delete(h);
    for (const h of [...this.retryAt.keys()]) if (!live.has(h)) this.retryAt.delete(h);
    if (pending.length === 0) return 0;
    const target = await this.deps.target();
    if (target === undefined) return 0;
    const key = target.address.toLowerCase();
    const now = this.now();
    if ((this.downUntil.get(key) ?? 0) > now) return 0;
    let url: URL;
    try {
      url = assertForwardUrl(target.url);
    } catch (err) {
      this.downUntil.set(key, now + this.opts.retryMs);
      this.log('forward-bad-url', { target: target.address, error: err instanceof Error ? err.message : String(err) });
      return 0;
    }
    // Per sender, stop at the first transaction not sent: a later nonce alone would be refused.
    const blocked = new Set<number>();
    const todo: StoredTx[] = [];
    for (const t of pending) {
      if (t.hash === null || t.signature === null) continue;
      if (this.delivered.get(t.hash) === key) continue;
      if (blocked.has(t.from) || (this.retryAt.get(t.hash) ?? 0) > now) {
        blocked.add(t.from);
        continue;
      }
      todo.push(t);
      if (todo.length >= this.opts.maxBatch) break;
    }
    if (todo.length === 0) return 0;
    const body = todo.map((t, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'rampart_sendTransaction',
      params: [{ kind: t.kind, from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, nonce: t.nonce, signature: t.signature }],
    }));
    let answers: RpcAnswer[];
    try {
      const res = await (this.deps.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'error',
      });
      const text = await readBounded(res, MAX_ANSWER_BYTES);
      if (text === undefined) throw new ForwarderError('FORWARD_BAD_ANSWER', `answer exceeds ${MAX_ANSWER_BYTES} bytes`);
      const json: unknown = JSON.parse(text);
      if (!Array.isArray(json)) throw new ForwarderError('FORWARD_BAD_ANSWER', `HTTP ${res.status}: not a JSON-RPC batch answer`);
      answers = json as RpcAnswer[];
    } catch (err) {
      this.failures++;
      this.downUntil.set(key, now + this.opts.retryMs);
      this.log('forward-failed', { target: target.address, url: target.url, txs: todo.length, error: err instanceof Error ? err.message : String(err) });
      return 0;
    }
    let ok = 0;
    const refused: Record<string, number> = {};
    for (const [i, t] of todo.entries()) {
      const a = answers.find((x) => x.id === i);
      const hash = t.hash as string;
      const accepted = a !== undefined && (a.result !== undefined || a.error?.data?.code === 'MEMPOOL_DUPLICATE');
      if (accepted) {
        this.delivered.set(hash, key);
        this.retryAt.delete(hash);
        ok++;
      } else {
        const why = a?.error?.data?.reason ?? a?.error?.data?.code ?? 'no answer';
        refused[why] = (refused[why] ?? 0) + 1;
        this.retryAt.set(hash, now + this.opts.retryMs);
      }
    }
    this.forwarded += ok;
    this.log('forwarded', { target: target.address, accepted: ok, ...(Object.keys(refused).length === 0 ? {} : { refused }) });
    return ok;
  }
}
