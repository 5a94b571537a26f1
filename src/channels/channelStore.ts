/**
 * The client's embedded database (LMDB): channel records, the signed proposals not yet countersigned
 * (the outbox, re-sent after a restart), and a per-state payment log. Every change of one step of the
 * protocol is written in one atomic batch and the protocol waits for the commit before it tells the
 * peer or the application anything, so a kill -9 at any point leaves either the step or nothing.
 */
import { type Hex } from 'viem';
import { open, type RootDatabase, type Database } from 'lmdb';
import { z } from 'zod';
import {
  channelDomainSchema,
  channelParamsSchema,
  channelParamsToJson,
  decodeOrThrow,
  domainToJson,
  hex32Schema,
  signatureSchema,
  signedStateFromJson,
  signedStateSchema,
  signedStateToJson,
  stateSchema,
  stateToJson,
  uintStringSchema,
} from './codec.ts';
import type { ChannelDomain, ChannelParams, Role, SignedState, State } from './types.ts';

export type ChannelStatus = 'proposed' | 'opening' | 'open' | 'closing' | 'challenged' | 'closed';

export type PaymentEntry = { readonly id: string; readonly amount: bigint };

export type ChannelRecord = {
  readonly channelId: Hex;
  readonly domain: ChannelDomain;
  readonly params: ChannelParams;
  readonly role: Role;
  readonly depositA: bigint;
  readonly depositB: bigint;
  readonly status: ChannelStatus;
  /** Newest state with both signatures (version 0, the opening state, has none). */
  readonly latest: SignedState;
  /** Turn counter: even = A may propose, odd = B may. Only the holder increments it (by granting). */
  readonly penGen: number;
  /** How to reach the peer (set on the side that dialled). */
  readonly peerUrl?: string;
  readonly sentCount: number;
  readonly sentAmount: bigint;
  readonly receivedCount: number;
  readonly receivedAmount: bigint;
  /** L1 transactions this client sent for the channel, for the record. */
  readonly l1Txs: readonly Hex[];
};

/** A state this client signed and sent, not yet countersigned back. */
export type Proposal = {
  readonly state: State;
  readonly sig: Hex;
  readonly payments: readonly PaymentEntry[];
};

export type PaymentLogEntry = {
  readonly version: bigint;
  readonly direction: 'in' | 'out';
  readonly payments: readonly PaymentEntry[];
};

const paymentSchema = z.object({ id: z.string().max(200), amount: uintStringSchema });

const recordSchema = z.object({
  channelId: hex32Schema.transform((s) => s.toLowerCase() as Hex),
  domain: channelDomainSchema,
  params: channelParamsSchema,
  role: z.enum(['A', 'B']),
  depositA: uintStringSchema,
  depositB: uintStringSchema,
  status: z.enum(['proposed', 'opening', 'open', 'closing', 'challenged', 'closed']),
  latest: signedStateSchema,
  penGen: z.number().int().nonnegative(),
  peerUrl: z.string().optional(),
  sentCount: z.number().int().nonnegative(),
  sentAmount: uintStringSchema,
  receivedCount: z.number().int().nonnegative(),
  receivedAmount: uintStringSchema,
  l1Txs: z.array(hex32Schema.transform((s) => s as Hex)),
});

const proposalSchema = z.object({ state: stateSchema, sig: signatureSchema, payments: z.array(paymentSchema) });
const paymentLogSchema = z.object({
  version: uintStringSchema,
  direction: z.enum(['in', 'out']),
  payments: z.array(paymentSchema),
});

function recordToJson(r: ChannelRecord): z.input<typeof recordSchema> {
  return {
    channelId: r.channelId,
    domain: domainToJson(r.domain),
    params: channelParamsToJson(r.params),
    role: r.role,
    depositA: r.depositA.toString(),
    depositB: r.depositB.toString(),
    status: r.status,
    latest: signedStateToJson(r.latest),
    penGen: r.penGen,
    ...(r.peerUrl === undefined ? {} : { peerUrl: r.peerUrl }),
    sentCount: r.sentCount,
    sentAmount: r.sentAmount.toString(),
    receivedCount: r.receivedCount,
    receivedAmount: r.receivedAmount.toString(),
    l1Txs: [...r.l1Txs],
  };
}

function paymentsToJson(p: readonly PaymentEntry[]): { id: string; amount: string }[] {
  return p.map((x) => ({ id: x.id, amount: x.amount.toString() }));
}

