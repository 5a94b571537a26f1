/**
 * A channel party: its database, its peer connections, one ChannelEngine per open channel, the L1
 * calls (open, deposit, close, respond, settle), an L1 monitor that answers disputes, and the feed of
 * doubly-signed states to a watchtower. Constructed as (opts, deps); wired by the CLI.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type Address, type Hex, erc20Abi, getAddress } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { WebSocketServer } from 'ws';
import { createL1Clients, type L1Clients } from '../l1/createL1Clients.ts';
import { ContractRevertedError, L1Error } from '../l1/errors.ts';
import { sendAndWait } from '../l1/sendAndWait.ts';
import { createSerialQueue } from '../l1/serialQueue.ts';
import { cancelChannel } from './actions/cancelChannel.ts';
import { closeCooperatively } from './actions/closeCooperatively.ts';
import { depositChannel } from './actions/depositChannel.ts';
import { forceClose } from './actions/forceClose.ts';
import { openChannel } from './actions/openChannel.ts';
import { respondChallenge } from './actions/respondChallenge.ts';
import { settleChannel } from './actions/settleChannel.ts';
import type { AdjudicatorWriter, L1TxResult } from './actions/l1Write.ts';
import { readChannel, type OnchainChannel } from './actions/readChannel.ts';
import { type ChannelRecord, type ChannelStore, type PaymentEntry, type PaymentLogEntry, openChannelStore } from './channelStore.ts';
import { channelParamsToJson } from './codec.ts';
import { computeChannelId } from './computeChannelId.ts';
import { createSignatureVerifier, type SignatureVerifier } from './createSignatureVerifier.ts';
import { ChannelEngine, type PaymentReceipt } from './engine.ts';
import { ChannelError } from './errors.ts';
import { domainSeparator } from './hashState.ts';
import { type ChannelClientOptions, defaultChannelClientOptions } from './options.ts';
import { signDigest, privateKeyBytes } from './signDigest.ts';
import { type Session, type SessionHandlers, acceptSession, dialSession } from './transport/session.ts';
import { type ChannelDomain, type ChannelParams, type FullySignedState, ZERO_ADDRESS } from './types.ts';
import { createTowerFeed, type TowerFeed } from './watchtower/createTowerFeed.ts';
import type { WireBody, WireBodyJson } from './wire.ts';

export type ChannelClientParameters = Pick<ChannelClientOptions, 'dbPath' | 'privateKey' | 'l1Url' | 'adjudicator'> &
  Partial<ChannelClientOptions>;

export type ChannelClientDeps = {
  /** Reuse L1 clients (tests); otherwise created from l1Url. */
  readonly l1?: L1Clients;
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
};

export type OpenChannelParameters = {
  /** ws:// URL of the counterparty's listener. */
  readonly peerUrl: string;
  /** Refuse the peer unless it proves this address. */
  readonly peerAddress?: Address;
  readonly depositA: bigint;
  readonly depositB: bigint;
  /** ERC-20 token; ETH when omitted. */
  readonly token?: Address;
  readonly challengePeriod?: number;
  readonly pipelineWindow?: number;
};

export type ChannelEvents = {
  payment: [record: ChannelRecord, payments: readonly PaymentEntry[], version: bigint];
  dispute: [record: ChannelRecord, onchain: OnchainChannel];
  responded: [record: ChannelRecord, tx: L1TxResult];
  settled: [record: ChannelRecord, tx: L1TxResult | undefined];
  violation: [record: ChannelRecord, err: ChannelError];
  error: [err: unknown];
};

export type ChannelClient = {
  readonly address: Address;
  readonly domain: ChannelDomain;
  /** ws:// URL peers dial, when listening. */
  readonly url: string | undefined;
  readonly events: EventEmitter<ChannelEvents>;
  readonly l1: L1Clients;
  readonly openChannel: (p: OpenChannelParameters) => Promise<ChannelRecord>;
  readonly pay: (channelId: Hex, amount: bigint, id?: string) => Promise<PaymentReceipt>;
  /** Agrees a final state with the peer and submits it: one L1 transaction. */
  readonly closeCooperatively: (channelId: Hex) => Promise<L1TxResult>;
  /** Unilateral close with the latest doubly-signed state held. */
  readonly forceClose: (channelId: Hex) => Promise<L1TxResult>;
  readonly settle: (channelId: Hex) => Promise<L1TxResult>;
  readonly cancel: (channelId: Hex) => Promise<L1TxResult>;
  readonly channel: (channelId: Hex) => ChannelRecord | undefined;
  readonly channels: () => ChannelRecord[];
  readonly paymentLog: (channelId: Hex) => PaymentLogEntry[];
  /** Dials the peers of open channels this client knows how to reach (done by start()). */
  readonly reconnect: () => Promise<void>;
  /** One pass of the L1 monitor (the timer calls it; tests may too). */
  readonly checkL1: () => Promise<void>;
  /** Waits until the watchtower holds our newest states. */
  readonly flushTower: () => Promise<void>;
  /** Waits until every engine has processed what it received. */
  readonly idle: () => Promise<void>;
  readonly stop: () => Promise<void>;
};

