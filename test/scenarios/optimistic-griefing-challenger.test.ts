/**
 * Attack (optimistic mode, docs/PROTOCOL.md §14.2): a griefing challenger disputes a correct batch, to
 * delay its finality or to bleed the proposer, and plays the whole bisection from a made-up trace (it
 * disagrees with every state the proposer posts).
 * Defence: the proposer is the stack's own sequencer node, which defends its commits by itself from the
 * honest trace; at one step it settles the game with the real one-step proof, which re-executes the
 * step on chain and agrees with the proposer.
 * Shown: the honest proposer wins; the challenger's bond is split exactly (half burned, half to the
 * proposer, which collects it by itself); the game holds nothing afterwards; no batch is removed and the
 * batch becomes final after the window, with every balance as the users signed it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, keccak256, toHex } from 'viem';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { getCommitId, getDisputeEvents, getFinalityStatus, getGameParams, getSettlement, getSettlementEvents, openDispute } from '../../src/l1/optimisticActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { writeRollup } from '../../src/l1/rollupActions.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import type { DevnetStack } from '../../src/node/devnet-stack.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { playScripted, OPTIMISTIC_SCENARIO, startOptimisticStack, stackClients } from '../support/dispute-actors.ts';

const { WINDOW, CLOCK, BOND, CHALLENGE_BOND, BURN } = OPTIMISTIC_SCENARIO;
let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
let griefer: L1Clients;
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, stack.rollup, functionName, args, value);

before(async () => {
  stack = await startOptimisticStack();
  const mk = (key: Hex) => stackClients(stack, key);
  [alice, bob, griefer] = await Promise.all([mk(stack.accounts[0]?.privateKey ?? '0x'), mk(stack.accounts[1]?.privateKey ?? '0x'), mk(stack.accounts[2]?.privateKey ?? '0x')]);
});

after(async () => {
  await stack?.stop();
});

type Tx = { status: string; batchNum: number | null };

test('a griefing challenger against a correct batch: the proposer node wins at the one step, the bond is split exactly, the batch becomes final', async () => {
  const url = stack.rpcUrl;
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const amt = (v: bigint) => floatEncode(FLOAT32, v);
  const game = (await getSettlement(alice, stack.rollup)).disputeGame;
  const params = await getGameParams(alice, game);
  assert.equal(params.burnPercent, 50n);
  assert.equal(params.challengeBond, CHALLENGE_BOND);

  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  const a1 = await waitFor('alice', () => find(addr(alice)));
  const b1 = await waitFor('bob', () => find(addr(bob)));
  const committedBefore = (await getFinalityStatus(alice, stack.rollup)).lastCommitted;

  // Four honest transfers of Alice's, sent together so the sequencer commits them in one batch.
  const hashes: Hex[] = [];
  for (const nonce of [0, 1, 2, 3]) hashes.push(await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: amt(25n), maxFeeF, nonce }, domain))]));
  const batchNums = await waitFor('transfers committed', async () => {
    const ts = await Promise.all(hashes.map((h) => rpc<Tx | null>(url, 'rampart_getTransaction', [h])));
    return ts.every((t) => t?.status === 'committed' && t.batchNum !== null) ? ts.map((t) => t?.batchNum ?? 0) : undefined;
  });
  const batchNum = BigInt(Math.max(...batchNums));
  assert.ok(batchNum > committedBefore);
  const commitId = await getCommitId(alice, stack.rollup, batchNum);

  // The griefer disputes the correct batch and answers every mid state with a disagreement.
  const burnBefore = await alice.public.getBalance({ address: BURN });
  const { gameId } = await openDispute(griefer, game, batchNum, commitId, CHALLENGE_BOND);
  const opened = (await getDisputeEvents(alice, game, stack.deployBlock)).find((e) => e.kind === 'GameOpened' && e.gameId === gameId);
  assert.ok(opened?.kind === 'GameOpened');
  assert.equal(opened.defender.toLowerCase(), stack.roles.sequencer.address.toLowerCase());
  assert.ok(opened.steps >= 2n, `${opened.steps} steps`);
  const steps = Number(opened.steps);
  const start = opened.startState;
  const end = opened.endState;
  const madeUp: Hex[] = Array.from({ length: steps + 1 }, (_, j) => (j === 0 ? start : j === steps ? end : keccak256(toHex(`grief/${j}`))));
  const played = await playScripted({ l1: griefer, game, gameId, role: 'challenger', trace: { steps, stateAt: (j) => madeUp[j] } });
  assert.equal(played.final.status, 'defenderWon');
  assert.ok(played.moves >= 1);

  const events = (await getDisputeEvents(alice, game, stack.deployBlock)).filter((e) => e.gameId === gameId);
  const responded = events.filter((e) => e.kind === 'Responded');
  assert.ok(responded.length >= 1 && responded.length <= Math.ceil(Math.log2(steps)), `${responded.length} rounds`);
  assert.ok(responded.every((e) => e.kind === 'Responded' && !e.agree));
  // The proposer node settled it with the real one-step proof of step 0 (the griefer always disagreed).
  const oneStep = events.find((e) => e.kind === 'OneStepExecuted');
  assert.ok(oneStep?.kind === 'OneStepExecuted');
  assert.equal(oneStep.step, 0n);
  assert.equal(oneStep.valid, true);
  assert.equal(events.filter((e) => e.kind === 'GameTimedOut').length, 0);
  const resolved = events.find((e) => e.kind === 'GameResolved');
  assert.ok(resolved?.kind === 'GameResolved');
  assert.equal(resolved.status, 'defenderWon');
  assert.equal(resolved.winner.toLowerCase(), stack.roles.sequencer.address.toLowerCase());
  assert.equal(resolved.burned, CHALLENGE_BOND / 2n);
  assert.equal(resolved.payout, CHALLENGE_BOND - CHALLENGE_BOND / 2n);
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, CHALLENGE_BOND / 2n);
  const claimable = (who: Address) => alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'claimable', args: [who] }) as Promise<bigint>;
  assert.equal(await claimable(addr(griefer)), 0n);
  // The proposer node collects its half by itself; then the game holds nothing.
  await waitFor('proposer claimed', async () => ((await claimable(stack.roles.sequencer.address)) === 0n ? true : undefined));
  assert.equal(await alice.public.getBalance({ address: game }), 0n);

  // Nothing was removed; after the window the batch is final and the transfers stand.
  assert.equal((await getFinalityStatus(alice, stack.rollup)).lastCommitted >= batchNum, true);
  assert.equal(await getCommitId(alice, stack.rollup, batchNum), commitId);
  await increaseTime(alice.public, WINDOW + 1);
  await waitFor('final', async () => {
    const f = await getFinalityStatus(alice, stack.rollup);
    return f.lastFinal >= batchNum && f.lastFinal === f.lastCommitted ? true : undefined;
  }, 60_000, 100);
  const settlementEvents = await getSettlementEvents(alice, stack.rollup, stack.deployBlock);
  assert.equal(settlementEvents.filter((e) => e.kind === 'BatchesReverted').length, 0);
  const fin = settlementEvents.find((e) => e.kind === 'BatchFinalized' && e.batchNum === batchNum);
  assert.ok(fin?.kind === 'BatchFinalized');
  assert.equal(fin.commitId, commitId);
  const acct = async (i: number) => BigInt((await rpc<{ balance: Hex } | null>(url, 'rampart_getAccount', [i]))?.balance ?? '0x0');
  assert.equal(await acct(a1), 900n);
  assert.equal(await acct(b1), 600n);
  // The proposer's assertion bonds came back too (claimed by its node).
  await waitFor('bonds claimed', async () => ((await alice.public.readContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName: 'claimable', args: [stack.roles.sequencer.address] })) === 0n ? true : undefined));
});
