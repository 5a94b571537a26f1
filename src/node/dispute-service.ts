/**
 * The optimistic roles of a node (docs/PROTOCOL.md §14): challenger/watchtower, defender (the proposer
 * defending its own assertions) and finalizer, as one polling service over the node's state database.
 *
 *   challenger — the node derives every committed batch from L1 data; a batch whose posted roots its
 *                data does not produce (or that posts a transaction the STF rejects) is never applied
 *                and becomes the suspect: the service opens a dispute against it (one per commit) and
 *                plays every game it opened to the end with the honest trace of the batch;
 *   defender   — every game against a commit this key made is answered from the honest trace, read
 *                from the database's state before that batch (StateDb.stateAfter, through the undo log);
 *   finalizer  — batches past their challenge window with no open dispute are finalized (anyone may),
 *                and won or returned bonds are claimed.
 *
 * Restart-safe in the middle of a game: the service keeps nothing of its own. Games are found again
 * from GameOpened logs, their positions read from the contract, and the trace recomputed from L1 data
 * and the database; `nextMove` (dispute-player.ts) is a pure function of the two.
 */
import { type Address, type Hex, bytesToHex } from 'viem';
import { RampartError } from '../core/errors.ts';
import type { StfConfig } from '../core/stf.ts';
import { stepProof, traceBatch, type BatchTrace } from '../core/one-step.ts';
import type { StateReader } from '../core/state.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { ContractRevertedError } from '../l1/errors.ts';
import {
  bisect,
  claimGame,
  claimRollup,
  finalizeBatch,
  getClockLeft,
  getCommitId,
  getDisputeEvents,
  getFinalityStatus,
  getGame,
  getGameParams,
  openDispute,
  respond,
  submitOneStep,
  timeoutGame,
  voidGame,
} from '../l1/optimisticActions.ts';
import { getCommittedBatches, type CommittedBatch } from '../l1/rollupActions.ts';
import { decodeL1OpsBytes, deriveBatch } from './derivation.ts';
import { nextMove, type GameView, type Move, type Role, type Trace } from './dispute-player.ts';
import type { StateDb } from './state-db.ts';

export class DisputeServiceError extends RampartError {
  override readonly name = 'DisputeServiceError';
}

export type DisputeServiceDeps = {
  /** L1 clients with the key that challenges, defends and pays gas and bonds. */
  readonly l1: L1Clients;
  readonly rollup: Address;
  readonly game: Address;
  readonly deployBlock: bigint;
  /** The node's state database (followed from L1 by the node's other roles). */
  readonly state: StateDb;
  readonly config: StfConfig;
  /** Watch every batch and dispute the wrong ones (challenger / watchtower). */
  readonly challenge: boolean;
  /** Answer games against this key's commits (the proposer). */
  readonly defend: boolean;
  /** Finalize batches whose window passed (anyone may). */
  readonly finalize: boolean;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
};

type GameInfo = { readonly gameId: bigint; readonly batchNum: number; readonly commitId: bigint; readonly challenger: Address; readonly defender: Address };

export type DisputeActivity = { readonly kind: string; readonly gameId?: bigint; readonly batchNum?: number; readonly detail?: string };

const same = (a: Address, b: Address): boolean => a.toLowerCase() === b.toLowerCase();

export class DisputeService {
  private readonly me: Address;
  private scannedTo: bigint;
  private readonly games = new Map<bigint, GameInfo>();
  /** Posted data by commitId (a commit's data never changes). */
  private readonly posted = new Map<bigint, CommittedBatch>();

