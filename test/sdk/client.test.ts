/**
 * The client against a scripted node: every result is validated (garbage becomes a typed error, never
 * a TypeError), the signed transaction is exactly what the node's own schema accepts, and the node
 * cannot make the SDK sign for another domain or accept a hash it did not sign.
 */
import assert from 'node:assert/strict';
import { getAddress } from 'viem';
import { createServer } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { verify } from '../../src/core/eddsa.ts';
import { createL1Clients } from '../../src/l1/createL1Clients.ts';
import { l2TxMessage } from '../../src/core/tx.ts';
import { sendTransactionParams, toL2Tx } from '../../src/node/rpc-schemas.ts';
import { createRampartClient, type RampartClient } from '../../src/sdk/createRampartClient.ts';
import { SdkError } from '../../src/sdk/errors.ts';
import { l2TxHash } from '../../src/sdk/signL2Tx.ts';
import { user } from '../support/rollup.ts';
import { CHAIN_ID, DOMAIN_DIGEST, ROLLUP, type MockNode, startMockNode, statusResult } from './mockNode.ts';

let node: MockNode;
before(async () => {
  node = await startMockNode();
});
after(() => node.close());
beforeEach(() => {
  node.handlers.clear();
  node.calls.length = 0;
  node.handlers.set('rampart_status', () => ({ result: statusResult() }));
});

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const OWNER = '0x00000000000000000000000000000000000010aa';
function accountJson(index: number, u = user(0), over: Record<string, unknown> = {}): Record<string, unknown> {
  return { index, tokenId: 0, balance: '0x3e8', nonce: 0, publicKey: [hex(u.publicKey[0]), hex(u.publicKey[1])], l1Address: OWNER, ...over };
}
function mk(over: Partial<Parameters<typeof createRampartClient>[0]> = {}): RampartClient {
  return createRampartClient({ rpcUrl: node.url, verifyDomainOnL1: false, requestTimeoutMs: 2000, pollIntervalMs: 10, busyBackoffMs: 1, ...over });
}
const isCode = (code: string) => (e: unknown) => {
  assert.ok(e instanceof SdkError, `expected SdkError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

test('getAccount converts a valid answer and rejects every malformed one with NODE_INVALID_RESPONSE', async () => {
  const c = mk();
  node.handlers.set('rampart_getAccount', () => ({ result: accountJson(5) }));
  const a = await c.getAccount({ index: 5 });
  assert.ok(a !== null);
  assert.equal(a.balance, 1000n);
  assert.deepEqual(a.publicKey, user(0).publicKey);
  node.handlers.set('rampart_getAccount', () => ({ result: null }));
  assert.equal(await c.getAccount({ index: 5 }), null);
  await assert.rejects(c.getBalance({ index: 5 }), isCode('ACCOUNT_NOT_FOUND'));

  const garbage: unknown[] = [
    42,
    'hello',
    [],
    {},
    accountJson(5, user(0), { balance: '-0x1' }),
    accountJson(5, user(0), { balance: `0x${'f'.repeat(40)}` }), // > uint128
    accountJson(5, user(0), { balance: 1000 }),
    accountJson(5, user(0), { nonce: -1 }),
    accountJson(5, user(0), { nonce: 2 ** 41 }),
    accountJson(5, user(0), { tokenId: 'eth' }),
    accountJson(5, user(0), { publicKey: ['0x1'] }),
    accountJson(5, user(0), { publicKey: [`0x${'f'.repeat(64)}`, '0x1'] }), // not < p
    accountJson(5, user(0), { l1Address: '0x1234' }),
    accountJson(5, user(0), { index: 0 }),
    { ...accountJson(5), balance: undefined },
  ];
  for (const g of garbage) {
    node.handlers.set('rampart_getAccount', () => ({ result: g }));
    await assert.rejects(c.getAccount({ index: 5 }), isCode('NODE_INVALID_RESPONSE'), JSON.stringify(g));
  }
  node.handlers.set('rampart_getAccount', () => ({ result: accountJson(6) }));
  await assert.rejects(c.getAccount({ index: 5 }), isCode('NODE_INCONSISTENT'));
  await assert.rejects(c.getAccount({ index: 0 }), isCode('INVALID_ARGUMENT'));
});

test('broken transports and envelopes are typed errors: not JSON, HTTP 502, wrong id, no result, oversized, timeout, unreachable', async () => {
  const c = mk({ requestTimeoutMs: 300, maxResponseBytes: 10_000 });
  const cases: [unknown, string][] = [
    [{ raw: { status: 200, body: '<html>oops' } }, 'RPC_BAD_RESPONSE'],
    [{ raw: { status: 502, body: 'bad gateway' } }, 'RPC_BAD_RESPONSE'],
    [{ raw: { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 999_999, result: null }) } }, 'RPC_BAD_RESPONSE'],
    [{ raw: { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: null }) } }, 'RPC_BAD_RESPONSE'],
    [{ raw: { status: 200, body: JSON.stringify({ jsonrpc: '1.0', id: 1, result: null }) } }, 'RPC_BAD_RESPONSE'],
    [{ raw: { status: 200, body: 'null' } }, 'RPC_BAD_RESPONSE'],
    [{ raw: { status: 200, body: `"${'x'.repeat(20_000)}"` } }, 'RPC_BAD_RESPONSE'],
    [{ error: { code: 'x', message: 5 } }, 'RPC_BAD_RESPONSE'],
    [{ hang: true }, 'RPC_TIMEOUT'],
    [{ error: { code: -32000, message: 'state db closed', data: { code: 'DB_CLOSED' } } }, 'RPC_ERROR'],
    [{ error: { code: -32601, message: 'method not found' } }, 'RPC_METHOD_NOT_FOUND'],
    [{ error: { code: -32602, message: 'invalid params' } }, 'RPC_INVALID_PARAMS'],
  ];
  for (const [reply, code] of cases) {
    node.handlers.set('rampart_getTransaction', () => reply as never);
    await assert.rejects(c.getTransaction({ hash: `0x${'ab'.repeat(32)}` }), isCode(code), JSON.stringify(reply).slice(0, 100));
  }
  // A port nobody listens on.
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  await assert.rejects(mk({ rpcUrl: `http://127.0.0.1:${port}` }).getStatus(), isCode('RPC_UNREACHABLE'));
  assert.throws(() => mk({ rpcUrl: 'ftp://x' }), isCode('INVALID_ARGUMENT'));
  assert.throws(() => mk({ requestTimeoutMs: -1 }), isCode('INVALID_ARGUMENT'));
});

