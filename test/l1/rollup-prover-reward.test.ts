/**
 * Permissionless proving with a priority window and a reward (docs/PROTOCOL.md §11.2) against the EDR
 * devnet: the sequencer attaches ETH to `commitBatch`; during `proverPriorityWindow` only the batch's
 * committer or the prover it designated may prove; afterwards anyone; the prover is paid exactly the
 * batch's reward (balances checked with gas from the receipts). AcceptingVerifier stands in for Groth16;
 * real proofs: test/scenarios/designated-prover-stops.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, type TransactionReceipt, bytesToHex, parseEventLogs } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime, latestTimestamp, setBalance } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { getProverPriority } from '../../src/l1/rollupActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { acceptingVerifierAbi, acceptingVerifierBytecode } from '../../src/l1/generated/AcceptingVerifier.ts';
import { encodeL1Ops } from '../../src/core/tx.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, type StfConfig } from '../../src/core/stf.ts';
import { zkBatchFromResult } from '../../src/core/batch-commitment.ts';

const DELAYS = { forcedInclusionDelay: 100, selfSequenceDelay: 200, exodusDelay: 400, proverPriorityWindow: 50 };
const GOOD = { a: [1n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;

let devnet: Devnet;
let deployer: L1Clients;
let seq: L1Clients;
let designated: L1Clients;
let alice: L1Clients;
let bob: L1Clients;
let d: RollupDeployment;
let config: StfConfig;
const state = new MemoryState();
let batchNum = 0;

const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

async function write(c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const wallet = c.wallet;
  if (wallet === undefined) throw new Error('no wallet');
  return sendAndWait({
    public: c.public,
    context: functionName,
    send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
}

async function read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
  return (await deployer.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName, args })) as T;
}

async function reverts(p: Promise<unknown>, reason: string, args?: readonly unknown[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ContractRevertedError, `expected a contract revert, got ${String(e)}`);
    assert.equal(e.reason, reason);
    if (args !== undefined) assert.deepEqual(e.args, args);
    return true;
  });
}

/** The next (empty) batch's commitBatch arguments; empty batches keep the state root. */
function nextBatch(): [unknown, Hex, Hex] {
  const r = applyBatch(state, { l1Ops: [], l2Txs: [], feeTable: [] }, config);
  const { batchData, commitment } = zkBatchFromResult({ config, maxL2Txs: 2, result: r, l1Ops: [], feeTable: [], batchNum: BigInt(batchNum + 1), l1Start: 0n });
  return [{ newRoot: r.newRoot, exitRoot: r.exitRoot, dataCommitment: commitment.c, newNextIndex: r.newNextIndex, l1Count: 0 }, bytesToHex(encodeL1Ops([])), bytesToHex(batchData)];
}

async function commit(reward: bigint): Promise<bigint> {
  await write(seq, 'commitBatch', nextBatch(), reward);
  batchNum += 1;
  return BigInt(batchNum);
}

/** Proves `n` as `c`; asserts c's balance moved by exactly `reward` minus the gas it paid, and the event. */
async function proveAndCheckPaid(c: L1Clients, n: bigint, reward: bigint): Promise<void> {
  const who = addr(c);
  const [before, contractBefore] = await Promise.all([c.public.getBalance({ address: who }), c.public.getBalance({ address: d.rollup })]);
  const receipt = await write(c, 'proveBatch', [n, GOOD]);
  const gas = receipt.gasUsed * receipt.effectiveGasPrice;
  assert.equal(await c.public.getBalance({ address: who }), before - gas + reward, 'prover paid exactly the reward');
  assert.equal(await c.public.getBalance({ address: d.rollup }), contractBefore - reward);
  const paid = parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'ProverRewardPaid' }) as unknown as { args: { batchNum: bigint; prover: Address; amount: bigint } }[];
  if (reward === 0n) assert.equal(paid.length, 0, 'no reward, no event');
  else assert.deepEqual(paid.map((l) => l.args), [{ batchNum: n, prover: who, amount: reward }]);
  assert.equal(await read<bigint>('lastProven'), n);
}

