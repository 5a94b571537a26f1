/**
 * Attack: Alice closes on a stale state and nobody answers (Bob offline, no watchtower). When the
 * period ends the stale state settles and Alice keeps the payments she had made since: the protocol
 * can only punish a cheat someone proves. This is why an offline party needs a watchtower (or must
 * come back within every challenge period).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { forceClose } from '../../src/channels/actions/forceClose.ts';
import { settleChannel } from '../../src/channels/actions/settleChannel.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { makeClient, removeTempDirs } from '../channels/clientHelpers.ts';
import { writer } from '../channels/helpers.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';

let fx: Fixture;
let alice: ChannelClient;
let bob: ChannelClient;
before(async () => {
  fx = await startFixture({ chainId: 31352 });
  alice = await makeClient(fx, 1);
  bob = await makeClient(fx, 2);
});
after(async () => {
  await alice?.stop();
  await bob?.stop();
  await fx?.stop();
  removeTempDirs();
});

test('nobody answers: the stale state settles (why the watchtower matters)', { timeout: 120_000 }, async () => {
  assert.ok(bob.url);
  const { channelId: id } = await alice.openChannel({ peerUrl: bob.url, depositA: parseEther('1'), depositB: 0n, challengePeriod: 3600 });
  const stale = alice.channel(id)?.latest; // version 0: Alice holds everything
  assert.ok(stale);
  for (let i = 0; i < 4; i++) await alice.pay(id, parseEther('0.2'));
  await bob.idle();
  const bobLatest = bob.channel(id)?.latest;
  assert.ok(bobLatest && bobLatest.sigA !== undefined && bobLatest.sigB !== undefined);
  await bob.stop(); // offline, no tower

  await forceClose(writer(await fx.clients(1), fx.adjudicator), stale);
  await increaseTime(fx.deployer.public, 3600);
  const a0 = await fx.deployer.public.getBalance({ address: alice.address });
  const b0 = await fx.deployer.public.getBalance({ address: bob.address });
  await settleChannel(writer(await fx.clients(4), fx.adjudicator), id);
  assert.equal(await fx.deployer.public.getBalance({ address: alice.address }), a0 + parseEther('1'), 'the stale state paid out');
  assert.equal(await fx.deployer.public.getBalance({ address: bob.address }), b0, 'Bob lost the 0.8 he had been paid');
  // Bob coming back after the period is too late: his newer state is refused.
  await assert.rejects(
    writer(await fx.clients(2), fx.adjudicator).queue(async () => {
      const { respondChallenge } = await import('../../src/channels/actions/respondChallenge.ts');
      return respondChallenge(writer(await fx.clients(2), fx.adjudicator), { state: bobLatest.state, sigA: bobLatest.sigA ?? '0x', sigB: bobLatest.sigB ?? '0x' });
    }),
    (err: unknown) => err instanceof ContractRevertedError && err.reason === 'WrongStatus',
  );
});
