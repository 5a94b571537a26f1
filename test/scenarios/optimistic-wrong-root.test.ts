/**
 * Attack (optimistic mode, docs/PROTOCOL.md §14): the sequencer, which proposes the roots of its own
 * batches, commits a batch of 8 transactions whose 6th is a transfer of Alice's money to itself that
 * Alice never signed, followed by its own withdrawal of the loot, and defends the lie in the dispute.
 * Defence: a watchtower (a node with the challenger role, its own key and database, nothing else)
 * derives the batch from L1 data, finds the bad signature, disputes, and plays the bisection to the
 * one-step proof, where L1 re-executes the forged transfer (Merkle witnesses with Poseidon, the
 * EdDSA-Baby-Jubjub signature verified on chain) and refuses it.
 * Shown: the challenger wins in ≤ ⌈log2 n⌉ rounds plus the one step; the batch is removed; the
 * proposer's bond is split exactly (half burned, the rest and the challenger's bond to the challenger,
 * who collects it); the loot's exit never pays, before or after the removal or once an honest batch
 * takes the number; the watchtower survives a restart in the middle of the game (a new process with
 * the same key and database finishes it); the honest sequencer comes back, the honest transactions are included again and
 * become final, and nobody lost anything.
 */
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex } from 'viem';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { withdraw, writeRollup } from '../../src/l1/rollupActions.ts';
import { getDisputeEvents, getFinalityStatus, getSettlement } from '../../src/l1/optimisticActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import type { DevnetStack } from '../../src/node/devnet-stack.ts';
import type { RampartNode } from '../../src/node/node.ts';
import { SparseMerkleTree, siblingsToFr } from '../../src/core/smt.ts';
import { frToBytesLE } from '../../src/core/field.ts';
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
let watchtower: RampartNode | undefined;
let honest: RampartNode | undefined;
const watchtowerDir = mkdtempSync(join(tmpdir(), 'rampart-watchtower-'));
const watchtowerOptions = () => ({ l1Url: stack.l1Url, chainId: stack.chainId, rollup: stack.rollup, deployBlock: stack.deployBlock, circuit: CIRCUIT, privateKey: stack.accounts[2]?.privateKey ?? '0x', dataDir: watchtowerDir });
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, stack.rollup, functionName, args, value);

before(async () => {
  stack = await startOptimisticStack();
  const mk = (key: Hex) => stackClients(stack, key);
  [alice, bob, seq] = await Promise.all([mk(stack.accounts[0]?.privateKey ?? '0x'), mk(stack.accounts[1]?.privateKey ?? '0x'), mk(stack.roles.sequencer.privateKey)]);
  watchtower = await startWatchtower(watchtowerOptions());
});

after(async () => {
  await honest?.stop();
  await watchtower?.stop();
  await stack?.stop();
  rmSync(watchtowerDir, { recursive: true, force: true });
});

