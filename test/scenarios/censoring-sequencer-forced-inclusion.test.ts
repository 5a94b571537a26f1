/**
 * Attack: a censoring sequencer ignores one user's L2 transactions (it never admits them to its
 * mempool) while serving everyone else. Defence (docs/PROTOCOL.md §11.1): the user queues the same
 * transfer on L1 with `forceTransfer`; once the item is older than `forcedInclusionDelay`, the contract
 * rejects any batch that has room for it but leaves it out (`L1OpOverdue(queueIndex)`), so the next
 * batch the sequencer can land includes it — and the STF applies it (§5.1). Driven with the real
 * Sequencer (StateDb, Mempool, batcher) on the EDR devnet; the censoring commit is built by hand.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Abi, type Address, bytesToHex } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { commitBatch } from '../../src/l1/rollupActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { StateDb } from '../../src/node/state-db.ts';
import { Mempool, defaultMempoolOptions } from '../../src/node/mempool.ts';
import { Sequencer } from '../../src/node/sequencer.ts';
import { applyBatch, createStfConfig, eddsaVerifier, type StfConfig } from '../../src/core/stf.ts';
import { zkBatchFromResult } from '../../src/core/batch-commitment.ts';
import { domainHash, encodeL1Ops, l2TxMessage, type L2Tx } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';

const FORCED_INCLUSION = 60;
let devnet: Devnet;
let seqL1: L1Clients;
let alice: L1Clients;
let bob: L1Clients;
let d: RollupDeployment;
let config: StfConfig;
let dir: string;

const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
async function send(c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = c.wallet;
  assert.ok(wallet);
  return sendAndWait({ public: c.public, context: functionName, send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName, args, ...(value === undefined ? {} : { value }) } as never) });
}

before(async () => {
  devnet = await startDevnet({ accounts: 4 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const [deployer, s, a, b] = await Promise.all([mk(0), mk(1), mk(2), mk(3)]);
  seqL1 = s;
  alice = a;
  bob = b;
  d = await deployRollup(deployer, {
    verifier: addr(deployer),
    sequencer: addr(s),
    governance: addr(deployer),
    treeDepth: 32,
    exitTreeDepth: 16,
    maxL1Ops: 2,
    maxFeeTokens: 1,
    maxL2Txs: 4,
    forcedInclusionDelay: FORCED_INCLUSION,
    selfSequenceDelay: 10 * FORCED_INCLUSION,
    exodusDelay: 100 * FORCED_INCLUSION,
  });
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxL2Txs: 4, maxFeeTokens: 1 });
  dir = mkdtempSync(join(tmpdir(), 'rampart-censor-'));
});
after(async () => {
  await devnet?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('a censored user force-includes a transfer through L1; a batch skipping it reverts; the next batch includes it', async () => {
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  const state = StateDb.open({ path: dir, treeDepth: 32 });
  const mempool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  const seq = new Sequencer({ l1: seqL1, rollup: d.rollup, deployBlock: d.deployBlock, state, mempool, config, feeTable: () => [] });
  try {
    assert.equal((await seq.step())?.batchNum, 1);
    const domain = domainHash(config.domain);
    const maxFeeF = floatEncode(FLOAT16, 0n);
    const admit = (tx: L2Tx): void => {
      const key = state.getAccount(tx.from)?.publicKey;
      assert.ok(key);
      mempool.add(tx, eddsaVerifier(l2TxMessage(tx, domain), tx.signature, key), state, config, []);
    };

    // The censor drops alice's transaction at the door and keeps serving bob.
    admit(signTx(user(1), { kind: 'transfer', from: 2, to: 1, amountF: floatEncode(FLOAT32, 5n), maxFeeF, nonce: 0 }, domain));
    const b2 = await seq.step(true);
    assert.equal(b2?.result.included.length, 1);
    assert.equal(state.getAccount(1)?.nonce, 0, 'alice’s transfer was censored');

    // Alice forces the transfer through the L1 queue (queue index 2).
    await send(alice, 'forceTransfer', [1, 2, 100n]);
    const bobTx = signTx(user(1), { kind: 'transfer', from: 2, to: 1, amountF: floatEncode(FLOAT32, 7n), maxFeeF, nonce: 1 }, domain);
    const censoring = () => {
      // What a censor would post: bob's transaction, no L1 ops.
      const r = applyBatch(state, { l1Ops: [], l2Txs: [bobTx], feeTable: [] }, config);
      const { batchData, commitment } = zkBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result: r, l1Ops: [], feeTable: [], batchNum: BigInt(state.batchNum + 1), l1Start: 2n });
      return commitBatch(seqL1, d.rollup, { newRoot: r.newRoot, exitRoot: r.exitRoot, dataCommitment: commitment.c, newNextIndex: r.newNextIndex, l1Count: 0 }, bytesToHex(encodeL1Ops([])), bytesToHex(batchData));
    };
    // Once the item is overdue, leaving it out is rejected by L1 with the queue index.
    await increaseTime(seqL1.public, FORCED_INCLUSION + 1);
    await assert.rejects(censoring(), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'L1OpOverdue' && e.args[0] === 2n);
    assert.equal((await seqL1.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'lastCommitted' })) as bigint, 2n);

    // The next batch the sequencer can land includes it, and the STF applies it.
    admit(bobTx);
    const b3 = await seq.step(true);
    assert.equal(b3?.batchNum, 3);
    assert.deepEqual(b3.l1Ops.map((o) => o.kind), ['forceTransfer']);
    assert.deepEqual(b3.result.l1Receipts.map((r) => r.status), ['applied']);
    assert.equal(state.getAccount(1)?.balance, 1000n + 5n - 100n + 7n);
    assert.equal(state.getAccount(2)?.balance, 500n - 5n + 100n - 7n);
    const onChain = (await seqL1.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'batches', args: [3n] })) as readonly unknown[];
    assert.equal(onChain[1], state.root());
    assert.equal((await seqL1.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'l1Consumed' })) as bigint, 3n);
  } finally {
    await state.close();
  }
});
