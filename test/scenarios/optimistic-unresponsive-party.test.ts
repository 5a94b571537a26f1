/**
 * Attack (optimistic mode, docs/PROTOCOL.md §14.2): a party to a dispute stops answering in the middle of
 * the game, hoping the game stalls (and the batch with it) or that the other side gives up.
 *   (b) a griefing challenger disputes a correct batch of the honest proposer (the stack's sequencer
 *       node), answers one mid state, then goes silent on its own turn;
 *   (a) a lying proposer (the sequencer's key, its node stopped) commits a batch with a forged transfer,
 *       bisects once against the watchtower node's dispute, then goes silent on its own turn.
 * Defence: the chess clocks. Each side has clockBudget seconds for all its moves; once the silent side's
 * clock has run out (L1 time travel past clockBudget) the other side's node calls timeout by itself.
 * Shown: (b) the challenger loses by its clock, its bond split exactly (half burned, half to the
 * proposer), nothing removed, the batch final after the window; (a) the liar loses by its clock, the
 * batch is removed, its bond split exactly (half burned, the rest and the challenger's bond back to the
 * watchtower, which collects them by itself).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex } from 'viem';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { getCommitId, getDisputeEvents, getFinalityStatus, getGame, getSettlement, getSettlementEvents, openDispute, respond } from '../../src/l1/optimisticActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { writeRollup } from '../../src/l1/rollupActions.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import type { DevnetStack } from '../../src/node/devnet-stack.ts';
import type { RampartNode } from '../../src/node/node.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { commitFraud, playScripted, startWatchtower, OPTIMISTIC_SCENARIO, startOptimisticStack, stackClients } from '../support/dispute-actors.ts';

const { WINDOW, CLOCK, BOND, CHALLENGE_BOND, BURN, CIRCUIT } = OPTIMISTIC_SCENARIO;
let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
let seq: L1Clients;
let griefer: L1Clients;
let watchtower: RampartNode | undefined;
let game: Address;
let a1 = 0;
let b1 = 0;
const TRANSFERS = 6;
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, stack.rollup, functionName, args, value);

const claimable = (who: Address) => alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'claimable', args: [who] }) as Promise<bigint>;

before(async () => {
  stack = await startOptimisticStack();
  const mk = (key: Hex) => stackClients(stack, key);
  [alice, bob, seq, griefer] = await Promise.all([mk(stack.accounts[0]?.privateKey ?? '0x'), mk(stack.accounts[1]?.privateKey ?? '0x'), mk(stack.roles.sequencer.privateKey), mk(stack.accounts[3]?.privateKey ?? '0x')]);
  watchtower = await startWatchtower({ l1Url: stack.l1Url, chainId: stack.chainId, rollup: stack.rollup, deployBlock: stack.deployBlock, circuit: CIRCUIT, privateKey: stack.accounts[2]?.privateKey ?? '0x' });
  game = (await getSettlement(alice, stack.rollup)).disputeGame;
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(stack.rpcUrl, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  a1 = await waitFor('alice', () => find(addr(alice)));
  b1 = await waitFor('bob', () => find(addr(bob)));
});

after(async () => {
  await watchtower?.stop();
  await stack?.stop();
});

type Tx = { status: string; batchNum: number | null };
const maxFeeF = floatEncode(FLOAT16, 0n);
const amt = (v: bigint) => floatEncode(FLOAT32, v);

test('(b) a challenger that stops answering against an honest proposer loses by its clock; the batch becomes final', async () => {
  const url = stack.rpcUrl;
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const hashes: Hex[] = [];
  for (let nonce = 0; nonce < TRANSFERS; nonce++) hashes.push(await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: amt(10n), maxFeeF, nonce }, domain))]));
  const batchNums = await waitFor('transfers committed', async () => {
    const ts = await Promise.all(hashes.map((h) => rpc<Tx | null>(url, 'rampart_getTransaction', [h])));
    return ts.every((t) => t?.status === 'committed' && t.batchNum !== null) ? ts.map((t) => t?.batchNum ?? 0) : undefined;
  });
  // The batch holding the most of them (the sequencer usually takes all at once).
  const counts = new Map<number, number>();
  for (const n of batchNums) counts.set(n, (counts.get(n) ?? 0) + 1);
  const batchNum = BigInt([...counts.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 0);
  const commitId = await getCommitId(alice, stack.rollup, batchNum);

  const burnBefore = await alice.public.getBalance({ address: BURN });
  const { gameId } = await openDispute(griefer, game, batchNum, commitId, CHALLENGE_BOND);
  const g0 = await getGame(alice, game, gameId);
  assert.ok(g0.hi >= 3, `${g0.hi} steps`);
  // The proposer node bisects; the griefer answers once (agrees: the remaining range keeps ≥ 2 steps)...
  const first = await waitFor('first bisect', async () => {
    const g = await getGame(alice, game, gameId);
    return g.turn === 'challenger' ? g : undefined;
  });
  await respond(griefer, game, gameId, first.mid, true);
  // ...the proposer node bisects again, and the griefer goes silent on its own turn.
  const stalled = await waitFor('second bisect', async () => {
    const g = await getGame(alice, game, gameId);
    return g.turn === 'challenger' && g.status === 'open' ? g : undefined;
  });
  assert.equal(stalled.lo, first.mid);
  assert.ok(stalled.hi - stalled.lo >= 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await getGame(alice, game, gameId)).status, 'open', 'nothing ends the game before the clock runs out');

  // Past the griefer's clock the proposer node calls timeout by itself.
  await increaseTime(alice.public, CLOCK + 1);
  const over = await waitFor('timed out', async () => {
    const g = await getGame(alice, game, gameId);
    return g.status !== 'open' ? g : undefined;
  }, 60_000);
  assert.equal(over.status, 'defenderWon');
  const events = (await getDisputeEvents(alice, game, stack.deployBlock)).filter((e) => e.gameId === gameId);
  const timedOut = events.find((e) => e.kind === 'GameTimedOut');
  assert.ok(timedOut?.kind === 'GameTimedOut');
  assert.equal(timedOut.loser, 'challenger');
  assert.equal(events.filter((e) => e.kind === 'OneStepExecuted').length, 0);
  assert.equal(events.filter((e) => e.kind === 'Bisected').length, 2);
  assert.equal(events.filter((e) => e.kind === 'Responded').length, 1);
  const resolved = events.find((e) => e.kind === 'GameResolved');
  assert.ok(resolved?.kind === 'GameResolved');
  assert.equal(resolved.winner.toLowerCase(), stack.roles.sequencer.address.toLowerCase());
  assert.equal(resolved.burned, CHALLENGE_BOND / 2n);
  assert.equal(resolved.payout, CHALLENGE_BOND - CHALLENGE_BOND / 2n);
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, CHALLENGE_BOND / 2n);
  assert.equal(await claimable(addr(griefer)), 0n);
  await waitFor('proposer claimed', async () => ((await claimable(stack.roles.sequencer.address)) === 0n ? true : undefined));
  assert.equal(await alice.public.getBalance({ address: game }), 0n);

  // Nothing removed; the batch is final once the window has passed.
  assert.equal(await getCommitId(alice, stack.rollup, batchNum), commitId);
  await increaseTime(alice.public, WINDOW);
  await waitFor('final', async () => {
    const f = await getFinalityStatus(alice, stack.rollup);
    return f.lastFinal >= batchNum && f.lastFinal === f.lastCommitted ? true : undefined;
  }, 60_000, 100);
  assert.equal((await getSettlementEvents(alice, stack.rollup, stack.deployBlock)).filter((e) => e.kind === 'BatchesReverted').length, 0);
  assert.equal(BigInt((await rpc<{ balance: Hex } | null>(url, 'rampart_getAccount', [a1]))?.balance ?? '0x0'), 1000n - 10n * BigInt(TRANSFERS));
});

test('(a) a lying proposer that stops answering mid-game loses by its clock; the watchtower node calls timeout, the batch is removed', async () => {
  const url = stack.rpcUrl;
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  await send(seq, 'createAccount', [0, 1n, user(9).publicKey[0], user(9).publicKey[1]], 1n);
  const m1 = await waitFor('mallory', async () => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: addr(seq), tokenId: 0 }]))[0]);
  const synced = stack.node.state.batchNum;
  await waitFor('watchtower synced', async () => ((watchtower?.state.batchNum ?? 0) >= synced ? true : undefined));

  await stack.node.stop();
  const bobTxs = [0, 1, 2, 3, 4].map((nonce) => signTx(user(1), { kind: 'transfer', from: b1, to: a1, amountF: amt(10n), maxFeeF, nonce }, domain));
  const forged = signTx(user(9), { kind: 'transfer', from: a1, to: m1, amountF: amt(900n), maxFeeF, nonce: TRANSFERS }, domain); // not Alice's key
  const fraud = await commitFraud({ sequencer: seq, rollup: stack.rollup, deployBlock: stack.deployBlock, config: stack.node.config, txs: [...bobTxs, forged, signTx(user(1), { kind: 'transfer', from: b1, to: a1, amountF: amt(10n), maxFeeF, nonce: 5 }, domain)] });
  assert.equal(fraud.steps, 7);
  assert.equal(fraud.invalidStep, 5);

  const opened = await waitFor('dispute opened', async () => (await getDisputeEvents(alice, game, stack.deployBlock)).find((e) => e.kind === 'GameOpened' && e.commitId === fraud.commitId));
  assert.ok(opened.kind === 'GameOpened');
  assert.equal(opened.challenger.toLowerCase(), stack.accounts[2]?.address.toLowerCase());
  const gameId = opened.gameId;
  const burnBefore = await alice.public.getBalance({ address: BURN });
  // The liar defends one round, then goes silent.
  const played = await playScripted({ l1: seq, game, gameId, role: 'defender', trace: fraud.lie, stopAfter: 1 });
  assert.equal(played.moves, 1);
  const stalled = await waitFor('watchtower answered', async () => {
    const g = await getGame(alice, game, gameId);
    return g.turn === 'defender' && g.lo + g.hi !== 0 && g.hi - g.lo >= 2 && (g.lo !== 0 || g.hi !== fraud.steps) ? g : undefined;
  });
  assert.equal(stalled.status, 'open');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await getGame(alice, game, gameId)).status, 'open', 'nothing ends the game before the clock runs out');
  assert.equal((await getFinalityStatus(alice, stack.rollup)).lastCommitted, fraud.batchNum);

  // Past the liar's clock the watchtower node calls timeout by itself.
  await increaseTime(alice.public, CLOCK + 1);
  const over = await waitFor('timed out', async () => {
    const g = await getGame(alice, game, gameId);
    return g.status !== 'open' ? g : undefined;
  }, 60_000);
  assert.equal(over.status, 'challengerWon');
  const events = (await getDisputeEvents(alice, game, stack.deployBlock)).filter((e) => e.gameId === gameId);
  const timedOut = events.find((e) => e.kind === 'GameTimedOut');
  assert.ok(timedOut?.kind === 'GameTimedOut');
  assert.equal(timedOut.loser, 'defender');
  assert.equal(events.filter((e) => e.kind === 'Bisected').length, 1);
  const resolved = events.find((e) => e.kind === 'GameResolved');
  assert.ok(resolved?.kind === 'GameResolved');
  assert.equal(resolved.winner.toLowerCase(), stack.accounts[2]?.address.toLowerCase());
  assert.equal(resolved.burned, BOND / 2n);
  assert.equal(resolved.payout, BOND - BOND / 2n + CHALLENGE_BOND);
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, BOND / 2n);
  // The batch is gone; the watchtower collected its winnings by itself.
  assert.equal((await getFinalityStatus(alice, stack.rollup)).lastCommitted, fraud.batchNum - 1n);
  const reverted = (await getSettlementEvents(alice, stack.rollup, stack.deployBlock)).filter((e) => e.kind === 'BatchesReverted');
  assert.equal(reverted.length, 1);
  assert.equal(reverted[0]?.kind === 'BatchesReverted' && reverted[0].commitId, fraud.commitId);
  await waitFor('winnings claimed', async () => ((await claimable(stack.accounts[2]?.address ?? '0x')) === 0n ? true : undefined));
  assert.equal(await alice.public.getBalance({ address: game }), 0n);
  // The watchtower's state never took the forged transfer.
  assert.equal(watchtower?.state.getAccount(a1)?.balance, 1000n - 10n * BigInt(TRANSFERS));
  assert.equal(watchtower?.state.getAccount(m1)?.balance, 1n);
});
