/**
 * JSON forms of channel objects, for the wire and the database. Numbers travel as decimal strings
 * (uint256 does not fit a JSON number); every decoder is a zod schema, so whatever arrives from a peer,
 * a watchtower client or a file is checked before it is trusted. Range checks that carry protocol
 * meaning (uint256 overflow, sums) are left to validateState so they get their own error codes.
 */
import { type Address, type Hex, getAddress } from 'viem';
import { z } from 'zod';
import { ChannelError } from './errors.ts';
import type { ChannelDomain, ChannelParams, FullySignedState, SignedState, State } from './types.ts';

export const hex32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32-byte hex');
export const signatureSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte signature')
  .transform((s) => s as Hex);
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte address')
  .transform((s) => getAddress(s));
/** Up to 100 digits, so an out-of-range value still parses and is refused later with its own code. */
export const uintStringSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,99})$/, 'expected a non-negative decimal integer')
  .transform((s) => BigInt(s));
/** Accepts a leading minus too, so a negative balance is reported as such rather than as "malformed". */
export const intStringSchema = z
  .string()
  .regex(/^-?(0|[1-9][0-9]{0,99})$/, 'expected a decimal integer')
  .transform((s) => BigInt(s));

export const stateSchema = z.object({
  channelId: hex32Schema.transform((s) => s.toLowerCase() as Hex),
  version: uintStringSchema,
  balanceA: intStringSchema,
  balanceB: intStringSchema,
  isFinal: z.boolean(),
});

export type StateJson = z.input<typeof stateSchema>;

export function stateToJson(s: State): StateJson {
  return {
    channelId: s.channelId,
    version: s.version.toString(),
    balanceA: s.balanceA.toString(),
    balanceB: s.balanceB.toString(),
    isFinal: s.isFinal,
  };
}

export const signedStateSchema = z.object({
  state: stateSchema,
  sigA: signatureSchema.optional(),
  sigB: signatureSchema.optional(),
});

export type SignedStateJson = z.input<typeof signedStateSchema>;

export function signedStateToJson(s: SignedState): SignedStateJson {
  return {
    state: stateToJson(s.state),
    ...(s.sigA === undefined ? {} : { sigA: s.sigA }),
    ...(s.sigB === undefined ? {} : { sigB: s.sigB }),
  };
}

export function signedStateFromJson(v: z.output<typeof signedStateSchema>): SignedState {
  return {
    state: v.state,
    ...(v.sigA === undefined ? {} : { sigA: v.sigA }),
    ...(v.sigB === undefined ? {} : { sigB: v.sigB }),
  };
}

export const fullySignedStateSchema = z.object({ state: stateSchema, sigA: signatureSchema, sigB: signatureSchema });

export function fullySignedToJson(s: FullySignedState): z.input<typeof fullySignedStateSchema> {
  return { state: stateToJson(s.state), sigA: s.sigA, sigB: s.sigB };
}

export const channelParamsSchema = z.object({
  participantA: addressSchema,
  participantB: addressSchema,
  token: addressSchema,
  nonce: uintStringSchema,
  challengePeriod: z.number().int().positive().max(0xffffffff),
  pipelineWindow: z.number().int().positive().max(0xffff),
});

export function channelParamsToJson(p: ChannelParams): z.input<typeof channelParamsSchema> {
  return { ...p, nonce: p.nonce.toString() };
}

export const channelDomainSchema = z.object({
  chainId: z.number().int().positive(),
  adjudicator: addressSchema,
});

export function domainToJson(d: ChannelDomain): { chainId: number; adjudicator: Address } {
  return { chainId: d.chainId, adjudicator: d.adjudicator };
}

/** Parses `value` with `schema`, turning a zod failure into a ChannelError with the first issue's path. */
export function decodeOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: 'CHANNEL_BAD_MESSAGE' | 'CHANNEL_STORAGE_CORRUPT' | 'CHANNEL_INVALID_PARAMS' | 'CHANNEL_AUTH_FAILED' | 'CHANNEL_TOWER_FAILED',
  what: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    throw new ChannelError(code, `malformed ${what}${where}`, { details: { issues: r.error.issues.length } });
  }
  return r.data;
}
