import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRpcServer, type RpcBackend, type RpcServer } from '../../src/node/rpc-server.ts';
import { Mempool } from '../../src/node/mempool.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, eddsaVerifier } from '../../src/core/stf.ts';
import { domainHash, l2TxMessage } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { CONFIG, DOMAIN, signTx, user } from '../support/rollup.ts';

const state = new MemoryState();
const pool = new Mempool({ maxPending: 3, maxPerAccount: 8, maxAgeMs: 1000 }, { now: () => 0 });
const domain = domainHash(DOMAIN);
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const backend: RpcBackend = {
  sendTransaction: async (tx) => {
    const account = state.getAccount(tx.from);
    const ok = account !== undefined && eddsaVerifier(l2TxMessage(tx, domain), tx.signature, account.publicKey);
    pool.add(tx, ok, state, CONFIG, []);
    return { hash: `0x${l2TxMessage(tx, domain).toString(16).padStart(64, '0')}` };
  },
  getAccount: (i) => {
    const a = state.getAccount(i);
    return a === undefined ? null : { tokenId: a.tokenId, balance: hex(a.balance), nonce: a.nonce, pending: pool.pendingFor(i).length };
  },
  findAccounts: () => [],
  getTransaction: () => null,
  getBatch: () => null,
  getExitProof: () => null,
  status: () => ({ pending: pool.size }),
};
let server: RpcServer;

before(async () => {
  const ops = [0, 1].map((i) => ({ kind: 'createAccount' as const, l1Address: user(i).l1Address, tokenId: 0, amount: 100n, publicKey: user(i).publicKey }));
  state.apply(applyBatch(state, { l1Ops: ops, l2Txs: [], feeTable: [] }, CONFIG).changes);
  server = await createRpcServer({}, { backend });
});
after(async () => server.close());

async function call(body: unknown, raw = false): Promise<{ status: number; json: unknown }> {
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}
function txJson(u: number, from: number, to: number, amount: bigint, nonce: number) {
  const tx = signTx(user(u), { kind: to === 0 ? 'withdraw' : 'transfer', from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF: floatEncode(FLOAT16, 0n), nonce });
  return { kind: tx.kind, from, to, amountF: tx.amountF, maxFeeF: tx.maxFeeF, nonce, signature: { r8: [hex(tx.signature.r8[0]), hex(tx.signature.r8[1])], s: hex(tx.signature.s) } };
}
const rpc = (method: string, params: unknown[], id: number | string = 1) => ({ jsonrpc: '2.0', id, method, params });
function errorCode(r: { json: unknown }): number | undefined {
  return (r.json as { error?: { code: number } }).error?.code;
}

test('sendTransaction admits a valid transaction and answers its hash; account views reflect it', async () => {
  const r = await call(rpc('rampart_sendTransaction', [txJson(0, 1, 2, 10n, 0)]));
  assert.match((r.json as { result: string }).result, /^0x[0-9a-f]{64}$/);
  const a = await call(rpc('rampart_getAccount', [1]));
  assert.deepEqual((a.json as { result: unknown }).result, { tokenId: 0, balance: '0x64', nonce: 0, pending: 1 });
  assert.equal((await call(rpc('rampart_getAccount', [9]))).json && ((await call(rpc('rampart_getAccount', [9]))).json as { result: unknown }).result, null);
});

test('rejections carry the STF reason (-32003); duplicates and back-pressure are distinct codes', async () => {
  const bad = await call(rpc('rampart_sendTransaction', [txJson(0, 1, 2, 10n, 5)]));
  assert.equal(errorCode(bad), -32003);
  assert.equal((bad.json as { error: { data: { reason: string } } }).error.data.reason, 'bad-nonce');
  const forged = await call(rpc('rampart_sendTransaction', [txJson(1, 1, 2, 10n, 1)]));
  assert.equal((forged.json as { error: { data: { reason: string } } }).error.data.reason, 'bad-signature');
  const dup = await call(rpc('rampart_sendTransaction', [txJson(0, 1, 2, 10n, 0)]));
  assert.equal(errorCode(dup), -32000);
  await call(rpc('rampart_sendTransaction', [txJson(0, 1, 2, 1n, 1)]));
  await call(rpc('rampart_sendTransaction', [txJson(1, 2, 1, 1n, 0)]));
  const full = await call(rpc('rampart_sendTransaction', [txJson(1, 2, 1, 1n, 1)]));
  assert.equal(errorCode(full), -32005, 'mempool back-pressure');
});

