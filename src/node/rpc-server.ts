/**
 * The node's JSON-RPC 2.0 server over HTTP (node:http). It owns the wire: body limits, JSON parsing,
 * request and parameter validation (zod, rpc-schemas.ts), batching, and mapping typed errors to
 * Ethereum-style error codes. What the methods do lives behind `RpcBackend`, which the node wires.
 *
 * Error codes: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
 * params (with zod's messages), -32003 transaction rejected (data.reason = the STF's reason),
 * -32005 limit exceeded (mempool back-pressure; retry later), -32000 other typed node errors
 * (data.code), -32603 internal error (no details leak).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import type { L2Tx } from '../core/tx.ts';
import { MempoolError } from './mempool.ts';
import {
  accountParams,
  batchParams,
  exitProofParams,
  findAccountsParams,
  requestSchema,
  sendTransactionParams,
  submitHeaderParams,
  toL2Tx,
  txStatusParams,
} from './rpc-schemas.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the node answers; implementations return JSON-ready views (bigints already hex strings). */
export type RpcBackend = {
  readonly sendTransaction: (tx: L2Tx) => Promise<{ readonly hash: string }>;
  readonly getAccount: (index: number) => Json;
  /** Indices (at most 1000) of accounts matching every given field. */
  readonly findAccounts: (filter: { readonly l1Address?: bigint | undefined; readonly publicKey?: readonly [bigint, bigint] | undefined; readonly tokenId?: number | undefined }) => number[];
  readonly getTransaction: (hash: string) => Json;
  readonly getBatch: (batchNum: number) => Json;
  /** A batch's full record with its signed transactions (what a prover elsewhere needs), or null. */
  readonly getBatchInput?: (batchNum: number) => Json;
  readonly getExitProof: (batchNum: number, slot: number) => Json;
  /** Signed batch headers (pre-confirmations) of batches ≥ fromBatch this node holds; with a sequencer registry only. */
  readonly getBatchHeaders?: (fromBatch: number) => Json;
  /** Takes a signed batch header to check and keep (a user reporting its pre-confirmation): 'new' | 'known' | 'conflict'. */
  readonly submitBatchHeader?: (header: z.infer<typeof submitHeaderParams>[0]) => Promise<string>;
  readonly status: () => Json;
};

export type RpcServerOptions = {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly maxBatch: number;
};

export const defaultRpcServerOptions: RpcServerOptions = { host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, maxBatch: 100 };

export type RpcServer = { readonly url: string; readonly close: () => Promise<void> };

type RpcErrorBody = { code: number; message: string; data?: Json };

class RpcFailure extends Error {
  constructor(readonly body: RpcErrorBody) {
    super(body.message);
  }
}

