/**
 * Attack: Alice closes on a stale state while Bob is offline. Bob had handed every new state to his
 * watchtower; the tower answers within the period, proves the stale close and earns its fee from
 * Alice's forfeited balance. Bob, back online after the period, is paid his balance plus the penalty.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { forceClose } from '../../src/channels/actions/forceClose.ts';
import { settleChannel } from '../../src/channels/actions/settleChannel.ts';
import { readChannel } from '../../src/channels/actions/readChannel.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import type { Watchtower } from '../../src/channels/watchtower/createWatchtower.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { makeClient, makeTower, removeTempDirs } from '../channels/clientHelpers.ts';
import { writer } from '../channels/helpers.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';

let fx: Fixture;
let alice: ChannelClient;
let bob: ChannelClient;
let tower: Watchtower;
before(async () => {
  fx = await startFixture({ chainId: 31351 });
  tower = await makeTower(fx, 3);
  alice = await makeClient(fx, 1);
  bob = await makeClient(fx, 2, { towerUrl: tower.url });
});
after(async () => {
  await alice?.stop();
  await bob?.stop();
  await tower?.stop();
  await fx?.stop();
  removeTempDirs();
});

test('victim offline: its watchtower answers the stale close and is paid from the penalty', { timeout: 120_000 }, async () => {
  assert.ok(bob.url);
  const { channelId: id } = await alice.openChannel({ peerUrl: bob.url, depositA: parseEther('2'), depositB: parseEther('2'), pipelineWindow: 4 });
  await bob.pay(id, parseEther('0.5'));
  const stale = alice.channel(id)?.latest; // Bob paid Alice 0.5 here...
  assert.ok(stale);
  for (let i = 0; i < 10; i++) await alice.pay(id, parseEther('0.1')); // ...then Alice paid back 1.0
  await bob.idle();
  await bob.flushTower();
  const held = tower.stateOf(id);
  assert.equal(held?.state.version, bob.channel(id)?.latest.state.version, 'the tower holds Bob’s newest state');
  await bob.stop(); // Bob goes offline.

  await forceClose(writer(await fx.clients(1), fx.adjudicator), stale);
  await tower.tick();
  assert.equal(tower.responses().length, 1);
  const c = await readChannel(fx.deployer, fx.adjudicator, id);
  assert.equal(c.penalized, true);
  assert.equal(c.feeRecipient.toLowerCase(), tower.address.toLowerCase());

  await increaseTime(fx.deployer.public, 86400);
  const a0 = await fx.deployer.public.getBalance({ address: alice.address });
  const b0 = await fx.deployer.public.getBalance({ address: bob.address });
  const t0 = await fx.deployer.public.getBalance({ address: tower.address });
  const s = await settleChannel(writer(await fx.clients(4), fx.adjudicator), id); // anyone may settle
  assert.ok(s.gasUsed > 0n);
  // Newest state: Alice 2 + 0.5 - 1.0 = 1.5, Bob 2.5. Alice forfeits 1.5; tower fee 10% = 0.15.
  assert.equal(await fx.deployer.public.getBalance({ address: alice.address }), a0);
  assert.equal(await fx.deployer.public.getBalance({ address: bob.address }), b0 + parseEther('2.5') + parseEther('1.35'));
  assert.equal(await fx.deployer.public.getBalance({ address: tower.address }), t0 + parseEther('0.15'));
});
