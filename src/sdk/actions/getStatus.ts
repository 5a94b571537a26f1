import type { RampartContext } from '../types.ts';
import { statusResultSchema, type NodeStatus } from '../schemas.ts';

export type GetStatusReturnType = NodeStatus;

/** The node's view: chain, rollup, latest and last final batch, pending transactions, next account index. */
export function getStatus(ctx: RampartContext): Promise<GetStatusReturnType> {
  return ctx.transport.request('rampart_status', [], statusResultSchema);
}
