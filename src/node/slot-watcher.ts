/**
 * The node's view of the sequencer registry's schedule (docs/PROTOCOL.md §11.3): which slot the next
 * L1 block falls in, its leader and the leader's RPC URL, when it opens to every registered
 * sequencer, who already claimed it, and whether this node may commit in it. The contract is asked
 * (`slotInfo`, `mayCommit`) rather than re-implementing its rule, so node and contract cannot
 * disagree; only "when is the next block" is estimated here.
 *
 * Time: the next block's timestamp is estimated as max(latest block's timestamp + 1, wall clock).
 * Chain time runs ahead of the wall clock when blocks come faster than one a second (each block's
 * timestamp must exceed its parent's), and the wall clock is ahead when the chain is idle.
 */
import type { Address } from 'viem';
import { RampartError } from '../core/errors.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { getMemberInfo, getSlotInfo, mayCommit, slotAt, type RegistryParams } from '../l1/registryActions.ts';

export type SlotView = {
  readonly registry: Address;
  readonly me: Address;
  /** Estimated timestamp of the next L1 block (unix seconds). */
  readonly time: bigint;
  readonly slot: bigint;
  readonly epoch: bigint;
  readonly leader: Address;
  /** The leader's registered RPC URL (null when there is no leader). */
  readonly leaderUrl: string | null;
  readonly start: bigint;
  readonly end: bigint;
  readonly openAt: bigint;
  /** Who claimed the slot with its first commit (the zero address while nobody has). */
  readonly committer: Address;
  readonly mayCommit: boolean;
};

export type SlotWatcherDeps = {
  readonly l1: L1Clients;
  readonly params: RegistryParams;
  readonly me: Address;
  /** Milliseconds since the epoch (tests may pin it). */
  readonly now?: () => number;
};

export class SlotWatcherError extends RampartError {
  override readonly name = 'SlotWatcherError';
}

const ZERO: Address = '0x0000000000000000000000000000000000000000';

export class SlotWatcher {
  private last: SlotView | undefined;
  private lastAt = 0;
  private readonly urls = new Map<string, { url: string; at: number }>();

  constructor(private readonly deps: SlotWatcherDeps) {}

  get current(): SlotView | undefined {
    return this.last;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The view for the next block; re-read from L1 unless one younger than `maxAgeMs` is cached. */
  async view(maxAgeMs = 0): Promise<SlotView> {
    if (this.last !== undefined && this.now() - this.lastAt <= maxAgeMs) return this.last;
    const { l1, params, me } = this.deps;
    const head = await l1.public.getBlock({ blockTag: 'latest' });
    const wall = BigInt(Math.floor(this.now() / 1000));
    const time = head.timestamp + 1n > wall ? head.timestamp + 1n : wall;
    const slot = slotAt(params, time);
    const [info, may] = await Promise.all([getSlotInfo(l1, params.registry, slot), mayCommit(l1, params.registry, me, time)]);
    const leaderUrl = info.leader === ZERO ? null : await this.urlOf(info.leader);
    const view: SlotView = {
      registry: params.registry,
      me,
      time,
      slot,
      epoch: info.epoch,
      leader: info.leader,
      leaderUrl,
      start: info.start,
      end: info.start + params.slotDuration,
      openAt: info.openAt,
      committer: info.committer,
      mayCommit: may,
    };
    this.last = view;
    this.lastAt = this.now();
    return view;
  }

  /** A member's registered URL, cached for a minute (members may update it). */
  async urlOf(who: Address): Promise<string | null> {
    const key = who.toLowerCase();
    const hit = this.urls.get(key);
    if (hit !== undefined && this.now() - hit.at < 60_000) return hit.url;
    const m = await getMemberInfo(this.deps.l1, this.deps.params.registry, who);
    if (!m.registered) return null;
    this.urls.set(key, { url: m.url, at: this.now() });
    return m.url;
  }
}

/** JSON view for rampart_status (bigints as decimal strings). */
export function slotViewJson(v: SlotView | undefined): Record<string, string | boolean | null> | null {
  if (v === undefined) return null;
  return {
    registry: v.registry,
    me: v.me,
    time: v.time.toString(),
    slot: v.slot.toString(),
    epoch: v.epoch.toString(),
    leader: v.leader,
    leaderUrl: v.leaderUrl,
    slotStart: v.start.toString(),
    slotEnd: v.end.toString(),
    openAt: v.openAt.toString(),
    committer: v.committer === ZERO ? null : v.committer,
    mayCommit: v.mayCommit,
    isLeader: v.leader.toLowerCase() === v.me.toLowerCase(),
  };
}
