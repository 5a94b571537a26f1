/**
 * Typed reads and writes of optimistic / multi-proof settlement (docs/PROTOCOL.md §14): bonded commits,
 * finality, the bisection dispute game (open, bisect, respond, one-step, timeout, void), bond claims, and
 * event scans in LOG_CHUNK_BLOCKS chunks (the same scanner rollupActions uses). Reverts surface as
 * ContractRevertedError with the contract's custom error name; game writes decode the Rollup's errors too,
 * because the game calls into it (removeBatchesFrom) and its reverts bubble up unchanged.
 */
import { type Abi, type Address, type Hex, type TransactionReceipt, parseEventLogs } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { L1Error } from './errors.ts';
import { disputeGameAbi } from './generated/DisputeGame.ts';
import { rollupAbi } from './generated/Rollup.ts';
import type { CommitHeader } from './rollupActions.ts';
import { getLogsChunked, writeRollup } from './rollupActions.ts';
import { writeContractAndWait } from './sendAndWait.ts';

const rAbi = rollupAbi as Abi;
const gAbi = disputeGameAbi as Abi;
/** The game's ABI plus the Rollup's errors, so a revert from inside removeBatchesFrom decodes by name. */
const gWriteAbi = [...gAbi, ...rAbi.filter((x) => x.type === 'error')] as Abi;

