/**
 * Attack: Alice closes on a stale state (an old one that paid her more) while Bob is online. Bob's
 * client sees the close on L1, answers with the newest state within the period, and because the
 * answer is more than pipelineWindow versions newer Alice forfeits her whole balance to Bob.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { forceClose } from '../../src/channels/actions/forceClose.ts';
import { readChannel } from '../../src/channels/actions/readChannel.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { makeClient, removeTempDirs } from '../channels/clientHelpers.ts';
import { writer } from '../channels/helpers.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';

let fx: Fixture;
let alice: ChannelClient;
let bob: ChannelClient;
before(async () => {
  fx = await startFixture({ chainId: 31350 });
  alice = await makeClient(fx, 1);
  bob = await makeClient(fx, 2, { monitorIntervalMs: 100 });
});
after(async () => {
  await alice?.stop();
  await bob?.stop();
  await fx?.stop();
  removeTempDirs();
});

test('stale close while the victim is online: answered in time, cheater penalised', { timeout: 120_000 }, async () => {
  assert.ok(bob.url);
  const { channelId: id } = await alice.openChannel({ peerUrl: bob.url, depositA: parseEther('2'), depositB: parseEther('1'), pipelineWindow: 2 });
  await alice.pay(id, parseEther('0.1'));
  const stale = alice.channel(id)?.latest;
  assert.ok(stale && stale.sigB !== undefined);
  for (let i = 0; i < 5; i++) await alice.pay(id, parseEther('0.2'));
  await bob.idle();
  const newest = bob.channel(id)?.latest;
  assert.ok(newest);
  assert.equal(newest.state.version - stale.state.version, 5n);

  const responded = new Promise((resolve) => bob.events.once('responded', resolve));
  await forceClose(writer(await fx.clients(1), fx.adjudicator), stale);
  await responded;
  const c = await readChannel(fx.deployer, fx.adjudicator, id);
  assert.equal(c.version, newest.state.version);
  assert.equal(c.penalized, true);

  const a0 = await fx.deployer.public.getBalance({ address: alice.address });
  const b0 = await fx.deployer.public.getBalance({ address: bob.address });
  await increaseTime(fx.deployer.public, 86400);
  const settled = new Promise<[unknown, { receipt: { gasUsed: bigint; effectiveGasPrice: bigint } } | undefined]>((resolve) =>
    bob.events.once('settled', (r, tx) => resolve([r, tx])),
  );
  const [, tx] = await settled;
  assert.ok(tx, 'Bob settled');
  const fee = tx.receipt.gasUsed * tx.receipt.effectiveGasPrice;
  assert.equal(await fx.deployer.public.getBalance({ address: alice.address }), a0, 'cheating did not pay: Alice gets nothing');
  assert.equal(await fx.deployer.public.getBalance({ address: bob.address }), b0 + parseEther('3') - fee, 'Bob gets the whole channel');
  assert.equal((await readChannel(fx.deployer, fx.adjudicator, id)).status, 'closed');
});
