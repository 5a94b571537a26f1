/**
 * Actors for the optimistic-settlement scenarios (test/scenarios/optimistic-*.test.ts): a state rebuilt
 * from L1 alone, a dishonest proposer that commits a batch whose roots include a transaction the STF
 * rejects (a transfer its owner never signed) together with the lying step states it will defend, a
 * scripted party that plays a game from any trace (honest or lying) or stops answering, and a watchtower
 * node. The honest roles are the node's own (src/node/dispute-service.ts); these stand in for attackers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, type Hex, bytesToHex } from 'viem';
import { signedBatchFromResult } from '../../src/core/batch-commitment.ts';
import { emptyExitRoot, stepProof, stepStateHash, traceBatch, type BatchTrace } from '../../src/core/one-step.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, type BatchResult, type StfConfig } from '../../src/core/stf.ts';
import { encodeL1Ops, type L1Op, type L2Tx } from '../../src/core/tx.ts';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { bisect, commitWithBond, getGame, respond, submitOneStep, type Game } from '../../src/l1/optimisticActions.ts';
import { getCommittedBatches, getL1Consumed } from '../../src/l1/rollupActions.ts';
import { deriveBatch } from '../../src/node/derivation.ts';
import { nextMove, type GameView, type Role, type Trace } from '../../src/node/dispute-player.ts';
import { startNode, type RampartNode } from '../../src/node/node.ts';
import { startDevnetStack, type DevnetStack, type DevnetStackOptions } from '../../src/node/devnet-stack.ts';
import { createL1Clients } from '../../src/l1/createL1Clients.ts';
import { CIRCUIT_SETS, type CircuitParams } from '../../src/prover/circuit-params.ts';

/**
 * The optimistic scenarios' deployment: a 600 s challenge window, 300 s chess clocks, a 0.1 ETH
 * assertion bond and a 0.04 ETH challenge bond, batches of the depth-32 8-transfer layout; the burned
 * share of a bond goes to BURN.
 */
export const OPTIMISTIC_SCENARIO = {
  WINDOW: 600,
  CLOCK: 300,
  BOND: 10n ** 17n,
  CHALLENGE_BOND: 4n * 10n ** 16n,
  BURN: '0x000000000000000000000000000000000000dEaD',
  CIRCUIT: CIRCUIT_SETS['depth32-tx8'],
} as const;

/** A devnet stack with that settlement (nodes polling every 50 ms); `more` adds sequencers, users, … */
export function startOptimisticStack(more: Partial<DevnetStackOptions> = {}): Promise<DevnetStack> {
  const { WINDOW, CLOCK, BOND, CHALLENGE_BOND } = OPTIMISTIC_SCENARIO;
  return startDevnetStack({ circuit: 'depth32-tx8', pollMs: 50, ...more, settlement: { mode: 'optimistic', challengeWindow: WINDOW, clockBudget: CLOCK, assertionBond: BOND, challengeBond: CHALLENGE_BOND } });
}

/** L1 clients on the stack's chain signing with `key`. */
export function stackClients(stack: Pick<DevnetStack, 'l1Url' | 'chainId'>, key: Hex): Promise<L1Clients> {
  return createL1Clients({ url: stack.l1Url, privateKey: key, chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
}

/** The state after every live committed batch, derived from L1 calldata alone. */
export async function stateFromL1(l1: L1Clients, rollup: Address, deployBlock: bigint, config: StfConfig): Promise<MemoryState> {
  const state = new MemoryState();
  for (const b of await getCommittedBatches(l1, rollup, deployBlock)) state.apply(deriveBatch(state, b, config).result.changes);
  return state;
}

export type FraudulentBatch = {
  readonly batchNum: bigint;
  readonly commitId: bigint;
  /** The lying proposer's step states S_0..S_n (it claims every step applied as its roots say). */
  readonly lie: Trace;
  /** The honest trace of the same posted data (invalid at `invalidStep`). */
  readonly honest: BatchTrace;
  readonly invalidStep: number;
  readonly result: BatchResult;
  readonly steps: number;
};

/**
 * Commits, with the sequencer's key and bond, a batch of `txs` (no L1 ops, no fees) whose posted roots
 * apply every transaction as if its signature were valid: `forged` (indices into `txs`) are transfers
 * their owners never signed. Returns the lie it will defend and the honest trace.
 */
export async function commitFraud(p: {
  readonly sequencer: L1Clients;
  readonly rollup: Address;
  readonly deployBlock: bigint;
  readonly config: StfConfig;
  readonly txs: readonly L2Tx[];
}): Promise<FraudulentBatch> {
  const { sequencer, rollup, config } = p;
  const state = await stateFromL1(sequencer, rollup, p.deployBlock, config);
  const l1Ops: L1Op[] = [];
  // The lie: every signature "verified".
  const result = applyBatch(state, { l1Ops, l2Txs: p.txs, feeTable: [] }, config, { verified: p.txs.map(() => true) });
  if (result.included.length !== p.txs.length) throw new Error('the fraudulent batch must include every transaction');
  const l1Start = await getL1Consumed(sequencer, rollup);
  const lastCommitted = (await sequencer.public.readContract({ address: rollup, abi: LAST_COMMITTED_ABI, functionName: 'lastCommitted' })) as bigint;
  const built = signedBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result, l1Ops, feeTable: [], batchNum: lastCommitted + 1n, l1Start });
  const { batchNum, commitId } = await commitWithBond(sequencer, rollup, {
    header: { newRoot: result.newRoot, exitRoot: result.exitRoot, dataCommitment: built.commitment.c, newNextIndex: result.newNextIndex, l1Count: 0 },
    l1Ops: bytesToHex(encodeL1Ops(l1Ops)),
    batchData: bytesToHex(built.batchData),
  });
  // The lying states, step by step from the lie's own witness (no L1 ops, no fee steps here).
  let exitRoot = emptyExitRoot(config.exitTreeDepth);
  const hashes: Hex[] = [bytesToHex(stepStateHash({ stateRoot: result.oldRoot, exitRoot, nextIndex: result.oldNextIndex, acc: [] }))];
  for (const w of result.witness) {
    if (w.exit !== undefined) exitRoot = w.exit.postRoot;
    hashes.push(bytesToHex(stepStateHash({ stateRoot: w.postRoot, exitRoot, nextIndex: w.postNextIndex, acc: [] })));
  }
  const honest = traceBatch({ state, l1Ops, batchData: built.batchData, config });
  if (honest.invalidAt === undefined) throw new Error('the batch was meant to be invalid');
  return { batchNum, commitId, lie: { steps: hashes.length - 1, stateAt: (j) => hashes[j] }, honest, invalidStep: honest.invalidAt.step, result, steps: hashes.length - 1 };
}

