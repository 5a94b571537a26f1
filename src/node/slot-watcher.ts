/**
 * The node's view of the sequencer registry's schedule (docs/PROTOCOL.md §11.3): which slot the next
 * L1 block falls in, its leader and the leader's RPC URL, when it opens to every registered
 * sequencer, who already claimed it, and whether this node may commit in it. The contract is asked
 * (`slotInfo`, `mayCommit`) rather than re-implementing its rule, so node and contract cannot
 * disagree; only "when is the next block" is estimated here.
 *
 * Time: the next block's timestamp is estimated as max(latest block's timestamp + 1, wall clock +
 * offset), where offset = how far ahead of the wall clock the newest block was when first seen (≥ 0).
 * A dev chain (Hardhat/EDR) runs ahead of the wall clock for good once blocks came faster than one a
 * second (each block's timestamp must exceed its parent's); on a real L1 the offset stays ≈ 0 and the
 * wall clock leads while the chain is between blocks.
 *
 * Takeover order: when a slot opens at its deadline, the active members other than the leader take
 * it over in the order of their keccak256(seed, slot, member) score (the leader rule's runner-ups),
 * `rank` 1, 2, …; the node waits (rank − 1) × staggerSeconds after the deadline, so live sequencers do
 * not all race for the same slot (the loser's commit would revert).
 */
import { type Address, type Hex, encodeAbiParameters, keccak256 } from 'viem';
import { RampartError } from '../core/errors.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { getActiveSet, getEpochSeed, getMemberInfo, getSlotInfo, mayCommit, slotAt, type RegistryParams } from '../l1/registryActions.ts';

export type SlotView = {
  readonly registry: Address;
  readonly me: Address;
  /** Estimated timestamp of the next L1 block (unix seconds). */
  readonly time: bigint;
  /**
   * The earliest slot a transaction sent now can land in: the slot of max(latest block's timestamp + 1,
   * chain clock − LANDING_GRACE_SECONDS). A block may carry a timestamp somewhat behind the wall clock
   * (it was built at its slot's start), never before its parent's.
   */
  readonly earliestSlot: bigint;
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
  /** This node's place in the slot's order: 0 = leader, 1.. = takeover order; null when not active. */
  readonly rank: number | null;
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
/** How far behind the wall clock the timestamp of the block that includes a transaction sent now may be. */
export const LANDING_GRACE_SECONDS = 30n;

export class SlotWatcher {
  private last: SlotView | undefined;
  private lastAt = 0;
  private readonly urls = new Map<string, { url: string; at: number }>();
  private readonly epochs = new Map<bigint, { seed: Hex; set: readonly Address[] }>();
  private headNumber = -1n;
  private offset = 0n;

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
    if (head.number !== this.headNumber) {
      this.headNumber = head.number;
      this.offset = head.timestamp > wall ? head.timestamp - wall : 0n;
    }
    const time = head.timestamp + 1n > wall + this.offset ? head.timestamp + 1n : wall + this.offset;
    const slot = slotAt(params, time);
    const floor = wall + this.offset - LANDING_GRACE_SECONDS;
    const earliest = head.timestamp + 1n > floor ? head.timestamp + 1n : floor;
    const earliestSlot = earliest < params.genesisTime ? 0n : slotAt(params, earliest);
    const [info, may] = await Promise.all([getSlotInfo(l1, params.registry, slot), mayCommit(l1, params.registry, me, time)]);
    const rank = await this.rankOf(info.epoch, slot);
    const leaderUrl = info.leader === ZERO ? null : await this.urlOf(info.leader);
    const view: SlotView = {
      registry: params.registry,
      me,
      time,
      earliestSlot,
      slot,
      epoch: info.epoch,
      leader: info.leader,
      leaderUrl,
      start: info.start,
      end: info.start + params.slotDuration,
      openAt: info.openAt,
      committer: info.committer,
      mayCommit: may,
      rank,
    };
    this.last = view;
    this.lastAt = this.now();
    return view;
  }

  /** This node's position by the leader rule's score in the slot's epoch (0 = leader). */
  private async rankOf(epoch: bigint, slot: bigint): Promise<number | null> {
    let e = this.epochs.get(epoch);
    if (e === undefined) {
      const { l1, params } = this.deps;
      const [seed, set] = await Promise.all([getEpochSeed(l1, params.registry, epoch), getActiveSet(l1, params.registry, epoch)]);
      e = { seed, set };
      // An epoch's set and seed are fixed once it has begun; keep the few around the current one.
      for (const k of [...this.epochs.keys()]) if (k < epoch - 1n) this.epochs.delete(k);
      this.epochs.set(epoch, e);
    }
    const score = (m: Address): bigint => BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }], [e.seed, slot, m])));
    const mine = e.set.find((m) => m.toLowerCase() === this.deps.me.toLowerCase());
    if (mine === undefined) return null;
    const own = score(mine);
    return e.set.filter((m) => score(m) < own).length;
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
    rank: v.rank === null ? null : String(v.rank),
  };
}