before(async () => {
  devnet = await startDevnet({ accounts: 5 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, seq, designated, alice, bob] = await Promise.all([mk(0), mk(1), mk(2), mk(3), mk(4)]);
  const verifier = await deployContract({ clients: deployer, abi: acceptingVerifierAbi as Abi, bytecode: acceptingVerifierBytecode, name: 'AcceptingVerifier' });
  d = await deployRollup(deployer, { verifier: verifier.address, sequencer: addr(seq), governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 2, ...DELAYS });
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxL2Txs: 2, maxFeeTokens: 1 });
});

after(async () => {
  await devnet?.stop();
});

test('the constructor refuses a priority window that is not shorter than the exodus delay; defaults', async () => {
  const base = { verifier: addr(deployer), sequencer: addr(seq), governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 2 };
  // BadConfig("proverPriorityWindow") (constructor reverts reach viem without their data).
  await assert.rejects(deployRollup(deployer, { ...base, ...DELAYS, proverPriorityWindow: 400 }));
  await deployRollup(deployer, { ...base, ...DELAYS, proverPriorityWindow: 399 });
  const dflt = await deployRollup(deployer, base);
  assert.equal(await deployer.public.readContract({ address: dflt.rollup, abi: rollupAbi as Abi, functionName: 'proverPriorityWindow' }), 3600n);
  const short = await deployRollup(deployer, { ...base, forcedInclusionDelay: 10, selfSequenceDelay: 20, exodusDelay: 30 });
  assert.equal(await deployer.public.readContract({ address: short.rollup, abi: rollupAbi as Abi, functionName: 'proverPriorityWindow' }), 15n, 'half a short exodus delay');
  assert.equal(await read<bigint>('proverPriorityWindow'), 50n);
});

test('the reward is attached to commitBatch and stored per batch; only the sequencer may commit', async () => {
  const r = await write(seq, 'setDesignatedProver', [addr(designated)]);
  const set = parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'DesignatedProverSet' }) as unknown as { args: { committer: Address; prover: Address } }[];
  assert.deepEqual(set.map((l) => l.args), [{ committer: addr(seq), prover: addr(designated) }]);
  assert.equal(await read<Address>('designatedProverOf', [addr(seq)]), addr(designated));
  await reverts(write(alice, 'commitBatch', nextBatch(), 5n), 'NotSequencer');
  // More than uint96 of wei cannot be a reward (the struct packs it beside the committer).
  await setBalance(seq.public, addr(seq), 2n ** 97n);
  await reverts(write(seq, 'commitBatch', nextBatch(), 2n ** 96n), 'RewardTooLarge', [2n ** 96n]);
  const n = await commit(1_000n);
  const p = await getProverPriority(deployer, d.rollup, n);
  const committedAt = await latestTimestamp(deployer.public);
  assert.deepEqual(p, { committer: addr(seq), designated: addr(designated), until: committedAt + 50n, reward: 1_000n, proven: false });
  assert.equal(await read<bigint>('priorityUntil', [n]), committedAt + 50n);
  assert.equal(await deployer.public.getBalance({ address: d.rollup }), 1_000n);
});

test('inside the window an outsider is refused with ProverPriority; the designated prover proves and is paid', async () => {
  const n = BigInt(batchNum);
  const until = await read<bigint>('priorityUntil', [n]);
  await reverts(write(alice, 'proveBatch', [n, GOOD]), 'ProverPriority', [n, until]);
  await proveAndCheckPaid(designated, n, 1_000n);
  assert.equal((await getProverPriority(deployer, d.rollup, n)).reward, 0n, 'paid once');
  await reverts(write(designated, 'proveBatch', [n, GOOD]), 'BatchOutOfOrder', [n, n + 1n]);
});

