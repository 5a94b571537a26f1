/**
 * Log scans walk wide block ranges in chunks (public RPCs refuse wide eth_getLogs ranges): queued
 * operations spread over more than two chunks are all found, in order, and nothing twice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Abi, Address } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { LOG_CHUNK_BLOCKS, getQueuedOps } from '../../src/l1/rollupActions.ts';
import { user } from '../support/rollup.ts';

let devnet: Devnet;
let c: L1Clients;
let d: RollupDeployment;
before(async () => {
  devnet = await startDevnet({ accounts: 2 });
  c = await createL1Clients({ url: devnet.url, privateKey: devnet.accounts[0]?.privateKey ?? '0x', chainId: devnet.chainId, retryCount: 0 });
  const me: Address = c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
  d = await deployRollup(c, { verifier: me, sequencer: me, governance: me, treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4 });
});
after(async () => devnet?.stop());

test('queued operations spread over several log chunks are all found, in order, once', async () => {
  const wallet = c.wallet;
  assert.ok(wallet);
  for (let i = 0; i < 3; i++) {
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 1n, user(i).publicKey[0], user(i).publicKey[1]], value: 1n } as never) });
    // Empty blocks between the operations, more than one chunk each.
    await c.public.request({ method: 'hardhat_mine', params: [`0x${(LOG_CHUNK_BLOCKS + 700n).toString(16)}`] } as never);
  }
  const ops = await getQueuedOps(c, d.rollup, d.deployBlock);
  assert.deepEqual(ops.map((o) => o.index), [0, 1, 2]);
  assert.ok((ops[2]?.blockNumber ?? 0n) - (ops[0]?.blockNumber ?? 0n) > 2n * LOG_CHUNK_BLOCKS);
  const head = await c.public.getBlockNumber();
  assert.deepEqual((await getQueuedOps(c, d.rollup, (ops[1]?.blockNumber ?? 0n), head)).map((o) => o.index), [1, 2], 'a range starting mid-way');
});
