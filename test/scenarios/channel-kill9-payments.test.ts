/**
 * Crash safety: a real child process is killed with SIGKILL at random points while payments flow, and
 * restarted on the same database. Afterwards both parties agree on the same state and on exactly the
 * same set of payments: none lost, none counted twice, and every payment the payer was told had
 * completed is in the receiver's log.
 *   1. the receiver (`rampart channel serve`) is killed 4 times mid-stream;
 *   2. the payer (`rampart channel pay`) is killed mid-stream and runs again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { openChannelStore } from '../../src/channels/channelStore.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import type { Hex } from 'viem';
import { freePort, makeClient, removeTempDirs, sleep, tempDir } from '../channels/clientHelpers.ts';
import { type CliProcess, spawnCli } from '../channels/spawnCli.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';

let fx: Fixture;
const cleanup: (() => Promise<void>)[] = [];
before(async () => {
  fx = await startFixture({ chainId: 31354 });
});
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await fx?.stop();
  removeTempDirs();
});

function env(account: number): Record<string, string> {
  return { RAMPART_KEY: fx.key(account), RAMPART_L1_RPC: fx.devnet.url, RAMPART_ADJUDICATOR: fx.adjudicator };
}

async function readLog(dbPath: string, id: Hex, direction: 'in' | 'out'): Promise<{ ids: string[]; sum: bigint; version: bigint; balanceA: bigint }> {
  const store = openChannelStore({ path: dbPath, fsync: false });
  try {
    const rec = store.get(id);
    assert.ok(rec, 'channel in the database');
    const entries = store.paymentLog(id).filter((e) => e.direction === direction);
    const payments = entries.flatMap((e) => e.payments);
    return {
      ids: payments.map((p) => p.id),
      sum: payments.reduce((n, p) => n + p.amount, 0n),
      version: rec.latest.state.version,
      balanceA: rec.latest.state.balanceA,
    };
  } finally {
    await store.close();
  }
}

test('receiver killed -9 four times mid-stream: nothing lost or double-counted', { timeout: 180_000 }, async () => {
  const port = await freePort();
  const bobDb = tempDir();
  const serve = (): CliProcess =>
    spawnCli(['channel', 'serve', '--listen', String(port), '--db', bobDb, '--monitor-ms', '500'], env(2));
  let bob = serve();
  cleanup.push(() => bob.kill9());
  const ready = await bob.waitFor((l) => l['event'] === 'ready');
  const alice: ChannelClient = await makeClient(fx, 1, { reconnectMs: 100, requestTimeoutMs: 120_000, maxPaymentsPerState: 7, maxInFlight: 4 });
  cleanup.push(() => alice.stop());
  const { channelId: id } = await alice.openChannel({ peerUrl: String(ready['url']), depositA: parseEther('100'), depositB: 0n, pipelineWindow: 8 });

  const acked = new Set<string>();
  let stop = false;
  let n = 0;
  const payer = (async () => {
    while (!stop) {
      const batch: Promise<void>[] = [];
      for (let k = 0; k < 10; k++) {
        n += 1;
        const pid = `p${n}`;
        batch.push(
          alice.pay(id, BigInt(1_000_000 + n), pid).then(
            () => {
              acked.add(pid);
            },
            () => undefined, // refused while Bob is down (never signed) or pending: both checked below
          ),
        );
      }
      await Promise.all(batch);
      await sleep(5);
    }
  })();

  for (let kill = 0; kill < 4; kill++) {
    // Let payments flow between kills however slow the machine is, then kill at a random moment.
    const before = acked.size;
    for (let i = 0; i < 1200 && acked.size < before + 15; i++) await sleep(50);
    await sleep(Math.floor(Math.random() * 300));
    await bob.kill9();
    await sleep(Math.floor(Math.random() * 200));
    bob = serve();
    await bob.waitFor((l) => l['event'] === 'ready');
  }
  await sleep(500);
  stop = true;
  await payer;
  // Let the last signed proposals be re-sent and acknowledged.
  const sentVersion = async (): Promise<bigint> => {
    const log = alice.paymentLog(id).filter((e) => e.direction === 'out');
    return log[log.length - 1]?.version ?? 0n;
  };
  for (let i = 0; i < 200 && alice.channel(id)?.latest.state.version !== (await sentVersion()); i++) await sleep(50);
  assert.equal(alice.channel(id)?.latest.state.version, await sentVersion(), 'every signed proposal got countersigned');
  bob.child.kill('SIGTERM');
  await bob.exited;

  const a = alice.channel(id);
  assert.ok(a);
  const bobView = await readLog(bobDb, id, 'in');
  const aliceIds = alice.paymentLog(id).filter((e) => e.direction === 'out').flatMap((e) => e.payments.map((p) => p.id));
  assert.equal(bobView.version, a.latest.state.version, 'same latest state');
  assert.equal(bobView.balanceA, a.latest.state.balanceA);
  assert.equal(new Set(bobView.ids).size, bobView.ids.length, 'no payment counted twice by the receiver');
  assert.equal(new Set(aliceIds).size, aliceIds.length, 'no payment signed twice by the payer');
  assert.deepEqual([...bobView.ids].sort(), [...aliceIds].sort(), 'both logs hold exactly the same payments');
  for (const pid of acked) assert.ok(bobView.ids.includes(pid), `acknowledged payment ${pid} is in the receiver's log`);
  assert.equal(parseEther('100') - a.latest.state.balanceA, bobView.sum, 'balance moved by exactly the logged payments');
  assert.ok(acked.size > 50, `enough payments went through (${acked.size})`);
});

test('payer killed -9 mid-stream and run again: nothing lost or double-counted', { timeout: 180_000 }, async () => {
  const bob = await makeClient(fx, 4);
  cleanup.push(() => bob.stop());
  const aliceDb = tempDir();
  const args = (extra: string[]): string[] => ['--db', aliceDb, ...extra];
  assert.ok(bob.url);
  const open = spawnCli(['channel', 'open', ...args(['--peer', bob.url, '--deposit', '10eth', '--window', '8', '--challenge-period', '3600'])], env(3));
  const opened = await open.waitFor((l) => l['event'] === 'opened');
  await open.exited;
  const id = String(opened['channelId']) as Hex;

  const paid = new Set<string>();
  const run = spawnCli(['channel', 'pay', ...args(['--channel', id, '--amount', '1000', '--count', '4000', '--progress', '--max-per-state', '5', '--max-in-flight', '4'])], env(3));
  const killAt = 100 + Math.floor(Math.random() * 400);
  await run.waitFor(() => {
    return run.lines.filter((l) => l['event'] === 'paid').length >= killAt;
  });
  await run.kill9();
  for (const l of run.lines) if (l['event'] === 'paid') paid.add(String(l['id']));
  assert.ok(paid.size >= killAt);

  const again = spawnCli(['channel', 'pay', ...args(['--channel', id, '--amount', '1000', '--count', '50', '--progress'])], env(3));
  const summary = await again.waitFor((l) => l['event'] === 'payments');
  await again.exited;
  for (const l of again.lines) if (l['event'] === 'paid') paid.add(String(l['id']));
  assert.equal(summary['count'], 50);
  await bob.idle();

  const aliceView = await readLog(aliceDb, id, 'out');
  const bobIds = bob.paymentLog(id).filter((e) => e.direction === 'in').flatMap((e) => e.payments.map((p) => p.id));
  const b = bob.channel(id);
  assert.ok(b);
  assert.equal(b.latest.state.version, aliceView.version, 'same latest state');
  assert.equal(new Set(bobIds).size, bobIds.length, 'no payment counted twice');
  assert.deepEqual([...bobIds].sort(), [...aliceView.ids].sort(), 'both logs hold exactly the same payments');
  for (const pid of paid) assert.ok(bobIds.includes(pid), `completed payment ${pid} reached the receiver`);
  assert.equal(b.latest.state.balanceB, BigInt(bobIds.length) * 1000n, 'balance moved by exactly the logged payments');
});