test('transaction, batch, exit proof and status results are checked for shape and internal consistency', async () => {
  const c = mk();
  const h = `0x${'cd'.repeat(32)}`;
  const tx = { hash: h, from: 1, nonce: 0, kind: 'withdraw', status: 'final', batchNum: 4, exitSlot: 17, reason: null };
  node.handlers.set('rampart_getTransaction', () => ({ result: tx }));
  assert.deepEqual(await c.getTransaction({ hash: h }), tx);
  for (const bad of [
    { ...tx, status: 'weird' },
    { ...tx, status: 'pending' }, // pending with a batch number
    { ...tx, reason: 'bad-nonce' }, // a reason without rejection
    { ...tx, kind: 'transfer' }, // a transfer with an exit slot
    { ...tx, hash: '0x12' },
    { ...tx, from: null }, // only a rejected transaction may lose its sender
  ]) {
    node.handlers.set('rampart_getTransaction', () => ({ result: bad }));
    await assert.rejects(c.getTransaction({ hash: h }), isCode('NODE_INVALID_RESPONSE'), JSON.stringify(bad));
  }
  node.handlers.set('rampart_getTransaction', () => ({ result: { ...tx, hash: `0x${'ee'.repeat(32)}` } }));
  await assert.rejects(c.getTransaction({ hash: h }), isCode('NODE_INCONSISTENT'));
  await assert.rejects(c.getTransaction({ hash: 'nope' }), isCode('INVALID_ARGUMENT'));

  const proof = { batchNum: 4, slot: 17, l1Address: OWNER, tokenId: 0, amount: '0x1c2', siblings: ['0x0', '0x1'], final: true };
  node.handlers.set('rampart_getExitProof', () => ({ result: proof }));
  assert.equal((await c.getExitProof({ batchNum: 4, slot: 17 }))?.amount, 450n);
  node.handlers.set('rampart_getExitProof', () => ({ result: { ...proof, siblings: 'many' } }));
  await assert.rejects(c.getExitProof({ batchNum: 4, slot: 17 }), isCode('NODE_INVALID_RESPONSE'));
  node.handlers.set('rampart_getExitProof', () => ({ result: { ...proof, slot: 18 } }));
  await assert.rejects(c.getExitProof({ batchNum: 4, slot: 17 }), isCode('NODE_INCONSISTENT'));

  const batch = { batchNum: 4, status: 'final', root: '0x1', exitRoot: '0x2', l1Start: 3, l1Count: 0, txs: [h], exits: [{ slot: 17, l1Address: OWNER, tokenId: 0, amount: '0x1c2' }], commitTx: h };
  node.handlers.set('rampart_getBatch', () => ({ result: batch }));
  assert.equal((await c.getBatch({ batchNum: 4 }))?.exits[0]?.amount, 450n);
  node.handlers.set('rampart_getBatch', () => ({ result: { ...batch, exits: [{ slot: 1 }] } }));
  await assert.rejects(c.getBatch({ batchNum: 4 }), isCode('NODE_INVALID_RESPONSE'));

  // deployBlock and domain are optional (older nodes); everything else is required.
  const { deployBlock: _d, domain: _dom, ...minimal } = statusResult();
  node.handlers.set('rampart_status', () => ({ result: minimal }));
  assert.equal((await c.getStatus()).domain, undefined);
  node.handlers.set('rampart_status', () => ({ result: { ...minimal, root: undefined } }));
  await assert.rejects(c.getStatus(), isCode('NODE_INVALID_RESPONSE'));
  node.handlers.set('rampart_status', () => ({ result: statusResult({ chainId: '0x7a69' }) }));
  await assert.rejects(c.getStatus(), isCode('NODE_INVALID_RESPONSE'));
});

