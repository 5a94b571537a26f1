/**
 * Signed batch headers (pre-confirmations) and the equivocation watch (docs/PROTOCOL.md §11.3, §12).
 *
 * With a sequencer registry on the rollup, a sequencer node signs the header of every batch it seals,
 * for the slot it means to land it in, BEFORE it commits (`sign`): the signature is its promise that
 * batch n in slot s has exactly these roots. It keeps every header it signed durably and never signs a
 * second, different header for one (batch, slot) — after a crash or a failed commit it waits for a
 * later slot instead — so an honest node can never be slashed for equivocation.
 *
 * Every node with a registry keeps a bounded book of signed headers: its own, those handed to it
 * (`rampart_submitBatchHeader`: a user reporting the pre-confirmation it got) and those it pulls from
 * every registered member's URL (`rampart_getBatchHeaders`). A header is kept only if its signature
 * recovers (with the contract's rules) to a registered member with stake. Two facts are evidence:
 *   - two different headers signed by one member for one (batch, slot) → `proveEquivocation`;
 *   - a header signed by the committer of batch n for the slot its commit landed in, whose roots differ
 *     from the commit's → `proveCommitEquivocation`.
 * A node with an L1 key (sequencer or challenger) submits the evidence; the registry slashes the whole
 * stake and pays the reporter its share. Nothing beyond the book is stored: after a restart the
 * conflicts are found again in the book and the commits are re-read from L1, and evidence already used
 * reverts with `NothingToSlash`, which ends it.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { type Address, type Hex, getAddress } from 'viem';
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { ContractRevertedError } from '../l1/errors.ts';
import {
  batchHeaderHash,
  getMemberInfo,
  getMembers,
  proveCommitEquivocation,
  proveEquivocation,
  recoverBatchHeaderSigner,
  signBatchHeader,
  slotAt,
  type RegistryParams,
  type SignedBatchHeader,
} from '../l1/registryActions.ts';
import { getBatchCommit, type BatchCommit, type CommitHeader } from '../l1/rollupActions.ts';
import { lastCommittedOnL1 } from './follow.ts';
import { assertForwardUrl } from './forwarder.ts';
import { readBounded } from './peer-http.ts';
import { signedHeaderSchema } from './rpc-schemas.ts';

export type { SignedBatchHeader };

/** The wire and storage form (numbers as 0x-hex quantities, the slot too). */
export type SignedHeaderJson = {
  readonly sequencer: Address;
  readonly batchNum: number;
  readonly slot: Hex;
  readonly header: { readonly newRoot: Hex; readonly exitRoot: Hex; readonly dataCommitment: Hex; readonly newNextIndex: number; readonly l1Count: number };
  readonly signature: Hex;
};

const q = (v: bigint): Hex => `0x${v.toString(16)}`;

export function signedHeaderJson(h: SignedBatchHeader): SignedHeaderJson {
  return {
    sequencer: getAddress(h.sequencer),
    batchNum: h.batchNum,
    slot: q(h.slot),
    header: { newRoot: q(h.header.newRoot), exitRoot: q(h.header.exitRoot), dataCommitment: q(h.header.dataCommitment), newNextIndex: h.header.newNextIndex, l1Count: h.header.l1Count },
    signature: h.signature,
  };
}

export function signedHeaderFromJson(j: SignedHeaderJson): SignedBatchHeader {
  return {
    sequencer: getAddress(j.sequencer),
    batchNum: j.batchNum,
    slot: BigInt(j.slot),
    header: { newRoot: BigInt(j.header.newRoot), exitRoot: BigInt(j.header.exitRoot), dataCommitment: BigInt(j.header.dataCommitment), newNextIndex: j.header.newNextIndex, l1Count: j.header.l1Count },
    signature: j.signature,
  };
}

export class PreconfError extends RampartError {
  override readonly name = 'PreconfError';
}

export type AddOutcome = 'new' | 'known' | 'conflict';

const pad = (v: number | bigint, width: number): string => v.toString().padStart(width, '0');
/** Book keys sort by batch, then sequencer, slot and header hash: a batch range is one key range. */
const tupleKey = (batchNum: number, sequencer: Address, slot: bigint): string => `${pad(batchNum, 16)}/${sequencer.toLowerCase()}/${pad(slot, 20)}/`;
const ownKey = (batchNum: number, slot: bigint): string => `${pad(batchNum, 16)}/${pad(slot, 20)}`;

