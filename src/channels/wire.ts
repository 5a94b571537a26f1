/**
 * Messages of the peer protocol (docs/CHANNELS.md "Wire format"). Each is JSON with a `t` tag, sent
 * inside an authenticated frame (transport/session.ts). Decoded with zod: a frame that does not match
 * is refused with CHANNEL_BAD_MESSAGE.
 */
import { z } from 'zod';
import {
  channelDomainSchema,
  channelParamsSchema,
  hex32Schema,
  signatureSchema,
  signedStateSchema,
  stateSchema,
  uintStringSchema,
} from './codec.ts';

const channelId = hex32Schema.transform((s) => s.toLowerCase() as `0x${string}`);
const payment = z.object({ id: z.string().max(200), amount: uintStringSchema });
const proposal = z.object({ state: stateSchema, sig: signatureSchema, payments: z.array(payment).max(100_000) });

export const wireBodySchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('open-propose'),
    domain: channelDomainSchema,
    params: channelParamsSchema,
    depositA: uintStringSchema,
    depositB: uintStringSchema,
  }),
  z.object({ t: z.literal('open-accept'), channelId }),
  z.object({ t: z.literal('open-funded'), channelId }),
  z.object({ t: z.literal('open-deposited'), channelId }),
  z.object({
    t: z.literal('resume'),
    channelId,
    latest: signedStateSchema,
    penGen: z.number().int().nonnegative(),
    outbox: z.array(proposal).max(1024),
  }),
  z.object({ t: z.literal('update'), channelId, proposals: z.array(proposal).min(1).max(1024) }),
  z.object({ t: z.literal('ack'), channelId, version: uintStringSchema, sig: signatureSchema }),
  z.object({ t: z.literal('pen-request'), channelId }),
  z.object({ t: z.literal('pen-grant'), channelId, penGen: z.number().int().positive() }),
  z.object({
    t: z.literal('error'),
    channelId: channelId.optional(),
    code: z.string().max(64),
    message: z.string().max(1000),
  }),
]);

export type WireBody = z.output<typeof wireBodySchema>;
/** What senders build (numbers as decimal strings). */
export type WireBodyJson = z.input<typeof wireBodySchema>;
export type WireProposal = z.output<typeof proposal>;
