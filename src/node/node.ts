/**
 * One Rampart node: wires the roles over one L1 and one data folder, each optional —
 *   follower  (always): follows L1 with confirmations, rolls back reorged batches, rebuilds the state
 *             from L1 data alone;
 *   sequencer (with an L1 key): mempool with persistence and back-pressure, batch policy, batcher;
 *   prover    (with an L1 key and circuit files): proves committed batches in worker threads;
 *   rpc       : the JSON-RPC server answering from the state database.
 * With a sequencer registry on the rollup (docs/PROTOCOL.md §11.3) a sequencer node joins it (or checks
 * it is registered), seals only when the slot schedule lets it commit, and forwards its pending pool
 * to the node that may (forwarder.ts).
 * The sequencer and the prover each own a database (`<dataDir>/state`, `<dataDir>/prover`); a
 * follower-only node uses `<dataDir>/state` too. Every role loop survives errors (logged, retried
 * after `pollMs`), and `stop()` lets a running step finish before closing the databases.
 */
import { join } from 'node:path';
import type { Address, Hex } from 'viem';
import { RampartError } from '../core/errors.ts';
import { frToBytesLE } from '../core/field.ts';
import { SparseMerkleTree, siblingsToFr } from '../core/smt.ts';
import { eddsaVerifier, type FeeEntry, type StfConfig } from '../core/stf.ts';
import { domainHash, l2TxMessage, type L2Tx } from '../core/tx.ts';
import { createL1Clients, type L1Clients } from '../l1/createL1Clients.ts';
import { getMemberInfo, getRegistryAddress, getRegistryParams, joinRegistry, updateUrl } from '../l1/registryActions.ts';
import { getProverPriority, type CommitHeader } from '../l1/rollupActions.ts';
import type { CircuitParams } from '../prover/circuit-params.ts';
import { stfConfigForCircuit } from '../prover/circuit-params.ts';
import { createProver, type Prover } from '../prover/prover.ts';
import { Batcher, defaultBatcherOptions, type BatcherOptions } from './batcher.ts';
import { inExodus, lastCommittedOnL1, lastFinalOnL1 } from './follow.ts';
import { DisputeService } from './dispute-service.ts';
import { getSettlement, type Settlement } from '../l1/optimisticActions.ts';
import { Forwarder, assertForwardUrl, defaultForwarderOptions, type ForwarderOptions } from './forwarder.ts';
import { HeaderStore, Preconfirmations, type PreconfOptions, type SignedHeaderJson } from './preconf.ts';
import { SlotWatcher, slotViewJson } from './slot-watcher.ts';
import { Mempool, defaultMempoolOptions, type MempoolOptions } from './mempool.ts';
import { rpcBatchSource } from './batch-source.ts';
import { ProverService, type BatchInputSource } from './prover-service.ts';
import { createRpcServer, type Json, type RpcBackend, type RpcServer } from './rpc-server.ts';
import { createParallelSealer } from './parallel-sealer.ts';
import { Sequencer } from './sequencer.ts';
import { StateDb, type BatchRecord } from './state-db.ts';
import { storeTx, toAddressHex, toHex32, toHexQ } from './stored-tx.ts';

/**
 * Circuits whose batch holds at least this many L2 transactions seal on two threads unless the
 * config says otherwise. A judgment, not a measured break-even: a full 256-transfer batch takes
 * ~0.17 s on one thread and about half on two (bench/stf.bench.ts rates), while the devnet's
 * 2-transfer batches seal in milliseconds and need no extra thread per node.
 */
export const PARALLEL_SEAL_MIN_TXS = 256;

export type NodeLog = (event: string, fields: Record<string, unknown>) => void;