/**
 * The book of signed headers in its own LMDB environment. Per (sequencer, batch, slot) it keeps at
 * most two different headers — the first, and the first that conflicts with it (one pair is all the
 * evidence needed). `own` holds the header hash this node signed per (batch, slot).
 */
export class HeaderStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly headers: Database<SignedHeaderJson, string>,
    private readonly own: Database<Hex, string>,
    readonly maxEntries: number,
  ) {}

  static open(path: string, maxEntries = 100_000): HeaderStore {
    const env = open({ path, compression: false });
    return new HeaderStore(env, env.openDB<SignedHeaderJson, string>({ name: 'headers', encoding: 'json' }), env.openDB<Hex, string>({ name: 'own', encoding: 'json' }), maxEntries);
  }

  get size(): number {
    return this.headers.getCount();
  }

  /** The header hash this node signed for (batch, slot), if any. */
  ownHash(batchNum: number, slot: bigint): Hex | undefined {
    return this.own.get(ownKey(batchNum, slot));
  }

  /** Every header hash this node signed for batch `batchNum`, by slot. */
  ownFor(batchNum: number): { readonly slot: bigint; readonly hash: Hex }[] {
    const prefix = `${pad(batchNum, 16)}/`;
    return [...this.own.getRange({ start: prefix, end: `${prefix}~` })].map((e) => ({ slot: BigInt(e.key.slice(prefix.length)), hash: e.value }));
  }

  /** Records a header this node signed: durable before the signature leaves the process. */
  putOwn(h: SignedBatchHeader, hash: Hex): void {
    this.env.transactionSync(() => {
      this.own.putSync(ownKey(h.batchNum, h.slot), hash);
      this.headers.putSync(tupleKey(h.batchNum, h.sequencer, h.slot) + hash, signedHeaderJson(h));
    });
  }

  has(h: SignedBatchHeader, hash: Hex): boolean {
    return this.headers.get(tupleKey(h.batchNum, h.sequencer, h.slot) + hash) !== undefined;
  }

  /** Headers held for one (sequencer, batch, slot). */
  tuple(sequencer: Address, batchNum: number, slot: bigint): SignedBatchHeader[] {
    const prefix = tupleKey(batchNum, sequencer, slot);
    return [...this.headers.getRange({ start: prefix, end: `${prefix}~` })].map((e) => signedHeaderFromJson(e.value));
  }

  /** Adds a verified header: new, already known, or the first conflicting one for its (sequencer, batch, slot). */
  add(h: SignedBatchHeader, hash: Hex): AddOutcome {
    const key = tupleKey(h.batchNum, h.sequencer, h.slot) + hash;
    if (this.headers.get(key) !== undefined) return 'known';
    const held = this.tuple(h.sequencer, h.batchNum, h.slot);
    // One conflicting pair is all the evidence there is to keep.
    if (held.length >= 2) return 'known';
    if (this.size >= this.maxEntries) throw new PreconfError('PRECONF_BOOK_FULL', `the header book holds ${this.maxEntries} headers`);
    this.headers.putSync(key, signedHeaderJson(h));
    return held.length === 0 ? 'new' : 'conflict';
  }

  /** Up to `limit` headers of batches ≥ fromBatch, in key order. */
  range(fromBatch: number, limit: number): SignedHeaderJson[] {
    return [...this.headers.getRange({ start: pad(fromBatch, 16), limit })].map((e) => e.value);
  }

  /** Every (sequencer, batch, slot) holding two different headers, at or above fromBatch. */
  conflicts(fromBatch: number): [SignedBatchHeader, SignedBatchHeader][] {
    const out: [SignedBatchHeader, SignedBatchHeader][] = [];
    let prev: { tuple: string; h: SignedBatchHeader } | undefined;
    for (const { key, value } of this.headers.getRange({ start: pad(fromBatch, 16) })) {
      const tuple = key.slice(0, key.lastIndexOf('/') + 1);
      const h = signedHeaderFromJson(value);
      if (prev !== undefined && prev.tuple === tuple) out.push([prev.h, h]);
      prev = { tuple, h };
    }
    return out;
  }

  /** Forgets headers (and own records) of batches below `belowBatch`. */
  prune(belowBatch: number): number {
    let n = 0;
    const end = pad(belowBatch, 16);
    this.env.transactionSync(() => {
      for (const { key } of this.headers.getRange({ end })) {
        this.headers.removeSync(key);
        n++;
      }
      for (const { key } of this.own.getRange({ end })) this.own.removeSync(key);
    });
    return n;
  }

  close(): Promise<void> {
    return this.env.close();
  }
}