/** Zero-padded so lexicographic key order is version order. */
function versionKey(channelId: Hex, version: bigint): string {
  return `${channelId.toLowerCase()}:${version.toString().padStart(20, '0')}`;
}

export type ChannelStoreOptions = {
  readonly path: string;
  /**
   * Wait for fsync before a step counts as done. Off, a commit survives a killed process (the OS has the
   * pages) but not a power cut; on, it survives both at the cost of a disk flush per batch.
   */
  readonly fsync: boolean;
};

export type ChannelStore = {
  readonly get: (channelId: Hex) => ChannelRecord | undefined;
  readonly list: () => ChannelRecord[];
  readonly outbox: (channelId: Hex) => Proposal[];
  readonly paymentLog: (channelId: Hex) => PaymentLogEntry[];
  /**
   * Writes one protocol step atomically: the record, proposals to add, outbox entries up to a version
   * to drop, and payment-log entries. Resolves once committed (and flushed, with fsync).
   */
  readonly commit: (step: {
    readonly record: ChannelRecord;
    readonly addProposals?: readonly Proposal[];
    readonly dropProposalsUpTo?: bigint;
    readonly log?: readonly PaymentLogEntry[];
  }) => Promise<void>;
  readonly getMeta: (key: string) => string | undefined;
  readonly putMeta: (key: string, value: string) => Promise<void>;
  readonly close: () => Promise<void>;
};

export function openChannelStore(opts: ChannelStoreOptions): ChannelStore {
  const root: RootDatabase = open({ path: opts.path, maxDbs: 8, overlappingSync: opts.fsync });
  const channels: Database<string, string> = root.openDB({ name: 'channels', encoding: 'string' });
  const outboxDb: Database<string, string> = root.openDB({ name: 'outbox', encoding: 'string' });
  const logDb: Database<string, string> = root.openDB({ name: 'payments', encoding: 'string' });
  const meta: Database<string, string> = root.openDB({ name: 'meta', encoding: 'string' });

  const parse = <S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return decodeOrThrow(schema, json, 'CHANNEL_STORAGE_CORRUPT', what);
  };
  const decodeRecord = (text: string): ChannelRecord => {
    const r = parse(recordSchema, text, 'channel record');
    const { peerUrl, latest, ...rest } = r;
    return { ...rest, latest: signedStateFromJson(latest), ...(peerUrl === undefined ? {} : { peerUrl }) };
  };

  const rangeOf = (channelId: Hex): { start: string; end: string } => {
    const id = channelId.toLowerCase();
    return { start: `${id}:`, end: `${id};` };
  };

  return {
    get: (channelId) => {
      const text = channels.get(channelId.toLowerCase());
      return text === undefined ? undefined : decodeRecord(text);
    },
    list: () => [...channels.getRange({})].map(({ value }) => decodeRecord(value)),
    outbox: (channelId) =>
      [...outboxDb.getRange(rangeOf(channelId))].map(({ value }) => parse(proposalSchema, value, 'proposal')),
    paymentLog: (channelId) =>
      [...logDb.getRange(rangeOf(channelId))].map(({ value }) => parse(paymentLogSchema, value, 'payment log')),
    commit: async (step) => {
      const id = step.record.channelId;
      const done = root.batch(() => {
        void channels.put(id.toLowerCase(), JSON.stringify(recordToJson(step.record)));
        for (const p of step.addProposals ?? []) {
          void outboxDb.put(
            versionKey(id, p.state.version),
            JSON.stringify({ state: stateToJson(p.state), sig: p.sig, payments: paymentsToJson(p.payments) }),
          );
        }
        if (step.dropProposalsUpTo !== undefined) {
          const { start } = rangeOf(id);
          for (const { key } of outboxDb.getRange({ start, end: versionKey(id, step.dropProposalsUpTo + 1n) })) {
            void outboxDb.remove(key);
          }
        }
        for (const e of step.log ?? []) {
          void logDb.put(
            versionKey(id, e.version),
            JSON.stringify({ version: e.version.toString(), direction: e.direction, payments: paymentsToJson(e.payments) }),
          );
        }
      });
      await done;
      if (opts.fsync) await root.flushed;
    },
    getMeta: (key) => meta.get(key),
    putMeta: async (key, value) => {
      await meta.put(key, value);
      if (opts.fsync) await root.flushed;
    },
    close: async () => {
      await root.close();
    },
  };
}
