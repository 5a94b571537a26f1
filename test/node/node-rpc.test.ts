/**
 * Bad input against a real node (startNode: LMDB state, mempool, batcher on a devnet L1): malformed
 * requests, bad signatures, replays of included transactions, unknown accounts, oversized payloads
 * and out-of-range values get clear JSON-RPC errors and change nothing (root, nonces, pending pool);
 * valid traffic around them is committed normally; exit proofs and transaction status come from the
 * node's records; a follower refuses transactions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Abi, Address, Hex } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime, mine } from '../../src/l1/devnetActions.ts';
import { triggerExodus } from '../../src/l1/rollupActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { startNode, type RampartNode } from '../../src/node/node.ts';
import { domainHash, type L2TxBody } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { signTx, user } from '../support/rollup.ts';
import { RpcCallError, rpc, txJson, waitFor } from '../support/rpc.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const CIRCUIT = { levels: 16, exitLevels: 8, maxL1Ops: 2, maxL2Txs: 4, maxFeeTokens: 1 };
let devnet: Devnet;
let d: RollupDeployment;
let node: RampartNode;
let url: string;
let domain: bigint;
const { tmp, removeAll } = tempDirs('rampart-node-rpc-');

before(async () => {
  devnet = await startDevnet({ accounts: 4 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const [deployer, seq, a, b] = await Promise.all([mk(0), mk(1), mk(2), mk(3)]);
  const addr = (c: typeof deployer): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
  d = await deployRollup(deployer, { verifier: addr(deployer), sequencer: addr(seq), governance: addr(deployer), treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4 });
  for (const [i, c] of [a, b].entries()) {
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 1000n, user(i).publicKey[0], user(i).publicKey[1]], value: 1000n } as never) });
  }
  node = await startNode({
    l1Url: devnet.url,
    rollup: d.rollup,
    deployBlock: d.deployBlock,
    circuit: CIRCUIT,
    dataDir: tmp(),
    confirmations: 1,
    pollMs: 50,
    rpc: { host: '127.0.0.1', port: 0 },
    // Sealing on two threads here, so the node's path through ParallelSealer runs end to end.
    sequencer: { privateKey: devnet.accounts[1]?.privateKey ?? '0x', mempool: { maxAgeMs: 200 }, parallelSeal: true },
  });
  url = node.rpcUrl ?? '';
  domain = domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  await waitFor('deposits applied', async () => (node.status().nextIndex === 3 ? true : undefined));
});
after(async () => {
  await node?.stop();
  await devnet?.stop();
  removeAll();
});

const body = (over: Partial<L2TxBody> = {}): L2TxBody => ({ kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 10n), maxFeeF: floatEncode(FLOAT16, 0n), nonce: 0, ...over });
const refused = async (method: string, params: unknown[], code: number, data?: Record<string, unknown>): Promise<void> => {
  await assert.rejects(rpc(url, method, params), (e: unknown) => {
    assert.ok(e instanceof RpcCallError, String(e));
    assert.equal(e.code, code, `${method} ${JSON.stringify(params).slice(0, 100)}: ${e.message}`);
    for (const [k, v] of Object.entries(data ?? {})) assert.equal((e.data as Record<string, unknown>)[k], v, e.message);
    return true;
  });
};

test('bad transactions get typed errors and change nothing; good ones around them are committed', async () => {
  const before = node.status();
  // Signed by the wrong key, for another rollup, with a wrong nonce, from a missing account, overspending.
  await refused('rampart_sendTransaction', [txJson(signTx(user(1), body(), domain))], -32003, { reason: 'bad-signature' });
  await refused('rampart_sendTransaction', [txJson(signTx(user(0), body(), domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: 0x1234n })))], -32003, { reason: 'bad-signature' });
  await refused('rampart_sendTransaction', [txJson(signTx(user(0), body({ nonce: 3 }), domain))], -32003, { reason: 'bad-nonce' });
  await refused('rampart_sendTransaction', [txJson(signTx(user(0), body({ from: 9 }), domain))], -32003);
  await refused('rampart_sendTransaction', [txJson(signTx(user(0), body({ amountF: floatEncode(FLOAT32, 5000n) }), domain))], -32003, { reason: 'insufficient-balance' });
  // A signature over one body attached to another (amount raised): the message no longer matches.
  const signed = signTx(user(0), body(), domain);
  await refused('rampart_sendTransaction', [{ ...txJson(signed), amountF: floatEncode(FLOAT32, 11n) }], -32003, { reason: 'bad-signature' });
  // Malformed values never reach the mempool.
  const good = txJson(signed);
  for (const bad of [{ ...good, nonce: -1 }, { ...good, to: 0 }, { ...good, signature: { r8: [`0x${FR_MODULUS.toString(16)}`, '0x1'], s: '0x1' } }, { ...good, kind: 'mint' }, { ...good, extra: true }]) {
    await refused('rampart_sendTransaction', [bad], -32602);
  }
  await refused('rampart_getExitProof', [1, -1], -32602);
  await refused('rampart_findAccounts', [{}], -32602);
  await refused('rampart_findAccounts', [{ l1Address: '0x12' }], -32602);
  await refused('rampart_nope', [], -32601);
  const huge = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'rampart_status', params: ['x'.repeat(2 << 20)] }) }).catch(() => undefined);
  assert.ok(huge === undefined || huge.status === 413, 'an oversized body is refused');
  const after = node.status();
  assert.equal(after.root, before.root);
  assert.equal(after.pending, 0, 'nothing bad entered the pool');
  assert.equal(after.batchNum, before.batchNum);

  // The good transaction, a replay of it once included, and a withdraw with its exit proof.
  const h = await rpc<Hex>(url, 'rampart_sendTransaction', [good]);
  await refused('rampart_sendTransaction', [good], -32000, { code: 'MEMPOOL_DUPLICATE' });
  const w = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(1), body({ kind: 'withdraw', from: 2, to: 0, amountF: floatEncode(FLOAT32, 7n) }), domain))]);
  const tw = await waitFor('committed', async () => {
    const t = await rpc<{ status: string; batchNum: number; exitSlot: number } | null>(url, 'rampart_getTransaction', [w]);
    return t?.status === 'committed' ? t : undefined;
  });
  assert.equal((await rpc<{ status: string }>(url, 'rampart_getTransaction', [h])).status, 'committed', 'not final: this rollup has no prover');
  await refused('rampart_sendTransaction', [good], -32003, { reason: 'bad-nonce' });
  const inBatch = await rpc<{ txs: Hex[] }>(url, 'rampart_getBatch', [tw.batchNum]);
  assert.equal(tw.exitSlot, CIRCUIT.maxL1Ops + inBatch.txs.indexOf(w), 'exit slot = maxL1Ops + position in the batch');
  const proof = await rpc<{ amount: Hex; siblings: Hex[]; final: boolean }>(url, 'rampart_getExitProof', [tw.batchNum, tw.exitSlot]);
  assert.equal(BigInt(proof.amount), 7n);
  assert.equal(proof.siblings.length, 3 * CIRCUIT.exitLevels);
  assert.equal(proof.final, false);
  assert.equal(await rpc(url, 'rampart_getExitProof', [tw.batchNum, 0]), null, 'no exit there');
  assert.equal(await rpc(url, 'rampart_getTransaction', [`0x${'ab'.repeat(32)}`]), null);
  const batch = await rpc<{ txs: Hex[]; status: string }>(url, 'rampart_getBatch', [tw.batchNum]);
  assert.ok(batch.txs.includes(w) && batch.status === 'committed');
  assert.deepEqual(await rpc<number[]>(url, 'rampart_findAccounts', [{ publicKey: [`0x${user(1).publicKey[0].toString(16)}`, `0x${user(1).publicKey[1].toString(16)}`] }]), [2]);
});

test('a follower (no sequencer key) refuses transactions with NOT_SEQUENCER and serves the same state', async () => {
  const follower = await startNode({ l1Url: devnet.url, rollup: d.rollup, deployBlock: d.deployBlock, circuit: CIRCUIT, dataDir: tmp(), confirmations: 1, pollMs: 50, rpc: { host: '127.0.0.1', port: 0 } });
  try {
    await waitFor('follower synced', async () => (follower.status().batchNum === node.status().batchNum ? true : undefined));
    assert.equal(follower.status().root, node.status().root);
    await assert.rejects(rpc(follower.rpcUrl ?? '', 'rampart_sendTransaction', [txJson(signTx(user(0), body({ nonce: 1 }), domain))]), (e: unknown) => e instanceof RpcCallError && (e.data as { code?: string }).code === 'NOT_SEQUENCER');
  } finally {
    await follower.stop();
  }
});

test('exodus: once triggered on L1 the node stops sequencing and refuses transactions with EXODUS', async () => {
  const c = await createL1Clients({ url: devnet.url, privateKey: devnet.accounts[2]?.privateKey ?? '0x', chainId: devnet.chainId, retryCount: 0 });
  // No prover here, so committed batches stay unproven: after exodusDelay anyone may trigger exodus.
  await increaseTime(c.public, 8 * 24 * 3600);
  await mine(c.public);
  await triggerExodus(c, d.rollup);
  await waitFor('node saw exodus', async () => (node.status().exodus ? true : undefined));
  await refused('rampart_sendTransaction', [txJson(signTx(user(0), body({ nonce: 1 }), domain))], -32000, { code: 'EXODUS' });
  const at = node.status().batchNum;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(node.status().batchNum, at, 'nothing more is sequenced');
});
