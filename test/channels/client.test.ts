import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';
import { makeClient, removeTempDirs } from './clientHelpers.ts';

let fx: Fixture;
let alice: ChannelClient;
let bob: ChannelClient;
before(async () => {
  fx = await startFixture({ chainId: 31341 });
  alice = await makeClient(fx, 1);
  bob = await makeClient(fx, 2);
});
after(async () => {
  await alice?.stop();
  await bob?.stop();
  await fx?.stop();
  removeTempDirs();
});

test('open, pay both ways, close cooperatively', { timeout: 120_000 }, async () => {
  assert.ok(bob.url);
  const rec = await alice.openChannel({ peerUrl: bob.url, depositA: parseEther('1'), depositB: parseEther('1'), challengePeriod: 3600 });
  assert.equal(rec.status, 'open');
  const r1 = await alice.pay(rec.channelId, 10n);
  assert.equal(r1.version, 1n);
  const r2 = await bob.pay(rec.channelId, 3n);
  assert.equal(r2.version, 2n);
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => alice.pay(rec.channelId, BigInt(i + 1))));
  assert.equal(many.length, 50);
  await bob.idle();
  const a = alice.channel(rec.channelId);
  const b = bob.channel(rec.channelId);
  assert.ok(a && b);
  assert.equal(a.latest.state.version, b.latest.state.version);
  assert.equal(a.latest.state.balanceA, parseEther('1') - 10n + 3n - 1275n);
  const tx = await alice.closeCooperatively(rec.channelId);
  assert.ok(tx.gasUsed > 0n);
});