function invalidParams(err: z.ZodError): RpcFailure {
  const issues = err.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`);
  return new RpcFailure({ code: -32602, message: `invalid params: ${issues.join('; ')}`, data: issues });
}

function parse<T>(schema: z.ZodType<T>, params: unknown): T {
  const r = schema.safeParse(params ?? []);
  if (!r.success) throw invalidParams(r.error);
  return r.data;
}

function toRpcError(err: unknown): RpcErrorBody {
  if (err instanceof RpcFailure) return err.body;
  if (err instanceof MempoolError) {
    if (err.code === 'MEMPOOL_FULL' || err.code === 'MEMPOOL_ACCOUNT_FULL') return { code: -32005, message: err.message, data: { code: err.code } };
    if (err.code === 'TX_REJECTED') return { code: -32003, message: err.message, data: { code: err.code, reason: err.reason ?? null } };
    return { code: -32000, message: err.message, data: { code: err.code } };
  }
  if (err instanceof RampartError) return { code: err.code === 'INVALID_INPUT' ? -32602 : -32000, message: err.message, data: { code: err.code } };
  return { code: -32603, message: 'internal error' };
}

async function dispatch(backend: RpcBackend, method: string, params: unknown): Promise<Json> {
  switch (method) {
    case 'rampart_sendTransaction': {
      const [tx] = parse(sendTransactionParams, params);
      return (await backend.sendTransaction(toL2Tx(tx))).hash;
    }
    case 'rampart_getAccount':
      return backend.getAccount(parse(accountParams, params)[0]);
    case 'rampart_findAccounts':
      return backend.findAccounts(parse(findAccountsParams, params)[0]);
    case 'rampart_getTransaction':
      return backend.getTransaction(parse(txStatusParams, params)[0]);
    case 'rampart_getBatch':
      return backend.getBatch(parse(batchParams, params)[0]);
    case 'rampart_getBatchInput': {
      const [n] = parse(batchParams, params);
      if (backend.getBatchInput === undefined) throw new RpcFailure({ code: -32601, message: 'method not found: rampart_getBatchInput' });
      return backend.getBatchInput(n);
    }
    case 'rampart_getExitProof': {
      const [batchNum, slot] = parse(exitProofParams, params);
      return backend.getExitProof(batchNum, slot);
    }
    case 'rampart_getBatchHeaders': {
      const [from] = parse(batchParams, params);
      if (backend.getBatchHeaders === undefined) throw new RpcFailure({ code: -32601, message: 'method not found: rampart_getBatchHeaders (no sequencer registry)' });
      return backend.getBatchHeaders(from);
    }
    case 'rampart_submitBatchHeader': {
      const [h] = parse(submitHeaderParams, params);
      if (backend.submitBatchHeader === undefined) throw new RpcFailure({ code: -32601, message: 'method not found: rampart_submitBatchHeader (no sequencer registry)' });
      return backend.submitBatchHeader(h);
    }
    case 'rampart_status':
      return backend.status();
    default:
      throw new RpcFailure({ code: -32601, message: `method not found: ${method}` });
  }
}

async function handleOne(backend: RpcBackend, raw: unknown): Promise<Json | undefined> {
  const req = requestSchema.safeParse(raw);
  const id = typeof raw === 'object' && raw !== null && 'id' in raw ? (raw as { id: unknown }).id : null;
  const safeId: Json = typeof id === 'string' || typeof id === 'number' ? id : null;
  if (!req.success) return { jsonrpc: '2.0', id: safeId, error: { code: -32600, message: 'invalid request', data: req.error.issues.map((i) => i.message) } };
  const isNotification = !('id' in (raw as object));
  try {
    const result = await dispatch(backend, req.data.method, req.data.params);
    return isNotification ? undefined : { jsonrpc: '2.0', id: req.data.id ?? null, result };
  } catch (err) {
    return isNotification ? undefined : { jsonrpc: '2.0', id: req.data.id ?? null, error: toRpcError(err) as unknown as Json };
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new RpcFailure({ code: -32600, message: `request body exceeds ${limit} bytes` }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function createRpcServer(options: Partial<RpcServerOptions>, deps: { readonly backend: RpcBackend }): Promise<RpcServer> {
  const opts = { ...defaultRpcServerOptions, ...options };
  const send = (res: ServerResponse, status: number, body: Json): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST') {
        send(res, 405, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'JSON-RPC requests are HTTP POSTs' } });
        return;
      }
      let text: string;
      try {
        text = await readBody(req, opts.maxBodyBytes);
      } catch (err) {
        send(res, 413, { jsonrpc: '2.0', id: null, error: toRpcError(err) as unknown as Json });
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: body is not JSON' } });
        return;
      }
      if (Array.isArray(raw)) {
        if (raw.length === 0 || raw.length > opts.maxBatch) {
          send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32600, message: `a batch holds 1..${opts.maxBatch} requests` } });
          return;
        }
        const out = (await Promise.all(raw.map((r) => handleOne(deps.backend, r)))).filter((x): x is Json => x !== undefined);
        if (out.length === 0) {
          res.writeHead(204).end();
          return;
        }
        send(res, 200, out);
        return;
      }
      const one = await handleOne(deps.backend, raw);
      if (one === undefined) res.writeHead(204).end();
      else send(res, 200, one);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'internal error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
