/**
 * Attack (optimistic mode with a sequencer registry, docs/PROTOCOL.md §11.3, §14.2): two staked
 * sequencers run the rollup. One of them stops its node and, with its own key, in a slot the registry
 * lets it take, commits a batch with a transfer of Alice's money that Alice never signed, then defends
 * the lie in the dispute. Defence: a watchtower node (challenger role, its own key) derives the batch,
 * disputes and wins at the one-step proof.
 * Shown: the batch is removed; the assertion bond is split as before (half burned, the rest plus the
 * challenge bond to the watchtower); the dispute game, the registry's slasher, also slashes the
 * sequencer's registry stake by min(stake, minStake) = 1 ETH, half of it (reporterShareBps) credited to
 * the watchtower and collected with its bond winnings, half burned; the sequencer is ejected (no more
 * commits) and out of the active set two epochs on. The other sequencer carries on: an honest
 * transaction is committed by it and becomes final, and the watchtower agrees with it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, getAddress } from 'viem';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime, latestTimestamp } from '../../src/l1/devnetActions.ts';
import { getDisputeEvents, getFinalityStatus, getSettlement } from '../../src/l1/optimisticActions.ts';
import { getActiveSet, getMemberInfo, getRegistryParams, getSlotInfo, mayCommit, slotAt } from '../../src/l1/registryActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { writeRollup } from '../../src/l1/rollupActions.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import { sequencerRegistryAbi } from '../../src/l1/generated/SequencerRegistry.ts';
import type { DevnetStack } from '../../src/node/devnet-stack.ts';
import type { RampartNode } from '../../src/node/node.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { commitFraud, playScripted, startWatchtower, type FraudulentBatch, OPTIMISTIC_SCENARIO, startOptimisticStack, stackClients } from '../support/dispute-actors.ts';

const ETH = 10n ** 18n;
const { WINDOW, CLOCK, BOND, CHALLENGE_BOND, BURN, CIRCUIT } = OPTIMISTIC_SCENARIO;
let stack: DevnetStack;
let alice: L1Clients;
let seq: L1Clients;
let watchtower: RampartNode | undefined;
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, stack.rollup, functionName, args, value);

before(async () => {
  stack = await startOptimisticStack({ sequencers: 2 });
  const mk = (key: Hex) => stackClients(stack, key);
  [alice, seq] = await Promise.all([mk(stack.accounts[0]?.privateKey ?? '0x'), mk(stack.roles.sequencer.privateKey)]);
  watchtower = await startWatchtower({ l1Url: stack.l1Url, chainId: stack.chainId, rollup: stack.rollup, deployBlock: stack.deployBlock, circuit: CIRCUIT, privateKey: stack.accounts[2]?.privateKey ?? '0x' });
});

after(async () => {
  await watchtower?.stop();
  await stack?.stop();
});

test('a registered sequencer that commits an invalid batch loses the dispute and its registry stake; the other sequencer carries on', async () => {
  const registry = stack.registry;
  assert.ok(registry !== undefined, 'two sequencers: a registry');
  const game = (await getSettlement(alice, stack.rollup)).disputeGame;
  assert.equal(getAddress((await alice.public.readContract({ address: registry, abi: sequencerRegistryAbi as Abi, functionName: 'slasher' })) as Address), getAddress(game), 'the game is the registry slasher');
  const p = await getRegistryParams(alice, registry);
  const other = stack.nodes[1];
  assert.ok(other !== undefined);
  const url2 = other.rpcUrl ?? '';
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const amt = (v: bigint) => floatEncode(FLOAT32, v);

  // Both nodes joined with 1 ETH; they are active two epochs on.
  await waitFor('both sequencers registered', async () => ((await getMemberInfo(alice, registry, addr(seq))).stake === ETH ? true : undefined));
  await increaseTime(alice.public, Number(3n * p.epochSlots * p.slotDuration));

  // Honest life: Alice and the sequencer's own L2 account (key user(9)).
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(seq, 'createAccount', [0, 1n, user(9).publicKey[0], user(9).publicKey[1]], 1n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url2, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  const a1 = await waitFor('alice', () => find(addr(alice)));
  const m1 = await waitFor('mallory', () => find(addr(seq)));
  const synced = Math.max(stack.node.state.batchNum, other.state.batchNum);
  await waitFor('everyone synced', async () => ((watchtower?.state.batchNum ?? 0) >= synced && stack.node.state.batchNum >= synced && other.state.batchNum >= synced ? true : undefined));

  // The first sequencer turns: its node stops; its key takes an open slot and commits a batch stealing Alice's 900.
  await stack.node.stop();
  const honestTx = signTx(user(0), { kind: 'transfer', from: a1, to: m1, amountF: amt(10n), maxFeeF, nonce: 0 }, domain);
  const forged = signTx(user(9), { kind: 'transfer', from: a1, to: m1, amountF: amt(900n), maxFeeF, nonce: 1 }, domain); // not Alice's key
  // A slot the sequencer leads (with two members, about every other one) is its own from its start: jump
  // slot by slot to the next one it leads, with a few seconds left to build and send the batch.
  let fraud: FraudulentBatch | undefined;
  for (let attempt = 0; fraud === undefined; attempt++) {
    if (attempt > 40) throw new Error('no slot led by the sequencer');
    const now = await latestTimestamp(alice.public);
    const slot = await getSlotInfo(alice, registry, slotAt(p, now + 1n));
    const mine = getAddress(slot.leader) === getAddress(addr(seq)) && slot.committer === '0x0000000000000000000000000000000000000000';
    if (!mine || now + 3n > slot.start + p.slotDuration || !(await mayCommit(alice, registry, addr(seq), now + 1n))) {
      await increaseTime(alice.public, Number(slot.start + p.slotDuration - now));
      continue;
    }
    try {
      fraud = await commitFraud({ sequencer: seq, rollup: stack.rollup, deployBlock: stack.deployBlock, config: stack.node.config, txs: [honestTx, forged] });
    } catch (e) {
      // The slot ran out under us: try the next one.
      if (!(e instanceof ContractRevertedError && e.reason === 'NotAllowedToCommit')) throw e;
    }
  }
  assert.equal(fraud.invalidStep, 1);
  const commits = (await alice.public.getContractEvents({ address: stack.rollup, abi: rollupAbi as Abi, eventName: 'AssertionCommitted', fromBlock: stack.deployBlock })) as unknown as { args: { commitId: bigint; committer: Address } }[];
  const committed = commits.find((c) => c.args.commitId === fraud.commitId);
  assert.equal(getAddress(committed?.args.committer ?? '0x'), getAddress(addr(seq)), 'committed by the registered sequencer');

  // The watchtower disputes on its own; the liar defends its states.
  const opened = await waitFor('dispute opened', async () => (await getDisputeEvents(alice, game, stack.deployBlock)).find((e) => e.kind === 'GameOpened' && e.commitId === fraud.commitId));
  assert.ok(opened.kind === 'GameOpened');
  assert.equal(getAddress(opened.defender), getAddress(addr(seq)));
  assert.equal(getAddress(opened.challenger), getAddress(stack.accounts[2]?.address ?? '0x'));
  const [burnBefore, registryBefore] = await Promise.all([alice.public.getBalance({ address: BURN }), alice.public.getBalance({ address: registry })]);
  const played = await playScripted({ l1: seq, game, gameId: opened.gameId, role: 'defender', trace: fraud.lie });
  assert.equal(played.final.status, 'challengerWon');

  // The bond split as before.
  const resolved = (await getDisputeEvents(alice, game, stack.deployBlock)).find((e) => e.kind === 'GameResolved' && e.gameId === opened.gameId);
  assert.ok(resolved?.kind === 'GameResolved');
  assert.equal(resolved.burned, BOND / 2n);
  assert.equal(resolved.payout, BOND - BOND / 2n + CHALLENGE_BOND);
  // The stake: minStake = the whole 1 ETH, half to the watchtower, half burned.
  const slashedEvents = (await alice.public.getContractEvents({ address: game, abi: disputeGameAbi as Abi, eventName: 'DefenderStakeSlashed', fromBlock: stack.deployBlock })) as unknown as { args: { gameId: bigint; defender: Address; amount: bigint; challenger: Address; toChallenger: bigint; burned: bigint } }[];
  assert.equal(slashedEvents.length, 1);
  const s = slashedEvents[0]?.args;
  assert.ok(s !== undefined);
  assert.deepEqual({ ...s, defender: getAddress(s.defender), challenger: getAddress(s.challenger) }, { gameId: opened.gameId, defender: getAddress(addr(seq)), amount: ETH, challenger: getAddress(opened.challenger), toChallenger: ETH / 2n, burned: ETH / 2n });
  const regSlashed = (await alice.public.getContractEvents({ address: registry, abi: sequencerRegistryAbi as Abi, eventName: 'Slashed', fromBlock: stack.deployBlock })) as unknown as { args: { sequencer: Address; amount: bigint; beneficiary: Address; paid: bigint } }[];
  assert.equal(regSlashed.length, 1);
  assert.equal(getAddress(regSlashed[0]?.args.sequencer ?? '0x'), getAddress(addr(seq)));
  assert.equal(regSlashed[0]?.args.amount, ETH);
  assert.equal(getAddress(regSlashed[0]?.args.beneficiary ?? '0x'), getAddress(game));
  assert.equal((await alice.public.getBalance({ address: BURN })) - burnBefore, BOND / 2n + ETH / 2n);
  assert.equal(registryBefore - (await alice.public.getBalance({ address: registry })), ETH);
  // The watchtower collects bond winnings and stake share by itself.
  await waitFor('winnings claimed', async () => ((await alice.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'claimable', args: [opened.challenger] })) === 0n ? true : undefined));
  const claims = (await alice.public.getContractEvents({ address: game, abi: disputeGameAbi as Abi, eventName: 'Claimed', fromBlock: stack.deployBlock })) as unknown as { args: { to: Address; amount: bigint } }[];
  const collected = claims.filter((c) => getAddress(c.args.to) === getAddress(opened.challenger)).reduce((t, c) => t + c.args.amount, 0n);
  assert.equal(collected, BOND / 2n + CHALLENGE_BOND + ETH / 2n);

  // The sequencer: no stake left, ejected, leaving, out of the active set two epochs on; the batch is gone.
  const m = await getMemberInfo(alice, registry, addr(seq));
  assert.equal(m.stake, 0n);
  assert.equal(m.ejected, true);
  assert.ok(m.unbondEnd > 0n);
  const now = await latestTimestamp(alice.public);
  assert.equal(await mayCommit(alice, registry, addr(seq), now + 1n), false);
  const epoch = slotAt(p, now) / p.epochSlots;
  const later = (await getActiveSet(alice, registry, epoch + 2n)).map(getAddress);
  assert.ok(!later.includes(getAddress(addr(seq))));
  assert.deepEqual(later, [getAddress(stack.devnet.accounts[3]?.address ?? '0x')], 'the honest sequencer stays');
  assert.equal((await getFinalityStatus(alice, stack.rollup)).lastCommitted, fraud.batchNum - 1n);

  // The other sequencer carries on: Alice's honest transfer is committed by it and becomes final.
  await rpc<Hex>(url2, 'rampart_sendTransaction', [txJson(honestTx)]);
  await waitFor('honest batch', async () => (other.state.batchNum >= Number(fraud.batchNum) && other.status().pending === 0 ? true : undefined));
  await increaseTime(alice.public, WINDOW + 1);
  await waitFor('final', async () => {
    const f = await getFinalityStatus(alice, stack.rollup);
    return f.lastFinal === f.lastCommitted && f.lastFinal >= fraud.batchNum ? true : undefined;
  }, 60_000, 100);
  await waitFor('watchtower agrees', async () => (watchtower?.state.batchNum === other.state.batchNum ? true : undefined));
  assert.equal(watchtower?.state.root(), other.state.root());
  assert.equal(other.state.getAccount(a1)?.balance, 990n);
  assert.equal(other.state.getAccount(m1)?.balance, 11n);
});