const LAST_COMMITTED_ABI = [{ type: 'function', name: 'lastCommitted', stateMutability: 'view', inputs: [], outputs: [{ name: '', type: 'uint256' }] }] as const;

function viewOf(g: Game): GameView {
  const pendingMid = g.turn === 'challenger' && g.hi - g.lo >= 2;
  return { open: g.status === 'open', lo: g.lo, hi: g.hi, turn: g.turn, loState: g.loState, hiState: g.hiState, midState: pendingMid ? g.midState : undefined };
}

/**
 * Plays `role` in game `gameId` from `trace` until the game ends (or, with `stopAfter`, until it has
 * made that many moves: a party that then stops answering). `proofs` gives the one-step proof of step
 * j when the trace is backed by real data (an honest trace); a lying trace has none to give.
 */
export async function playScripted(p: {
  readonly l1: L1Clients;
  readonly game: Address;
  readonly gameId: bigint;
  readonly role: Role;
  readonly trace: Trace;
  readonly proof?: (step: number) => Hex;
  readonly stopAfter?: number;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}): Promise<{ moves: number; final: Game }> {
  const end = Date.now() + (p.timeoutMs ?? 120_000);
  let moves = 0;
  for (;;) {
    let g: Game;
    try {
      g = await getGame(p.l1, p.game, p.gameId);
    } catch (err) {
      // A slow L1 endpoint (a loaded machine) times a read out: read again until our own deadline.
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, p.pollMs ?? 50));
      continue;
    }
    if (g.status !== 'open' || (p.stopAfter !== undefined && moves >= p.stopAfter)) return { moves, final: g };
    if (Date.now() > end) throw new Error(`game ${p.gameId}: scripted ${p.role} timed out waiting`);
    const m = nextMove(p.role, viewOf(g), p.trace);
    try {
      if (m.kind === 'bisect') await bisect(p.l1, p.game, p.gameId, m.mid, m.state);
      else if (m.kind === 'respond') await respond(p.l1, p.game, p.gameId, m.mid, m.agree);
      else if (m.kind === 'one-step' && p.proof !== undefined) await submitOneStep(p.l1, p.game, p.gameId, p.proof(m.step));
      else {
        await new Promise((r) => setTimeout(r, p.pollMs ?? 50));
        continue;
      }
      moves++;
    } catch {
      // The other side moved first or the game ended: read it again.
      await new Promise((r) => setTimeout(r, p.pollMs ?? 50));
    }
  }
}

/** A one-step proof source for an honest trace. */
export function proofsOf(trace: BatchTrace): (step: number) => Hex {
  return (step) => bytesToHex(stepProof(trace, step));
}

/** A follower node with the challenger role and its own key and database (a watchtower). */
export function startWatchtower(p: { readonly l1Url: string; readonly chainId: number; readonly rollup: Address; readonly deployBlock: bigint; readonly circuit: CircuitParams; readonly privateKey: Hex; readonly dataDir?: string }): Promise<RampartNode> {
  return startNode({
    l1Url: p.l1Url,
    chainId: p.chainId,
    rollup: p.rollup,
    deployBlock: p.deployBlock,
    circuit: p.circuit,
    dataDir: p.dataDir ?? mkdtempSync(join(tmpdir(), 'rampart-watchtower-')),
    confirmations: 1,
    pollMs: 50,
    rpc: false,
    challenger: { privateKey: p.privateKey },
  });
}

/**
 * The devnet stack's own sequencer node started again on its data folder (after `stack.node.stop()`),
 * with the sequencer role and a JSON-RPC server: the honest sequencer coming back after an attack.
 */
export function restartSequencer(stack: Pick<DevnetStack, 'l1Url' | 'chainId' | 'rollup' | 'deployBlock' | 'dataDir' | 'roles'>, circuit: CircuitParams): Promise<RampartNode> {
  return startNode({
    l1Url: stack.l1Url,
    chainId: stack.chainId,
    rollup: stack.rollup,
    deployBlock: stack.deployBlock,
    circuit,
    dataDir: stack.dataDir,
    confirmations: 1,
    pollMs: 50,
    rpc: { host: '127.0.0.1', port: 0 },
    sequencer: { privateKey: stack.roles.sequencer.privateKey },
  });
}
