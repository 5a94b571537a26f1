/**
 * The forwarder (src/node/forwarder.ts) against real JSON-RPC servers (rpc-server.ts) whose backend
 * admits transactions into a real Mempool over a real state: pool order and per-sender nonce order are
 * kept, a duplicate counts as delivered, a refused transaction and a dead target are retried later
 * (and the pool keeps everything meanwhile), a new target gets everything again, and bad registered
 * URLs are refused without a request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, eddsaVerifier, type StfConfig } from '../../src/core/stf.ts';
import { domainHash, l2TxMessage, type L1Op, type L2Tx } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { Forwarder, ForwarderError, assertForwardUrl, type ForwardTarget } from '../../src/node/forwarder.ts';
import { Mempool, defaultMempoolOptions } from '../../src/node/mempool.ts';
import { createRpcServer, type RpcBackend, type RpcServer } from '../../src/node/rpc-server.ts';
import { storeTx } from '../../src/node/stored-tx.ts';
import type { StoredTx } from '../../src/node/state-db.ts';
import { DOMAIN, signTx, user } from '../support/rollup.ts';

const config: StfConfig = createStfConfig({ domain: DOMAIN, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxL2Txs: 4, maxFeeTokens: 1 });
const domain = domainHash(DOMAIN);
const state = new MemoryState();
const servers: RpcServer[] = [];

/** A receiving sequencer: admits into its own mempool exactly as node.ts does. */
async function receiver(): Promise<{ url: string; pool: Mempool; calls: () => number }> {
  const pool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  let calls = 0;
  const backend: RpcBackend = {
    sendTransaction: async (tx: L2Tx) => {
      calls++;
      const key = state.getAccount(tx.from)?.publicKey;
      pool.add(tx, key !== undefined && eddsaVerifier(l2TxMessage(tx, domain), tx.signature, key), state, config, []);
      return { hash: storeTx(tx, domain).hash };
    },
    getAccount: () => null,
    findAccounts: () => [],
    getTransaction: () => null,
    getBatch: () => null,
    getExitProof: () => null,
    status: () => ({}),
  };
  const server = await createRpcServer({ port: 0 }, { backend });
  servers.push(server);
  return { url: server.url, pool, calls: () => calls };
}

before(() => {
  const ops: L1Op[] = [0, 1].map((i) => ({ kind: 'createAccount', l1Address: BigInt(0x1000 + i), tokenId: 0, amount: 1000n, publicKey: user(i).publicKey }));
  state.apply(applyBatch(state, { l1Ops: ops, l2Txs: [], feeTable: [] }, config).changes);
  assert.equal(state.getAccount(2)?.balance, 1000n);
});
after(async () => {
  for (const s of servers) await s.close();
});

const transfer = (from: 1 | 2, nonce: number): StoredTx => storeTx(signTx(user(from - 1), { kind: 'transfer', from, to: 3 - from, amountF: floatEncode(FLOAT32, 5n), maxFeeF: floatEncode(FLOAT16, 0n), nonce }), domain);

test('registered URLs are untrusted: only http(s), at most 256 bytes, no credentials', () => {
  assertForwardUrl('http://127.0.0.1:8547');
  assertForwardUrl('https://seq.example.org/rpc');
  for (const bad of ['', 'ftp://x.org', 'javascript:alert(1)', 'http://user:pw@x.org', `http://${'a'.repeat(260)}.org`, 'not a url']) {
    assert.throws(() => assertForwardUrl(bad), (e: unknown) => e instanceof ForwarderError && e.code === 'FORWARD_BAD_URL', bad);
  }
  assert.throws(() => new Forwarder({ timeoutMs: 0, retryMs: 1, maxBatch: 1 }, { pending: () => [], target: async () => undefined }), /timeoutMs/);
  assert.throws(() => new Forwarder({ timeoutMs: 1, retryMs: 1, maxBatch: 101 }, { pending: () => [], target: async () => undefined }), /maxBatch/);
});

