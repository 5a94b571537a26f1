/**
 * The sequencer against a real devnet: deposits become batch 1, signed transfers batch 2, both
 * committed on L1; a node that restarts with an empty database (a crash between commit and apply, or
 * a fresh machine) syncs to the same root from L1 alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Abi, Address } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { StateDb } from '../../src/node/state-db.ts';
import { Mempool, defaultMempoolOptions } from '../../src/node/mempool.ts';
import { Sequencer } from '../../src/node/sequencer.ts';
import { createStfConfig, eddsaVerifier, type StfConfig } from '../../src/core/stf.ts';
import { domainHash, l2TxMessage } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { tempDirs } from '../support/temp-dirs.ts';

let devnet: Devnet;
let seqL1: L1Clients;
let users: L1Clients[];
let d: RollupDeployment;
let config: StfConfig;
const { tmp, removeAll } = tempDirs('rampart-seq-');

before(async () => {
  devnet = await startDevnet({ accounts: 4 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const [deployer, s, a, b] = await Promise.all([mk(0), mk(1), mk(2), mk(3)]);
  seqL1 = s;
  users = [a, b];
  const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
  d = await deployRollup(deployer, { verifier: addr(deployer), sequencer: addr(s), governance: addr(deployer), treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4 });
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxL2Txs: 4, maxFeeTokens: 1 });
});
after(async () => {
  await devnet?.stop();
  removeAll();
});

test('deposits and signed transfers become committed batches; a fresh node syncs to the same root', async () => {
  for (const [i, c] of users.entries()) {
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 1000n, user(i).publicKey[0], user(i).publicKey[1]], value: 1000n } as never) });
  }
  const state = StateDb.open({ path: tmp(), treeDepth: 32 });
  const mempool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  const seq = new Sequencer({ l1: seqL1, rollup: d.rollup, deployBlock: d.deployBlock, state, mempool, config, feeTable: () => [] });
  const b1 = await seq.step();
  assert.equal(b1?.batchNum, 1);
  assert.equal(state.nextIndex, 3);
  assert.equal(await seq.step(), undefined, 'idle: nothing queued, nothing pending');

  const domain = domainHash(config.domain);
  const maxFeeF = floatEncode(FLOAT16, 0n);
  for (const tx of [
    signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 100n), maxFeeF, nonce: 0 }, domain),
    signTx(user(1), { kind: 'transfer', from: 2, to: 1, amountF: floatEncode(FLOAT32, 7n), maxFeeF, nonce: 0 }, domain),
    signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: floatEncode(FLOAT32, 50n), maxFeeF, nonce: 1 }, domain),
  ]) {
    const key = state.getAccount(tx.from)?.publicKey;
    assert.ok(key);
    mempool.add(tx, eddsaVerifier(l2TxMessage(tx, domain), tx.signature, key), state, config, []);
  }
  const b2 = await seq.step(true);
  assert.equal(b2?.result.included.length, 3);
  assert.equal(mempool.size, 0);
  assert.equal(state.getAccount(1)?.balance, 907n);
  assert.equal(state.getAccount(2)?.balance, 1043n);
  const onChain = (await seqL1.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'batches', args: [2n] })) as readonly unknown[];
  assert.equal(onChain[1], state.root());

  // A node that lost its database (or a new machine) rebuilds from L1 alone.
  const fresh = StateDb.open({ path: tmp(), treeDepth: 32 });
  const reader = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const replica = new Sequencer({ l1: reader, rollup: d.rollup, deployBlock: d.deployBlock, state: fresh, mempool: new Mempool(defaultMempoolOptions, { now: () => 0 }), config, feeTable: () => [] });
  assert.equal(await replica.sync(), 2);
  assert.equal(fresh.root(), state.root());
  assert.equal(await replica.sync(), 0, 'sync is idempotent');
  await state.close();
  await fresh.close();
});
