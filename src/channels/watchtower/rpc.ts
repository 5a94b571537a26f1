/**
 * The watchtower's JSON-RPC 2.0 interface over HTTP POST (docs/CHANNELS.md "Watchtower protocol").
 *   tower_submitState([{state, sigA, sigB}]) -> {channelId, version, stored: boolean}
 *   tower_getState([channelId])              -> {state, sigA, sigB} | null
 *   tower_status([])                         -> {address, channels, disputes, responses, cursor}
 * Errors carry the channel error code in `data.code`.
 */
import { z } from 'zod';

export const rpcRequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.number(), z.string(), z.null()]),
  method: z.string().max(64),
  params: z.array(z.unknown()).max(4).default([]),
});

export type RpcResponse =
  | { jsonrpc: '2.0'; id: number | string | null; result: unknown }
  | { jsonrpc: '2.0'; id: number | string | null; error: { code: number; message: string; data?: { code: string } } };

/** JSON-RPC error codes used by the tower. */
export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
/** The state was refused; data.code names the reason. */
export const RPC_STATE_REFUSED = -32000;
export const RPC_INTERNAL = -32603;
