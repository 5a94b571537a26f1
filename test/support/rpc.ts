/** A bare JSON-RPC 2.0 client for tests (the SDK is the user-facing client). */
import { toHexQ } from '../../src/node/stored-tx.ts';
import type { L2Tx } from '../../src/core/tx.ts';

export class RpcCallError extends Error {
  constructor(readonly code: number, message: string, readonly data: unknown) {
    super(message);
  }
}

let nextId = 1;
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } };
  if (body.error !== undefined) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
  return body.result as T;
}

export function txJson(tx: L2Tx): Record<string, unknown> {
  return { kind: tx.kind, from: tx.from, to: tx.to, amountF: tx.amountF, maxFeeF: tx.maxFeeF, nonce: tx.nonce, signature: { r8: [toHexQ(tx.signature.r8[0]), toHexQ(tx.signature.r8[1])], s: toHexQ(tx.signature.s) } };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
