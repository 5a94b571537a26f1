/**
 * The batcher and L1 reorgs, on a real devnet:
 * - with mining paused, a commit that is not included gets re-signed with the same nonce and higher
 *   fees; once a block is mined exactly one of the attempts is in it and the batch is applied once;
 * - an L1 reorg (evm_revert to a snapshot) that removes a committed batch rolls it back locally, its
 *   transactions return to the pool and are committed again — each applied exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Abi, Address, Hex } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { Batcher, BatcherError, defaultBatcherOptions } from '../../src/node/batcher.ts';
import { Mempool, defaultMempoolOptions } from '../../src/node/mempool.ts';
import { Sequencer } from '../../src/node/sequencer.ts';
import { StateDb } from '../../src/node/state-db.ts';
import { createStfConfig, type StfConfig } from '../../src/core/stf.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { tempDirs } from '../support/temp-dirs.ts';

let devnet: Devnet;
let seqL1: L1Clients;
let users: L1Clients[];
let d: RollupDeployment;
let config: StfConfig;
const { tmp, removeAll } = tempDirs('rampart-batcher-');
const raw = (method: string, params: unknown[] = []): Promise<unknown> => seqL1.public.request({ method, params } as never);

before(async () => {
  devnet = await startDevnet({ accounts: 4 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const [deployer, s, a, b] = await Promise.all([mk(0), mk(1), mk(2), mk(3)]);
  seqL1 = s;
  users = [a, b];
  const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
  d = await deployRollup(deployer, { verifier: addr(deployer), sequencer: addr(s), governance: addr(deployer), treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4 });
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxL2Txs: 4, maxFeeTokens: 1 });
  for (const [i, c] of users.entries()) {
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 1000n, user(i).publicKey[0], user(i).publicKey[1]], value: 1000n } as never) });
  }
});
after(async () => {
  await devnet?.stop();
  removeAll();
});

function sequencerOn(state: StateDb, mempool: Mempool, bumpAfterMs: number): Sequencer {
  const batcher = new Batcher(seqL1, d.rollup, state, { ...defaultBatcherOptions, bumpAfterMs, pollMs: 25 });
  return new Sequencer({ l1: seqL1, rollup: d.rollup, deployBlock: d.deployBlock, state, mempool, config, batcher, feeTable: () => [] });
}

const transfer = (from: 0 | 1, nonce: number, amount: bigint) =>
  signTx(user(from), { kind: 'transfer', from: from + 1, to: 2 - from, amountF: floatEncode(FLOAT32, amount), maxFeeF: floatEncode(FLOAT16, 0n), nonce }, domainHash(config.domain));

test('batcher: an unmined commit is re-sent with the same nonce and higher fees; exactly one lands', async () => {
  const state = StateDb.open({ path: tmp(), treeDepth: 32 });
  const mempool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  const seq = sequencerOn(state, mempool, 300);
  assert.equal((await seq.step())?.batchNum, 1, 'deposits committed');
  const from = seqL1.wallet?.account.address;
  assert.ok(from !== undefined);
  const nonceBefore = await seqL1.public.getTransactionCount({ address: from });

  mempool.add(transfer(0, 0, 10n), true, state, config, []);
  await raw('evm_setAutomine', [false]);
  try {
    const stepping = seq.step(true);
    // Wait until the batcher has re-signed at least twice (three attempts), then mine one block.
    for (let i = 0; i < 400 && (state.getIntent()?.attempts.length ?? 0) < 3; i++) await new Promise((r) => setTimeout(r, 25));
    const intent = state.getIntent();
    assert.ok(intent !== undefined && intent.attempts.length >= 3, 'fee bumps recorded in the intent');
    const fees = intent.attempts.map((a) => BigInt(a.maxFeePerGas));
    for (let i = 1; i < fees.length; i++) assert.ok((fees[i] ?? 0n) * 100n >= (fees[i - 1] ?? 0n) * 110n, 'each attempt offers >= 10% more');
    await raw('evm_mine');
    const b = await stepping;
    assert.equal(b?.batchNum, 2);
    assert.ok(intent.attempts.some((a) => a.hash === b?.record.commitTx), 'the included transaction is one of the attempts');
  } finally {
    await raw('evm_setAutomine', [true]);
  }
  assert.equal(await seqL1.public.getTransactionCount({ address: from }), nonceBefore + 1, 'one nonce used: only one attempt landed');
  assert.equal(state.getIntent(), undefined);
  assert.equal(state.getAccount(1)?.nonce, 1);
  await state.close();
});

test('batcher: options are validated and a missing key is a typed error', async () => {
  const state = undefined as unknown as StateDb;
  const reader = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, retryCount: 0 });
  const keyless = new Batcher(reader, d.rollup, state, defaultBatcherOptions);
  await assert.rejects(keyless.commit({} as never, {} as never), (e: unknown) => e instanceof BatcherError && e.code === 'BATCHER_NO_KEY');
  assert.throws(() => new Batcher(seqL1, d.rollup, state, { ...defaultBatcherOptions, bumpPercent: 5 }), BatcherError);
  assert.throws(() => new Batcher(seqL1, d.rollup, state, { ...defaultBatcherOptions, confirmations: 0 }), BatcherError);
  assert.throws(() => new Batcher(seqL1, d.rollup, state, { ...defaultBatcherOptions, pollMs: 0 }), BatcherError);
});

test('an L1 reorg that removes a committed batch rolls it back; its transactions are committed again, once', async () => {
  const state = StateDb.open({ path: tmp(), treeDepth: 32 });
  const mempool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  const seq = sequencerOn(state, mempool, 30_000);
  await seq.sync();
  const base = state.batchNum;
  const startNonce = state.getAccount(2)?.nonce ?? 0;
  const snapshot = (await raw('evm_snapshot')) as Hex;
  mempool.add(transfer(1, startNonce, 5n), true, state, config, []);
  const b = await seq.step(true);
  assert.equal(b?.batchNum, base + 1);
  const goneHash = b?.record.commitBlockHash;
  const balanceAfter = state.getAccount(1)?.balance;

  // The reorg: L1 drops the block with the commit and grows a different chain.
  assert.equal(await raw('evm_revert', [snapshot]), true);
  await raw('evm_mine');
  await raw('evm_mine');
  const removed: number[] = [];
  const seq2 = new Sequencer({ l1: seqL1, rollup: d.rollup, deployBlock: d.deployBlock, state, mempool, config, feeTable: () => [], onReorg: (r) => removed.push(...r.map((x) => x.batchNum)) });
  await seq2.sync();
  assert.deepEqual(removed, [base + 1], 'the reorged batch was rolled back');
  assert.equal(state.batchNum, base);
  assert.equal(state.getAccount(2)?.nonce, startNonce, 'its effects are undone');
  assert.equal(mempool.size, 1, 'its transaction is pending again');

  const again = await seq2.step(true);
  assert.equal(again?.batchNum, base + 1);
  assert.notEqual(again?.record.commitBlockHash, goneHash);
  assert.equal(state.getAccount(2)?.nonce, startNonce + 1, 'applied exactly once');
  assert.equal(state.getAccount(1)?.balance, balanceAfter);
  await seq2.sync();
  assert.equal(state.batchNum, base + 1);
  await state.close();
});
