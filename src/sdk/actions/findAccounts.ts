import type { Address } from 'viem';
import { assertPointCoordinates } from '../../core/babyjub.ts';
import type { RampartContext } from '../types.ts';
import { findAccountsResultSchema } from '../schemas.ts';
import { SdkError } from '../errors.ts';
import { checkAddress, checkTokenId } from '../validate.ts';

export type FindAccountsParameters = {
  readonly l1Address?: Address;
  readonly publicKey?: readonly [bigint, bigint];
  readonly tokenId?: number;
};
export type FindAccountsReturnType = readonly number[];

/** Indices of the accounts matching every given field, ascending. */
export async function findAccounts(ctx: RampartContext, params: FindAccountsParameters): Promise<FindAccountsReturnType> {
  const filter: Record<string, unknown> = {};
  if (params.l1Address !== undefined) filter['l1Address'] = checkAddress(params.l1Address, 'l1Address').toLowerCase();
  if (params.publicKey !== undefined) {
    try {
      assertPointCoordinates(params.publicKey, 'publicKey');
    } catch (cause) {
      throw new SdkError('INVALID_ARGUMENT', 'publicKey must be two field elements', { cause, details: { argument: 'publicKey' } });
    }
    filter['publicKey'] = params.publicKey.map((c) => `0x${c.toString(16)}`);
  }
  if (params.tokenId !== undefined) filter['tokenId'] = checkTokenId(params.tokenId);
  // The node refuses a filter by token alone (it would list every account of the token).
  if (filter['l1Address'] === undefined && filter['publicKey'] === undefined) {
    throw new SdkError('INVALID_ARGUMENT', 'findAccounts needs l1Address or publicKey (tokenId only narrows)', { details: { argument: 'filter' } });
  }
  const found = await ctx.transport.request('rampart_findAccounts', [filter], findAccountsResultSchema);
  return [...new Set(found)].sort((a, b) => a - b);
}