test('malformed parameters are -32602 with a readable reason, never a crash', async () => {
  const good = txJson(0, 1, 2, 1n, 2);
  const cases: unknown[] = [
    [],
    [{ ...good, extra: 1 }],
    [{ ...good, from: 0 }],
    [{ ...good, from: -1 }],
    [{ ...good, from: 1.5 }],
    [{ ...good, amountF: 2 ** 32 }],
    [{ ...good, kind: 'withdraw' }],
    [{ ...good, kind: 'mint' }],
    [{ ...good, signature: { r8: [hex(FR_MODULUS), '0x1'], s: '0x1' } }],
    [{ ...good, signature: { r8: ['0x01', '0x1'], s: '0x1' } }],
    [{ ...good, signature: { r8: ['0x1', '0x1'], s: hex(1n << 256n) } }],
    ['0x00'],
  ];
  for (const params of cases) {
    const r = await call(rpc('rampart_sendTransaction', params as unknown[]));
    assert.equal(errorCode(r), -32602, JSON.stringify(params).slice(0, 120));
    assert.match((r.json as { error: { message: string } }).error.message, /invalid params/);
  }
  assert.equal(errorCode(await call(rpc('rampart_getAccount', ['1']))), -32602);
  assert.equal(errorCode(await call(rpc('rampart_getTransaction', ['0xzz']))), -32602);
});

test('protocol errors: parse, invalid request, unknown method, batches, notifications, limits', async () => {
  assert.equal(errorCode(await call('{not json', true)), -32700);
  assert.equal(errorCode(await call({ jsonrpc: '1.0', id: 1, method: 'x' })), -32600);
  assert.equal(errorCode(await call({ id: 1 })), -32600);
  assert.equal(errorCode(await call(rpc('eth_sendRawTransaction', []))), -32601);
  const batch = await call([rpc('rampart_status', [], 'a'), rpc('nope', [], 'b')]);
  assert.ok(Array.isArray(batch.json) && batch.json.length === 2);
  assert.equal(errorCode(await call([])), -32600);
  const note = await call({ jsonrpc: '2.0', method: 'rampart_status' });
  assert.equal(note.status, 204);
  const big = await fetch(server.url, { method: 'POST', body: 'x'.repeat(2 << 20) }).catch(() => undefined);
  assert.ok(big === undefined || big.status === 413);
  const get = await fetch(server.url);
  assert.equal(get.status, 405);
});

test('signed batch headers: -32601 without a registry; malformed headers are -32602 before the backend sees them', async () => {
  assert.equal(errorCode(await call(rpc('rampart_getBatchHeaders', [1]))), -32601, 'this backend has no registry');
  const header = { sequencer: `0x${'ab'.repeat(20)}`, batchNum: 1, slot: '0x5', header: { newRoot: '0x1', exitRoot: '0x0', dataCommitment: '0x7', newNextIndex: 3, l1Count: 0 }, signature: `0x${'11'.repeat(65)}` };
  assert.equal(errorCode(await call(rpc('rampart_submitBatchHeader', [header]))), -32601);
  const seen: unknown[] = [];
  const withHeaders = await createRpcServer({}, { backend: { ...backend, getBatchHeaders: (from) => [from], submitBatchHeader: async (h) => (seen.push(h), 'new') } });
  try {
    const post = async (method: string, params: unknown[]) => {
      const res = await fetch(withHeaders.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rpc(method, params)) });
      return (await res.json()) as { result?: unknown; error?: { code: number } };
    };
    assert.deepEqual((await post('rampart_getBatchHeaders', [7])).result, [7]);
    assert.equal((await post('rampart_getBatchHeaders', [-1])).error?.code, -32602);
    assert.equal((await post('rampart_submitBatchHeader', [header])).result, 'new');
    for (const bad of [
      { ...header, batchNum: 0 },
      { ...header, sequencer: '0x1234' },
      { ...header, slot: '5' },
      { ...header, slot: `0x1${'0'.repeat(16)}` },
      { ...header, signature: `0x${'11'.repeat(64)}` },
      { ...header, header: { ...header.header, newRoot: hex(FR_MODULUS) } },
      { ...header, header: { ...header.header, newNextIndex: 2 ** 32 } },
      { ...header, header: { ...header.header, extra: 1 } },
      { ...header, extra: 1 },
    ]) assert.equal((await post('rampart_submitBatchHeader', [bad])).error?.code, -32602, JSON.stringify(bad).slice(0, 100));
    assert.equal(seen.length, 1, 'only the well-formed header reached the backend');
  } finally {
    await withHeaders.close();
  }
});