test('a proposer asserting a root that steals: disputed, bisected, disproven on chain, slashed; nobody loses anything', async () => {
  const url = stack.rpcUrl;
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const amt = (v: bigint) => floatEncode(FLOAT32, v);
  const settlement = await getSettlement(alice, stack.rollup);
  const game = settlement.disputeGame;

  // Honest life: Alice, Bob and the sequencer's own L2 account (key user(9)).
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  await send(seq, 'createAccount', [0, 1n, user(9).publicKey[0], user(9).publicKey[1]], 1n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  const a1 = await waitFor('alice', () => find(addr(alice)));
  const b1 = await waitFor('bob', () => find(addr(bob)));
  const m1 = await waitFor('mallory', () => find(addr(seq)));
  const synced = stack.node.state.batchNum;
  await waitFor('watchtower synced', async () => ((watchtower?.state.batchNum ?? 0) >= synced ? true : undefined));

  // The sequencer turns: its node stops and its key commits a batch that steals Alice's 900.
  await stack.node.stop();
  const bobTxs = [0, 1, 2, 3, 4].map((nonce) => signTx(user(1), { kind: 'transfer', from: b1, to: a1, amountF: amt(10n), maxFeeF, nonce }, domain));
  const forged = signTx(user(9), { kind: 'transfer', from: a1, to: m1, amountF: amt(900n), maxFeeF, nonce: 0 }, domain); // not Alice's key
  const loot = signTx(user(9), { kind: 'withdraw', from: m1, to: 0, amountF: amt(900n), maxFeeF, nonce: 0 }, domain);
  const lastBob = signTx(user(1), { kind: 'transfer', from: b1, to: a1, amountF: amt(10n), maxFeeF, nonce: 5 }, domain);
  const fraud = await commitFraud({ sequencer: seq, rollup: stack.rollup, deployBlock: stack.deployBlock, config: stack.node.config, txs: [...bobTxs, forged, loot, lastBob] });
  assert.equal(fraud.steps, 8);
  assert.equal(fraud.invalidStep, 5);
  const lootSlot = stack.node.config.maxL1Ops + 6;
  const exitTree = new SparseMerkleTree(stack.node.config.exitTreeDepth);
  for (const e of fraud.result.exits) exitTree.update(e.slot, frToBytesLE(e.leaf));
  const lootSiblings = siblingsToFr(exitTree.siblings(lootSlot));
  const takeLoot = () => withdraw(alice, stack.rollup, fraud.batchNum, BigInt(lootSlot), addr(seq), 0, 900n, lootSiblings);
  await assert.rejects(takeLoot(), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BatchNotFinal');

  // The watchtower disputes on its own; the liar defends its states.
  const opened = await waitFor('dispute opened', async () => (await getDisputeEvents(alice, game, stack.deployBlock)).find((e) => e.kind === 'GameOpened'));
  assert.ok(opened.kind === 'GameOpened');
  assert.equal(opened.commitId, fraud.commitId);
  assert.equal(opened.defender.toLowerCase(), addr(seq).toLowerCase());
  const burnBefore = await alice.public.getBalance({ address: BURN });
  // Restart-safe in the middle of a game: after the first round the watchtower process stops and a new
  // one (same key, same database, nothing else) picks the game up from L1 and plays it to the end.
  await playScripted({ l1: seq, game, gameId: opened.gameId, role: 'defender', trace: fraud.lie, stopAfter: 1 });
  await waitFor('the watchtower answered round 1', async () => ((await getDisputeEvents(alice, game, stack.deployBlock)).some((e) => e.kind === 'Responded') ? true : undefined));
  await watchtower?.stop();
  watchtower = await startWatchtower(watchtowerOptions());
  const played = await playScripted({ l1: seq, game, gameId: opened.gameId, role: 'defender', trace: fraud.lie });
  assert.equal(played.final.status, 'challengerWon');

  const events = (await getDisputeEvents(alice, game, stack.deployBlock)).filter((e) => e.gameId === opened.gameId);
  const rounds = events.filter((e) => e.kind === 'Bisected').length;
  assert.ok(rounds <= Math.ceil(Math.log2(fraud.steps)), `${rounds} rounds`);
  const oneStep = events.find((e) => e.kind === 'OneStepExecuted');
  assert.ok(oneStep?.kind === 'OneStepExecuted');
  assert.equal(oneStep.step, 5n);
  assert.equal(oneStep.valid, false);
  const resolved = events.find((e) => e.kind === 'GameResolved');
  assert.ok(resolved?.kind === 'GameResolved');
  assert.equal(resolved.burned, BOND / 2n);
  assert.equal(resolved.payout, BOND - BOND / 2n + CHALLENGE_BOND);
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, BOND / 2n);
  // The batch is gone and the watchtower collected its winnings by itself.
  assert.equal((await getFinalityStatus(alice, stack.rollup)).lastCommitted, fraud.batchNum - 1n);
  await waitFor('winnings claimed', async () => ((await alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'claimable', args: [stack.accounts[2]?.address] })) === 0n ? true : undefined));
  await assert.rejects(takeLoot(), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BatchNotFinal');

  // The honest sequencer comes back; Bob's transactions go through honestly.
  honest = await restartSequencer(stack, CIRCUIT);
  const url2 = honest.rpcUrl ?? '';
  for (const t of [...bobTxs, lastBob]) await rpc<Hex>(url2, 'rampart_sendTransaction', [txJson(t)]);
  await waitFor('honest batch', async () => (honest?.state.batchNum ?? 0) >= Number(fraud.batchNum) && (honest?.status().pending ?? 1) === 0 ? true : undefined);
  await increaseTime(alice.public, WINDOW + 1);
  await waitFor('final', async () => {
    const f = await getFinalityStatus(alice, stack.rollup);
    return f.lastFinal === f.lastCommitted && f.lastFinal >= fraud.batchNum ? true : undefined;
  }, 60_000, 100);
  await waitFor('watchtower agrees', async () => (watchtower?.state.batchNum === honest?.state.batchNum ? true : undefined));
  assert.equal(watchtower?.state.root(), honest.state.root());
  // Nobody lost anything: Alice has her 1000 plus Bob's 60; the thief has its 1 wei.
  assert.equal(honest.state.getAccount(a1)?.balance, 1060n);
  assert.equal(honest.state.getAccount(b1)?.balance, 440n);
  assert.equal(honest.state.getAccount(m1)?.balance, 1n);
  // The loot's exit opens nothing under the honest batch now final at that number.
  await assert.rejects(takeLoot(), (e: unknown) => e instanceof ContractRevertedError && (e.reason === 'BadExitProof' || e.reason === 'BatchNotFinal'));
});