test('transfer: signs over the verified domain, sends what the node schema accepts, tracks nonces, refuses a wrong ack', async () => {
  const u = user(3);
  const sent: unknown[] = [];
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, p[0] === 1 ? u : user(4)) }));
  node.handlers.set('rampart_sendTransaction', (p) => {
    sent.push(p[0]);
    const parsed = sendTransactionParams.parse(p);
    const tx = toL2Tx(parsed[0]);
    return { result: l2TxHash(l2TxMessage(tx, DOMAIN_DIGEST)) };
  });
  const c = mk();
  const r1 = await c.transfer({ privateKey: u.key, from: 1, to: 2, amount: 300n, maxFee: 10n });
  assert.equal(r1.nonce, 0);
  assert.ok(verify(l2TxMessage(r1.tx, DOMAIN_DIGEST), r1.tx.signature, u.publicKey));
  // The node still reports nonce 0 (not yet in a batch): the client uses 1 next.
  const r2 = await c.withdraw({ privateKey: u.key, from: 1, amount: 5n });
  assert.equal(r2.nonce, 1);
  assert.equal(r2.tx.to, 0);
  assert.equal(sent.length, 2);

  // A node acknowledging another hash is caught.
  node.handlers.set('rampart_sendTransaction', () => ({ result: `0x${'00'.repeat(32)}` }));
  await assert.rejects(c.transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('NODE_INCONSISTENT'));
  // A rejection carries the STF's reason; a bad-nonce rejection resets the nonce cache.
  node.handlers.set('rampart_sendTransaction', () => ({ error: { code: -32003, message: 'rejected', data: { code: 'TX_REJECTED', reason: 'bad-nonce' } } }));
  await assert.rejects(c.transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), (e: unknown) => e instanceof SdkError && e.code === 'TX_REJECTED' && e.details['reason'] === 'bad-nonce');
  assert.equal(c.context.cache.nonces.has(1), false);

  // Wrong key, missing accounts, other token, unrepresentable amount: refused before anything is sent.
  const before = node.calls.filter((x) => x.method === 'rampart_sendTransaction').length;
  await assert.rejects(c.transfer({ privateKey: user(9).key, from: 1, to: 2, amount: 1n }), isCode('KEY_MISMATCH'));
  node.handlers.set('rampart_getAccount', (p) => ({ result: p[0] === 1 ? accountJson(1, u) : null }));
  await assert.rejects(c.transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('ACCOUNT_NOT_FOUND'));
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, u, { tokenId: p[0] === 1 ? 0 : 1 }) }));
  await assert.rejects(c.transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('TOKEN_MISMATCH'));
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, u) }));
  await assert.rejects(c.transfer({ privateKey: u.key, from: 1, to: 2, amount: 123_456_789_1n }), isCode('AMOUNT_NOT_REPRESENTABLE'));
  await assert.rejects(c.transfer({ privateKey: new Uint8Array(31), from: 1, to: 2, amount: 1n }), isCode('INVALID_ARGUMENT'));
  assert.equal(node.calls.filter((x) => x.method === 'rampart_sendTransaction').length, before);
});

