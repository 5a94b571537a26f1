/**
 * Roles as separate nodes: a sequencer node without a prover, and two prover-only nodes that take the
 * signed transactions from the sequencer's JSON-RPC (`rampart_getBatchInput`) and coordinate only
 * through L1. Every batch ends proven exactly once on L1; both provers' replicas reach the same root;
 * a source that lies about a batch is refused (its replay does not give L1's roots).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEventLogs, type Abi, type Hex } from 'viem';
import { createL1Clients } from '../../src/l1/createL1Clients.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { deployDevnetRollup, type DevnetDeployment } from '../../src/node/devnet-stack.ts';
import { startNode, type RampartNode } from '../../src/node/node.ts';
import { rpcBatchSource } from '../../src/node/batch-source.ts';
import { ProverService, ProverServiceError } from '../../src/node/prover-service.ts';
import { StateDb } from '../../src/node/state-db.ts';
import { createProver } from '../../src/prover/prover.ts';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { tempDirs } from '../support/temp-dirs.ts';

let devnet: Devnet;
let d: DevnetDeployment;
const nodes: RampartNode[] = [];
const { tmp, removeAll } = tempDirs('rampart-provers-');

before(async () => {
  devnet = await startDevnet({ accounts: 6 });
  d = await deployDevnetRollup(devnet, 'test');
});
after(async () => {
  for (const n of nodes) await n.stop();
  await devnet?.stop();
  removeAll();
});

test('a sequencer node and two prover-only nodes: every batch proven once, through L1 alone', { timeout: 600_000 }, async () => {
  const common = { l1Url: devnet.url, rollup: d.rollup, deployBlock: d.deployBlock, circuit: CIRCUIT_SETS.test, confirmations: 1, pollMs: 50 } as const;
  const seq = await startNode({ ...common, dataDir: tmp(), rpc: { host: '127.0.0.1', port: 0 }, sequencer: { privateKey: d.roles.sequencer.privateKey, mempool: { maxAgeMs: 200 } } });
  nodes.push(seq);
  const url = seq.rpcUrl ?? '';
  const proverKeys = [d.roles.prover.privateKey, d.users[2]?.privateKey ?? '0x'] as const;
  for (const key of proverKeys) {
    nodes.push(await startNode({ ...common, dataDir: tmp(), rpc: false, prover: { privateKey: key as Hex, wasmPath: d.wasmPath, zkeyPath: d.zkeyPath, threads: 1, sourceRpc: url } }));
  }
  const [ua, ub] = d.users;
  assert.ok(ua !== undefined && ub !== undefined);
  for (const [i, u] of [ua, ub].entries()) {
    const c = await createL1Clients({ url: devnet.url, privateKey: u.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 500n, user(i).publicKey[0], user(i).publicKey[1]], value: 500n } as never) });
  }
  await waitFor('accounts', async () => (seq.status().nextIndex === 3 ? true : undefined));
  const domain = domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  for (let n = 0; n < 3; n++) {
    await rpc(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 5n), maxFeeF: floatEncode(FLOAT16, 0n), nonce: n }, domain))]);
  }
  await waitFor('all sent transactions committed', async () => (seq.status().pending === 0 && seq.state.getAccount(1)?.nonce === 3 ? true : undefined));
  const last = seq.status().batchNum;
  await waitFor('everything proven', async () => (seq.status().lastFinal >= last ? true : undefined), 480_000, 200);
  const [p1, p2] = [nodes[1], nodes[2]];
  assert.ok(p1 !== undefined && p2 !== undefined);
  await waitFor('both replicas caught up', async () => ((p1.status().proverBatchNum ?? 0) >= last && (p2.status().proverBatchNum ?? 0) >= last ? true : undefined));

  const c = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, retryCount: 0 });
  const logs = await c.public.getLogs({ address: d.rollup, fromBlock: d.deployBlock });
  const proven = parseEventLogs({ abi: rollupAbi as Abi, logs, eventName: 'BatchProven' }) as unknown as { args: { batchNum: bigint; prover: Hex } }[];
  const nums = proven.map((l) => Number(l.args.batchNum));
  assert.deepEqual(nums, Array.from({ length: last }, (_, i) => i + 1), 'each batch proven exactly once, in order');
  const by = new Set(proven.map((l) => l.args.prover.toLowerCase()));
  assert.ok(by.size >= 1);
  assert.equal(p1.status().root, seq.status().root);

  // A source that lies: the replayed batch does not reproduce L1's roots, so nothing is proven or applied.
  const honest = rpcBatchSource(url);
  const liar = { getBatch: async (n: number) => {
    const rec = await honest.getBatch(n);
    return rec === undefined ? undefined : { ...rec, txs: rec.txs.slice(1) };
  } };
  const replica = StateDb.open({ path: tmp(), treeDepth: seq.config.treeDepth });
  const prover = await createProver({ wasmPath: d.wasmPath, zkeyPath: d.zkeyPath, threads: 1 });
  try {
    const l1 = await createL1Clients({ url: devnet.url, privateKey: d.roles.prover.privateKey, chainId: devnet.chainId, retryCount: 0 });
    const svc = new ProverService({ l1, rollup: d.rollup, deployBlock: d.deployBlock, replica, source: liar, prover, params: CIRCUIT_SETS.test, config: seq.config });
    // Batches 1-2 are deposits (no L2 txs to drop): they replay; the first transfer batch is refused.
    let step;
    for (;;) {
      try {
        step = await svc.step();
      } catch (e) {
        assert.ok(e instanceof ProverServiceError && e.code === 'PROVER_INPUT_MISMATCH', String(e));
        break;
      }
      assert.notEqual(step.kind, 'idle', 'the lie must be caught before the end');
    }
    assert.ok(replica.batchNum < last);
  } finally {
    await prover.close();
    await replica.close();
  }
});