export type PreconfOptions = {
  /** Pull every member's headers this often. */
  readonly pullMs: number;
  /** Abort a pull after this long. */
  readonly timeoutMs: number;
  /** Headers answered per request (`rampart_getBatchHeaders`). */
  readonly maxAnswer: number;
  /** Pull and check batches this far below L1's last committed one. */
  readonly lookbackBatches: number;
  /** Forget headers of batches this far below L1's last committed one. */
  readonly keepBatches: number;
  /** Refuse headers of batches this far beyond L1's last committed one (a promise that far out is noise). */
  readonly aheadBatches: number;
};

export const defaultPreconfOptions: PreconfOptions = { pullMs: 1_000, timeoutMs: 2_000, maxAnswer: 512, lookbackBatches: 64, keepBatches: 4_096, aheadBatches: 64 };

export type Evidence =
  | { readonly kind: 'double-sign'; readonly a: SignedBatchHeader; readonly b: SignedBatchHeader }
  | { readonly kind: 'commit'; readonly signed: SignedBatchHeader; readonly commit: BatchCommit };

export type PreconfDeps = {
  /** Reads L1 (any key). */
  readonly reader: L1Clients;
  /** Signs this node's own headers (the sequencer key); absent: the node signs nothing. */
  readonly signer?: L1Clients;
  /** Sends evidence (sequencer or challenger key); absent: the node only keeps and serves headers. */
  readonly reporter?: L1Clients;
  readonly rollup: Address;
  readonly params: RegistryParams;
  readonly store: HeaderStore;
  /** This node's own RPC URL (not pulled from). */
  readonly selfUrl?: string;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
};

const MAX_ANSWER_BYTES = 2 << 20;
/** More refused headers than this in one answer and the peer is not pulled from for SHUN_MS. */
const SHUN_AFTER_REFUSED = 16;
const SHUN_MS = 60_000;

export class Preconfirmations {
  private readonly opts: PreconfOptions;
  private readonly chainId: bigint;
  private readonly members = new Map<string, { staked: boolean; at: number }>();
  private peers: { urls: string[]; at: number } = { urls: [], at: -Infinity };
  private lastPull = -Infinity;
  private head: { time: bigint; lastCommitted: number } | undefined;
  /** Header key → committedAt of the commit it was compared with. */
  private readonly checked = new Map<string, bigint>();
  private readonly evidence = new Map<string, Evidence>();
  private readonly failedPeers = new Map<string, number>();
  /** Peer URL → until when it is not pulled from (it served refused headers). */
  private readonly shunned = new Map<string, number>();