const gameWrite = (c: L1Clients, game: Address, fn: string, args: readonly unknown[], value?: bigint) => writeContractAndWait(c, game, gWriteAbi, 'DisputeGame', fn, args, value);
const read = <T>(c: L1Clients, address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<T> =>
  c.public.readContract({ address, abi, functionName, args }) as Promise<T>;

// ------------------------------------------------------------------------------------------------
// Rollup side

export type Settlement = {
  readonly mode: 'zk' | 'optimistic' | 'multi';
  readonly disputeGame: Address;
  readonly challengeWindow: bigint;
  readonly clockBudget: bigint;
  readonly assertionBond: bigint;
};

const MODES = ['zk', 'optimistic', 'multi'] as const;

export async function getSettlement(clients: L1Clients, rollup: Address): Promise<Settlement> {
  const [m, disputeGame, challengeWindow, clockBudget, assertionBond] = await Promise.all([
    read<number>(clients, rollup, rAbi, 'mode'),
    read<Address>(clients, rollup, rAbi, 'disputeGame'),
    read<bigint>(clients, rollup, rAbi, 'challengeWindow'),
    read<bigint>(clients, rollup, rAbi, 'clockBudget'),
    read<bigint>(clients, rollup, rAbi, 'assertionBond'),
  ]);
  const mode = MODES[m];
  if (mode === undefined) throw new L1Error('L1_RPC_FAILED', `Rollup reports unknown settlement mode ${m}`);
  return { mode, disputeGame, challengeWindow, clockBudget, assertionBond };
}

export type CommitWithBondParameters = {
  readonly header: CommitHeader;
  readonly l1Ops: Hex;
  /** Batch data with mode byte 1 (78-byte signed records). */
  readonly batchData: Hex;
  /** The assertion bond; read from the Rollup when absent. */
  readonly bond?: bigint;
  /** Multi mode only: the proving reward on top of the bond (docs/PROTOCOL.md §11.2). */
  readonly proverRewardWei?: bigint;
};

/** Commits a batch as a bonded assertion (modes 1/2); returns the receipt and the new commitId. */
export async function commitWithBond(clients: L1Clients, rollup: Address, p: CommitWithBondParameters): Promise<{ receipt: TransactionReceipt; batchNum: bigint; commitId: bigint }> {
  const bond = p.bond ?? (await read<bigint>(clients, rollup, rAbi, 'assertionBond'));
  const receipt = await writeRollup(clients, rollup, 'commitBatch', [p.header, p.l1Ops, p.batchData], bond + (p.proverRewardWei ?? 0n));
  const [ev] = parseEventLogs({ abi: rAbi, logs: receipt.logs, eventName: 'AssertionCommitted' }) as unknown as { args: { batchNum: bigint; commitId: bigint } }[];
  if (ev === undefined) throw new L1Error('L1_RPC_FAILED', 'commitBatch receipt has no AssertionCommitted event (mode 0 rollup?)');
  return { receipt, batchNum: ev.args.batchNum, commitId: ev.args.commitId };
}

/** Makes batch `batchNum` final (anyone; window passed, no open dispute, previous final, multi: proven). */
export function finalizeBatch(clients: L1Clients, rollup: Address, batchNum: bigint) {
  return writeRollup(clients, rollup, 'finalizeBatch', [batchNum]);
}

/** Moves the bond (and unpaid multi reward) of a removed commit to its committer's claimable balance. */
export function reclaimBond(clients: L1Clients, rollup: Address, commitId: bigint) {
  return writeRollup(clients, rollup, 'reclaimBond', [commitId]);
}

/** Pays the caller's claimable balance on the Rollup (returned bonds and rewards). */
export function claimRollup(clients: L1Clients, rollup: Address) {
  return writeRollup(clients, rollup, 'claim', []);
}

export type Assertion = {
  readonly commitId: bigint;
  readonly stepDataHash: Hex;
  readonly recordsRoot: Hex;
  readonly committer: Address;
  readonly bond: bigint;
  readonly batchNum: bigint;
  readonly l1Count: number;
  readonly txCount: number;
  readonly feeCount: number;
  readonly proverReward: bigint;
  /** Still the batch at its number (not removed by a fraud proof). */
  readonly live: boolean;
};

export async function getAssertion(clients: L1Clients, rollup: Address, commitId: bigint): Promise<Assertion> {
  const [a, live] = await Promise.all([
    read<readonly [Hex, Hex, Address, bigint, bigint, number, number, number, bigint]>(clients, rollup, rAbi, 'assertions', [commitId]),
    read<boolean>(clients, rollup, rAbi, 'isLive', [commitId]),
  ]);
  const [stepDataHash, recordsRoot, committer, bond, batchNum, l1Count, txCount, feeCount, proverReward] = a;
  return { commitId, stepDataHash, recordsRoot, committer, bond, batchNum, l1Count, txCount, feeCount, proverReward, live };
}

/** The commitId of the commit now at `batchNum` (0: never committed). */
export function getCommitId(clients: L1Clients, rollup: Address, batchNum: bigint): Promise<bigint> {
  return read<bigint>(clients, rollup, rAbi, 'commitIdOf', [batchNum]);
}

export type FinalityStatus = {
  readonly lastCommitted: bigint;
  readonly lastFinal: bigint;
  readonly lastProven: bigint;
  /** finalizeBatch(lastFinal + 1) would succeed now. */
  readonly nextFinalizable: boolean;
  readonly exodus: boolean;
};

export async function getFinalityStatus(clients: L1Clients, rollup: Address): Promise<FinalityStatus> {
  const [lastCommitted, lastFinal, lastProven, exodus] = await Promise.all([
    read<bigint>(clients, rollup, rAbi, 'lastCommitted'),
    read<bigint>(clients, rollup, rAbi, 'lastFinalBatch'),
    read<bigint>(clients, rollup, rAbi, 'lastProven'),
    read<boolean>(clients, rollup, rAbi, 'exodus'),
  ]);
  const nextFinalizable = await read<boolean>(clients, rollup, rAbi, 'finalizable', [lastFinal + 1n]);
  return { lastCommitted, lastFinal, lastProven, nextFinalizable, exodus };
}

// ------------------------------------------------------------------------------------------------
// Dispute game

export const GAME_STATUS = ['none', 'open', 'defenderWon', 'challengerWon', 'void'] as const;
export type GameStatus = (typeof GAME_STATUS)[number];
export type GameSide = 'defender' | 'challenger';

export type Game = {
  readonly gameId: bigint;
  readonly commitId: bigint;
  readonly batchNum: bigint;
  readonly lo: number;
  readonly hi: number;
  readonly lastMoveAt: bigint;
  readonly challenger: Address;
  readonly defender: Address;
  readonly defenderUsed: bigint;
  readonly challengerUsed: bigint;
  readonly status: GameStatus;
  /** Who must move: the defender posts S_mid; the challenger answers it or, at hi − lo = 1, proves step lo. */
  readonly turn: GameSide;
  readonly loState: Hex;
  readonly hiState: Hex;
  /** The defender's last claim at a mid point: the pending one while the challenger is to answer it. */
  readonly midState: Hex;
  /** The index the next bisect/respond must name. */
  readonly mid: number;
};

export async function getGame(clients: L1Clients, game: Address, gameId: bigint): Promise<Game> {
  const g = await read<{
    commitId: bigint; batchNum: bigint; lo: number; hi: number; lastMoveAt: bigint; challenger: Address; defenderUsed: bigint;
    status: number; turn: number; defender: Address; challengerUsed: bigint; loState: Hex; hiState: Hex; midState: Hex;
  }>(clients, game, gAbi, 'getGame', [gameId]);
  const status = GAME_STATUS[g.status];
  if (status === undefined) throw new L1Error('L1_RPC_FAILED', `game ${gameId}: unknown status ${g.status}`);
  return {
    gameId, commitId: g.commitId, batchNum: g.batchNum, lo: g.lo, hi: g.hi, lastMoveAt: g.lastMoveAt, challenger: g.challenger, defender: g.defender,
    defenderUsed: g.defenderUsed, challengerUsed: g.challengerUsed, status, turn: g.turn === 0 ? 'defender' : 'challenger',
    loState: g.loState, hiState: g.hiState, midState: g.midState, mid: Math.floor((g.lo + g.hi) / 2),
  };
}

export type GameParams = { readonly challengeBond: bigint; readonly burnPercent: bigint; readonly challengeWindow: bigint; readonly clockBudget: bigint; readonly emptyExitRoot: bigint; readonly prover: Address };

export async function getGameParams(clients: L1Clients, game: Address): Promise<GameParams> {
  const [challengeBond, burnPercent, challengeWindow, clockBudget, emptyExitRoot, prover] = await Promise.all([
    read<bigint>(clients, game, gAbi, 'challengeBond'),
    read<bigint>(clients, game, gAbi, 'burnPercent'),
    read<bigint>(clients, game, gAbi, 'challengeWindow'),
    read<bigint>(clients, game, gAbi, 'clockBudget'),
    read<bigint>(clients, game, gAbi, 'emptyExitRoot'),
    read<Address>(clients, game, gAbi, 'prover'),
  ]);
  return { challengeBond, burnPercent, challengeWindow, clockBudget, emptyExitRoot, prover };
}

/** Opens a dispute against live commit `commitId` at `batchNum` with the challenge bond (read when absent). */
export async function openDispute(clients: L1Clients, game: Address, batchNum: bigint, commitId: bigint, bond?: bigint): Promise<{ receipt: TransactionReceipt; gameId: bigint }> {
  const value = bond ?? (await read<bigint>(clients, game, gAbi, 'challengeBond'));
  const receipt = await gameWrite(clients, game, 'openDispute', [batchNum, commitId], value);
  const [ev] = parseEventLogs({ abi: gAbi, logs: receipt.logs, eventName: 'GameOpened' }) as unknown as { args: { gameId: bigint } }[];
  if (ev === undefined) throw new L1Error('L1_RPC_FAILED', 'openDispute receipt has no GameOpened event');
  return { receipt, gameId: ev.args.gameId };
}

/** Defender: the step state at `mid` = (lo + hi) / 2. */
export function bisect(clients: L1Clients, game: Address, gameId: bigint, mid: number, midState: Hex) {
  return gameWrite(clients, game, 'bisect', [gameId, BigInt(mid), midState]);
}

/** Challenger: agree (the fault is after mid) or disagree (at or before mid) with the defender's S_mid. */
export function respond(clients: L1Clients, game: Address, gameId: bigint, mid: number, agree: boolean) {
  return gameWrite(clients, game, 'respond', [gameId, BigInt(mid), agree]);
}

/** Either party at hi − lo = 1: the one-step proof of step lo (bytes from src/core/one-step.ts). */
export function submitOneStep(clients: L1Clients, game: Address, gameId: bigint, proof: Hex) {
  return gameWrite(clients, game, 'submitOneStep', [gameId, proof]);
}

/** Anyone, once the side to move used its clock budget: the other side wins. */
export function timeoutGame(clients: L1Clients, game: Address, gameId: bigint) {
  return gameWrite(clients, game, 'timeout', [gameId]);
}

/** Anyone: a game whose commit was removed by another game refunds its challenger. */
export function voidGame(clients: L1Clients, game: Address, gameId: bigint) {
  return gameWrite(clients, game, 'voidGame', [gameId]);
}

/** Pays the caller's claimable balance on the game (won and refunded bonds). */
export function claimGame(clients: L1Clients, game: Address) {
  return gameWrite(clients, game, 'claim', []);
}

export async function getClockLeft(clients: L1Clients, game: Address, gameId: bigint): Promise<{ side: GameSide; remaining: bigint }> {
  const [side, remaining] = await read<readonly [number, bigint]>(clients, game, gAbi, 'clockLeft', [gameId]);
  return { side: side === 0 ? 'defender' : 'challenger', remaining };
}

/** The step state of the spec: keccak256(abi.encode(stateRoot, exitRoot, nextIndex, 0 × feeCount)), computed by the game. */
export function getStepState(clients: L1Clients, game: Address, stateRoot: bigint, exitRoot: bigint, nextIndex: number, feeCount: number): Promise<Hex> {
  return read<Hex>(clients, game, gAbi, 'stepState', [stateRoot, exitRoot, BigInt(nextIndex), BigInt(feeCount)]);
}

// ------------------------------------------------------------------------------------------------
// Event scans

export type DisputeEvent =
  | { readonly kind: 'GameOpened'; readonly gameId: bigint; readonly batchNum: bigint; readonly commitId: bigint; readonly challenger: Address; readonly defender: Address; readonly steps: bigint; readonly startState: Hex; readonly endState: Hex; readonly blockNumber: bigint }
  | { readonly kind: 'Bisected'; readonly gameId: bigint; readonly mid: bigint; readonly midState: Hex; readonly blockNumber: bigint }
  | { readonly kind: 'Responded'; readonly gameId: bigint; readonly mid: bigint; readonly agree: boolean; readonly lo: bigint; readonly hi: bigint; readonly blockNumber: bigint }
  | { readonly kind: 'OneStepExecuted'; readonly gameId: bigint; readonly step: bigint; readonly valid: boolean; readonly postState: Hex; readonly blockNumber: bigint }
  | { readonly kind: 'GameResolved'; readonly gameId: bigint; readonly status: GameStatus; readonly winner: Address; readonly payout: bigint; readonly burned: bigint; readonly blockNumber: bigint }
  | { readonly kind: 'GameTimedOut'; readonly gameId: bigint; readonly loser: GameSide; readonly blockNumber: bigint }
  | { readonly kind: 'GameVoided'; readonly gameId: bigint; readonly challenger: Address; readonly refund: bigint; readonly blockNumber: bigint };

const GAME_EVENTS = ['GameOpened', 'Bisected', 'Responded', 'OneStepExecuted', 'GameResolved', 'GameTimedOut', 'GameVoided'] as const;

/** Every game event in [fromBlock, toBlock], in chain order (block, log index). */
export async function getDisputeEvents(clients: L1Clients, game: Address, fromBlock: bigint, toBlock: bigint | 'latest' = 'latest'): Promise<DisputeEvent[]> {
  const to = toBlock === 'latest' ? await clients.public.getBlockNumber() : toBlock;
  const all: { ev: DisputeEvent; block: bigint; index: number }[] = [];
  for (const name of GAME_EVENTS) {
    const logs = await getLogsChunked(clients, game, gAbi, name, fromBlock, to);
    const parsed = parseEventLogs({ abi: gAbi, logs, eventName: name }) as unknown as { args: Record<string, unknown>; blockNumber: bigint; logIndex: number }[];
    for (const l of parsed) all.push({ ev: toDisputeEvent(name, l.args, l.blockNumber), block: l.blockNumber, index: l.logIndex });
  }
  return all.sort((a, b) => (a.block === b.block ? a.index - b.index : a.block < b.block ? -1 : 1)).map((x) => x.ev);
}

function toDisputeEvent(kind: (typeof GAME_EVENTS)[number], a: Record<string, unknown>, blockNumber: bigint): DisputeEvent {
  const b = (k: string): bigint => a[k] as bigint;
  const h = (k: string): Hex => a[k] as Hex;
  const ad = (k: string): Address => a[k] as Address;
  switch (kind) {
    case 'GameOpened':
      return { kind, gameId: b('gameId'), batchNum: b('batchNum'), commitId: b('commitId'), challenger: ad('challenger'), defender: ad('defender'), steps: b('steps'), startState: h('startState'), endState: h('endState'), blockNumber };
    case 'Bisected':
      return { kind, gameId: b('gameId'), mid: b('mid'), midState: h('midState'), blockNumber };
    case 'Responded':
      return { kind, gameId: b('gameId'), mid: b('mid'), agree: a.agree as boolean, lo: b('lo'), hi: b('hi'), blockNumber };
    case 'OneStepExecuted':
      return { kind, gameId: b('gameId'), step: b('step'), valid: a.valid as boolean, postState: h('postState'), blockNumber };
    case 'GameResolved':
      return { kind, gameId: b('gameId'), status: GAME_STATUS[a.status as number] ?? 'none', winner: ad('winner'), payout: b('payout'), burned: b('burned'), blockNumber };
    case 'GameTimedOut':
      return { kind, gameId: b('gameId'), loser: (a.loser as number) === 0 ? 'defender' : 'challenger', blockNumber };
    case 'GameVoided':
      return { kind, gameId: b('gameId'), challenger: ad('challenger'), refund: b('refund'), blockNumber };
  }
}

export type SettlementEvent =
  | { readonly kind: 'AssertionCommitted'; readonly batchNum: bigint; readonly commitId: bigint; readonly committer: Address; readonly bond: bigint; readonly recordsRoot: Hex; readonly stepDataHash: Hex; readonly blockNumber: bigint }
  | { readonly kind: 'BatchFinalized'; readonly batchNum: bigint; readonly commitId: bigint; readonly blockNumber: bigint }
  | { readonly kind: 'BatchesReverted'; readonly fromBatch: bigint; readonly toBatch: bigint; readonly commitId: bigint; readonly blockNumber: bigint };

/** The Rollup's settlement events (commits as assertions, finality, removals) in [fromBlock, toBlock]. */
export async function getSettlementEvents(clients: L1Clients, rollup: Address, fromBlock: bigint, toBlock: bigint | 'latest' = 'latest'): Promise<SettlementEvent[]> {
  const to = toBlock === 'latest' ? await clients.public.getBlockNumber() : toBlock;
  const out: { ev: SettlementEvent; block: bigint; index: number }[] = [];
  for (const name of ['AssertionCommitted', 'BatchFinalized', 'BatchesReverted'] as const) {
    const logs = await getLogsChunked(clients, rollup, rAbi, name, fromBlock, to);
    const parsed = parseEventLogs({ abi: rAbi, logs, eventName: name }) as unknown as { args: Record<string, unknown>; blockNumber: bigint; logIndex: number }[];
    for (const l of parsed) {
      const a = l.args;
      const ev: SettlementEvent =
        name === 'AssertionCommitted'
          ? { kind: name, batchNum: a.batchNum as bigint, commitId: a.commitId as bigint, committer: a.committer as Address, bond: a.bond as bigint, recordsRoot: a.recordsRoot as Hex, stepDataHash: a.stepDataHash as Hex, blockNumber: l.blockNumber }
          : name === 'BatchFinalized'
            ? { kind: name, batchNum: a.batchNum as bigint, commitId: a.commitId as bigint, blockNumber: l.blockNumber }
            : { kind: name, fromBatch: a.fromBatch as bigint, toBatch: a.toBatch as bigint, commitId: a.commitId as bigint, blockNumber: l.blockNumber };
      out.push({ ev, block: l.blockNumber, index: l.logIndex });
    }
  }
  return out.sort((a, b) => (a.block === b.block ? a.index - b.index : a.block < b.block ? -1 : 1)).map((x) => x.ev);
}
