/**
 * Attack (optimistic mode, docs/PROTOCOL.md §14.2): many challengers at once.
 *   1. A lying proposer (the sequencer's key, its node stopped) commits a batch with a forged transfer
 *      and faces three disputes at once: an honest watchtower node, a challenger colluding with it (it
 *      disputes first, then agrees with every lying state and never proves the step, so that its game,
 *      not the honest one, would decide) and a lazy challenger that opens and never moves.
 *   2. An honest proposer's correct batch faces several griefing challengers in parallel, opened at the
 *      very end of the challenge window, each stalling as long as its clock allows.
 * Defence: every dispute is its own game with its own clocks, none can delay or decide another; the
 * first game won by a challenger removes the batch, the others are void (bond refunded in full: they
 * disputed a batch that was indeed wrong); a batch's finality waits at most challengeWindow +
 * 2·clockBudget after its commit, whatever the number of games.
 * Shown: 1. the honest game wins and the attacker is slashed exactly once (one GameResolved, one burn,
 * its assertion bond gone, nothing left to reclaim); the colluding and lazy games cannot be voided
 * while the batch is live, are voided afterwards with exactly their bond refunded, and cannot be played
 * any more; the next honest batch is final within the bound. 2. every griefer loses (by the one step or
 * by its clock), each bond split exactly, the batch final within window + 2·clockBudget of its commit
 * (L1 time), and a dispute after the window is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, keccak256, toHex } from 'viem';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import {
  claimGame,
  getAssertion,
  getCommitId,
  getDisputeEvents,
  getFinalityStatus,
  getGame,
  getSettlement,
  getSettlementEvents,
  openDispute,
  reclaimBond,
  respond,
  timeoutGame,
  voidGame,
  type DisputeEvent,
} from '../../src/l1/optimisticActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { writeRollup } from '../../src/l1/rollupActions.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import type { DevnetStack } from '../../src/node/devnet-stack.ts';
import type { RampartNode } from '../../src/node/node.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { commitFraud, playScripted, startWatchtower, restartSequencer, OPTIMISTIC_SCENARIO, startOptimisticStack, stackClients } from '../support/dispute-actors.ts';

const { WINDOW, CLOCK, BOND, CHALLENGE_BOND, BURN, CIRCUIT } = OPTIMISTIC_SCENARIO;
let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
let seq: L1Clients;
let colluder: L1Clients;
let lazy: L1Clients;
let griefers: L1Clients[] = [];
let watchtower: RampartNode | undefined;
let honest: RampartNode | undefined;
let game: Address;
let a1 = 0;
let b1 = 0;
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
const json = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, stack.rollup, functionName, args, value);

const claimable = (who: Address) => alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'claimable', args: [who] }) as Promise<bigint>;
const reverts = (reason: string) => (e: unknown) => e instanceof ContractRevertedError && e.reason === reason;
const blockTime = async (blockNumber: bigint): Promise<bigint> => (await alice.public.getBlock({ blockNumber })).timestamp;

before(async () => {
  stack = await startOptimisticStack({ userAccounts: 8 });
  const mk = (key: Hex | undefined) => stackClients(stack, key ?? '0x');
  [alice, bob, seq, colluder, lazy] = await Promise.all([mk(stack.accounts[0]?.privateKey), mk(stack.accounts[1]?.privateKey), mk(stack.roles.sequencer.privateKey), mk(stack.accounts[3]?.privateKey), mk(stack.accounts[4]?.privateKey)]);
  griefers = await Promise.all([5, 6, 7].map((i) => mk(stack.accounts[i]?.privateKey)));
  watchtower = await startWatchtower({ l1Url: stack.l1Url, chainId: stack.chainId, rollup: stack.rollup, deployBlock: stack.deployBlock, circuit: CIRCUIT, privateKey: stack.accounts[2]?.privateKey ?? '0x' });
  game = (await getSettlement(alice, stack.rollup)).disputeGame;
});

after(async () => {
  await honest?.stop();
  await watchtower?.stop();
  await stack?.stop();
});

const maxFeeF = floatEncode(FLOAT16, 0n);
const amt = (v: bigint) => floatEncode(FLOAT32, v);
type Tx = { status: string; batchNum: number | null };

test('a lying proposer against an honest watchtower, a colluder and a lazy challenger at once: the honest game decides, one slash, the others void', async () => {
  const url = stack.rpcUrl;
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  await send(seq, 'createAccount', [0, 1n, user(9).publicKey[0], user(9).publicKey[1]], 1n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  a1 = await waitFor('alice', () => find(addr(alice)));
  b1 = await waitFor('bob', () => find(addr(bob)));
  const m1 = await waitFor('mallory', () => find(addr(seq)));
  const synced = stack.node.state.batchNum;
  await waitFor('watchtower synced', async () => ((watchtower?.state.batchNum ?? 0) >= synced ? true : undefined));

  await stack.node.stop();
  const bobTxs = [0, 1, 2, 3, 4].map((nonce) => signTx(user(1), { kind: 'transfer', from: b1, to: a1, amountF: amt(10n), maxFeeF, nonce }, domain));
  const forged = signTx(user(9), { kind: 'transfer', from: a1, to: m1, amountF: amt(900n), maxFeeF, nonce: 0 }, domain); // not Alice's key
  const lastBob = signTx(user(1), { kind: 'transfer', from: b1, to: a1, amountF: amt(10n), maxFeeF, nonce: 5 }, domain);
  const fraud = await commitFraud({ sequencer: seq, rollup: stack.rollup, deployBlock: stack.deployBlock, config: stack.node.config, txs: [...bobTxs, forged, lastBob] });
  assert.equal(fraud.steps, 7);
  const batchNum = fraud.batchNum;
  const burnBefore = await alice.public.getBalance({ address: BURN });

  // Three disputes against the one commit: the watchtower's (on its own), the colluder's and the lazy one's.
  const c = await openDispute(colluder, game, batchNum, fraud.commitId, CHALLENGE_BOND);
  const l = await openDispute(lazy, game, batchNum, fraud.commitId, CHALLENGE_BOND);
  const w = await waitFor('watchtower dispute', async () =>
    (await getDisputeEvents(alice, game, stack.deployBlock)).find((e) => e.kind === 'GameOpened' && e.commitId === fraud.commitId && e.challenger.toLowerCase() === stack.accounts[2]?.address.toLowerCase()),
  );
  assert.ok(w.kind === 'GameOpened');
  const ids = [w.gameId, c.gameId, l.gameId];
  assert.equal(new Set(ids).size, 3);
  assert.equal(await alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'openDisputes', args: [fraud.commitId] }), 3n);

  // The liar plays the colluder's and the lazy games first; the colluder agrees with every lie down to
  // the last step and then never proves it; the lazy challenger never answers.
  const liarC = playScripted({ l1: seq, game, gameId: c.gameId, role: 'defender', trace: fraud.lie });
  const colluderP = playScripted({ l1: colluder, game, gameId: c.gameId, role: 'challenger', trace: fraud.lie });
  const liarL = playScripted({ l1: seq, game, gameId: l.gameId, role: 'defender', trace: fraud.lie });
  await waitFor('colluder at the last step', async () => {
    const g = await getGame(alice, game, c.gameId);
    return g.lo === fraud.steps - 1 && g.hi === fraud.steps && g.turn === 'challenger' ? true : undefined;
  });
  await waitFor('lazy game waiting on the lazy side', async () => ((await getGame(alice, game, l.gameId)).turn === 'challenger' ? true : undefined));
  // Neither side may end these games early: no clock has run out, and a live commit's game is not void.
  await assert.rejects(timeoutGame(seq, game, l.gameId), reverts('ClockNotExpired'));
  await assert.rejects(timeoutGame(seq, game, c.gameId), reverts('ClockNotExpired'));
  await assert.rejects(voidGame(lazy, game, l.gameId), reverts('CommitStillLive'));
  // The one step the colluder leaves open cannot be won by the liar either: there is no valid proof of it.

  // Now the liar faces the honest game, and loses it at the one step.
  const liarW = await playScripted({ l1: seq, game, gameId: w.gameId, role: 'defender', trace: fraud.lie });
  assert.equal(liarW.final.status, 'challengerWon');
  assert.equal((await getFinalityStatus(alice, stack.rollup)).lastCommitted, batchNum - 1n);

  // The colluder's and the lazy games are void (anyone may void them; each challenger does its own).
  await voidGame(colluder, game, c.gameId);
  await voidGame(lazy, game, l.gameId);
  const [pc, pl, pColluder] = await Promise.all([liarC, liarL, colluderP]);
  assert.equal(pc.final.status, 'void');
  assert.equal(pl.final.status, 'void');
  assert.equal(pColluder.final.status, 'void');
  await assert.rejects(respond(colluder, game, c.gameId, fraud.steps - 1, true), reverts('GameNotOpen'));
  await assert.rejects(timeoutGame(seq, game, l.gameId), reverts('GameNotOpen'));
  await assert.rejects(voidGame(lazy, game, l.gameId), reverts('GameNotOpen'));

  const events = (await getDisputeEvents(alice, game, stack.deployBlock)).filter((e) => ids.includes(e.gameId));
  const resolved = events.filter((e): e is Extract<DisputeEvent, { kind: 'GameResolved' }> => e.kind === 'GameResolved');
  assert.equal(resolved.length, 1, json(resolved));
  assert.equal(resolved[0]?.gameId, w.gameId);
  assert.equal(resolved[0]?.status, 'challengerWon');
  assert.equal(resolved[0]?.burned, BOND / 2n);
  assert.equal(resolved[0]?.payout, BOND - BOND / 2n + CHALLENGE_BOND);
  const oneStep = events.filter((e) => e.kind === 'OneStepExecuted');
  assert.equal(oneStep.length, 1);
  assert.ok(oneStep[0]?.kind === 'OneStepExecuted' && oneStep[0].gameId === w.gameId && !oneStep[0].valid && oneStep[0].step === BigInt(fraud.invalidStep));
  const voided = events.filter((e): e is Extract<DisputeEvent, { kind: 'GameVoided' }> => e.kind === 'GameVoided');
  assert.deepEqual(
    voided.map((v) => [v.gameId, v.challenger.toLowerCase(), v.refund]),
    [
      [c.gameId, addr(colluder).toLowerCase(), CHALLENGE_BOND],
      [l.gameId, addr(lazy).toLowerCase(), CHALLENGE_BOND],
    ],
  );
  assert.equal(events.filter((e) => e.kind === 'GameTimedOut').length, 0);
  // Slashed once: one burn of half the bond, the bond is gone from the rollup, nothing left to reclaim.
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, BOND / 2n);
  assert.equal((await getAssertion(alice, stack.rollup, fraud.commitId)).bond, 0n);
  await assert.rejects(reclaimBond(seq, stack.rollup, fraud.commitId), reverts('NothingToReclaim'));
  assert.equal(await alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'openDisputes', args: [fraud.commitId] }), 0n);
  // Refunds: exactly the bond each, paid once.
  for (const ch of [colluder, lazy]) {
    assert.equal(await claimable(addr(ch)), CHALLENGE_BOND);
    const r = await claimGame(ch, game);
    assert.equal(r.status, 'success');
    assert.equal(await claimable(addr(ch)), 0n);
  }
  await waitFor('watchtower claimed', async () => ((await claimable(stack.accounts[2]?.address ?? '0x')) === 0n ? true : undefined));
  assert.equal(await alice.public.getBalance({ address: game }), 0n);

  // The honest sequencer comes back; its next batch at that number is final within the bound.
  honest = await restartSequencer(stack, CIRCUIT);
  const url2 = honest.rpcUrl ?? '';
  for (const t of [...bobTxs, lastBob]) await rpc<Hex>(url2, 'rampart_sendTransaction', [txJson(t)]);
  await waitFor('honest batch', async () => ((honest?.state.batchNum ?? 0) >= Number(batchNum) && (honest?.status().pending ?? 1) === 0 ? true : undefined));
  const newCommit = await getCommitId(alice, stack.rollup, batchNum);
  assert.notEqual(newCommit, fraud.commitId);
  await increaseTime(alice.public, WINDOW + 1);
  await waitFor('final', async () => {
    const f = await getFinalityStatus(alice, stack.rollup);
    return f.lastFinal === f.lastCommitted && f.lastFinal >= batchNum ? true : undefined;
  }, 60_000, 100);
  const se = await getSettlementEvents(alice, stack.rollup, stack.deployBlock);
  const committed = se.find((e) => e.kind === 'AssertionCommitted' && e.commitId === newCommit);
  const finalized = se.find((e) => e.kind === 'BatchFinalized' && e.commitId === newCommit);
  assert.ok(committed !== undefined && finalized !== undefined);
  const delay = (await blockTime(finalized.blockNumber)) - (await blockTime(committed.blockNumber));
  assert.ok(delay >= BigInt(WINDOW) && delay <= BigInt(WINDOW + 2 * CLOCK), `finality delay ${delay}s`);
  assert.equal(honest.state.getAccount(a1)?.balance, 1060n);
  assert.equal(honest.state.getAccount(m1)?.balance, 1n);
});

test('a correct batch against several griefing challengers in parallel, opened at the end of the window: final within window + 2·clockBudget of its commit', async () => {
  assert.ok(honest !== undefined);
  const url = honest.rpcUrl ?? '';
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const hashes: Hex[] = [];
  for (let nonce = 0; nonce < 6; nonce++) hashes.push(await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: amt(5n), maxFeeF, nonce }, domain))]));
  const nums = await waitFor('transfers committed', async () => {
    const ts = await Promise.all(hashes.map((h) => rpc<Tx | null>(url, 'rampart_getTransaction', [h])));
    return ts.every((t) => t?.status === 'committed' && t.batchNum !== null) ? ts.map((t) => t?.batchNum ?? 0) : undefined;
  });
  const batchNum = BigInt(Math.max(...nums));
  const commitId = await getCommitId(alice, stack.rollup, batchNum);
  const committed = (await getSettlementEvents(alice, stack.rollup, stack.deployBlock)).find((e) => e.kind === 'AssertionCommitted' && e.commitId === commitId);
  assert.ok(committed !== undefined);
  const committedAt = await blockTime(committed.blockNumber);
  // Every earlier batch final first, so this one's finality is only up to its own games.
  await waitFor('earlier final', async () => ((await getFinalityStatus(alice, stack.rollup)).lastFinal >= batchNum - 1n ? true : undefined), 60_000);

  // The griefers wait for the last minute of the window, then all dispute.
  await increaseTime(alice.public, WINDOW - 60);
  const burnBefore = await alice.public.getBalance({ address: BURN });
  const opened = await Promise.all(griefers.map((g) => openDispute(g, game, batchNum, commitId, CHALLENGE_BOND)));
  const gameIds = opened.map((o) => o.gameId);
  const g0 = await getGame(alice, game, gameIds[0] ?? 0n);
  const steps = g0.hi;
  assert.ok(steps >= 3, `${steps} steps`);
  const madeUp: Hex[] = Array.from({ length: steps + 1 }, (_, j) => (j === 0 ? g0.loState : j === steps ? g0.hiState : keccak256(toHex(`grief/${j}`))));
  const [gA, gB, gC] = griefers;
  assert.ok(gA !== undefined && gB !== undefined && gC !== undefined);
  // A: plays a made-up trace to the end (the proposer node wins at the one step).
  const playedA = await playScripted({ l1: gA, game, gameId: gameIds[0] ?? 0n, role: 'challenger', trace: { steps, stateAt: (j) => madeUp[j] } });
  assert.equal(playedA.final.status, 'defenderWon');
  // B: answers once, then stalls; C: never answers. Both wait until their clocks are almost gone.
  const firstB = await waitFor('B to answer', async () => {
    const g = await getGame(alice, game, gameIds[1] ?? 0n);
    return g.turn === 'challenger' ? g : undefined;
  });
  await respond(gB, game, gameIds[1] ?? 0n, firstB.mid, true);
  for (const id of [gameIds[1] ?? 0n, gameIds[2] ?? 0n]) await waitFor(`game ${id} on the griefer`, async () => ((await getGame(alice, game, id)).turn === 'challenger' ? true : undefined));
  // The window is over: a latecomer is refused.
  await increaseTime(alice.public, 61);
  await assert.rejects(openDispute(gC, game, batchNum, commitId, CHALLENGE_BOND), reverts('OutOfWindow'));
  assert.equal((await getFinalityStatus(alice, stack.rollup)).nextFinalizable, false);
  // Past the griefers' clocks the proposer node times them out and finalizes.
  await increaseTime(alice.public, CLOCK);
  await waitFor('final', async () => ((await getFinalityStatus(alice, stack.rollup)).lastFinal >= batchNum ? true : undefined), 60_000, 100);

  const events = (await getDisputeEvents(alice, game, stack.deployBlock)).filter((e) => gameIds.includes(e.gameId));
  const resolved = events.filter((e): e is Extract<DisputeEvent, { kind: 'GameResolved' }> => e.kind === 'GameResolved');
  assert.equal(resolved.length, griefers.length, json(resolved));
  for (const r of resolved) {
    assert.equal(r.status, 'defenderWon');
    assert.equal(r.winner.toLowerCase(), stack.roles.sequencer.address.toLowerCase());
    assert.equal(r.burned, CHALLENGE_BOND / 2n);
    assert.equal(r.payout, CHALLENGE_BOND - CHALLENGE_BOND / 2n);
  }
  assert.deepEqual(
    events
      .filter((e) => e.kind === 'GameTimedOut')
      .map((e) => [e.gameId, e.kind === 'GameTimedOut' && e.loser])
      .sort((x, y) => Number((x[0] as bigint) - (y[0] as bigint))),
    [
      [gameIds[1], 'challenger'],
      [gameIds[2], 'challenger'],
    ].sort((x, y) => Number((x[0] as bigint) - (y[0] as bigint))),
  );
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, (BigInt(griefers.length) * CHALLENGE_BOND) / 2n);
  for (const g of griefers) assert.equal(await claimable(addr(g)), 0n);
  await waitFor('proposer claimed', async () => ((await claimable(stack.roles.sequencer.address)) === 0n ? true : undefined));
  assert.equal(await alice.public.getBalance({ address: game }), 0n);

  const se = await getSettlementEvents(alice, stack.rollup, stack.deployBlock);
  const finalized = se.find((e) => e.kind === 'BatchFinalized' && e.commitId === commitId);
  assert.ok(finalized !== undefined);
  const delay = (await blockTime(finalized.blockNumber)) - committedAt;
  // Delayed past the window by the open games, but never past the bound.
  assert.ok(delay > BigInt(WINDOW) && delay <= BigInt(WINDOW + 2 * CLOCK), `finality delay ${delay}s`);
  process.stderr.write(`griefed batch: finality delay ${delay}s (window ${WINDOW}s, bound ${WINDOW + 2 * CLOCK}s)\n`);
  assert.equal(se.filter((e) => e.kind === 'BatchesReverted').length, 1); // only the liar's, in the first test
  assert.equal(honest.state.getAccount(a1)?.balance, 1060n - 30n);
});
