/**
 * Bad input at the off-chain edges, each refused with its reason: a peer speaking the wire protocol
 * with forged signatures, wrong or replayed channel ids, states of another chain, overflowing or
 * non-summing balances, old or out-of-turn states, malformed frames and tampered MACs; and the same
 * kinds of garbage sent to a watchtower. The honest state survives all of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Hex, parseEther } from 'viem';
import WebSocket from 'ws';
import { stateToJson } from '../../src/channels/codec.ts';
import type { ChannelClient } from '../../src/channels/createChannelClient.ts';
import { ChannelError } from '../../src/channels/errors.ts';
import { type Session, dialSession } from '../../src/channels/transport/session.ts';
import { privateKeyBytes } from '../../src/channels/signDigest.ts';
import type { ChannelDomain, State } from '../../src/channels/types.ts';
import { MAX_UINT256 } from '../../src/channels/types.ts';
import type { Watchtower } from '../../src/channels/watchtower/createWatchtower.ts';
import type { WireBody } from '../../src/channels/wire.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';
import { makeClient, makeTower, removeTempDirs, sleep } from './clientHelpers.ts';
import { signBoth, signState } from './helpers.ts';

let fx: Fixture;
let bob: ChannelClient;
let tower: Watchtower;
let domain: ChannelDomain;
let id: Hex;
let other: Hex;
let raw: Session;
const inbox: WireBody[] = [];

before(async () => {
  fx = await startFixture({ chainId: 31343 });
  domain = { chainId: 31343, adjudicator: fx.adjudicator };
  bob = await makeClient(fx, 2);
  tower = await makeTower(fx, 3);
  const alice = await makeClient(fx, 1);
  assert.ok(bob.url);
  id = (await alice.openChannel({ peerUrl: bob.url, depositA: 1000n, depositB: 1000n, pipelineWindow: 4 })).channelId;
  other = (await alice.openChannel({ peerUrl: bob.url, depositA: 1000n, depositB: 1000n, pipelineWindow: 4 })).channelId;
  await alice.pay(id, 10n); // version 1: A 990, B 1010
  await alice.stop();
  raw = await dialSession({
    url: bob.url,
    identity: { address: fx.address(1), privateKey: privateKeyBytes(fx.key(1)) },
    domain,
    timeoutMs: 5000,
    handlers: { onMessage: (_s, b) => inbox.push(b), onClose: () => undefined, onProtocolError: () => undefined },
  });
  await sleep(200); // Bob's resume arrives
});
after(async () => {
  raw?.close();
  await bob?.stop();
  await tower?.stop();
  await fx?.stop();
  removeTempDirs();
});

const st = (version: bigint, a: bigint, b: bigint, channelId: Hex = id): State => ({ channelId, version, balanceA: a, balanceB: b, isFinal: false });

async function propose(state: State, sig?: Hex, payments?: { id: string; amount: string }[]): Promise<WireBody> {
  const before = inbox.length;
  raw.send({
    t: 'update',
    channelId: id,
    proposals: [{ state: stateToJson(state), sig: sig ?? signState(domain, fx.key(1), state), payments: payments ?? [{ id: 'x', amount: (990n - state.balanceA).toString() }] }],
  });
  for (let i = 0; i < 100 && inbox.length === before; i++) await sleep(20);
  const reply = inbox[inbox.length - 1];
  assert.ok(reply && inbox.length > before, 'Bob answered');
  return reply;
}

function refused(reply: WireBody, code: string): void {
  assert.equal(reply.t, 'error', `expected a refusal, got ${reply.t}`);
  if (reply.t === 'error') assert.equal(reply.code, code, reply.message);
}

describe('a misbehaving peer is refused with reasons', () => {
  test('forged signature', async () => {
    const s = st(2n, 980n, 1020n);
    refused(await propose(s, signState(domain, fx.key(5), s)), 'CHANNEL_BAD_SIGNATURE');
  });
  test('wrong channel id, and a state replayed from another channel of the same parties', async () => {
    refused(await propose(st(2n, 980n, 1020n, `0x${'77'.repeat(32)}`)), 'CHANNEL_WRONG_ID');
    refused(await propose(st(2n, 980n, 1020n, other)), 'CHANNEL_WRONG_ID');
  });
  test('a state signed for another chain (or another adjudicator)', async () => {
    const s = st(2n, 980n, 1020n);
    refused(await propose(s, signState({ ...domain, chainId: 1 }, fx.key(1), s)), 'CHANNEL_BAD_SIGNATURE');
    refused(await propose(s, signState({ ...domain, adjudicator: fx.address(7) }, fx.key(1), s)), 'CHANNEL_BAD_SIGNATURE');
  });
  test('overflowing and non-summing balances', async () => {
    refused(await propose(st(2n, MAX_UINT256 + 1n, 0n), undefined, []), 'CHANNEL_BALANCE_OVERFLOW');
    refused(await propose(st(2n, MAX_UINT256, 2001n), undefined, []), 'CHANNEL_BALANCE_MISMATCH');
    refused(await propose(st(2n, 980n, 1000n)), 'CHANNEL_BALANCE_MISMATCH');
  });
  test('old state, skipped version, payment to oneself, payments that do not add up', async () => {
    refused(await propose(st(1n, 980n, 1020n)), 'CHANNEL_STALE_STATE');
    refused(await propose(st(3n, 980n, 1020n)), 'CHANNEL_VERSION_GAP');
    refused(await propose(st(2n, 1000n, 1000n), undefined, []), 'CHANNEL_INVALID_TRANSFER');
    refused(await propose(st(2n, 980n, 1020n), undefined, [{ id: 'x', amount: '5' }]), 'CHANNEL_INVALID_TRANSFER');
  });
  test('malformed message and unknown channel', async () => {
    const before = inbox.length;
    raw.send({ t: 'update', channelId: `0x${'66'.repeat(32)}`, proposals: [{ state: stateToJson(st(2n, 980n, 1020n, `0x${'66'.repeat(32)}`)), sig: `0x${'11'.repeat(65)}`, payments: [] }] });
    for (let i = 0; i < 50 && inbox.length === before; i++) await sleep(20);
    refused(inbox[inbox.length - 1] as WireBody, 'CHANNEL_UNKNOWN');
    const n = inbox.length;
    raw.send({ t: 'update', channelId: id, proposals: [] } as never);
    for (let i = 0; i < 50 && inbox.length === n; i++) await sleep(20);
    refused(inbox[inbox.length - 1] as WireBody, 'CHANNEL_BAD_MESSAGE');
  });
  test('after all that, an honest proposal is countersigned', async () => {
    const reply = await propose(st(2n, 980n, 1020n));
    assert.equal(reply.t, 'ack');
    assert.equal(bob.channel(id)?.latest.state.version, 2n);
    assert.equal(bob.channel(id)?.receivedAmount, 20n);
  });
  test('tampered MAC or wrong chain in the handshake: connection refused', async () => {
    assert.ok(bob.url);
    await assert.rejects(
      dialSession({
        url: bob.url,
        identity: { address: fx.address(1), privateKey: privateKeyBytes(fx.key(1)) },
        domain: { ...domain, chainId: 1 },
        timeoutMs: 2000,
        handlers: { onMessage: () => undefined, onClose: () => undefined, onProtocolError: () => undefined },
      }),
      (e: unknown) => e instanceof ChannelError && (e.code === 'CHANNEL_AUTH_FAILED' || e.code === 'CHANNEL_PEER_UNAVAILABLE'),
    );
    await assert.rejects(
      dialSession({
        url: bob.url,
        identity: { address: fx.address(1), privateKey: privateKeyBytes(fx.key(1)) },
        domain,
        expectedPeer: fx.address(6),
        timeoutMs: 2000,
        handlers: { onMessage: () => undefined, onClose: () => undefined, onProtocolError: () => undefined },
      }),
      (e: unknown) => e instanceof ChannelError && e.code === 'CHANNEL_AUTH_FAILED',
    );
    // A raw socket that skips authentication and sends a frame with a made-up MAC is cut off.
    const ws = new WebSocket(bob.url);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise((r) => ws.once('close', r));
    ws.send(`${'00'.repeat(32)}.1.{"t":"pen-request","channelId":"${id}"}`);
    await closed;
  });
});

describe('a watchtower refuses bad states with reasons', () => {
  const call = async (body: unknown): Promise<{ result?: { stored: boolean }; error?: { code: number; data?: { code: string } } }> => {
    const res = await fetch(tower.url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    return (await res.json()) as { result?: { stored: boolean }; error?: { code: number; data?: { code: string } } };
  };
  const submit = (s: { state: State; sigA: Hex; sigB: Hex }) =>
    call({ jsonrpc: '2.0', id: 1, method: 'tower_submitState', params: [{ state: stateToJson(s.state), sigA: s.sigA, sigB: s.sigB }] });

  test('forged, unknown channel, other chain, non-summing, malformed; stale ones are not stored', async () => {
    const good = signBoth(domain, fx.key(1), fx.key(2), st(5n, 900n, 1100n));
    assert.equal((await submit({ ...good, sigB: signState(domain, fx.key(5), good.state) })).error?.data?.code, 'CHANNEL_BAD_SIGNATURE');
    assert.equal((await submit(signBoth(domain, fx.key(1), fx.key(2), st(5n, 900n, 1100n, `0x${'55'.repeat(32)}`)))).error?.data?.code, 'CHANNEL_UNKNOWN');
    assert.equal((await submit(signBoth({ ...domain, chainId: 1 }, fx.key(1), fx.key(2), good.state))).error?.data?.code, 'CHANNEL_BAD_SIGNATURE');
    assert.equal((await submit(signBoth(domain, fx.key(1), fx.key(2), st(5n, 900n, 1000n)))).error?.data?.code, 'CHANNEL_BALANCE_MISMATCH');
    assert.equal((await call('{not json')).error?.code, -32700);
    assert.equal((await call({ jsonrpc: '2.0', id: 1, method: 'tower_submitState', params: [{ state: 1 }] })).error?.data?.code, 'CHANNEL_BAD_MESSAGE');
    assert.equal((await call({ jsonrpc: '2.0', id: 1, method: 'nope', params: [] })).error?.code, -32601);
    assert.equal((await submit(good)).result?.stored, true);
    assert.equal((await submit(signBoth(domain, fx.key(1), fx.key(2), st(4n, 950n, 1050n)))).result?.stored, false);
    assert.equal(tower.stateOf(id)?.state.version, 5n);
    const big = await fetch(tower.url, { method: 'POST', body: 'x'.repeat(100_000) }).catch(() => undefined);
    assert.ok(big === undefined || big.status === 413);
  });
});
