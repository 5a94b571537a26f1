/**
 * A party disappears. (1) Bob vanishes after payments: Alice closes unilaterally with the newest state
 * she holds and, once the period is over, her client settles and she has her funds. (2) Bob never
 * deposits: Alice cancels the opening and takes her deposit back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { readChannel } from '../../src/channels/actions/readChannel.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { callAdjudicator, makeParams } from '../channels/helpers.ts';
import { makeClient, removeTempDirs } from '../channels/clientHelpers.ts';
import { computeChannelId } from '../../src/channels/computeChannelId.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';

let fx: Fixture;
let alice: ChannelClient;
let bob: ChannelClient;
before(async () => {
  fx = await startFixture({ chainId: 31353 });
  alice = await makeClient(fx, 1, { monitorIntervalMs: 100, requestTimeoutMs: 2000, reconnectMs: 200 });
  bob = await makeClient(fx, 2);
});
after(async () => {
  await alice?.stop();
  await bob?.stop();
  await fx?.stop();
  removeTempDirs();
});

test('counterparty disappears: unilateral close, funds back after the period', { timeout: 120_000 }, async () => {
  assert.ok(bob.url);
  const { channelId: id } = await alice.openChannel({ peerUrl: bob.url, depositA: parseEther('1'), depositB: parseEther('1'), challengePeriod: 7200 });
  for (let i = 0; i < 3; i++) await bob.pay(id, parseEther('0.1'));
  await alice.pay(id, parseEther('0.05'));
  await bob.stop(); // gone for good
  await assert.rejects(alice.pay(id, 1n), (e: unknown) => (e as { code?: string }).code === 'CHANNEL_PEER_UNAVAILABLE');

  const tx = await alice.forceClose(id);
  assert.ok(tx.gasUsed > 0n);
  const c = await readChannel(fx.deployer, fx.adjudicator, id);
  assert.equal(c.status, 'challenged');
  assert.equal(c.version, alice.channel(id)?.latest.state.version);
  await assert.rejects(alice.pay(id, 1n), (e: unknown) => (e as { code?: string }).code === 'CHANNEL_WRONG_STATUS');

  const a0 = await fx.deployer.public.getBalance({ address: alice.address });
  await increaseTime(fx.deployer.public, 7200);
  const settled = new Promise<{ receipt: { gasUsed: bigint; effectiveGasPrice: bigint } } | undefined>((resolve) =>
    alice.events.once('settled', (_r, t) => resolve(t)),
  );
  const s = await settled;
  assert.ok(s);
  assert.equal(
    await fx.deployer.public.getBalance({ address: alice.address }),
    a0 + parseEther('1.25') - s.receipt.gasUsed * s.receipt.effectiveGasPrice,
  );
  assert.equal(alice.channel(id)?.status, 'closed');
});

test('counterparty never deposits: the opener cancels and is refunded', { timeout: 120_000 }, async () => {
  const A = await fx.clients(1);
  const p = makeParams(fx.address(1), fx.address(5));
  const t1 = await callAdjudicator(A, fx.adjudicator, 'open', [p, parseEther('1'), parseEther('1')], parseEther('1'));
  const a0 = await A.public.getBalance({ address: fx.address(1) });
  const t2 = await callAdjudicator(A, fx.adjudicator, 'cancel', [computeChannelId({ chainId: 31353, adjudicator: fx.adjudicator }, p)]);
  assert.ok(t1.gasUsed > 0n);
  assert.equal(await A.public.getBalance({ address: fx.address(1) }), a0 + parseEther('1') - t2.fee);
});
