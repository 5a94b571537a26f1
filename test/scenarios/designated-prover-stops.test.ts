/**
 * Attack (liveness): the designated prover stops for good while the sequencer keeps committing batches.
 *
 * Devnet with real Groth16 proofs (the `test` circuit). The sequencer attaches a proving reward to each
 * commit and designates the devnet's prover, which proves the first batches and is paid, then goes
 * offline. Batches keep being committed. An independent prover node (its own L1 key, the signed
 * transactions from the sequencer's RPC) waits while the batches are inside their priority window, then
 * proves the whole backlog once it passes and receives exactly the rewards: every ProverRewardPaid
 * event, its L1 balance (gas from the receipts accounted), and the contract holding nothing afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEventLogs, type Abi, type Address, type Hex } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { getProverPriority } from '../../src/l1/rollupActions.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { deployDevnetRollup, type DevnetDeployment } from '../../src/node/devnet-stack.ts';
import { startNode, type RampartNode } from '../../src/node/node.ts';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const WINDOW = 600;
const REWARD = 10n ** 15n;

let devnet: Devnet;
let d: DevnetDeployment;
let reader: L1Clients;
const nodes: RampartNode[] = [];
const { tmp, removeAll } = tempDirs('rampart-prover-stops-');

before(async () => {
  devnet = await startDevnet({ accounts: 6 });
  d = await deployDevnetRollup(devnet, 'test', { proverPriorityWindow: WINDOW });
  reader = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
});
after(async () => {
  for (const n of nodes) await n.stop();
  await devnet?.stop();
  removeAll();
});

type Paid = { args: { batchNum: bigint; prover: Address; amount: bigint }; transactionHash: Hex };
async function rewardsPaid(): Promise<Paid[]> {
  const logs = await reader.public.getLogs({ address: d.rollup, fromBlock: d.deployBlock });
  return parseEventLogs({ abi: rollupAbi as Abi, logs, eventName: 'ProverRewardPaid' }) as unknown as Paid[];
}
const lastProven = async (): Promise<number> => Number((await reader.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'lastProven' })) as bigint);

test('the designated prover stops; an independent prover proves the backlog after the window and is paid', { timeout: 600_000 }, async () => {
  const common = { l1Url: devnet.url, rollup: d.rollup, deployBlock: d.deployBlock, circuit: CIRCUIT_SETS.test, confirmations: 1, pollMs: 50 } as const;
  const seq = await startNode({ ...common, dataDir: tmp(), rpc: { host: '127.0.0.1', port: 0 }, sequencer: { privateKey: d.roles.sequencer.privateKey, mempool: { maxAgeMs: 200 }, proverRewardWei: REWARD } });
  nodes.push(seq);
  const url = seq.rpcUrl ?? '';
  const proverOpts = (privateKey: Hex) => ({ privateKey, wasmPath: d.wasmPath, zkeyPath: d.zkeyPath, threads: 1, sourceRpc: url });
  const designated = await startNode({ ...common, dataDir: tmp(), rpc: false, prover: proverOpts(d.roles.prover.privateKey) });
  nodes.push(designated);

  // Phase 1: deposits; the designated prover proves their batches inside the window and is paid.
  const [ua, ub, indep] = d.users;
  assert.ok(ua !== undefined && ub !== undefined && indep !== undefined);
  for (const [i, u] of [ua, ub].entries()) {
    const c = await createL1Clients({ url: devnet.url, privateKey: u.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 500n, user(i).publicKey[0], user(i).publicKey[1]], value: 500n } as never) });
  }
  await waitFor('accounts', async () => (seq.status().nextIndex === 3 ? true : undefined));
  const firstBatches = seq.status().batchNum;
  assert.ok(firstBatches >= 1);
  await waitFor('the designated prover proved the deposit batches', async () => ((await lastProven()) >= firstBatches ? true : undefined), 300_000, 200);
  const early = await rewardsPaid();
  assert.deepEqual(
    early.map((l) => [Number(l.args.batchNum), l.args.prover, l.args.amount]),
    Array.from({ length: firstBatches }, (_, i) => [i + 1, d.roles.prover.address, REWARD]),
    'each early batch paid its reward to the designated prover',
  );

  // Phase 2: the designated prover goes offline for good; the sequencer keeps committing.
  await designated.stop();
  const domain = domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  for (let n = 0; n < 3; n++) {
    await rpc(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 5n), maxFeeF: floatEncode(FLOAT16, 0n), nonce: n }, domain))]);
    // Separate batches: a backlog of several.
    await waitFor(`transfer ${n} committed`, async () => (seq.state.getAccount(1)?.nonce === n + 1 && seq.status().pending === 0 ? true : undefined));
  }
  const last = seq.status().batchNum;
  assert.ok(last > firstBatches, 'a backlog of unproven batches');
  assert.equal(await reader.public.getBalance({ address: d.rollup }), 1000n + BigInt(last - firstBatches) * REWARD, 'deposits plus the backlog\'s rewards');

  // Phase 3: an independent prover. Inside the window it waits (and would be refused by the contract).
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  const balanceBefore = await reader.public.getBalance({ address: indep.address });
  const independent = await startNode({ ...common, dataDir: tmp(), rpc: false, prover: proverOpts(indep.privateKey), log: (event, fields) => events.push({ event, fields }) });
  nodes.push(independent);
  await waitFor('the independent prover caught up to the last proven batch and waits', async () => (events.some((e) => e.event === 'prover-priority-wait') ? true : undefined), 60_000, 100);
  await independent.settled();
  await independent.settled();
  assert.equal(await lastProven(), firstBatches, 'nothing proven by an outsider inside the window');
  assert.ok(!events.some((e) => e.event === 'proving'), 'the outsider did not even spend a proof on a batch it may not prove');
  const wait = events.find((e) => e.event === 'prover-priority-wait');
  const p = await getProverPriority(reader, d.rollup, BigInt(firstBatches + 1));
  assert.equal(wait?.fields.until, p.until.toString());

  // The window passes (L1 time): the independent prover proves the whole backlog.
  await increaseTime(reader.public, WINDOW);
  await waitFor('the backlog proven', async () => ((await lastProven()) >= last ? true : undefined), 480_000, 200);
  await waitFor('the independent replica caught up', async () => ((independent.status().proverBatchNum ?? 0) >= last ? true : undefined));

  const paid = await rewardsPaid();
  const late = paid.filter((l) => Number(l.args.batchNum) > firstBatches);
  assert.deepEqual(
    late.map((l) => [Number(l.args.batchNum), l.args.prover, l.args.amount]),
    Array.from({ length: last - firstBatches }, (_, i) => [firstBatches + i + 1, indep.address, REWARD]),
    'each backlog batch paid its reward to the independent prover, once',
  );
  // Its L1 balance: exactly the rewards, minus the gas of its proveBatch transactions (from their receipts).
  const logs = await reader.public.getLogs({ address: d.rollup, fromBlock: d.deployBlock });
  const provenBy = (parseEventLogs({ abi: rollupAbi as Abi, logs, eventName: 'BatchProven' }) as unknown as { args: { prover: Address }; transactionHash: Hex }[]).filter(
    (l) => l.args.prover.toLowerCase() === indep.address.toLowerCase(),
  );
  assert.equal(provenBy.length, last - firstBatches);
  let gas = 0n;
  for (const l of provenBy) {
    const r = await reader.public.getTransactionReceipt({ hash: l.transactionHash });
    gas += r.gasUsed * r.effectiveGasPrice;
  }
  const nonce = await reader.public.getTransactionCount({ address: indep.address });
  assert.equal(nonce, provenBy.length, 'the independent prover sent nothing but its proofs');
  assert.equal(await reader.public.getBalance({ address: indep.address }), balanceBefore - gas + BigInt(last - firstBatches) * REWARD);
  assert.equal(await reader.public.getBalance({ address: d.rollup }), 1000n, 'every reward paid out; only the deposits remain');
  assert.equal(independent.status().root, seq.status().root);
});
