/**
 * A scriptable stand-in for a Rampart node's JSON-RPC: each method maps to a handler returning a
 * result, a JSON-RPC error, or a raw HTTP answer (to play a broken or malicious node).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { domainHash } from '../../src/core/tx.ts';

export type Reply =
  | { readonly result: unknown }
  | { readonly error: { readonly code: number; readonly message: string; readonly data?: unknown } }
  /** Sent as is: status, body text (e.g. not JSON, wrong id). */
  | { readonly raw: { readonly status: number; readonly body: string } }
  /** Never answered (timeout tests). */
  | { readonly hang: true };

export type Handler = (params: unknown[], id: unknown) => Reply | Promise<Reply>;

export type MockNode = {
  readonly url: string;
  readonly handlers: Map<string, Handler>;
  readonly calls: { method: string; params: unknown[] }[];
  readonly close: () => Promise<void>;
};

export const CHAIN_ID = 31337;
export const ROLLUP = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const DOMAIN_DIGEST = domainHash({ chainId: BigInt(CHAIN_ID), rollupAddress: BigInt(ROLLUP) });

export function statusResult(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    chainId: CHAIN_ID,
    rollup: ROLLUP,
    deployBlock: '0x1',
    batchNum: 3,
    lastFinal: 2,
    root: '0x1234',
    pending: 0,
    nextIndex: 4,
    domain: `0x${DOMAIN_DIGEST.toString(16)}`,
    ...over,
  };
}

export async function startMockNode(): Promise<MockNode> {
  const handlers = new Map<string, Handler>();
  const calls: { method: string; params: unknown[] }[] = [];
  const hanging: ServerResponse[] = [];
  handlers.set('rampart_status', () => ({ result: statusResult() }));
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown; method: string; params: unknown[] };
        calls.push({ method: body.method, params: body.params });
        const h = handlers.get(body.method);
        const reply: Reply = h === undefined ? { error: { code: -32601, message: `method not found: ${body.method}` } } : await h(body.params, body.id);
        if ('hang' in reply) {
          hanging.push(res);
          return;
        }
        if ('raw' in reply) {
          res.writeHead(reply.raw.status, { 'content-type': 'application/json' }).end(reply.raw.body);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, ...reply }));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    handlers,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