  constructor(private readonly deps: DisputeServiceDeps) {
    const account = deps.l1.wallet?.account.address;
    if (account === undefined) throw new DisputeServiceError('DISPUTE_NO_KEY', 'the dispute service sends L1 transactions: give it a key');
    this.me = account;
    this.scannedTo = deps.deployBlock - 1n;
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  /** Games this service plays (by id), for status and tests. */
  openGames(): readonly GameInfo[] {
    return [...this.games.values()];
  }

  /** One round: find the suspect (challenger), move in every live game we are in, finalize, claim. */
  async step(): Promise<DisputeActivity[]> {
    const done: DisputeActivity[] = [];
    await this.scanGames();
    if (this.deps.challenge) {
      const opened = await this.challengeSuspect();
      if (opened !== undefined) done.push(opened);
    }
    for (const g of [...this.games.values()]) {
      const role: Role | undefined = this.deps.challenge && same(g.challenger, this.me) ? 'challenger' : this.deps.defend && same(g.defender, this.me) ? 'defender' : undefined;
      if (role === undefined) {
        this.games.delete(g.gameId);
        continue;
      }
      const a = await this.play(g, role);
      if (a !== undefined) done.push(a);
    }
    if (this.deps.finalize) done.push(...(await this.finalizeDue()));
    done.push(...(await this.claim()));
    return done;
  }

  private async claim(): Promise<DisputeActivity[]> {
    const { l1, game, rollup } = this.deps;
    const out: DisputeActivity[] = [];
    const owedGame = (await l1.public.readContract({ address: game, abi: CLAIMABLE_ABI, functionName: 'claimable', args: [this.me] })) as bigint;
    if (owedGame > 0n) {
      await claimGame(l1, game);
      out.push({ kind: 'claimed', detail: `${owedGame} wei from the game` });
      this.log('dispute-claimed', { wei: owedGame.toString(), from: 'game' });
    }
    const owedRollup = (await l1.public.readContract({ address: rollup, abi: CLAIMABLE_ABI, functionName: 'claimable', args: [this.me] })) as bigint;
    if (owedRollup > 0n) {
      await claimRollup(l1, rollup);
      out.push({ kind: 'claimed', detail: `${owedRollup} wei from the rollup` });
      this.log('bond-claimed', { wei: owedRollup.toString(), from: 'rollup' });
    }
    return out;
  }

  /** New GameOpened logs since the last scan; games of other parties are dropped at once. */
  private async scanGames(): Promise<void> {
    const head = await this.deps.l1.public.getBlockNumber();
    if (head <= this.scannedTo) return;
    const events = await getDisputeEvents(this.deps.l1, this.deps.game, this.scannedTo + 1n, head);
    for (const e of events) {
      if (e.kind !== 'GameOpened') continue;
      if (!same(e.challenger, this.me) && !same(e.defender, this.me)) continue;
      this.games.set(e.gameId, { gameId: e.gameId, batchNum: Number(e.batchNum), commitId: e.commitId, challenger: e.challenger, defender: e.defender });
    }
    this.scannedTo = head;
  }

  /** The posted data of the live commit `commitId` at `batchNum`. */
  private async postedOf(batchNum: number, commitId: bigint): Promise<CommittedBatch | undefined> {
    const hit = this.posted.get(commitId);
    if (hit !== undefined) return hit;
    // getCommittedBatches returns the live commit of each number (removed ones are dropped).
    const all = await getCommittedBatches(this.deps.l1, this.deps.rollup, this.deps.deployBlock);
    const b = all.find((x) => x.batchNum === batchNum);
    if (b === undefined) return undefined;
    if ((await getCommitId(this.deps.l1, this.deps.rollup, BigInt(batchNum))) !== commitId) return undefined;
    this.posted.set(commitId, b);
    return b;
  }

  /**
   * Challenger: the first committed batch beyond the database that does not derive is the suspect; a
   * dispute is opened against its commit unless one of ours is open already.
   */
  private async challengeSuspect(): Promise<DisputeActivity | undefined> {
    const { state, config, rollup, l1, game } = this.deps;
    const fin = await getFinalityStatus(l1, rollup);
    if (fin.exodus) return undefined;
    const n = state.batchNum + 1;
    if (BigInt(n) > fin.lastCommitted) return undefined;
    const commitId = await getCommitId(l1, rollup, BigInt(n));
    if ([...this.games.values()].some((g) => g.commitId === commitId && same(g.challenger, this.me))) return undefined;
    const posted = await this.postedOf(n, commitId);
    if (posted === undefined) return undefined;
    // The follower may have applied batch n while we awaited L1: then it derived, nothing to do.
    if (state.batchNum !== n - 1) return undefined;
    try {
      deriveBatch(state, posted, config);
      return undefined; // a good batch: the node's follower applies it
    } catch (err) {
      if (!(err instanceof RampartError)) throw err;
      this.log('batch-suspect', { batchNum: n, commitId: commitId.toString(), code: err.code, error: err.message });
    }
    const { challengeBond } = await getGameParams(l1, game);
    let gameId: bigint;
    try {
      gameId = (await openDispute(l1, game, BigInt(n), commitId, challengeBond)).gameId;
    } catch (err) {
      if (err instanceof ContractRevertedError) {
        this.log('dispute-open-refused', { batchNum: n, reason: err.reason });
        return { kind: 'open-refused', batchNum: n, detail: err.reason };
      }
      throw err;
    }
    this.games.set(gameId, { gameId, batchNum: n, commitId, challenger: this.me, defender: '0x0000000000000000000000000000000000000000' });
    this.log('dispute-opened', { gameId: gameId.toString(), batchNum: n, commitId: commitId.toString() });
    return { kind: 'opened', gameId, batchNum: n };
  }

  /** The honest trace of a game's batch, from the database's state before it. */
  private async traceOf(g: GameInfo): Promise<BatchTrace | undefined> {
    const { state } = this.deps;
    if (g.batchNum - 1 > state.batchNum) return undefined; // not synced that far yet
    const posted = await this.postedOf(g.batchNum, g.commitId);
    if (posted === undefined) return undefined;
    const pre: StateReader = state.stateAfter(g.batchNum - 1);
    return traceBatch({ state: pre, l1Ops: decodeL1OpsBytes(posted.l1OpsBytes), batchData: posted.batchDataBytes, config: this.deps.config });
  }

  private async play(g: GameInfo, role: Role): Promise<DisputeActivity | undefined> {
    const { l1, game, rollup } = this.deps;
    const raw = await getGame(l1, game, g.gameId);
    if (raw.status !== 'open') {
      this.games.delete(g.gameId);
      this.log('dispute-over', { gameId: g.gameId.toString(), status: raw.status, role });
      return { kind: `over:${raw.status}`, gameId: g.gameId, batchNum: g.batchNum };
    }
    const live = (await getCommitId(l1, rollup, BigInt(g.batchNum))) === g.commitId && BigInt(g.batchNum) <= (await getFinalityStatus(l1, rollup)).lastCommitted;
    if (!live) {
      await voidGame(l1, game, g.gameId);
      this.games.delete(g.gameId);
      return { kind: 'voided', gameId: g.gameId };
    }
    // The other side's clock ran out: collect the win.
    const clock = await getClockLeft(l1, game, g.gameId);
    if (clock.remaining === 0n && clock.side !== role) {
      await timeoutGame(l1, game, g.gameId);
      this.log('dispute-timeout-claimed', { gameId: g.gameId.toString(), loser: clock.side });
      return { kind: 'timeout', gameId: g.gameId };
    }
    if (raw.turn !== role && !(role === 'defender' && raw.hi - raw.lo === 1)) return undefined;
    const trace = await this.traceOf(g);
    if (trace === undefined) return undefined;
    const hashes = trace.stateHashes.map((h) => bytesToHex(h));
    const playerTrace: Trace = { steps: trace.steps, stateAt: (j) => hashes[j] };
    const pendingMid = raw.turn === 'challenger' && raw.hi - raw.lo >= 2;
    const view: GameView = { open: true, lo: raw.lo, hi: raw.hi, turn: raw.turn, loState: raw.loState, hiState: raw.hiState, midState: pendingMid ? raw.midState : undefined };
    const move: Move = nextMove(role, view, playerTrace);
    try {
      switch (move.kind) {
        case 'wait':
          return undefined;
        case 'bisect':
          await bisect(l1, game, g.gameId, move.mid, move.state);
          break;
        case 'respond':
          await respond(l1, game, g.gameId, move.mid, move.agree);
          break;
        case 'one-step':
          await submitOneStep(l1, game, g.gameId, bytesToHex(stepProof(trace, move.step)));
          break;
      }
    } catch (err) {
      // The game moved under us (the other side answered, a timeout, a removal): re-read next round.
      if (err instanceof ContractRevertedError) {
        this.log('dispute-move-refused', { gameId: g.gameId.toString(), move: move.kind, reason: err.reason });
        return { kind: 'move-refused', gameId: g.gameId, detail: err.reason };
      }
      throw err;
    }
    this.log('dispute-move', { gameId: g.gameId.toString(), role, ...move });
    return { kind: move.kind, gameId: g.gameId, batchNum: g.batchNum };
  }

  /** Finalizes every batch whose window passed with no open dispute, oldest first. */
  private async finalizeDue(): Promise<DisputeActivity[]> {
    const { l1, rollup } = this.deps;
    const out: DisputeActivity[] = [];
    for (;;) {
      const fin = await getFinalityStatus(l1, rollup);
      if (fin.exodus || !fin.nextFinalizable) break;
      const n = fin.lastFinal + 1n;
      try {
        await finalizeBatch(l1, rollup, n);
      } catch (err) {
        if (err instanceof ContractRevertedError) break; // someone else was first, or the state moved
        throw err;
      }
      out.push({ kind: 'finalized', batchNum: Number(n) });
      this.log('batch-finalized', { batchNum: Number(n) });
    }
    return out;
  }
}

const CLAIMABLE_ABI = [
  { type: 'function', name: 'claimable', stateMutability: 'view', inputs: [{ name: 'who', type: 'address' }], outputs: [{ name: '', type: 'uint256' }] },
] as const;