test('the committer itself has priority too, and a reward of 0 pays nothing', async () => {
  const n = await commit(500n);
  await reverts(write(bob, 'proveBatch', [n, GOOD]), 'ProverPriority', [n, await read<bigint>('priorityUntil', [n])]);
  await proveAndCheckPaid(seq, n, 500n);
  const m = await commit(0n);
  await proveAndCheckPaid(designated, m, 0n);
});

test('the designation is read when proving: a replaced prover loses priority at once', async () => {
  const n = await commit(300n);
  await write(seq, 'setDesignatedProver', [addr(alice)]);
  await reverts(write(designated, 'proveBatch', [n, GOOD]), 'ProverPriority', [n, await read<bigint>('priorityUntil', [n])]);
  await proveAndCheckPaid(alice, n, 300n);
  await write(seq, 'setDesignatedProver', [addr(designated)]);
});

test('after the window anyone proves, in order, and takes each batch\'s reward', async () => {
  const a = await commit(700n);
  const b = await commit(900n);
  const untilA = await read<bigint>('priorityUntil', [a]);
  await reverts(write(bob, 'proveBatch', [b, GOOD]), 'BatchOutOfOrder', [b, a]);
  await reverts(write(bob, 'proveBatch', [a, GOOD]), 'ProverPriority', [a, untilA]);
  const now = await latestTimestamp(deployer.public);
  await increaseTime(deployer.public, Number(untilA - now));
  // The window is [committedAt, until): from `until` on, anyone.
  await proveAndCheckPaid(bob, a, 700n);
  await proveAndCheckPaid(bob, b, 900n);
  assert.equal(await deployer.public.getBalance({ address: d.rollup }), 0n, 'every reward paid out, nothing else held');
});

test('self-sequencing proves in the same call: no window, no reward', async () => {
  await increaseTime(deployer.public, DELAYS.selfSequenceDelay + 1);
  const r = await write(bob, 'selfSequenceBatch', [...nextBatch(), GOOD]);
  batchNum += 1;
  const proven = parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'BatchProven' }) as unknown as { args: { batchNum: bigint; prover: Address } }[];
  assert.deepEqual(proven.map((l) => l.args), [{ batchNum: BigInt(batchNum), prover: addr(bob) }]);
  assert.equal(parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'ProverRewardPaid' }).length, 0);
  const p = await getProverPriority(deployer, d.rollup, BigInt(batchNum));
  assert.deepEqual([p.committer, p.reward, p.proven], [addr(bob), 0n, true]);
});

test('in exodus the reward of a never-proven batch goes back to its committer, once', async () => {
  const n = await commit(500n);
  await reverts(write(bob, 'exodusReclaimReward', [n]), 'NotExodus');
  await increaseTime(deployer.public, DELAYS.exodusDelay + 1);
  await write(alice, 'triggerExodus', []);
  await reverts(write(bob, 'exodusReclaimReward', [n - 1n]), 'NothingToReclaim', [n - 1n]);
  await reverts(write(bob, 'exodusReclaimReward', [n + 1n]), 'BatchNotCommitted', [n + 1n]);
  await reverts(write(bob, 'exodusReclaimReward', [0n]), 'BatchNotCommitted', [0n]);
  const before = await seq.public.getBalance({ address: addr(seq) });
  // A third party submits: the committer's balance rises by exactly the reward.
  const r = await write(bob, 'exodusReclaimReward', [n]);
  assert.equal(await seq.public.getBalance({ address: addr(seq) }), before + 500n);
  const ev = parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'ProverRewardReclaimed' }) as unknown as { args: { batchNum: bigint; committer: Address; amount: bigint } }[];
  assert.deepEqual(ev.map((l) => l.args), [{ batchNum: n, committer: addr(seq), amount: 500n }]);
  await reverts(write(bob, 'exodusReclaimReward', [n]), 'NothingToReclaim', [n]);
  assert.equal(await deployer.public.getBalance({ address: d.rollup }), 0n);
});