test('the node cannot choose the signing domain: wrong digest, another rollup or another chain are refused', async () => {
  const u = user(3);
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, u) }));
  node.handlers.set('rampart_sendTransaction', () => ({ result: `0x${'00'.repeat(32)}` }));
  node.handlers.set('rampart_status', () => ({ result: statusResult({ domain: '0x1234' }) }));
  await assert.rejects(mk().transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('NODE_INCONSISTENT'));
  node.handlers.set('rampart_status', () => ({ result: statusResult() }));
  await assert.rejects(mk({ rollup: '0x0000000000000000000000000000000000000001' }).transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('DOMAIN_MISMATCH'));
  const otherChain = await createL1Clients({ url: 'http://127.0.0.1:9', chainId: 1 });
  await assert.rejects(mk({ l1: otherChain }).transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('DOMAIN_MISMATCH'));
  // Signing without L1 to check the domain is refused unless explicitly allowed.
  await assert.rejects(mk({ verifyDomainOnL1: true }).transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }), isCode('NO_L1'));
  assert.equal(node.calls.filter((x) => x.method === 'rampart_sendTransaction').length, 0);
  const d = await mk({ rollup: ROLLUP }).getDomain();
  assert.deepEqual(d, { chainId: CHAIN_ID, rollup: ROLLUP, digest: DOMAIN_DIGEST });
});

test('a busy node is retried with back-off, then NODE_BUSY', async () => {
  const u = user(3);
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, u) }));
  let n = 0;
  node.handlers.set('rampart_sendTransaction', (p) => {
    n++;
    if (n < 3) return { error: { code: -32005, message: 'mempool full', data: { code: 'MEMPOOL_FULL' } } };
    return { result: l2TxHash(l2TxMessage(toL2Tx(sendTransactionParams.parse(p)[0]), DOMAIN_DIGEST)) };
  });
  await mk({ busyRetries: 3 }).transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n });
  assert.equal(n, 3);
  node.handlers.set('rampart_sendTransaction', () => ({ error: { code: -32005, message: 'mempool full' } }));
  const err = await mk({ busyRetries: 1 }).transfer({ privateKey: u.key, from: 1, to: 2, amount: 1n }).catch((e: unknown) => e);
  assert.ok(err instanceof SdkError && err.code === 'NODE_BUSY' && err.retryable);
});