export type NodeOptions = {
  readonly l1Url: string;
  readonly chainId?: number;
  readonly rollup: Address;
  readonly deployBlock: bigint;
  /** The circuit the rollup's verifier was set up for: fixes the batch layout (tree depth, sizes). */
  readonly circuit: CircuitParams;
  readonly dataDir: string;
  /** Blocks on top of a commit before followers apply it (1 = included). */
  readonly confirmations: number;
  readonly pollMs: number;
  readonly rpc?: { readonly host: string; readonly port: number } | false;
  readonly sequencer?: {
    readonly privateKey: Hex;
    readonly mempool?: Partial<MempoolOptions>;
    readonly batcher?: Partial<BatcherOptions>;
    readonly feeTable?: readonly FeeEntry[];
    /**
     * Seal on two threads (`ParallelSealer`, the same result): worth it for batches of hundreds of
     * transfers. Default: on when the circuit's batch holds at least `PARALLEL_SEAL_MIN_TXS` L2
     * transactions.
     */
    readonly parallelSeal?: boolean;
    /** Wei attached to each commit as the batch's proving reward (docs/PROTOCOL.md §11.2). Default 0. */
    readonly proverRewardWei?: bigint;
    /**
     * Optimistic and multi modes: the sequencer is the proposer of its batches. It posts the assertion
     * bond with each commit, defends its commits in disputes and finalizes batches (default true; off
     * only for tests that need a proposer who does not answer).
     */
    readonly defend?: boolean;
    /** Only used when the rollup has a sequencer registry (docs/PROTOCOL.md §11.3). */
    readonly registry?: SequencerRegistryOptions;
  };
  /**
   * Optimistic and multi modes: a challenger (watchtower) with its own key. It derives every batch from
   * L1, disputes any batch whose data does not produce its posted roots, plays each game to the end,
   * collects its winnings and finalizes batches.
   */
  readonly challenger?: { readonly privateKey: Hex };
  /**
   * With a sequencer registry: signed batch headers (preconf.ts). Every such node keeps a book of the
   * members' signed headers, pulls them from the members' URLs and, with a sequencer or challenger key,
   * proves equivocation on L1. Tuning only; on whenever the rollup has a registry.
   */
  readonly preconf?: Partial<PreconfOptions>;
  readonly prover?: {
    readonly privateKey: Hex;
    readonly wasmPath: string;
    readonly zkeyPath: string;
    readonly threads?: number;
    /** The sequencer's JSON-RPC, when this node is not the sequencer (signed transactions come from there). */
    readonly sourceRpc?: string;
  };
  readonly log?: NodeLog;
};

export type SequencerRegistryOptions = {
  /** The URL other sequencers forward to (registered on L1). Default: this node's JSON-RPC URL. */
  readonly url?: string;
  /** Join with this stake when not registered yet; absent: the node refuses to start unregistered. */
  readonly stakeWei?: bigint;
  readonly forward?: Partial<ForwarderOptions>;
};

export type NodeStatus = {
  readonly chainId: number;
  readonly rollup: Address;
  readonly deployBlock: Hex;
  readonly domain: Hex;
  readonly batchNum: number;
  readonly lastFinal: number;
  readonly proverBatchNum: number | null;
  readonly root: Hex;
  readonly pending: number;
  readonly nextIndex: number;
  readonly roles: readonly string[];
  readonly errors: number;
  /** The rollup is in exodus mode (settlement stopped; users exit on L1). */
  readonly exodus: boolean;
  /** Settlement mode of the rollup (docs/PROTOCOL.md §14.1). */
  readonly mode: Settlement['mode'];
  /** Optimistic modes: a committed batch this node refuses to apply (its data does not produce its roots). */
  readonly invalidBatch: number | null;
  /** With a sequencer registry: the current slot, its leader and whether this node may commit (else null). */
  readonly sequencing: ReturnType<typeof slotViewJson>;
  /** With a sequencer registry: signed headers held and equivocation evidence not yet settled on L1 (else null). */
  readonly preconf: { readonly headers: number; readonly pendingEvidence: number } | null;
};

export type RampartNode = {
  readonly rpcUrl: string | undefined;
  readonly config: StfConfig;
  readonly state: StateDb;
  readonly status: () => NodeStatus;
  readonly backend: RpcBackend;
  /** Resolves once the roles are idle at least once after the current moment (tests, demos). */
  readonly settled: () => Promise<void>;
  readonly stop: () => Promise<void>;
};

