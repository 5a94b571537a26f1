/**
 * JSON-RPC 2.0 over HTTP to a Rampart node, with a timeout per request and a cap on the response
 * size. The envelope is validated here (id, result xor error); each action validates its `result`
 * with its own schema. Node error codes map to SdkError codes (see rpc-server.ts for the wire).
 */
import { z } from 'zod';
import { readBounded } from '../node/peer-http.ts';
import { SdkError } from './errors.ts';

export type RpcTransport = {
  readonly url: string;
  /** Sends one request; resolves with the validated result or throws an SdkError. */
  readonly request: <T>(method: string, params: readonly unknown[], schema: z.ZodType<T>) => Promise<T>;
};

export type CreateHttpTransportParameters = {
  readonly url: string;
  /** Per-request timeout (connect + answer). */
  readonly timeoutMs: number;
  /** Larger bodies are refused (a node cannot make the SDK buffer without bound). */
  readonly maxResponseBytes: number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
};

const rpcErrorSchema = z.object({ code: z.number().int(), message: z.string().max(4096), data: z.unknown().optional() });
const envelopeSchema = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.union([z.number(), z.string(), z.null()]), result: z.unknown() }).strict(),
  z.object({ jsonrpc: z.literal('2.0'), id: z.union([z.number(), z.string(), z.null()]), error: rpcErrorSchema }).strict(),
]);
const rejectDataSchema = z.object({ reason: z.string().max(64).nullable().optional(), code: z.string().max(64).optional() });
const codeDataSchema = z.object({ code: z.string().max(64) });

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'result'}: ${i.message}`)
    .join('; ');
}

/** Validates `value` with `schema`, turning a failure into NODE_INVALID_RESPONSE naming the method. */
export function parseResult<T>(method: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new SdkError('NODE_INVALID_RESPONSE', `${method}: invalid result (${describe(r.error.issues)})`, { details: { method } });
  }
  return r.data;
}

function errorFromRpc(method: string, e: z.infer<typeof rpcErrorSchema>): SdkError {
  const details = { method, rpcCode: e.code, rpcMessage: e.message };
  switch (e.code) {
    case -32003: {
      const data = rejectDataSchema.safeParse(e.data);
      const reason = data.success ? (data.data.reason ?? null) : null;
      return new SdkError('TX_REJECTED', `transaction rejected${reason === null ? '' : `: ${reason}`}`, { details: { ...details, reason } });
    }
    case -32005:
      return new SdkError('NODE_BUSY', `${method}: node busy, retry later (${e.message})`, { details });
    case -32601:
      return new SdkError('RPC_METHOD_NOT_FOUND', `${method}: the node does not implement this method`, { details });
    case -32602:
      return new SdkError('RPC_INVALID_PARAMS', `${method}: node refused the parameters (${e.message})`, { details });
    default: {
      const data = codeDataSchema.safeParse(e.data);
      return new SdkError('RPC_ERROR', `${method}: node error ${e.code}: ${e.message}`, {
        details: { ...details, ...(data.success ? { nodeCode: data.data.code } : {}) },
      });
    }
  }
}

async function readLimited(res: Response, limit: number, method: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new SdkError('RPC_BAD_RESPONSE', `${method}: response of ${declared} bytes exceeds ${limit}`, { details: { method } });
  }
  const text = await readBounded(res, limit);
  if (text === undefined) throw new SdkError('RPC_BAD_RESPONSE', `${method}: response exceeds ${limit} bytes`, { details: { method } });
  return text;
}

export function createHttpTransport(params: CreateHttpTransportParameters): RpcTransport {
  let url: URL;
  try {
    url = new URL(params.url);
  } catch (cause) {
    throw new SdkError('INVALID_ARGUMENT', `rpcUrl is not a URL: ${params.url}`, { cause, details: { argument: 'rpcUrl' } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SdkError('INVALID_ARGUMENT', `rpcUrl must be http(s), got ${url.protocol}`, { details: { argument: 'rpcUrl' } });
  }
  const doFetch = params.fetch ?? fetch;
  let nextId = 1;

  async function request<T>(method: string, rpcParams: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    const id = nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: rpcParams });
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), params.timeoutMs);
    let text: string;
    try {
      let res: Response;
      try {
        res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ctl.signal });
      } catch (cause) {
        if (ctl.signal.aborted) throw new SdkError('RPC_TIMEOUT', `${method}: no answer from ${url.origin} within ${params.timeoutMs} ms`, { cause, details: { method } });
        throw new SdkError('RPC_UNREACHABLE', `${method}: cannot reach ${url.origin}`, { cause, details: { method } });
      }
      try {
        text = await readLimited(res, params.maxResponseBytes, method);
      } catch (cause) {
        if (cause instanceof SdkError) throw cause;
        if (ctl.signal.aborted) throw new SdkError('RPC_TIMEOUT', `${method}: answer from ${url.origin} not complete within ${params.timeoutMs} ms`, { cause, details: { method } });
        throw new SdkError('RPC_UNREACHABLE', `${method}: connection to ${url.origin} failed`, { cause, details: { method } });
      }
      if (res.status !== 200) {
        // The node sends JSON-RPC errors with 200; other statuses come from proxies or a wrong URL.
        throw new SdkError('RPC_BAD_RESPONSE', `${method}: HTTP ${res.status} from ${url.origin}`, { details: { method, status: res.status } });
      }
    } finally {
      clearTimeout(timer);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new SdkError('RPC_BAD_RESPONSE', `${method}: response is not JSON`, { cause, details: { method } });
    }
    const env = envelopeSchema.safeParse(raw);
    // zod treats a missing `unknown` key as present-but-undefined; the wire must carry one of the two.
    if (!env.success) throw new SdkError('RPC_BAD_RESPONSE', `${method}: not a JSON-RPC 2.0 response (${describe(env.error.issues)})`, { details: { method } });
    if (!('result' in (raw as object)) && !('error' in (raw as object))) throw new SdkError('RPC_BAD_RESPONSE', `${method}: response has neither result nor error`, { details: { method } });
    if (env.data.id !== id) throw new SdkError('RPC_BAD_RESPONSE', `${method}: response id ${String(env.data.id)} does not match request id ${id}`, { details: { method } });
    if ('error' in env.data) throw errorFromRpc(method, env.data.error);
    return parseResult(method, schema, env.data.result);
  }

  return { url: url.toString(), request };
}