test('waitForFinality follows pending → committed → final, surfaces rejections, and times out with the last status', async () => {
  const h = `0x${'ab'.repeat(32)}`;
  const states = [
    null,
    { hash: h, from: 1, nonce: 0, kind: 'transfer', status: 'pending', batchNum: null, exitSlot: null, reason: null },
    { hash: h, from: 1, nonce: 0, kind: 'transfer', status: 'committed', batchNum: 5, exitSlot: null, reason: null },
    { hash: h, from: 1, nonce: 0, kind: 'transfer', status: 'final', batchNum: 5, exitSlot: null, reason: null },
  ];
  let i = 0;
  // One request hangs (a timeout): retried, not fatal.
  let hung = false;
  node.handlers.set('rampart_getTransaction', () => {
    if (i === 2 && !hung) {
      hung = true;
      return { hang: true };
    }
    return { result: states[Math.min(i++, states.length - 1)] ?? null };
  });
  const seen: string[] = [];
  const final = await mk({ requestTimeoutMs: 100 }).waitForFinality({ hash: h, timeoutMs: 5000, onStatus: (t) => seen.push(t?.status ?? 'unknown') });
  assert.equal(final.status, 'final');
  assert.equal(final.batchNum, 5);
  assert.deepEqual(seen, ['unknown', 'pending', 'committed', 'final']);

  // A node that dropped a rejected transaction keeps only its reason (from, nonce, kind are null).
  node.handlers.set('rampart_getTransaction', () => ({ result: { hash: h, from: null, nonce: null, kind: null, status: 'rejected', batchNum: null, exitSlot: null, reason: 'insufficient-balance' } }));
  await assert.rejects(mk().waitForFinality({ hash: h, timeoutMs: 1000 }), (e: unknown) => e instanceof SdkError && e.code === 'TX_REJECTED' && e.details['reason'] === 'insufficient-balance');
  node.handlers.set('rampart_getTransaction', () => ({ result: states[2] }));
  await assert.rejects(mk().waitForFinality({ hash: h, timeoutMs: 100 }), (e: unknown) => e instanceof SdkError && e.code === 'WAIT_TIMEOUT' && e.details['last'] === 'committed');
  // Garbage is not retried: it is a misbehaving node.
  node.handlers.set('rampart_getTransaction', () => ({ result: { status: 'final' } }));
  await assert.rejects(mk().waitForFinality({ hash: h, timeoutMs: 1000 }), isCode('NODE_INVALID_RESPONSE'));
});

test('waitForAccount skips accounts that existed before the deposit and checks what the node returns', async () => {
  const u = user(5);
  const pk = u.publicKey;
  let round = 0;
  node.handlers.set('rampart_findAccounts', (p) => {
    const f = p[0] as { l1Address: string; publicKey: string[]; tokenId: number };
    assert.equal(f.l1Address, OWNER.toLowerCase());
    assert.deepEqual(f.publicKey, [hex(pk[0]), hex(pk[1])]);
    assert.equal(f.tokenId, 0);
    return { result: round++ < 2 ? [3] : [3, 8] };
  });
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, u) }));
  const dep = { kind: 'createAccount' as const, l1Address: OWNER as `0x${string}`, publicKey: pk, tokenId: 0, knownAccounts: [3] };
  const r = await mk().waitForAccount({ deposit: dep, timeoutMs: 2000 });
  assert.equal(r.index, 8);
  node.handlers.set('rampart_getAccount', (p) => ({ result: accountJson(p[0] as number, user(6)) }));
  await assert.rejects(mk().waitForAccount({ deposit: { ...dep, knownAccounts: [] }, timeoutMs: 1000 }), isCode('NODE_INCONSISTENT'));
  node.handlers.set('rampart_findAccounts', () => ({ result: [3] }));
  await assert.rejects(mk().waitForAccount({ deposit: dep, timeoutMs: 50 }), isCode('WAIT_TIMEOUT'));
  node.handlers.set('rampart_findAccounts', () => ({ result: [0, 'x'] }));
  await assert.rejects(mk().waitForAccount({ deposit: dep, timeoutMs: 1000 }), isCode('NODE_INVALID_RESPONSE'));
  await assert.rejects(mk().waitForAccount({ deposit: { ...dep, kind: 'deposit' }, timeoutMs: 1000 }), isCode('INVALID_ARGUMENT'));
});

test('deposit and claim need L1: NO_L1 without clients', async () => {
  const c = mk();
  await assert.rejects(c.deposit({ amount: 1n, publicKey: user(0).publicKey }), isCode('NO_L1'));
  await assert.rejects(c.claim({ batchNum: 1, slot: 0 }), isCode('NO_L1'));
});