  constructor(
    private readonly deps: PreconfDeps,
    options: Partial<PreconfOptions> = {},
  ) {
    this.opts = { ...defaultPreconfOptions, ...options };
    this.chainId = BigInt(deps.reader.chain.id);
    for (const [a, b] of deps.store.conflicts(1)) this.evidence.set(`double/${keyOf(a)}`, { kind: 'double-sign', a, b });
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Evidence found and not yet settled on L1 (status, tests). */
  get pendingEvidence(): readonly Evidence[] {
    return [...this.evidence.values()];
  }

  /**
   * Signs this node's header of batch `batchNum` for `slot`, the slot the commit is meant to land in.
   * Undefined when it already signed a different header for that batch in any slot from
   * `earliestSlot` (the earliest a transaction sent now can land in) on: the commit could land in that
   * slot and contradict the older signature, so the caller waits until that slot has passed. Signing
   * the same header again returns the stored signature.
   */
  async sign(batchNum: number, slot: bigint, header: CommitHeader, earliestSlot: bigint = slot): Promise<SignedBatchHeader | undefined> {
    const signer = this.deps.signer;
    const me = signer?.wallet?.account.address;
    if (signer === undefined || me === undefined) throw new PreconfError('PRECONF_NO_KEY', 'signing headers needs the sequencer key');
    const hash = batchHeaderHash(header);
    const floor = earliestSlot < slot ? earliestSlot : slot;
    const clash = this.deps.store.ownFor(batchNum).find((o) => o.slot >= floor && o.hash !== hash);
    if (clash !== undefined) {
      this.log('preconf-refused', { batchNum, slot: slot.toString(), signedSlot: clash.slot.toString(), signed: clash.hash, sealed: hash });
      return undefined;
    }
    const held = this.deps.store.ownHash(batchNum, slot);
    if (held !== undefined) return this.deps.store.tuple(me, batchNum, slot).find((h) => batchHeaderHash(h.header) === hash);
    const signature = await signBatchHeader(signer, this.deps.rollup, BigInt(batchNum), slot, hash);
    const signed: SignedBatchHeader = { sequencer: getAddress(me), batchNum, slot, header, signature };
    this.deps.store.putOwn(signed, hash);
    this.log('preconf-signed', { batchNum, slot: slot.toString(), headerHash: hash });
    return signed;
  }

  /** Headers of batches ≥ fromBatch this node holds (`rampart_getBatchHeaders`). */
  headers(fromBatch: number): SignedHeaderJson[] {
    return this.deps.store.range(fromBatch, this.opts.maxAnswer);
  }

  private async headView(): Promise<{ time: bigint; lastCommitted: number }> {
    if (this.head === undefined) await this.refreshHead();
    return this.head as { time: bigint; lastCommitted: number };
  }

  private async refreshHead(): Promise<void> {
    const { reader, rollup } = this.deps;
    const [block, lastCommitted] = await Promise.all([reader.public.getBlock({ blockTag: 'latest' }), lastCommittedOnL1(reader, rollup)]);
    const wall = BigInt(Math.floor(this.now() / 1000));
    this.head = { time: block.timestamp > wall ? block.timestamp : wall, lastCommitted };
  }

  private async staked(who: Address): Promise<boolean> {
    const key = who.toLowerCase();
    const hit = this.members.get(key);
    if (hit !== undefined && this.now() - hit.at < 30_000) return hit.staked;
    const m = await getMemberInfo(this.deps.reader, this.deps.params.registry, who);
    const staked = m.registered && m.stake > 0n;
    this.members.set(key, { staked, at: this.now() });
    return staked;
  }

  /**
   * Checks a header from the network and adds it to the book. Throws PreconfError with the reason for
   * anything that is not a member's valid signature over a plausible (batch, slot).
   */
  async receive(input: SignedHeaderJson | SignedBatchHeader): Promise<AddOutcome> {
    const h = 'slot' in input && typeof input.slot === 'bigint' ? (input as SignedBatchHeader) : signedHeaderFromJson(input as SignedHeaderJson);
    const hash = batchHeaderHash(h.header);
    if (this.deps.store.has(h, hash)) return 'known';
    const { params } = this.deps;
    const head = await this.headView();
    const current = slotAt(params, head.time);
    // Evidence about a slot older than the unbonding delay can no longer reach any stake.
    const oldest = current - params.unbondingDelay / params.slotDuration - 1n;
    if (h.slot > current + 2n) throw new PreconfError('PRECONF_FUTURE_SLOT', `slot ${h.slot} is beyond the current slot ${current} + 2`);
    if (h.slot < oldest) throw new PreconfError('PRECONF_STALE_SLOT', `slot ${h.slot} is older than the unbonding delay allows (${oldest})`);
    if (h.batchNum > head.lastCommitted + this.opts.aheadBatches) throw new PreconfError('PRECONF_FUTURE_BATCH', `batch ${h.batchNum} is more than ${this.opts.aheadBatches} beyond L1's ${head.lastCommitted}`);
    const signer = await recoverBatchHeaderSigner(this.chainId, this.deps.rollup, BigInt(h.batchNum), h.slot, hash, h.signature);
    if (signer === undefined || signer.toLowerCase() !== h.sequencer.toLowerCase()) throw new PreconfError('PRECONF_BAD_SIGNATURE', `the signature does not recover to ${h.sequencer}`);
    if (!(await this.staked(h.sequencer))) throw new PreconfError('PRECONF_NOT_MEMBER', `${h.sequencer} is not a registered sequencer with stake`);
    const out = this.deps.store.add(h, hash);
    if (out === 'conflict') {
      const other = this.deps.store.tuple(h.sequencer, h.batchNum, h.slot).find((x) => batchHeaderHash(x.header) !== hash);
      if (other !== undefined) {
        this.evidence.set(`double/${keyOf(other)}`, { kind: 'double-sign', a: other, b: h });
        this.log('equivocation-found', { kind: 'double-sign', sequencer: h.sequencer, batchNum: h.batchNum, slot: h.slot.toString() });
      }
    }
    return out;
  }

  /** One round: refresh L1's view, pull from members, compare headers with commits, send evidence, prune. */
  async step(): Promise<number> {
    await this.refreshHead();
    const head = this.head as { time: bigint; lastCommitted: number };
    let done = 0;
    if (this.now() - this.lastPull >= this.opts.pullMs) {
      this.lastPull = this.now();
      await this.pullAll(Math.max(1, head.lastCommitted - this.opts.lookbackBatches));
    }
    await this.checkCommits(head.lastCommitted);
    done += await this.submit();
    if (head.lastCommitted > this.opts.keepBatches) this.deps.store.prune(head.lastCommitted - this.opts.keepBatches);
    return done;
  }

  private async memberUrls(): Promise<string[]> {
    if (this.now() - this.peers.at < 30_000) return this.peers.urls;
    const { reader, params } = this.deps;
    const members = await getMembers(reader, params.registry);
    const me = (this.deps.signer ?? this.deps.reporter)?.wallet?.account.address.toLowerCase();
    const urls: string[] = [];
    for (const m of members) {
      if (m.address.toLowerCase() === me || m.url === '' || m.url === this.deps.selfUrl) continue;
      try {
        assertForwardUrl(m.url);
        urls.push(m.url);
      } catch {
        // A member's URL is its own business; one that does not parse is skipped.
      }
    }
    this.peers = { urls, at: this.now() };
    return urls;
  }

  private async pullAll(fromBatch: number): Promise<void> {
    const urls = await this.memberUrls();
    await Promise.all(urls.map((u) => this.pull(u, fromBatch)));
  }

  private async pull(url: string, fromBatch: number): Promise<void> {
    // A peer that served junk (each item costs a signature recovery) is left alone for a while.
    if ((this.shunned.get(url) ?? -Infinity) > this.now()) return;
    let list: unknown;
    try {
      list = await rpcCall(this.deps.fetch ?? fetch, url, 'rampart_getBatchHeaders', [fromBatch], this.opts.timeoutMs);
    } catch (err) {
      const last = this.failedPeers.get(url) ?? -Infinity;
      if (this.now() - last > 60_000) this.log('preconf-pull-failed', { url, error: err instanceof Error ? err.message : String(err) });
      this.failedPeers.set(url, this.now());
      return;
    }
    this.failedPeers.delete(url);
    if (!Array.isArray(list)) return;
    let refused = 0;
    for (const item of list.slice(0, this.opts.maxAnswer)) {
      const parsed = signedHeaderSchema.safeParse(item);
      if (!parsed.success) {
        refused++;
        continue;
      }
      try {
        await this.receive(parsed.data as SignedHeaderJson);
      } catch (err) {
        if (!(err instanceof PreconfError)) throw err;
        refused++;
      }
    }
    if (refused > 0) this.log('preconf-pull-refused', { url, refused });
    if (refused > SHUN_AFTER_REFUSED) this.shunned.set(url, this.now() + SHUN_MS);
  }

  /** Compares the book with L1's commits: the committer's header for the commit's slot must match it. */
  private async checkCommits(lastCommitted: number): Promise<void> {
    const from = Math.max(1, lastCommitted - this.opts.lookbackBatches);
    // A removal (optimistic modes) lowers lastCommitted: those numbers are committed again later.
    // Below the lookback nothing is checked again, so nothing there needs remembering.
    for (const k of this.checked.keys()) if (batchOfKey(k) > lastCommitted || batchOfKey(k) < from) this.checked.delete(k);
    const commits = new Map<number, BatchCommit>();
    for (const j of this.deps.store.range(from, 1 << 20)) {
      if (j.batchNum > lastCommitted) break;
      const h = signedHeaderFromJson(j);
      const key = keyOf(h) + batchHeaderHash(h.header);
      if (this.checked.has(key)) continue;
      let c = commits.get(h.batchNum);
      if (c === undefined) {
        c = await getBatchCommit(this.deps.reader, this.deps.rollup, BigInt(h.batchNum));
        commits.set(h.batchNum, c);
      }
      this.checked.set(key, c.committedAt);
      if (c.committedAt === 0n || c.committer.toLowerCase() !== h.sequencer.toLowerCase()) continue;
      if (slotAt(this.deps.params, c.committedAt) !== h.slot) continue;
      if (h.header.newRoot === c.stateRoot && h.header.exitRoot === c.exitRoot && h.header.newNextIndex === c.nextIndex) continue;
      this.evidence.set(`commit/${key}`, { kind: 'commit', signed: h, commit: c });
      this.log('equivocation-found', { kind: 'commit', sequencer: h.sequencer, batchNum: h.batchNum, slot: h.slot.toString() });
    }
  }

  private async submit(): Promise<number> {
    const reporter = this.deps.reporter;
    if (reporter === undefined || this.evidence.size === 0) return 0;
    let sent = 0;
    for (const [key, e] of [...this.evidence]) {
      const sequencer = e.kind === 'double-sign' ? e.a.sequencer : e.signed.sequencer;
      this.members.delete(sequencer.toLowerCase());
      if (!(await this.staked(sequencer))) {
        // Slashed already (by us or another reporter), or gone: nothing left to take.
        this.evidence.delete(key);
        continue;
      }
      try {
        const { params } = this.deps;
        const receipt =
          e.kind === 'double-sign'
            ? await proveEquivocation(reporter, params.registry, {
                sequencer,
                batchNum: BigInt(e.a.batchNum),
                slot: e.a.slot,
                headerA: batchHeaderHash(e.a.header),
                signatureA: e.a.signature,
                headerB: batchHeaderHash(e.b.header),
                signatureB: e.b.signature,
              })
            : await proveCommitEquivocation(reporter, params.registry, { batchNum: BigInt(e.signed.batchNum), header: e.signed.header, signature: e.signed.signature });
        this.evidence.delete(key);
        this.members.delete(sequencer.toLowerCase());
        sent++;
        this.log('equivocation-proven', { kind: e.kind, sequencer, tx: receipt.transactionHash });
      } catch (err) {
        if (err instanceof ContractRevertedError && ['NothingToSlash', 'NotRegistered', 'HeaderMatchesCommit', 'BadBatchNum', 'SameHeader'].includes(err.reason)) {
          this.evidence.delete(key);
          this.log('equivocation-moot', { kind: e.kind, sequencer, reason: err.reason });
          continue;
        }
        this.log('equivocation-submit-failed', { kind: e.kind, sequencer, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return sent;
  }
}

const keyOf = (h: SignedBatchHeader): string => tupleKey(h.batchNum, h.sequencer, h.slot);
const batchOfKey = (k: string): number => Number(k.slice(0, 16));

/** One JSON-RPC call to an untrusted peer: bounded time and answer size. */
async function rpcCall(fetchFn: typeof fetch, url: string, method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown> {
  const res = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  const text = await readBounded(res, MAX_ANSWER_BYTES);
  if (text === undefined) throw new PreconfError('PRECONF_BAD_ANSWER', `${url}: answer exceeds ${MAX_ANSWER_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PreconfError('PRECONF_BAD_ANSWER', `${url}: answer is not JSON`);
  }
  const body = answerSchema.safeParse(json);
  if (!body.success) throw new PreconfError('PRECONF_BAD_ANSWER', `${url}: not a JSON-RPC answer`);
  if (body.data.error !== undefined) throw new PreconfError('PRECONF_PEER_ERROR', `${url}: ${body.data.error.message}`);
  return body.data.result;
}

const answerSchema = z.object({ jsonrpc: z.literal('2.0'), result: z.unknown().optional(), error: z.object({ message: z.string() }).passthrough().optional() }).passthrough();
