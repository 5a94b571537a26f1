/**
 * The watchtower service: holds the newest doubly-signed state of many channels, scans L1 for
 * ChallengeRegistered events, and answers every close on an older version within the challenge period.
 * When its answer proves a stale close the adjudicator pays it `watchtowerFeeBps` of the cheater's
 * forfeited balance. Everything it needs to resume (states, open disputes, the scan cursor) is in LMDB,
 * so a restart mid-dispute continues where it stopped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Address, type Hex, getAddress } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { open, type Database, type RootDatabase } from 'lmdb';
import { z } from 'zod';
import { createL1Clients, type L1Clients } from '../../l1/createL1Clients.ts';
import { ContractRevertedError } from '../../l1/errors.ts';
import { adjudicatorAbi } from '../../l1/generated/Adjudicator.ts';
import { createSerialQueue } from '../../l1/serialQueue.ts';
import { respondChallenge } from '../actions/respondChallenge.ts';
import type { AdjudicatorWriter, L1TxResult } from '../actions/l1Write.ts';
import { readChannel } from '../actions/readChannel.ts';
import { decodeOrThrow, fullySignedStateSchema, fullySignedToJson, hex32Schema } from '../codec.ts';
import { createSignatureVerifier, type SignatureVerifier } from '../createSignatureVerifier.ts';
import { ChannelError } from '../errors.ts';
import { domainSeparator, hashState } from '../hashState.ts';
import type { FullySignedState } from '../types.ts';
import { validateState } from '../validateState.ts';
import { type WatchtowerOptions, defaultWatchtowerOptions } from './options.ts';
import {
  RPC_INTERNAL,
  RPC_INVALID_PARAMS,
  RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND,
  RPC_PARSE_ERROR,
  RPC_STATE_REFUSED,
  type RpcResponse,
  rpcRequestSchema,
} from './rpc.ts';

export type WatchtowerParameters = Pick<WatchtowerOptions, 'dbPath' | 'privateKey' | 'l1Url' | 'adjudicator'> & Partial<WatchtowerOptions>;

export type WatchtowerDeps = {
  readonly l1?: L1Clients;
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
};

export type WatchtowerStatus = {
  readonly address: Address;
  readonly channels: number;
  readonly disputes: number;
  readonly responses: number;
  readonly cursor: string;
};

export type Watchtower = {
  readonly address: Address;
  /** http:// URL of the JSON-RPC endpoint. */
  readonly url: string;
  readonly status: () => WatchtowerStatus;
  readonly stateOf: (channelId: Hex) => FullySignedState | undefined;
  /** One scan-and-answer pass (the timer calls it; tests may too). */
  readonly tick: () => Promise<void>;
  /** Responses sent, newest last. */
  readonly responses: () => readonly { channelId: Hex; version: bigint; tx: Hex }[];
  readonly stop: () => Promise<void>;
};

type ChannelInfo = { participantA: Address; participantB: Address; total: bigint };

const channelInfoSchema = z.object({
  participantA: z.string().transform((s) => getAddress(s)),
  participantB: z.string().transform((s) => getAddress(s)),
  total: z.string().regex(/^[0-9]+$/).transform((s) => BigInt(s)),
});
const disputeSchema = z.object({ deadline: z.string().regex(/^[0-9]+$/).transform((s) => BigInt(s)) });