test('getBatchHeaders verifies every signature against the node domain; a forged or mis-addressed header is NODE_INCONSISTENT', async () => {
  const { privateKeyToAccount } = await import('viem/accounts');
  const { batchHeaderHash, batchHeaderMessage } = await import('../../src/l1/registryActions.ts');
  const seq = privateKeyToAccount(`0x${'42'.repeat(32)}`);
  const header = { newRoot: 11n, exitRoot: 0n, dataCommitment: 5n, newNextIndex: 3, l1Count: 1 };
  const sign = async (batchNum: number, slot: bigint, rollup: `0x${string}` = ROLLUP, chainId = CHAIN_ID) =>
    seq.signMessage({ message: { raw: batchHeaderMessage(BigInt(chainId), rollup, BigInt(batchNum), slot, batchHeaderHash(header)) } });
  const wire = (batchNum: number, slot: bigint, signature: string, over: Record<string, unknown> = {}) => ({
    sequencer: seq.address,
    batchNum,
    slot: hex(slot),
    header: { newRoot: hex(header.newRoot), exitRoot: '0x0', dataCommitment: hex(header.dataCommitment), newNextIndex: 3, l1Count: 1 },
    signature,
    ...over,
  });
  const c = mk();
  const good = wire(4, 9n, await sign(4, 9n));
  node.handlers.set('rampart_getBatchHeaders', () => ({ result: [good] }));
  const got = await c.getBatchHeaders({ fromBatch: 2 });
  assert.equal(got.length, 1);
  assert.equal(got[0]?.slot, 9n);
  assert.deepEqual(got[0]?.header, header);
  assert.deepEqual(node.calls.find((x) => x.method === 'rampart_getBatchHeaders')?.params, [2]);
  for (const bad of [
    wire(4, 10n, await sign(4, 9n)), // signed for another slot
    wire(4, 9n, await sign(4, 9n, '0x00000000000000000000000000000000000000aa')), // another rollup
    wire(4, 9n, await sign(4, 9n, ROLLUP, CHAIN_ID + 1)), // another chain
    wire(4, 9n, await sign(4, 9n), { sequencer: OWNER }), // claimed by someone else
    wire(1, 9n, await sign(1, 9n)), // below fromBatch
  ]) {
    node.handlers.set('rampart_getBatchHeaders', () => ({ result: [bad] }));
    await assert.rejects(c.getBatchHeaders({ fromBatch: 2 }), isCode('NODE_INCONSISTENT'), JSON.stringify(bad).slice(0, 80));
  }
  for (const bad of [wire(4, 9n, '0x12'), wire(0, 9n, await sign(0, 9n)), { ...good, header: { ...good.header, newRoot: 'x' } }]) {
    node.handlers.set('rampart_getBatchHeaders', () => ({ result: [bad] }));
    await assert.rejects(c.getBatchHeaders({ fromBatch: 0 + 1 }), isCode('NODE_INVALID_RESPONSE'));
  }
  await assert.rejects(c.getBatchHeaders({ fromBatch: 0 }), isCode('INVALID_ARGUMENT'));
  node.handlers.delete('rampart_getBatchHeaders');
  await assert.rejects(c.getBatchHeaders({ fromBatch: 1 }));
});

test('getStatus reads the settlement mode and the slot schedule when the node reports them, and checks the slot', async () => {
  const c = mk();
  const sequencing = { registry: ROLLUP, me: OWNER, time: '107', slot: '17', epoch: '8', leader: OWNER, leaderUrl: 'http://127.0.0.1:9/', slotStart: '102', slotEnd: '108', openAt: '105', committer: null, mayCommit: true, isLeader: true, rank: '0' };
  node.handlers.set('rampart_status', () => ({ result: statusResult({ mode: 'optimistic', sequencing }) }));
  const s = await c.getStatus();
  assert.equal(s.mode, 'optimistic');
  assert.deepEqual(s.sequencing, { slot: 17n, epoch: 8n, leader: getAddress(OWNER), leaderUrl: 'http://127.0.0.1:9/', slotStart: 102n, slotEnd: 108n, openAt: 105n, committer: null });
  node.handlers.set('rampart_status', () => ({ result: statusResult({ sequencing: null }) }));
  assert.equal((await c.getStatus()).sequencing, undefined, 'a node without a registry');
  for (const bad of [{ ...sequencing, slotEnd: '101' }, { ...sequencing, openAt: '200' }, { ...sequencing, slot: '-1' }, { ...sequencing, leader: '0x12' }, { mode: 'fast' }]) {
    node.handlers.set('rampart_status', () => ({ result: statusResult('mode' in bad ? bad : { sequencing: bad }) }));
    await assert.rejects(c.getStatus(), isCode('NODE_INVALID_RESPONSE'), JSON.stringify(bad).slice(0, 80));
  }
});