test('forwards the pool in order; duplicates count as delivered; a refused nonce and a dead target are retried; a new target gets everything', async () => {
  const a = await receiver();
  const b = await receiver();
  let now = 1_000;
  // Sender 1 has nonces 0,1,2; sender 2's nonce 1 arrives before its nonce 0 is known here.
  let pool: StoredTx[] = [transfer(1, 0), transfer(1, 1), transfer(2, 1), transfer(1, 2)];
  let target: ForwardTarget | undefined = { address: '0x00000000000000000000000000000000000000aa', url: a.url };
  const events: string[] = [];
  const f = new Forwarder({ timeoutMs: 2_000, retryMs: 500, maxBatch: 100 }, { pending: () => pool, target: async () => target, now: () => now, log: (e) => events.push(e) });

  assert.equal(await f.step(), 3, 'sender 1 delivered in nonce order; sender 2 refused (bad-nonce)');
  assert.deepEqual(a.pool.pendingFor(1).map((t) => t.nonce), [0, 1, 2]);
  assert.deepEqual(a.pool.pendingFor(2), []);
  assert.equal(await f.step(), 0, 'nothing new, and the refused one waits for retryMs');
  assert.equal(a.calls(), 4);

  // Sender 2's nonce 0 reaches this node; once retryMs passed, both go, in nonce order (pool order by arrival).
  pool = [transfer(1, 0), transfer(1, 1), transfer(1, 2), transfer(2, 0), transfer(2, 1)];
  now += 600;
  assert.equal(await f.step(), 2);
  assert.deepEqual(a.pool.pendingFor(2).map((t) => t.nonce), [0, 1]);

  // Target a answers MEMPOOL_DUPLICATE for what it has: delivered, not retried forever.
  const g = new Forwarder({ timeoutMs: 2_000, retryMs: 500, maxBatch: 2 }, { pending: () => pool, target: async () => target, now: () => now });
  assert.equal(await g.step(), 2, 'duplicates are delivered (batches of maxBatch = 2)');
  assert.equal(await g.step(), 2);
  assert.equal(await g.step(), 1);
  assert.equal(await g.step(), 0);

  // The leader changes to a dead URL: nothing is delivered, nothing leaves the pool, the target is down for retryMs.
  target = { address: '0x00000000000000000000000000000000000000bb', url: 'http://127.0.0.1:9' };
  assert.equal(await f.step(), 0);
  assert.equal(f.failures, 1);
  assert.ok(events.includes('forward-failed'));
  assert.equal(await f.step(), 0);
  assert.equal(f.failures, 1, 'no request while the target is marked down');
  assert.equal(pool.length, 5);

  // The next leader is reachable: it gets the whole pool, in order.
  target = { address: '0x00000000000000000000000000000000000000cc', url: b.url };
  assert.equal(await f.step(), 5);
  assert.deepEqual(b.pool.pendingFor(1).map((t) => t.nonce), [0, 1, 2]);
  assert.deepEqual(b.pool.pendingFor(2).map((t) => t.nonce), [0, 1]);

  // Included elsewhere: gone from the pool, forgotten by the forwarder; none of this node's own to forward.
  pool = [];
  assert.equal(await f.step(), 0);
  target = undefined;
  pool = [transfer(1, 3)];
  assert.equal(await f.step(), 0, 'no target (this node may commit itself)');

  // A registered URL that is not http(s) is refused without a request.
  target = { address: '0x00000000000000000000000000000000000000dd', url: 'file:///etc/passwd' };
  assert.equal(await f.step(), 0);
  assert.ok(events.includes('forward-bad-url'));
});

test('a peer that answers too much, or not JSON-RPC, is a failed target: nothing counts as delivered', async () => {
  const { createServer } = await import('node:http');
  const answers = [(res: import('node:http').ServerResponse) => res.end('x'.repeat(2 << 20)), (res: import('node:http').ServerResponse) => res.end('{"not":"a batch"}')];
  for (const answer of answers) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const logged: Record<string, unknown>[] = [];
    const f = new Forwarder({ timeoutMs: 2_000, retryMs: 500, maxBatch: 100 }, { pending: () => [transfer(1, 0)], target: async () => ({ address: '0x00000000000000000000000000000000000000ee', url: `http://127.0.0.1:${port}` }), log: (_e, fields) => logged.push(fields) });
    assert.equal(await f.step(), 0);
    assert.equal(f.failures, 1);
    assert.match(String(logged[0]?.['error']), /exceeds|not a JSON-RPC batch answer/);
    await new Promise<void>((r) => server.close(() => r()));
  }
});