export async function createWatchtower(params: WatchtowerParameters, deps: WatchtowerDeps = {}): Promise<Watchtower> {
  const opts: WatchtowerOptions = { ...defaultWatchtowerOptions, ...params };
  const log = deps.log ?? (() => {});
  const address = privateKeyToAddress(opts.privateKey);
  const l1 = deps.l1 ?? (await createL1Clients({ url: opts.l1Url, privateKey: opts.privateKey, pollingIntervalMs: opts.l1PollingIntervalMs }));
  const adjudicator = getAddress(opts.adjudicator);
  const separator = domainSeparator({ chainId: l1.chain.id, adjudicator });
  const writer: AdjudicatorWriter = { clients: l1, adjudicator, queue: createSerialQueue() };

  const root: RootDatabase = open({ path: opts.dbPath, maxDbs: 8 });
  const states: Database<string, string> = root.openDB({ name: 'states', encoding: 'string' });
  const infos: Database<string, string> = root.openDB({ name: 'channels', encoding: 'string' });
  const disputes: Database<string, string> = root.openDB({ name: 'disputes', encoding: 'string' });
  const meta: Database<string, string> = root.openDB({ name: 'meta', encoding: 'string' });
  const durable = async (p: Promise<unknown>): Promise<void> => {
    await p;
    await root.flushed;
  };

  const verifiers = new Map<string, SignatureVerifier>();
  const verifierFor = (a: Address): SignatureVerifier => {
    let v = verifiers.get(a);
    if (v === undefined) {
      v = createSignatureVerifier(a);
      verifiers.set(a, v);
    }
    return v;
  };
  const sent: { channelId: Hex; version: bigint; tx: Hex }[] = [];

  const parseJson = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const stateOf = (channelId: Hex): FullySignedState | undefined => {
    const text = states.get(channelId.toLowerCase());
    return text === undefined
      ? undefined
      : decodeOrThrow(fullySignedStateSchema, parseJson(text), 'CHANNEL_STORAGE_CORRUPT', 'tower state');
  };
  const infoOf = async (channelId: Hex): Promise<ChannelInfo & { status: string }> => {
    const cached = infos.get(channelId);
    const onchain = await readChannel(l1, adjudicator, channelId);
    if (cached !== undefined) {
      return { ...decodeOrThrow(channelInfoSchema, parseJson(cached), 'CHANNEL_STORAGE_CORRUPT', 'tower channel'), status: onchain.status };
    }
    if (onchain.status === 'none') throw new ChannelError('CHANNEL_UNKNOWN', 'the adjudicator does not know this channel');
    if (onchain.status !== 'open' && onchain.status !== 'challenged') {
      throw new ChannelError('CHANNEL_WRONG_STATUS', `channel is ${onchain.status} on L1`);
    }
    const info = { participantA: onchain.participantA, participantB: onchain.participantB, total: onchain.depositA + onchain.depositB };
    await durable(infos.put(channelId, JSON.stringify({ ...info, total: info.total.toString() })));
    return { ...info, status: onchain.status };
  };

  // Submissions for one channel are handled one at a time so versions only move forward.
  const submitQueues = new Map<string, ReturnType<typeof createSerialQueue>>();
  const submit = async (raw: unknown): Promise<{ channelId: Hex; version: string; stored: boolean }> => {
    const s = decodeOrThrow(fullySignedStateSchema, raw, 'CHANNEL_BAD_MESSAGE', 'state');
    const channelId = s.state.channelId.toLowerCase() as Hex;
    let q = submitQueues.get(channelId);
    if (q === undefined) {
      q = createSerialQueue();
      submitQueues.set(channelId, q);
    }
    return q(async () => {
      const held = stateOf(channelId);
      if (held !== undefined && held.state.version >= s.state.version) {
        return { channelId, version: held.state.version.toString(), stored: false };
      }
      const info = await infoOf(channelId);
      validateState({ channelId, total: info.total, state: s.state });
      const digest = hashState(separator, s.state);
      if (!verifierFor(info.participantA).verify(digest, s.sigA) || !verifierFor(info.participantB).verify(digest, s.sigB)) {
        throw new ChannelError('CHANNEL_BAD_SIGNATURE', 'state is not signed by both participants');
      }
      await durable(states.put(channelId, JSON.stringify(fullySignedToJson(s))));
      // Handed over during a dispute: remember to answer it.
      if (info.status === 'challenged' && disputes.get(channelId) === undefined) {
        const c = await readChannel(l1, adjudicator, channelId);
        await durable(disputes.put(channelId, JSON.stringify({ deadline: c.deadline.toString() })));
      }
      return { channelId, version: s.state.version.toString(), stored: true };
    });
  };

  // ------------------------------------------------------------------ L1 scan

  let cursor = meta.get('cursor');
  if (cursor === undefined) {
    const start = opts.startBlock ?? (await l1.public.getBlockNumber());
    cursor = (start - 1n < 0n ? 0n : start - 1n).toString();
    await durable(meta.put('cursor', cursor));
  }

  const scan = async (): Promise<void> => {
    const head = await l1.public.getBlockNumber();
    let from = BigInt(cursor ?? '0') + 1n;
    while (from <= head) {
      const to = from + BigInt(opts.maxBlockRange) - 1n < head ? from + BigInt(opts.maxBlockRange) - 1n : head;
      const logs = await l1.public.getContractEvents({
        address: adjudicator,
        abi: adjudicatorAbi,
        eventName: 'ChallengeRegistered',
        fromBlock: from,
        toBlock: to,
        strict: true,
      });
      const next = to.toString();
      await durable(
        root.batch(() => {
          for (const ev of logs) {
            const id = ev.args.channelId.toLowerCase();
            if (states.get(id) !== undefined) void disputes.put(id, JSON.stringify({ deadline: ev.args.deadline.toString() }));
          }
          void meta.put('cursor', next);
        }),
      );
      cursor = next;
      from = to + 1n;
    }
  };

  const answer = async (): Promise<void> => {
    const block = await l1.public.getBlock({ blockTag: 'latest' });
    for (const { key, value } of [...disputes.getRange({})]) {
      const channelId = key as Hex;
      const d = decodeOrThrow(disputeSchema, parseJson(value), 'CHANNEL_STORAGE_CORRUPT', 'dispute');
      const held = stateOf(channelId);
      const onchain = await readChannel(l1, adjudicator, channelId);
      if (held === undefined || onchain.status !== 'challenged' || block.timestamp >= d.deadline) {
        await durable(disputes.remove(channelId));
        continue;
      }
      if (held.state.version <= onchain.version) continue;
      try {
        const tx: L1TxResult = await respondChallenge(writer, held);
        sent.push({ channelId, version: held.state.version, tx: tx.hash });
        log('responded', { channelId, version: held.state.version.toString(), tx: tx.hash });
      } catch (err) {
        // Another responder got there first; the next pass re-reads the chain.
        if (!(err instanceof ContractRevertedError && (err.reason === 'StaleVersion' || err.reason === 'WrongStatus'))) throw err;
      }
    }
  };

  let ticking: Promise<void> | undefined;
  const tick = (): Promise<void> => {
    ticking ??= (async () => {
      await scan();
      await answer();
    })().finally(() => {
      ticking = undefined;
    });
    return ticking;
  };

  // ------------------------------------------------------------------ JSON-RPC server

  const handle = async (text: string): Promise<RpcResponse> => {
    const json = parseJson(text);
    if (json === undefined) return { jsonrpc: '2.0', id: null, error: { code: RPC_PARSE_ERROR, message: 'parse error' } };
    const req = rpcRequestSchema.safeParse(json);
    if (!req.success) return { jsonrpc: '2.0', id: null, error: { code: RPC_INVALID_REQUEST, message: 'invalid request' } };
    const { id, method, params: args } = req.data;
    try {
      switch (method) {
        case 'tower_submitState':
          return { jsonrpc: '2.0', id, result: await submit(args[0]) };
        case 'tower_getState': {
          const cid = hex32Schema.safeParse(args[0]);
          if (!cid.success) return { jsonrpc: '2.0', id, error: { code: RPC_INVALID_PARAMS, message: 'expected a channel id' } };
          const s = stateOf(cid.data.toLowerCase() as Hex);
          return { jsonrpc: '2.0', id, result: s === undefined ? null : fullySignedToJson(s) };
        }
        case 'tower_status':
          return { jsonrpc: '2.0', id, result: status() };
        default:
          return { jsonrpc: '2.0', id, error: { code: RPC_METHOD_NOT_FOUND, message: `unknown method ${method}` } };
      }
    } catch (err) {
      if (err instanceof ChannelError) {
        return { jsonrpc: '2.0', id, error: { code: RPC_STATE_REFUSED, message: err.message, data: { code: err.code } } };
      }
      log('rpc-error', { err: String(err) });
      return { jsonrpc: '2.0', id, error: { code: RPC_INTERNAL, message: 'internal error' } };
    }
  };

  const status = (): WatchtowerStatus => ({
    address,
    channels: states.getCount({}),
    disputes: disputes.getCount({}),
    responses: sent.length,
    cursor: cursor ?? '0',
  });

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > opts.maxRequestBytes) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      void handle(Buffer.concat(chunks).toString()).then((body) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
        );
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort, opts.listenHost, () => resolve());
  });
  const url = `http://${opts.listenHost}:${(server.address() as AddressInfo).port}`;

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    timer = setTimeout(() => {
      void tick()
        .catch((err: unknown) => log('tick-error', { err: String(err) }))
        .finally(() => {
          if (!stopped) loop();
        });
    }, opts.pollIntervalMs);
  };
  if (opts.pollIntervalMs > 0) loop();

  return {
    address,
    url,
    status,
    stateOf,
    tick,
    responses: () => sent,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await ticking?.catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await root.close();
    },
  };
}