export class NodeError extends RampartError {
  override readonly name = 'NodeError';
}

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startNode(opts: NodeOptions): Promise<RampartNode> {
  const log: NodeLog = opts.log ?? (() => {});
  const mk = (privateKey?: Hex): Promise<L1Clients> =>
    createL1Clients({ url: opts.l1Url, ...(opts.chainId === undefined ? {} : { chainId: opts.chainId }), ...(privateKey === undefined ? {} : { privateKey }), pollingIntervalMs: Math.max(10, Math.min(opts.pollMs, 1000)) });
  const reader = await mk();
  const chainId = reader.chain.id;
  const config = stfConfigForCircuit(opts.circuit, { chainId: BigInt(chainId), rollupAddress: BigInt(opts.rollup) });
  const domain = domainHash(config.domain);
  const state = StateDb.open({ path: join(opts.dataDir, 'state'), treeDepth: config.treeDepth });
  const closers: (() => Promise<void>)[] = [];
  const roles: string[] = ['follower'];
  let errors = 0;
  let lastFinal = 0;
  let exodus = false;
  const dropped = new Map<string, string>();
  const feeTable = (): readonly FeeEntry[] => opts.sequencer?.feeTable ?? [];

  const settlement = await getSettlement(reader, opts.rollup);
  const mempool = new Mempool({ ...defaultMempoolOptions, ...(opts.sequencer?.mempool ?? {}) }, { now: () => Date.now() });
  // What each commit carries: zk the proving reward; optimistic the assertion bond; multi both.
  const reward = opts.sequencer?.proverRewardWei ?? 0n;
  if (settlement.mode === 'optimistic' && reward !== 0n) throw new NodeError('NODE_CONFIG', 'optimistic mode has no proofs: proverRewardWei must be 0');
  const commitValueWei = (settlement.mode === 'zk' ? 0n : settlement.assertionBond) + reward;
  const seqL1 = opts.sequencer === undefined ? reader : await mk(opts.sequencer.privateKey);
  const batcher = new Batcher(seqL1, opts.rollup, state, { ...defaultBatcherOptions, pollMs: Math.max(10, Math.min(opts.pollMs, 1000)), confirmations: opts.confirmations, ...(opts.sequencer?.batcher ?? {}), commitValueWei }, log);
  const parallelSeal = opts.sequencer !== undefined && (opts.sequencer.parallelSeal ?? config.maxL2Txs >= PARALLEL_SEAL_MIN_TXS);
  const sealer = parallelSeal ? createParallelSealer() : undefined;
  if (sealer !== undefined) closers.push(async () => void (await sealer.close()));
  // A registry on the rollup decides who commits when (slots and leaders).
  const rollupRegistry = await getRegistryAddress(reader, opts.rollup);
  const registryParams = rollupRegistry === undefined ? undefined : await getRegistryParams(reader, rollupRegistry);
  const registryAddress = opts.sequencer === undefined ? undefined : rollupRegistry;
  const challengerL1 = opts.challenger === undefined ? undefined : await mk(opts.challenger.privateKey);
  // Signed headers: set up once the RPC URL is known (below); the sequencer signs through it.
  let preconf: Preconfirmations | undefined;
  const headerStore = registryParams === undefined ? undefined : HeaderStore.open(join(opts.dataDir, 'headers'));
  if (headerStore !== undefined) closers.push(() => headerStore.close());
  let watcher: SlotWatcher | undefined;
  if (registryAddress !== undefined) {
    const me = seqL1.wallet?.account.address;
    if (me === undefined) throw new NodeError('NODE_CONFIG', 'the sequencer needs its L1 key');
    if (registryParams === undefined) throw new NodeError('NODE_CONFIG', 'registry parameters missing');
    watcher = new SlotWatcher({ l1: reader, params: registryParams, me });
  }
  let takeoverLogged: bigint | undefined;
  const gate = async (): Promise<boolean> => {
    if (watcher === undefined) return true;
    // A batch on L1 this node has not applied yet: sealing now would build on a stale parent.
    if ((await lastCommittedOnL1(reader, opts.rollup)) !== state.batchNum) return false;
    const v = await watcher.view();
    // Not in the last second of the window: the commit must land inside it.
    let ok = v.mayCommit && v.end - v.time >= 1n;
    // A takeover: runner-ups go in score order, one second apart, so they do not race.
    const isLeader = v.leader.toLowerCase() === v.me.toLowerCase();
    if (ok && !isLeader && v.committer === ZERO_ADDRESS && v.rank !== null && v.rank > 1 && v.time < v.openAt + BigInt(v.rank - 1)) ok = false;
    if (ok && !isLeader && v.committer === ZERO_ADDRESS && takeoverLogged !== v.slot) {
      takeoverLogged = v.slot;
      log('slot-takeover', { slot: v.slot.toString(), leader: v.leader, openAt: v.openAt.toString(), time: v.time.toString(), rank: v.rank });
    }
    return ok;
  };
  const sequencer = new Sequencer({
    ...(sealer === undefined ? {} : { seal: sealer.sealBatch }),
    ...(watcher === undefined ? {} : { gate, preconfirm: async (batchNum: number, header: CommitHeader) => {
      if (preconf === undefined || watcher === undefined) return true;
      // The slot the commit is meant to land in (the next block's): the promise is for that slot.
      const v = await watcher.view(opts.pollMs);
      return (await preconf.sign(batchNum, v.slot, header, v.earliestSlot)) !== undefined;
    } }),
    l1: seqL1,
    rollup: opts.rollup,
    deployBlock: opts.deployBlock,
    state,
    mempool,
    config,
    mode: settlement.mode,
    batcher,
    feeTable,
    confirmations: opts.confirmations,
    log,
    onDropped: (txs, reason) => {
      for (const t of txs) dropped.set(storeTx(t, domain).hash, reason);
      while (dropped.size > 10_000) dropped.delete(dropped.keys().next().value as string);
    },
  });
  if (opts.sequencer !== undefined) roles.push('sequencer');

  let proverState: StateDb | undefined;
  let proverService: ProverService | undefined;
  let prover: Prover | undefined;
  if (opts.prover !== undefined && settlement.mode === 'optimistic') throw new NodeError('NODE_CONFIG', 'optimistic mode has no validity proofs: remove the prover role');
  if (opts.prover !== undefined) {
    roles.push('prover');
    proverState = StateDb.open({ path: join(opts.dataDir, 'prover'), treeDepth: config.treeDepth });
    prover = await createProver({ wasmPath: opts.prover.wasmPath, zkeyPath: opts.prover.zkeyPath, threads: opts.prover.threads ?? 1 });
    const local: BatchInputSource = { getBatch: (n) => state.getBatch(n) };
    let source: BatchInputSource = opts.prover.sourceRpc === undefined ? local : rpcBatchSource(opts.prover.sourceRpc);
    const regForInputs = rollupRegistry;
    if (regForInputs !== undefined) source = committerFallbackSource(source, reader, opts.rollup, regForInputs, log);
    proverService = new ProverService({ l1: await mk(opts.prover.privateKey), rollup: opts.rollup, deployBlock: opts.deployBlock, replica: proverState, source, prover, params: opts.circuit, config, mode: settlement.mode === 'multi' ? 'multi' : 'zk', confirmations: opts.confirmations, log });
  }

  // Optimistic modes: the proposer defends its commits (with the sequencer key); a challenger watches.
  const disputes: DisputeService[] = [];
  if (settlement.mode !== 'zk') {
    if (opts.sequencer !== undefined && opts.sequencer.defend !== false) {
      disputes.push(new DisputeService({ l1: seqL1, rollup: opts.rollup, game: settlement.disputeGame, deployBlock: opts.deployBlock, state, config, challenge: false, defend: true, finalize: true, log }));
      roles.push('proposer');
    }
    if (opts.challenger !== undefined) {
      disputes.push(new DisputeService({ l1: challengerL1 ?? reader, rollup: opts.rollup, game: settlement.disputeGame, deployBlock: opts.deployBlock, state, config, challenge: true, defend: false, finalize: true, log }));
      roles.push('challenger');
    }
  } else if (opts.challenger !== undefined) {
    throw new NodeError('NODE_CONFIG', 'zk mode has no disputes: remove the challenger role');
  }

  // Bring the database to L1's truth (finish or abandon a commit in flight, undo reorged batches,
  // derive missing batches) before accepting anything, then re-admit the persisted pending pool.
  await sequencer.sync();
  sequencer.readmit(state.allPending());
  lastFinal = await lastFinalOnL1(reader, opts.rollup);
  log('node-started', { roles, batchNum: state.batchNum, pending: mempool.size, lastFinal });

  let stopped = false;
  let rpcClose: (() => Promise<void>) | undefined;
  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await rpcClose?.();
    await Promise.all(loops);
    for (const c of closers) await c();
    await prover?.close();
    await proverState?.close();
    await state.close();
  };
  const idleWaiters: (() => void)[] = [];
  const loops: Promise<void>[] = [];
  const runLoop = (name: string, body: () => Promise<boolean>): void => {
    loops.push(
      (async () => {
        while (!stopped) {
          let busy = false;
          try {
            busy = await body();
          } catch (err) {
            if (stopped) break;
            errors++;
            log(`${name}-error`, { error: err instanceof Error ? err.message : String(err), code: err instanceof RampartError ? err.code : undefined });
          }
          if (!busy) {
            for (const w of idleWaiters.splice(0)) w();
            await sleep(opts.pollMs);
          }
        }
      })(),
    );
  };
  runLoop('sequencer', async () => {
    await sequencer.sync();
    lastFinal = await lastFinalOnL1(reader, opts.rollup);
    if (!exodus && (await inExodus(reader, opts.rollup))) {
      // Settlement has stopped for good: users withdraw on L1 against the last final root.
      exodus = true;
      log('exodus', { lastFinal, note: 'the rollup is in exodus mode; users exit on L1 with `rampart exit`' });
    }
    if (opts.sequencer === undefined || exodus) return false;
    // Keeps rampart_status's slot view current even while there is nothing to seal.
    await watcher?.view(opts.pollMs);
    return (await sequencer.step()) !== undefined;
  });
  for (const [i, svc] of disputes.entries()) {
    runLoop(`dispute${i}`, async () => {
      if (exodus) return false;
      const done = await svc.step();
      return done.some((a) => a.kind !== 'timeout' && !a.kind.startsWith('over') && a.kind !== 'open-refused' && a.kind !== 'move-refused');
    });
  }
  if (proverService !== undefined) {
    const svc = proverService;
    runLoop('prover', async () => {
      if (exodus) return false;
      const r = await svc.step();
      return r.kind === 'proven' || r.kind === 'skipped';
    });
  }

  const sendTransaction = async (tx: L2Tx): Promise<{ hash: string }> => {
    if (opts.sequencer === undefined) throw new NodeError('NOT_SEQUENCER', 'this node does not sequence; send transactions to the sequencer');
    if (exodus) throw new NodeError('EXODUS', 'the rollup is in exodus mode: nothing is sequenced any more; withdraw on L1 with `rampart exit`');
    const stored = storeTx(tx, domain);
    const key = state.getAccount(tx.from)?.publicKey;
    const valid = key !== undefined && eddsaVerifier(l2TxMessage(tx, domain), tx.signature, key);
    mempool.add(tx, valid, state, config, feeTable());
    // Durable before the answer: an accepted transaction survives a crash from here on.
    await state.putPending(stored);
    return { hash: stored.hash };
  };

  const backend: RpcBackend = {
    sendTransaction,
    getAccount: (index) => {
      const a = state.getAccount(index);
      return a === undefined ? null : accountJson(index, a);
    },
    findAccounts: (f) => state.findAccounts(f),
    getTransaction: (hash) => {
      const at = state.getTxLocation(hash);
      if (at !== undefined) {
        const rec = state.getBatch(at.batchNum);
        const t = rec?.txs[at.slot];
        if (rec !== undefined && t !== undefined) {
          return { hash, from: t.from, nonce: t.nonce, kind: t.kind, status: rec.batchNum <= lastFinal ? 'final' : 'committed', batchNum: rec.batchNum, exitSlot: t.kind === 'withdraw' ? config.maxL1Ops + at.slot : null, reason: null };
        }
      }
      const p = state.getPending(hash);
      if (p !== undefined) return { hash, from: p.from, nonce: p.nonce, kind: p.kind, status: 'pending', batchNum: null, exitSlot: null, reason: null };
      const why = dropped.get(hash);
      if (why !== undefined) return { hash, from: null, nonce: null, kind: null, status: 'rejected', batchNum: null, exitSlot: null, reason: why };
      return null;
    },
    getBatch: (n) => {
      const rec = state.getBatch(n);
      return rec === undefined ? null : batchJson(rec, lastFinal);
    },
    getBatchInput: (n) => (state.getBatch(n) ?? null) as unknown as Json,
    getExitProof: (n, slot) => {
      const rec = state.getBatch(n);
      const exit = rec?.exits.find((e) => e.slot === slot);
      if (rec === undefined || exit === undefined) return null;
      const tree = new SparseMerkleTree(config.exitTreeDepth);
      for (const e of rec.exits) tree.update(e.slot, frToBytesLE(BigInt(e.leaf)));
      if (toHex32(tree.root()) !== rec.exitRoot) throw new NodeError('EXIT_TREE_MISMATCH', `batch ${n}: stored exits do not give the committed exit root`);
      const siblings = siblingsToFr(tree.proof(slot).siblings).map(toHexQ);
      return { batchNum: n, slot, l1Address: exit.l1Address, tokenId: exit.tokenId, amount: exit.amount, siblings, final: n <= lastFinal };
    },
    status: () => status() as unknown as Json,
    getBatchHeaders: (from) => {
      if (preconf === undefined) throw new NodeError('NO_REGISTRY', 'the rollup has no sequencer registry: no signed headers');
      return preconf.headers(from) as unknown as Json;
    },
    submitBatchHeader: async (h) => {
      if (preconf === undefined) throw new NodeError('NO_REGISTRY', 'the rollup has no sequencer registry: no signed headers');
      return preconf.receive(h as SignedHeaderJson);
    },
  };

  const status = (): NodeStatus => ({
    chainId,
    rollup: opts.rollup,
    deployBlock: toHexQ(opts.deployBlock),
    domain: toHex32(domain),
    batchNum: state.batchNum,
    lastFinal,
    proverBatchNum: proverState?.batchNum ?? null,
    root: toHex32(state.root()),
    pending: mempool.size,
    nextIndex: state.nextIndex,
    roles,
    errors,
    exodus,
    mode: settlement.mode,
    invalidBatch: sequencer.suspect ?? null,
    sequencing: slotViewJson(watcher?.current),
    preconf: preconf === undefined || headerStore === undefined ? null : { headers: headerStore.size, pendingEvidence: preconf.pendingEvidence.length },
  });

  let forwarder: Forwarder | undefined;
  const ensureRegistered = async (registry: Address, rpcUrl: string | undefined): Promise<void> => {
    const me = seqL1.wallet?.account.address;
    if (me === undefined) throw new NodeError('NODE_CONFIG', 'the sequencer needs its L1 key');
    const url = opts.sequencer?.registry?.url ?? rpcUrl;
    if (url === undefined) throw new NodeError('REGISTRY_URL', 'no URL to register for forwarding: enable rpc or set sequencer.registry.url');
    assertForwardUrl(url);
    const info = await getMemberInfo(reader, registry, me);
    if (!info.registered) {
      const stake = opts.sequencer?.registry?.stakeWei;
      if (stake === undefined) throw new NodeError('NOT_REGISTERED', `sequencer ${me} is not in the registry ${registry}: set sequencer.registry.stakeWei to join`);
      await joinRegistry(seqL1, registry, url, stake);
      log('registry-joined', { registry, me, url, stakeWei: stake.toString() });
    } else if (info.url !== url) {
      await updateUrl(seqL1, registry, url);
      log('registry-url-updated', { registry, me, url });
    }
  };

  let rpc: RpcServer | undefined;
  if (opts.rpc !== false) {
    rpc = await createRpcServer({ host: opts.rpc?.host ?? '127.0.0.1', port: opts.rpc?.port ?? 0 }, { backend });
    rpcClose = rpc.close;
    roles.push('rpc');
  }

  if (registryParams !== undefined && headerStore !== undefined) {
    const p = new Preconfirmations(
      {
        reader,
        ...(opts.sequencer === undefined ? {} : { signer: seqL1 }),
        ...(opts.sequencer !== undefined ? { reporter: seqL1 } : challengerL1 === undefined ? {} : { reporter: challengerL1 }),
        rollup: opts.rollup,
        params: registryParams,
        store: headerStore,
        ...(opts.sequencer?.registry?.url !== undefined ? { selfUrl: opts.sequencer.registry.url } : rpc?.url === undefined ? {} : { selfUrl: rpc.url }),
        log,
      },
      opts.preconf ?? {},
    );
    preconf = p;
    roles.push('preconf');
    runLoop('preconf', async () => (exodus ? false : (await p.step()) > 0));
  }

  if (watcher !== undefined && registryAddress !== undefined) {
    try {
      await ensureRegistered(registryAddress, rpc?.url);
    } catch (err) {
      await stopAll();
      throw err;
    }
    const w = watcher;
    forwarder = new Forwarder({ ...defaultForwarderOptions, ...(opts.sequencer?.registry?.forward ?? {}) }, {
      pending: () => state.allPending(),
      target: async () => {
        const v = await w.view(opts.pollMs);
        if (v.mayCommit) return undefined;
        const to = v.committer !== ZERO_ADDRESS ? v.committer : v.leader;
        if (to === ZERO_ADDRESS || to.toLowerCase() === v.me.toLowerCase()) return undefined;
        const url = to === v.leader ? v.leaderUrl : await w.urlOf(to);
        return url === null ? undefined : { address: to, url };
      },
      log,
    });
    roles.push('forwarder');
    const f = forwarder;
    runLoop('forwarder', async () => (exodus ? false : (await f.step()) > 0));
  }

  return {
    rpcUrl: rpc?.url,
    config,
    state,
    status,
    backend,
    settled: () => new Promise<void>((resolve) => idleWaiters.push(resolve)),
    stop: stopAll,
  };
}