type PendingReply = { readonly resolve: (b: WireBody) => void; readonly reject: (e: unknown) => void; readonly timer: NodeJS.Timeout };

export async function createChannelClient(params: ChannelClientParameters, deps: ChannelClientDeps = {}): Promise<ChannelClient> {
  const opts: ChannelClientOptions = { ...defaultChannelClientOptions, ...params };
  const log = deps.log ?? (() => {});
  const address = privateKeyToAddress(opts.privateKey);
  const keyBytes = privateKeyBytes(opts.privateKey);
  const identity = { address, privateKey: keyBytes };
  const l1 =
    deps.l1 ?? (await createL1Clients({ url: opts.l1Url, privateKey: opts.privateKey, pollingIntervalMs: opts.l1PollingIntervalMs }));
  const domain: ChannelDomain = { chainId: l1.chain.id, adjudicator: getAddress(opts.adjudicator) };
  const separator = domainSeparator(domain);
  const writer: AdjudicatorWriter = { clients: l1, adjudicator: domain.adjudicator, queue: createSerialQueue() };
  const store: ChannelStore = openChannelStore({ path: opts.dbPath, fsync: opts.fsync });
  const events = new EventEmitter<ChannelEvents>();
  // An 'error' event without listeners would throw; the client reports, callers choose to listen.
  events.on('error', (err) => log('error', { err: String(err) }));
  const sign = (digest: Uint8Array): Hex => signDigest(keyBytes, digest);

  const sessions = new Map<string, Session>();
  const verifiers = new Map<string, SignatureVerifier>();
  const engines = new Map<string, ChannelEngine>();
  const replies = new Map<string, PendingReply>();
  const dialling = new Map<string, Promise<Session>>();
  let stopped = false;
  let monitorTimer: NodeJS.Timeout | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const closingSince = new Map<string, number>();

  const tower: TowerFeed | undefined =
    opts.towerUrl === undefined ? undefined : createTowerFeed({ url: opts.towerUrl, onError: (err) => events.emit('error', err) });

  const key = (a: string): string => a.toLowerCase();
  const peerOf = (r: ChannelRecord): Address => (r.role === 'A' ? r.params.participantB : r.params.participantA);
  const verifierFor = (peer: Address): SignatureVerifier => {
    let v = verifiers.get(key(peer));
    if (v === undefined) {
      v = createSignatureVerifier(peer);
      verifiers.set(key(peer), v);
    }
    return v;
  };

  const sendTo = (peer: Address, body: WireBodyJson): boolean => {
    const s = sessions.get(key(peer));
    if (s === undefined || s.closed) return false;
    try {
      s.send(body);
      return true;
    } catch {
      return false;
    }
  };

  const engineFor = (record: ChannelRecord): ChannelEngine => {
    const existing = engines.get(key(record.channelId));
    if (existing !== undefined) return existing;
    const peer = peerOf(record);
    const engine = new ChannelEngine(
      record,
      { maxInFlight: opts.maxInFlight, maxPaymentsPerState: opts.maxPaymentsPerState },
      {
        store,
        separator,
        sign,
        peerVerifier: verifierFor(peer),
        send: (body) => sendTo(peer, body),
        onLatest: (r) => tower?.submit(r),
        onReceived: (r, payments, version) => events.emit('payment', r, payments, version),
        onViolation: (r, err) => {
          log('violation', { channelId: r.channelId, code: err.code, message: err.message });
          events.emit('violation', r, err);
        },
      },
    );
    engines.set(key(record.channelId), engine);
    const s = sessions.get(key(peer));
    if (s !== undefined && !s.closed) engine.connected();
    return engine;
  };

  const requireRecord = (channelId: Hex): ChannelRecord => {
    const r = store.get(channelId);
    if (r === undefined) throw new ChannelError('CHANNEL_UNKNOWN', `unknown channel ${channelId}`);
    return r;
  };
  const recordOf = (channelId: Hex): ChannelRecord => engines.get(key(channelId))?.record ?? requireRecord(channelId);

  const waitReply = (tag: string): Promise<WireBody> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        replies.delete(tag);
        reject(new ChannelError('CHANNEL_PEER_UNAVAILABLE', `peer did not answer (${tag.split(':')[0]})`));
      }, opts.requestTimeoutMs);
      replies.set(tag, { resolve, reject, timer });
    });
  const settleReply = (tag: string, body: WireBody): boolean => {
    const r = replies.get(tag);
    if (r === undefined) return false;
    clearTimeout(r.timer);
    replies.delete(tag);
    r.resolve(body);
    return true;
  };

  // ------------------------------------------------------------------ sessions

  const handlers: SessionHandlers = {
    onMessage: (session, body) => {
      void onMessage(session, body).catch((err: unknown) => {
        const e = err instanceof ChannelError ? err : new ChannelError('CHANNEL_PROTOCOL_VIOLATION', 'message refused', { cause: err });
        try {
          session.send({ t: 'error', ...(('channelId' in body && body.channelId !== undefined) ? { channelId: body.channelId } : {}), code: e.code, message: e.message });
        } catch {
          // The session is gone; nothing to tell.
        }
        events.emit('error', e);
      });
    },
    onClose: (session) => {
      // A session replaced by a newer one to the same peer closes too; only the current one counts.
      if (sessions.get(key(session.peer)) !== session) return;
      sessions.delete(key(session.peer));
      for (const e of engines.values()) if (key(peerOf(e.record)) === key(session.peer)) e.disconnected();
      scheduleReconnect();
    },
    onProtocolError: (session, err) => {
      // Tell the peer why its frame was dropped (a MAC failure already closed the connection).
      if (err.code === 'CHANNEL_BAD_MESSAGE' && !session.closed) {
        try {
          session.send({ t: 'error', code: err.code, message: err.message });
        } catch {
          // Gone meanwhile.
        }
      }
      events.emit('error', err);
    },
  };

  const adoptSession = (session: Session): void => {
    const prev = sessions.get(key(session.peer));
    sessions.set(key(session.peer), session);
    if (prev !== undefined && prev !== session) prev.close();
    for (const e of engines.values()) {
      if (key(peerOf(e.record)) === key(session.peer) && e.record.status === 'open') e.connected();
    }
  };

  const dial = async (url: string, expectedPeer?: Address): Promise<Session> => {
    const existing = expectedPeer === undefined ? undefined : sessions.get(key(expectedPeer));
    if (existing !== undefined && !existing.closed) return existing;
    const pending = dialling.get(url);
    if (pending !== undefined) return pending;
    const p = dialSession({
      url,
      identity,
      domain,
      ...(expectedPeer === undefined ? {} : { expectedPeer }),
      timeoutMs: opts.handshakeTimeoutMs,
      handlers,
    }).then((s) => {
      adoptSession(s);
      return s;
    });
    dialling.set(url, p);
    try {
      return await p;
    } finally {
      dialling.delete(url);
    }
  };

  async function onMessage(session: Session, body: WireBody): Promise<void> {
    if (body.t === 'open-propose') return onOpenPropose(session, body);
    if (body.t === 'open-accept' || body.t === 'open-deposited') {
      if (!settleReply(`${body.t}:${body.channelId}`, body)) throw new ChannelError('CHANNEL_BAD_MESSAGE', `unexpected ${body.t}`);
      return;
    }
    if (body.t === 'error') {
      const tag = [...replies.keys()].find((t) => body.channelId === undefined || t.endsWith(`:${body.channelId}`));
      if (tag !== undefined) {
        const r = replies.get(tag);
        replies.delete(tag);
        if (r !== undefined) {
          clearTimeout(r.timer);
          r.reject(new ChannelError('CHANNEL_PEER_REFUSED', `peer refused: ${body.code}: ${body.message}`, { details: { code: body.code } }));
        }
        return;
      }
    }
    if (body.t === 'open-funded') return onOpenFunded(session, body.channelId);
    const channelId = 'channelId' in body ? body.channelId : undefined;
    if (channelId === undefined) return;
    const record = store.get(channelId);
    if (record === undefined) throw new ChannelError('CHANNEL_UNKNOWN', `unknown channel ${channelId}`);
    if (key(peerOf(record)) !== key(session.peer)) {
      throw new ChannelError('CHANNEL_AUTH_FAILED', 'sender is not this channel’s counterparty');
    }
    // The peer's engine may start (and send its resume) a moment before our open completes; our own
    // engine sends a resume when it starts, so nothing is lost by ignoring these.
    if (record.status === 'proposed' || record.status === 'opening') return;
    await engineFor(record).handle(body);
  }

  // ------------------------------------------------------------------ opening

  async function onOpenPropose(session: Session, body: Extract<WireBody, { t: 'open-propose' }>): Promise<void> {
    const { params, depositA, depositB } = body;
    const policy = opts.acceptPolicy;
    const refuse = (message: string): never => {
      throw new ChannelError('CHANNEL_INVALID_PARAMS', message);
    };
    if (policy === false) refuse('this party does not accept channels');
    if (policy !== false) {
      if (key(params.participantB) !== key(address)) refuse('participantB is not this party');
      if (key(params.participantA) !== key(session.peer)) refuse('participantA is not the connected peer');
      if (body.domain.chainId !== domain.chainId || key(body.domain.adjudicator) !== key(domain.adjudicator)) {
        refuse('channel is for another chain or adjudicator');
      }
      if (depositB > policy.maxOwnDeposit) refuse(`deposit ${depositB} above this party’s limit`);
      if (params.challengePeriod < policy.minChallengePeriod || params.challengePeriod > policy.maxChallengePeriod) {
        refuse('challenge period outside this party’s bounds');
      }
      if (params.pipelineWindow > policy.maxPipelineWindow) refuse('pipeline window above this party’s limit');
      if (depositA + depositB === 0n) refuse('empty channel');
    }
    const channelId = computeChannelId(domain, params);
    if (store.get(channelId) !== undefined) refuse('channel already known');
    const record: ChannelRecord = {
      channelId: channelId.toLowerCase() as Hex,
      domain,
      params,
      role: 'B',
      depositA,
      depositB,
      status: 'proposed',
      latest: { state: { channelId: channelId.toLowerCase() as Hex, version: 0n, balanceA: depositA, balanceB: depositB, isFinal: false } },
      penGen: 0,
      sentCount: 0,
      sentAmount: 0n,
      receivedCount: 0,
      receivedAmount: 0n,
      l1Txs: [],
    };
    await store.commit({ record });
    session.send({ t: 'open-accept', channelId: record.channelId });
  }

  /** B: A says its open transaction is in; check L1 and deposit. */
  async function onOpenFunded(session: Session, channelId: Hex): Promise<void> {
    const record = requireRecord(channelId);
    if (record.role !== 'B' || key(peerOf(record)) !== key(session.peer)) {
      throw new ChannelError('CHANNEL_AUTH_FAILED', 'not a channel this peer proposed to us');
    }
    let current = record;
    if (record.status === 'proposed') {
      const onchain = await readChannel(l1, domain.adjudicator, channelId);
      const matches =
        key(onchain.participantA) === key(record.params.participantA) &&
        key(onchain.participantB) === key(record.params.participantB) &&
        key(onchain.token) === key(record.params.token) &&
        onchain.depositA === record.depositA &&
        onchain.depositB === record.depositB;
      if (!matches || (onchain.status !== 'opening' && onchain.status !== 'open')) {
        throw new ChannelError('CHANNEL_WRONG_STATUS', `channel on L1 is ${onchain.status} or differs from what was agreed`);
      }
      const txs: Hex[] = [];
      if (onchain.status === 'opening') {
        if (record.params.token !== ZERO_ADDRESS) txs.push(...(await approveIfNeeded(record.params.token, record.depositB)));
        const tx = await depositChannel(writer, channelId, record.params.token === ZERO_ADDRESS ? record.depositB : undefined);
        txs.push(tx.hash);
      }
      current = { ...record, status: 'open', l1Txs: [...record.l1Txs, ...txs] };
      await store.commit({ record: current });
    }
    session.send({ t: 'open-deposited', channelId: current.channelId });
    engineFor(current);
  }

  async function approveIfNeeded(token: Address, amount: bigint): Promise<Hex[]> {
    const wallet = l1.wallet;
    if (wallet === undefined) throw new L1Error('L1_TX_FAILED', 'no L1 key');
    const allowance = await l1.public.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [address, domain.adjudicator] });
    if (allowance >= amount) return [];
    const receipt = await writer.queue(() =>
      sendAndWait({
        public: l1.public,
        context: 'ERC20.approve',
        send: () => wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [domain.adjudicator, amount] }),
      }),
    );
    return [receipt.transactionHash];
  }

  async function openChannelFn(p: OpenChannelParameters): Promise<ChannelRecord> {
    if (p.depositA < 0n || p.depositB < 0n || p.depositA + p.depositB === 0n) {
      throw new ChannelError('CHANNEL_INVALID_PARAMS', 'deposits must be non-negative and not both zero');
    }
    const session = await dial(p.peerUrl, p.peerAddress);
    const params: ChannelParams = {
      participantA: address,
      participantB: session.peer,
      token: p.token === undefined ? ZERO_ADDRESS : getAddress(p.token),
      nonce: BigInt(`0x${randomBytes(8).toString('hex')}`),
      challengePeriod: p.challengePeriod ?? opts.defaultChallengePeriod,
      pipelineWindow: p.pipelineWindow ?? opts.defaultPipelineWindow,
    };
    const channelId = computeChannelId(domain, params).toLowerCase() as Hex;
    let record: ChannelRecord = {
      channelId,
      domain,
      params,
      role: 'A',
      depositA: p.depositA,
      depositB: p.depositB,
      status: 'proposed',
      latest: { state: { channelId, version: 0n, balanceA: p.depositA, balanceB: p.depositB, isFinal: false } },
      penGen: 0,
      peerUrl: p.peerUrl,
      sentCount: 0,
      sentAmount: 0n,
      receivedCount: 0,
      receivedAmount: 0n,
      l1Txs: [],
    };
    const accepted = waitReply(`open-accept:${channelId}`);
    session.send({
      t: 'open-propose',
      domain,
      params: channelParamsToJson(params),
      depositA: p.depositA.toString(),
      depositB: p.depositB.toString(),
    });
    await accepted;
    await store.commit({ record });
    const txs: Hex[] = [];
    if (params.token !== ZERO_ADDRESS && p.depositA > 0n) txs.push(...(await approveIfNeeded(params.token, p.depositA)));
    const opened = await openChannel(writer, params, p.depositA, p.depositB);
    txs.push(opened.hash);
    record = { ...record, status: p.depositB === 0n ? 'open' : 'opening', l1Txs: txs };
    await store.commit({ record });
    const deposited = waitReply(`open-deposited:${channelId}`);
    session.send({ t: 'open-funded', channelId });
    await deposited;
    const onchain = await readChannel(l1, domain.adjudicator, channelId);
    if (onchain.status !== 'open') {
      throw new ChannelError('CHANNEL_WRONG_STATUS', `peer says it deposited but the channel is ${onchain.status} on L1`);
    }
    record = { ...record, status: 'open' };
    await store.commit({ record });
    engineFor(record);
    return record;
  }

  // ------------------------------------------------------------------ paying and closing

  const openEngine = (channelId: Hex): ChannelEngine => {
    const record = recordOf(channelId);
    if (record.status !== 'open') throw new ChannelError('CHANNEL_WRONG_STATUS', `channel is ${record.status}`);
    return engineFor(record);
  };

  let paySeq = 0;
  const pay = async (channelId: Hex, amount: bigint, id?: string): Promise<PaymentReceipt> => {
    const engine = openEngine(channelId);
    await ensurePeer(engine.record);
    paySeq += 1;
    const payment = engine.pay(amount, id ?? `${Date.now().toString(36)}-${paySeq}`);
    // If the timeout wins, a later rejection of `payment` (client stopped) must not go unhandled.
    payment.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ChannelError('CHANNEL_PEER_UNAVAILABLE', 'payment signed and sent but not acknowledged in time; it completes if the peer comes back', {
              details: { pending: true },
            }),
          ),
        opts.requestTimeoutMs,
      );
    });
    try {
      return await Promise.race([payment, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const ensurePeer = async (record: ChannelRecord): Promise<void> => {
    const s = sessions.get(key(peerOf(record)));
    if (s !== undefined && !s.closed) return;
    if (record.peerUrl === undefined) {
      throw new ChannelError('CHANNEL_PEER_UNAVAILABLE', 'peer is not connected (it dials us)');
    }
    await dial(record.peerUrl, peerOf(record));
  };

  const finalOf = (record: ChannelRecord): FullySignedState | undefined => {
    const { state, sigA, sigB } = record.latest;
    return state.isFinal && sigA !== undefined && sigB !== undefined ? { state, sigA, sigB } : undefined;
  };

  const closeCooperativelyFn = async (channelId: Hex): Promise<L1TxResult> => {
    let record = recordOf(channelId);
    let final = finalOf(record);
    if (final === undefined) {
      const engine = openEngine(channelId);
      await ensurePeer(record);
      final = await engine.requestClose();
      await engine.idle();
      record = engine.record;
    }
    const tx = await closeCooperatively(writer, final);
    await markStatus(channelId, 'closed', tx.hash);
    return tx;
  };

  const markStatus = async (channelId: Hex, status: ChannelRecord['status'], tx?: Hex): Promise<void> => {
    const engine = engines.get(key(channelId));
    if (engine !== undefined) {
      await engine.setStatus(status, tx);
      return;
    }
    const r = requireRecord(channelId);
    await store.commit({ record: { ...r, status, l1Txs: tx === undefined ? r.l1Txs : [...r.l1Txs, tx] } });
  };

  const forceCloseFn = async (channelId: Hex): Promise<L1TxResult> => {
    const record = recordOf(channelId);
    if (record.status !== 'open' && record.status !== 'closing') {
      throw new ChannelError('CHANNEL_WRONG_STATUS', `cannot force-close: channel is ${record.status}`);
    }
    // Stop off-chain updates first so nothing newer than what we submit gets signed.
    await markStatus(channelId, 'challenged');
    const final = finalOf(record);
    if (final !== undefined) {
      const tx = await closeCooperatively(writer, final);
      await markStatus(channelId, 'closed', tx.hash);
      return tx;
    }
    const tx = await forceClose(writer, record.latest);
    await markStatus(channelId, 'challenged', tx.hash);
    return tx;
  };

  const settleFn = async (channelId: Hex): Promise<L1TxResult> => {
    const tx = await settleChannel(writer, channelId);
    await markStatus(channelId, 'closed', tx.hash);
    return tx;
  };

  const cancelFn = async (channelId: Hex): Promise<L1TxResult> => {
    const tx = await cancelChannel(writer, channelId);
    await markStatus(channelId, 'closed', tx.hash);
    return tx;
  };

  // ------------------------------------------------------------------ L1 monitor

  let checking: Promise<void> | undefined;
  const checkL1 = (): Promise<void> => {
    checking ??= checkOnce().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  async function checkOnce(): Promise<void> {
    const watched = store.list().filter((r) => r.status !== 'closed' && r.status !== 'proposed');
    if (watched.length === 0) return;
    const block = await l1.public.getBlock({ blockTag: 'latest' });
    for (const stored of watched) {
      const record = engines.get(key(stored.channelId))?.record ?? stored;
      let onchain: OnchainChannel;
      try {
        onchain = await readChannel(l1, domain.adjudicator, record.channelId);
      } catch (err) {
        events.emit('error', err);
        continue;
      }
      try {
        await react(record, onchain, block.timestamp);
      } catch (err) {
        events.emit('error', err);
      }
    }
  }

  async function react(record: ChannelRecord, onchain: OnchainChannel, now: bigint): Promise<void> {
    if (onchain.status === 'closed') {
      if (record.status !== 'closed') await markStatus(record.channelId, 'closed');
      closingSince.delete(record.channelId);
      return;
    }
    if (onchain.status === 'open' && record.status === 'opening') {
      await markStatus(record.channelId, 'open');
      return;
    }
    if (onchain.status === 'open' && record.status === 'closing') {
      const since = closingSince.get(record.channelId) ?? Date.now();
      closingSince.set(record.channelId, since);
      const final = finalOf(record);
      if (final !== undefined && Date.now() - since >= opts.closeGraceMs) {
        const tx = await closeCooperatively(writer, final);
        await markStatus(record.channelId, 'closed', tx.hash);
      }
      return;
    }
    if (onchain.status !== 'challenged') return;
    if (record.status !== 'challenged') {
      await markStatus(record.channelId, 'challenged');
      events.emit('dispute', record, onchain);
    }
    const latest = record.latest;
    if (
      opts.autoRespond &&
      now < onchain.deadline &&
      latest.state.version > onchain.version &&
      latest.sigA !== undefined &&
      latest.sigB !== undefined
    ) {
      try {
        const tx = await respondChallenge(writer, { state: latest.state, sigA: latest.sigA, sigB: latest.sigB });
        log('responded', { channelId: record.channelId, version: latest.state.version.toString() });
        events.emit('responded', record, tx);
      } catch (err) {
        // Someone (our tower) answered first with the same or a newer state: nothing left to do.
        if (!(err instanceof ContractRevertedError && err.reason === 'StaleVersion')) throw err;
      }
      return;
    }
    if (opts.autoSettle && now >= onchain.deadline) {
      try {
        const tx = await settleChannel(writer, record.channelId);
        await markStatus(record.channelId, 'closed', tx.hash);
        events.emit('settled', record, tx);
      } catch (err) {
        if (!(err instanceof ContractRevertedError && err.reason === 'WrongStatus')) throw err;
        await markStatus(record.channelId, 'closed');
        events.emit('settled', record, undefined);
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle

  let server: WebSocketServer | undefined;
  let url: string | undefined;
  if (opts.listenPort !== undefined) {
    const wss = new WebSocketServer({ host: opts.listenHost, port: opts.listenPort, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    wss.on('connection', (ws) => {
      acceptSession({ ws, identity, domain, timeoutMs: opts.handshakeTimeoutMs, handlers })
        .then(adoptSession)
        .catch((err: unknown) => events.emit('error', err));
    });
    server = wss;
    const info = wss.address() as AddressInfo;
    url = `ws://${opts.listenHost}:${info.port}`;
  }

  // Engines for every open channel, so a restart resumes where it stopped.
  for (const r of store.list()) if (r.status === 'open' || r.status === 'closing') engineFor(r);

  const reconnect = async (): Promise<void> => {
    const targets = new Map<string, { url: string; peer: Address }>();
    for (const e of engines.values()) {
      const r = e.record;
      if ((r.status === 'open' || r.status === 'closing') && r.peerUrl !== undefined) {
        targets.set(key(peerOf(r)), { url: r.peerUrl, peer: peerOf(r) });
      }
    }
    await Promise.all(
      [...targets.values()].map(async (t) => {
        const s = sessions.get(key(t.peer));
        if (s !== undefined && !s.closed) return;
        try {
          await dial(t.url, t.peer);
        } catch (err) {
          log('reconnect-failed', { peer: t.peer, err: String(err) });
          scheduleReconnect();
        }
      }),
    );
  };

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer !== undefined) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void reconnect();
    }, opts.reconnectMs);
  }

  const tick = (): void => {
    monitorTimer = setTimeout(() => {
      void checkL1()
        .catch((err: unknown) => events.emit('error', err))
        .finally(() => {
          if (!stopped) tick();
        });
    }, opts.monitorIntervalMs);
  };
  if (opts.monitorIntervalMs > 0) tick();
  await reconnect();

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (monitorTimer !== undefined) clearTimeout(monitorTimer);
    if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    for (const r of replies.values()) {
      clearTimeout(r.timer);
      r.reject(new ChannelError('CHANNEL_CLOSED', 'client stopped'));
    }
    replies.clear();
    await Promise.all([...engines.values()].map((e) => e.idle()));
    for (const e of engines.values()) e.stop();
    await checking;
    await tower?.flush();
    for (const s of sessions.values()) s.close();
    if (server !== undefined) {
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
    await store.close();
  };

  return {
    address,
    domain,
    url,
    events,
    l1,
    openChannel: openChannelFn,
    pay,
    closeCooperatively: closeCooperativelyFn,
    forceClose: forceCloseFn,
    settle: settleFn,
    cancel: cancelFn,
    channel: (id) => engines.get(key(id))?.record ?? store.get(id),
    channels: () => store.list().map((r) => engines.get(key(r.channelId))?.record ?? r),
    paymentLog: (id) => store.paymentLog(id),
    reconnect,
    checkL1,
    flushTower: async () => {
      await tower?.flush();
    },
    idle: async () => {
      await Promise.all([...engines.values()].map((e) => e.idle()));
    },
    stop,
  };
}

