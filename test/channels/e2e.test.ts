/**
 * End to end on the devnet: open, many off-chain payments both ways, cooperative close. L1 balances
 * move by exactly the net amount and the whole thing costs three L1 transactions (open+deposit by A,
 * deposit by B, cooperative close). PAYMENTS defaults to 10,000 (RAMPART_E2E_PAYMENTS overrides).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex, parseEther } from 'viem';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';
import { makeClient, removeTempDirs } from './clientHelpers.ts';

const PAYMENTS = Number(process.env['RAMPART_E2E_PAYMENTS'] ?? 10_000);

let fx: Fixture;
let alice: ChannelClient;
let bob: ChannelClient;
before(async () => {
  fx = await startFixture({ chainId: 31342 });
  alice = await makeClient(fx, 1, { fsync: true });
  bob = await makeClient(fx, 2, { fsync: true });
});
after(async () => {
  await alice?.stop();
  await bob?.stop();
  await fx?.stop();
  removeTempDirs();
});

test(`open, ${PAYMENTS} off-chain payments both ways, cooperative close: exact net on L1, three L1 transactions`, { timeout: 120_000 }, async () => {
  const l1 = fx.deployer.public;
  const a0 = await l1.getBalance({ address: alice.address });
  const b0 = await l1.getBalance({ address: bob.address });
  const block0 = await l1.getBlockNumber();
  assert.ok(bob.url);
  const rec = await alice.openChannel({ peerUrl: bob.url, depositA: parseEther('10'), depositB: parseEther('10') });
  const id = rec.channelId;

  // Half the payments each way, issued in rounds so both directions interleave (the pen changes hands).
  const t0 = performance.now();
  const perSide = PAYMENTS / 2;
  const rounds = 10;
  let net = 0n; // what Alice paid Bob, net
  for (let r = 0; r < rounds; r++) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < perSide / rounds; i++) {
      const aAmt = BigInt(1000 + ((r * 7 + i) % 13));
      const bAmt = BigInt(900 + ((r * 3 + i) % 11));
      net += aAmt - bAmt;
      batch.push(alice.pay(id, aAmt, `a-${r}-${i}`), bob.pay(id, bAmt, `b-${r}-${i}`));
    }
    await Promise.all(batch);
  }
  const seconds = (performance.now() - t0) / 1000;
  await bob.idle();
  const a = alice.channel(id);
  const b = bob.channel(id);
  assert.ok(a && b);
  assert.equal(a.sentCount, perSide);
  assert.equal(b.receivedCount, perSide);
  assert.equal(b.sentCount, perSide);
  assert.equal(a.receivedCount, perSide);
  assert.equal(a.latest.state.balanceA, parseEther('10') - net);
  assert.equal(b.latest.state.balanceB, parseEther('10') + net);
  // Nothing counted twice: every payment id appears once in each log.
  const ids = new Set(alice.paymentLog(id).flatMap((e) => e.payments.map((p) => p.id)));
  assert.equal(ids.size, PAYMENTS);

  await alice.closeCooperatively(id);
  await bob.checkL1();
  assert.equal(bob.channel(id)?.status, 'closed');

  // Exactly three transactions touched L1 for this channel, all ours.
  const txs: Hex[] = [...(alice.channel(id)?.l1Txs ?? []), ...(bob.channel(id)?.l1Txs ?? [])];
  assert.equal(txs.length, 3, `L1 transactions: ${txs.join(', ')}`);
  let feeA = 0n;
  let feeB = 0n;
  for (const hash of txs) {
    const r = await l1.getTransactionReceipt({ hash });
    if (r.from.toLowerCase() === alice.address.toLowerCase()) feeA += r.gasUsed * r.effectiveGasPrice;
    else feeB += r.gasUsed * r.effectiveGasPrice;
  }
  const block1 = await l1.getBlockNumber();
  let count = 0;
  for (let n = block0 + 1n; n <= block1; n++) count += (await l1.getBlock({ blockNumber: n })).transactions.length;
  assert.equal(count, 3, 'no other L1 transaction was needed');
  assert.equal(await l1.getBalance({ address: alice.address }), a0 - net - feeA);
  assert.equal(await l1.getBalance({ address: bob.address }), b0 + net - feeB);
  process.stderr.write(`e2e: ${PAYMENTS} payments in ${seconds.toFixed(2)} s (${Math.round(PAYMENTS / seconds)}/s), final version ${a.latest.state.version}\n`);
});
