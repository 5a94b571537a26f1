/**
 * Crash and restart mid-dispute. The victim's client (`rampart channel serve`) and its watchtower
 * (`rampart watchtower`) run as real child processes. Both are frozen (SIGSTOP) before Alice closes on
 * a stale state and killed with SIGKILL once the close is on L1, so neither could act. Restarted on
 * their databases they find the dispute and answer it within the period:
 *   channel 1: only the tower is restarted; it catches the close from its persisted scan cursor;
 *   channel 2: only the client is restarted (the tower stays dead) and answers.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex, parseEther } from 'viem';
import { forceClose } from '../../src/channels/actions/forceClose.ts';
import { readChannel } from '../../src/channels/actions/readChannel.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import type { SignedState } from '../../src/channels/types.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { freePort, makeClient, removeTempDirs, sleep, tempDir } from '../channels/clientHelpers.ts';
import { writer } from '../channels/helpers.ts';
import { type CliProcess, spawnCli } from '../channels/spawnCli.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';

let fx: Fixture;
const cleanup: (() => Promise<void>)[] = [];
before(async () => {
  fx = await startFixture({ chainId: 31355 });
});
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await fx?.stop();
  removeTempDirs();
});

const env = (account: number): Record<string, string> => ({
  RAMPART_KEY: fx.key(account),
  RAMPART_L1_RPC: fx.devnet.url,
  RAMPART_ADJUDICATOR: fx.adjudicator,
});

async function towerState(url: string, id: Hex): Promise<bigint | undefined> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tower_getState', params: [id] }) });
  const body = (await res.json()) as { result: { state: { version: string } } | null };
  return body.result === null ? undefined : BigInt(body.result.state.version);
}

test('client and watchtower crash mid-dispute, restart, and still answer in time', { timeout: 180_000 }, async () => {
  const towerPort = await freePort();
  const towerDb = tempDir('rampart-tower-');
  const bobPort = await freePort();
  const bobDb = tempDir();
  const startTower = (): CliProcess =>
    spawnCli(['watchtower', '--listen', String(towerPort), '--db', towerDb, '--poll-ms', '200'], env(3));
  const startBob = (): CliProcess =>
    spawnCli(['channel', 'serve', '--listen', String(bobPort), '--db', bobDb, '--monitor-ms', '200', '--tower', `http://127.0.0.1:${towerPort}`], env(2));
  let tower = startTower();
  cleanup.push(() => tower.kill9());
  await tower.waitFor((l) => l['event'] === 'ready');
  let bob = startBob();
  cleanup.push(() => bob.kill9());
  const ready = await bob.waitFor((l) => l['event'] === 'ready');
  const alice: ChannelClient = await makeClient(fx, 1);
  cleanup.push(() => alice.stop());

  const towerUrl = `http://127.0.0.1:${towerPort}`;
  const opened: { id: Hex; stale: SignedState; newest: bigint }[] = [];
  for (let c = 0; c < 2; c++) {
    const { channelId: id } = await alice.openChannel({ peerUrl: String(ready['url']), depositA: parseEther('1'), depositB: 0n, pipelineWindow: 2 });
    await alice.pay(id, parseEther('0.01'));
    const stale = alice.channel(id)?.latest;
    assert.ok(stale);
    for (let i = 0; i < 6; i++) await alice.pay(id, parseEther('0.1'));
    const newest = alice.channel(id)?.latest.state.version ?? 0n;
    for (let i = 0; i < 100 && (await towerState(towerUrl, id)) !== newest; i++) await sleep(50);
    assert.equal(await towerState(towerUrl, id), newest, 'the tower holds the newest state');
    opened.push({ id, stale, newest });
  }

  const first = opened[0];
  const second = opened[1];
  assert.ok(first && second);
  const w = writer(await fx.clients(1), fx.adjudicator);

  // Phase 1: freeze both, close channel 1 on a stale state, kill both (a crash mid-dispute).
  // Only the tower comes back; its persisted scan cursor predates the close, so it finds and answers it.
  bob.child.kill('SIGSTOP');
  tower.child.kill('SIGSTOP');
  await forceClose(w, first.stale);
  await bob.kill9();
  await tower.kill9();
  assert.equal((await readChannel(fx.deployer, fx.adjudicator, first.id)).version, first.stale.state.version);
  tower = startTower();
  await tower.waitFor((l) => l['event'] === 'responded' && l['channelId'] === first.id, 60_000);
  const c1 = await readChannel(fx.deployer, fx.adjudicator, first.id);
  assert.equal(c1.version, first.newest);
  assert.equal(c1.penalized, true);
  assert.equal(c1.feeRecipient.toLowerCase(), fx.address(3).toLowerCase(), 'the tower proved the stale close');
  await tower.kill9();

  // Phase 2: with the tower gone for good, close channel 2 on a stale state while Bob is down;
  // Bob's client restarts on its database, sees the dispute and answers it.
  await forceClose(w, second.stale);
  bob = startBob();
  await bob.waitFor((l) => l['event'] === 'responded' && l['channelId'] === second.id, 60_000);
  const c2 = await readChannel(fx.deployer, fx.adjudicator, second.id);
  assert.equal(c2.version, second.newest);
  assert.equal(c2.penalized, true);

  // After the period Bob (restarted again) settles both; Alice gets nothing from either.
  await bob.kill9();
  await increaseTime(fx.deployer.public, 86400 + 1);
  const a0 = await fx.deployer.public.getBalance({ address: alice.address });
  bob = startBob();
  await bob.waitFor((l) => l['event'] === 'settled' && l['channelId'] === first.id, 60_000);
  await bob.waitFor((l) => l['event'] === 'settled' && l['channelId'] === second.id, 60_000);
  assert.equal(await fx.deployer.public.getBalance({ address: alice.address }), a0);
  for (const o of opened) assert.equal((await readChannel(fx.deployer, fx.adjudicator, o.id)).status, 'closed');
});