function accountJson(index: number, a: NonNullable<ReturnType<StateDb['getAccount']>>): Json {
  return {
    index,
    tokenId: a.tokenId,
    balance: toHexQ(a.balance),
    nonce: a.nonce,
    publicKey: [toHexQ(a.publicKey[0]), toHexQ(a.publicKey[1])],
    l1Address: toAddressHex(a.l1Address),
  };
}

function batchJson(rec: BatchRecord, lastFinal: number): Json {
  return {
    batchNum: rec.batchNum,
    status: rec.batchNum <= lastFinal ? 'final' : 'committed',
    root: rec.root,
    exitRoot: rec.exitRoot,
    l1Start: rec.l1Start,
    l1Count: (rec.l1Ops.length - 2) / 2 / 113,
    txs: rec.txs.map((t) => t.hash),
    exits: rec.exits.map((e) => ({ slot: e.slot, l1Address: e.l1Address, tokenId: e.tokenId, amount: e.amount })),
    commitTx: rec.commitTx,
  };
}

/**
 * With several sequencers a batch's signed transactions are certain to be held only by its committer's
 * node (ZK batch data posts no signatures): when `primary` lacks them, ask the committer's registered
 * URL (`rampart_getBatchInput`, validated by rpcBatchSource; the prover checks the replay against L1's
 * roots anyway). Falls back to `primary`'s answer when the committer is unreachable.
 */
function committerFallbackSource(primary: BatchInputSource, l1: L1Clients, rollup: Address, registry: Address, log: NodeLog): BatchInputSource {
  return {
    getBatch: async (n) => {
      const rec = await primary.getBatch(n);
      if (rec !== undefined && rec.txs.every((t) => t.signature !== null)) return rec;
      try {
        const committer = (await getProverPriority(l1, rollup, BigInt(n))).committer;
        const url = (await getMemberInfo(l1, registry, committer)).url;
        if (url === '') return rec;
        assertForwardUrl(url);
        return (await rpcBatchSource(url, 10_000).getBatch(n)) ?? rec;
      } catch (err) {
        log('batch-input-fallback-failed', { batchNum: n, error: err instanceof Error ? err.message : String(err) });
        return rec;
      }
    },
  };
}
