/**
 * The rollup's escape hatches against the EDR devnet (docs/PROTOCOL.md §11.1): forced inclusion,
 * self-sequencing (commit + proof in one call), exodus (trigger rule, account exits against the last
 * final root, refunds of queue items no final batch consumed), and every new revert path. A verifier
 * that accepts any proof with a[0] ≠ 0 stands in for Groth16 so batches built by the TypeScript STF can
 * be finalised here; real proofs are exercised in test/scenarios/all-sequencers-offline-exodus.test.ts.
 * Ends with the invariant: everything locked was paid out exactly once (totalLocked 0, balances 0).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, bytesToHex, hexToBytes, parseEventLogs } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { deployTestToken } from '../../src/l1/deployTestToken.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { exodusRefund, exodusWithdraw, getEscapeHatchStatus, triggerExodus, withdraw } from '../../src/l1/rollupActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import { acceptingVerifierAbi, acceptingVerifierBytecode } from '../../src/l1/generated/AcceptingVerifier.ts';
import { decodeL1Op, encodeL1Ops, type L1Op, type L2Tx } from '../../src/core/tx.ts';
import { MemoryState, type StateChanges } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, type FeeEntry, type StfConfig } from '../../src/core/stf.ts';
import { zkBatchFromResult } from '../../src/core/batch-commitment.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { buildExodusView, exodusAccountProof } from '../../src/node/exodus.ts';
import { signTx, user } from '../support/rollup.ts';

const MAX_L2 = 4;
// No prover priority window here: any account proves (the window has its own tests, rollup-prover-reward).
const DELAYS = { forcedInclusionDelay: 100, selfSequenceDelay: 200, exodusDelay: 400, proverPriorityWindow: 0 };
const GOOD = { a: [1n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;
const BAD = { a: [0n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;

let devnet: Devnet;
let deployer: L1Clients;
let seq: L1Clients;
let alice: L1Clients;
let bob: L1Clients;
let carol: L1Clients;
let dave: L1Clients;
let d: RollupDeployment;
let token: Address;
let config: StfConfig;
const state = new MemoryState();
/** Every queued op in queue order, as announced by L1OpQueued. */
const queued: { op: L1Op; hex: Hex }[] = [];
const deposited: [bigint, bigint] = [0n, 0n];
let consumed = 0;
let batchNum = 0;

const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

async function write(c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint, address?: Address, abi: Abi = rollupAbi as Abi) {
  const wallet = c.wallet;
  if (wallet === undefined) throw new Error('no wallet');
  const receipt = await sendAndWait({
    public: c.public,
    context: functionName,
    send: () => wallet.writeContract({ address: address ?? d.rollup, abi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
  if ((address ?? d.rollup) === d.rollup) {
    for (const l of parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'L1OpQueued' }) as unknown as { args: { op: Hex } }[]) {
      queued.push({ op: decodeL1Op(hexToBytes(l.args.op)), hex: l.args.op });
    }
  }
  return receipt;
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

type Built = { args: [unknown, Hex, Hex]; changes: StateChanges; l1Count: number };

/** The next batch over queue items [consumed, consumed + l1Count) and `txs`, not yet applied. */
function build(l1Count: number, txs: L2Tx[] = [], feeTable: FeeEntry[] = []): Built {
  const l1Ops = queued.slice(consumed, consumed + l1Count).map((q) => q.op);
  const r = applyBatch(state, { l1Ops, l2Txs: txs, feeTable }, config);
  assert.equal(r.included.length, txs.length, 'every L2 tx applies');
  const { batchData, commitment } = zkBatchFromResult({ config, maxL2Txs: MAX_L2, result: r, l1Ops, feeTable, batchNum: BigInt(batchNum + 1), l1Start: BigInt(consumed) });
  const header = { newRoot: r.newRoot, exitRoot: r.exitRoot, dataCommitment: commitment.c, newNextIndex: r.newNextIndex, l1Count };
  return { args: [header, bytesToHex(encodeL1Ops(l1Ops)), bytesToHex(batchData)], changes: r.changes, l1Count };
}

function applied(b: Built): void {
  state.apply(b.changes);
  consumed += b.l1Count;
  batchNum += 1;
}

async function commit(b: Built): Promise<void> {
  await write(seq, 'commitBatch', b.args);
  applied(b);
}

before(async () => {
  devnet = await startDevnet({ accounts: 6 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, seq, alice, bob, carol, dave] = await Promise.all([mk(0), mk(1), mk(2), mk(3), mk(4), mk(5)]);
  const verifier = await deployContract({ clients: deployer, abi: acceptingVerifierAbi as Abi, bytecode: acceptingVerifierBytecode, name: 'AcceptingVerifier' });
  d = await deployRollup(deployer, { verifier: verifier.address, sequencer: addr(seq), governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: MAX_L2, ...DELAYS });
  token = (await deployTestToken(deployer)).address;
  await write(deployer, 'registerToken', [token]);
  await write(carol, 'mint', [addr(carol), 10_000n], undefined, token, testTokenAbi as Abi);
  await write(carol, 'approve', [d.rollup, 10_000n], undefined, token, testTokenAbi as Abi);
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxL2Txs: MAX_L2, maxFeeTokens: 1 });
});

after(async () => {
  await devnet?.stop();
});

test('the constructor refuses delays out of order', async () => {
  const base = { verifier: addr(deployer), sequencer: addr(seq), governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4 };
  await assert.rejects(deployRollup(deployer, { ...base, forcedInclusionDelay: 0 }));
  await assert.rejects(deployRollup(deployer, { ...base, forcedInclusionDelay: 10, selfSequenceDelay: 5, exodusDelay: 20 }));
  await assert.rejects(deployRollup(deployer, { ...base, forcedInclusionDelay: 10, selfSequenceDelay: 20, exodusDelay: 15 }));
  assert.equal(await read<bigint>('forcedInclusionDelay'), 100n);
  assert.equal(await read<bigint>('exodusDelay'), 400n);
});

test('forced inclusion: a batch with room that leaves an overdue queue item behind reverts', async () => {
  await write(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n); // q0 -> account 1
  await write(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n); // q1 -> account 2
  await write(carol, 'createAccount', [1, 700n, user(2).publicKey[0], user(2).publicKey[1]]); // q2 -> account 3
  deposited[0] += 1500n;
  deposited[1] += 700n;
  // Not overdue yet: the sequencer may wait.
  await commit(build(0));
  await increaseTime(deployer.public, DELAYS.forcedInclusionDelay + 1);
  await reverts(write(seq, 'commitBatch', build(1).args), 'L1OpOverdue', [1n]);
  await reverts(write(seq, 'commitBatch', build(0).args), 'L1OpOverdue', [0n]);
  // A full batch (maxL1Ops items) is always allowed, even with an overdue item left over.
  await commit(build(2));
  await reverts(write(seq, 'commitBatch', build(0).args), 'L1OpOverdue', [2n]);
  const maxFeeF = floatEncode(FLOAT16, 5n);
  const txs = [
    signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 100n), maxFeeF, nonce: 0 }, config.domain),
    signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: floatEncode(FLOAT32, 50n), maxFeeF, nonce: 0 }, config.domain),
  ];
  await commit(build(1, txs, [{ tokenId: 0, accountIdx: 2, fee: 2n }]));
  assert.equal(await read<bigint>('l1Consumed'), 3n);
  await reverts(write(alice, 'proveBatch', [1n, BAD]), 'InvalidProof', [1n]);
  for (const n of [1n, 2n, 3n]) await write(alice, 'proveBatch', [n, GOOD]);
  assert.equal(await read<bigint>('lastProven'), 3n);
});

test('self-sequencing: closed while the sequencer is live; then anyone commits with a proof on a proven chain', async () => {
  const ss = (b: Built, proof: typeof GOOD | typeof BAD = GOOD) => write(dave, 'selfSequenceBatch', [...b.args, proof]);
  await reverts(ss(build(0)), 'SelfSequencingClosed');
  await write(dave, 'deposit', [0, 30n, 1], 30n); // q3
  await write(bob, 'forceTransfer', [2, 1, 20n]); // q4: a forced L2 transfer
  deposited[0] += 30n;
  await commit(build(1)); // batch 4, left unproven by the sequencer
  await reverts(ss(build(1)), 'SelfSequencingClosed');
  await increaseTime(deployer.public, DELAYS.selfSequenceDelay + 1);
  assert.equal((await getEscapeHatchStatus(deployer, d.rollup)).selfSequencingOpen, true);
  await reverts(ss(build(1)), 'UnprovenBatchPending', [4n]);
  await write(dave, 'proveBatch', [4n, GOOD]);
  await reverts(ss(build(1), BAD), 'InvalidProof', [5n]);
  const b = build(1);
  await ss(b);
  applied(b);
  assert.equal(await read<bigint>('lastProven'), 5n, 'a self-sequenced batch is final at once');
  assert.equal(state.getAccount(1)?.balance, 1000n - 100n - 2n + 30n + 20n); // fee 2
  // The sequencer's commits are still subject to forced inclusion; its role is unchanged.
  await reverts(ss(build(0)), 'SelfSequencingClosed');
  await reverts(write(dave, 'commitBatch', build(0).args), 'NotSequencer');
});

test('exodus: trigger rule, frozen settlement, account exits, refunds, bad claims, total paid == total locked', async () => {
  const paid: [bigint, bigint] = [0n, 0n];
  const proofFor = (i: number) => exodusAccountProof({ state, config, root: rootOf() }, i);
  await reverts(exodusWithdraw(dave, d.rollup, proofFor(1)), 'NotExodus');
  await reverts(exodusRefund(dave, d.rollup, 0n, queued[0]?.hex ?? '0x'), 'NotExodus');
  await reverts(triggerExodus(dave, d.rollup), 'ExodusNotAllowed');

  await write(carol, 'deposit', [1, 40n, 3]); // q5: consumed only by an unproven batch -> refunded
  await write(alice, 'createAccount', [0, 77n, user(0).publicKey[0], user(0).publicKey[1]], 77n); // q6: never consumed -> refunded
  await write(bob, 'forceExit', [2]); // q7: nothing to refund
  deposited[0] += 77n;
  deposited[1] += 40n;
  const finalState = snapshot();
  await commit(build(2)); // batch 6: never proven
  await increaseTime(deployer.public, DELAYS.exodusDelay + 1);
  const receipt = await triggerExodus(dave, d.rollup);
  const ev = parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'ExodusTriggered' }) as unknown as { args: { lastFinalBatch: bigint; l1End: bigint } }[];
  assert.equal(ev[0]?.args.lastFinalBatch, 5n);
  assert.equal(ev[0]?.args.l1End, 5n);

  // Settlement and the queue are frozen.
  await reverts(write(seq, 'commitBatch', build(0).args), 'Exodus');
  await reverts(write(dave, 'proveBatch', [6n, GOOD]), 'Exodus');
  await reverts(write(dave, 'selfSequenceBatch', [...build(0).args, GOOD]), 'Exodus');
  await reverts(write(alice, 'createAccount', [0, 1n, 1n, 2n], 1n), 'Exodus');
  await reverts(write(alice, 'deposit', [0, 1n, 1], 1n), 'Exodus');
  await reverts(write(alice, 'forceExit', [1]), 'Exodus');
  await reverts(write(alice, 'forceTransfer', [1, 2, 1n]), 'Exodus');
  await reverts(triggerExodus(dave, d.rollup), 'Exodus');

  // Proofs are built from L1 alone (a key-less client, deploy block found by bisection).
  const reader = await createL1Clients({ url: devnet.url, pollingIntervalMs: 20, retryCount: 0 });
  const view = await buildExodusView({ l1: reader, rollup: d.rollup });
  assert.equal(view.finalBatch, 5);
  assert.equal(view.deployBlock, d.deployBlock);
  assert.deepEqual([...view.state.entries()].sort((a, b) => a[0] - b[0]), [...finalState.entries()].sort((a, b) => a[0] - b[0]));
  assert.deepEqual(view.refundable.map((q) => q.index), [5, 6]);

  // The final batch's exit (bob's withdrawal in batch 3) stays payable with withdraw.
  assert.equal(view.exits.length, 1);
  const exit = view.exits[0];
  assert.ok(exit !== undefined && !exit.withdrawn);
  await withdraw(dave, d.rollup, BigInt(exit.batchNum), BigInt(exit.slot), addr(bob), exit.tokenId, exit.amount, exit.siblings);
  paid[exit.tokenId] = (paid[exit.tokenId] ?? 0n) + exit.amount;

  // Bad claims.
  const p1 = exodusAccountProof(view, 1);
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, balance: p1.balance + 1n }), 'BadAccountProof');
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, accountIndex: 2 }), 'BadAccountProof');
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, accountIndex: 0 }), 'BadIndex');
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, accountIndex: 256 }), 'BadIndex');
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, siblings: p1.siblings.slice(1) }), 'BadAccountProof');
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, l1Address: addr(dave) }), 'BadAccountProof');
  await reverts(exodusWithdraw(dave, d.rollup, { ...p1, tokenId: 9 }), 'UnknownToken');

  const ethBefore = await deployer.public.getBalance({ address: addr(alice) });
  for (const [index, account] of view.state.entries()) {
    await exodusWithdraw(dave, d.rollup, exodusAccountProof(view, index));
    paid[account.tokenId] = (paid[account.tokenId] ?? 0n) + account.balance;
  }
  assert.equal(await deployer.public.getBalance({ address: addr(alice) }), ethBefore + (view.state.getAccount(1)?.balance ?? -1n), 'exact amount to the owner');
  await reverts(exodusWithdraw(dave, d.rollup, p1), 'AlreadyExited', [1n]);

  // Refunds: only queue items no final batch consumed, only deposits, each once, exact bytes.
  await reverts(exodusRefund(dave, d.rollup, 0n, queued[0]?.hex ?? '0x'), 'OpAlreadyProcessed', [0n]);
  await reverts(exodusRefund(dave, d.rollup, 7n, queued[7]?.hex ?? '0x'), 'NothingToRefund', [7n]);
  await reverts(exodusRefund(dave, d.rollup, 5n, queued[6]?.hex ?? '0x'), 'L1OpsMismatch', [5n]);
  await reverts(exodusRefund(dave, d.rollup, 99n, queued[6]?.hex ?? '0x'), 'BadIndex');
  for (const q of view.refundable) {
    await exodusRefund(dave, d.rollup, BigInt(q.index), q.opHex);
    if (q.op.kind === 'createAccount' || q.op.kind === 'deposit') paid[q.op.tokenId] = (paid[q.op.tokenId] ?? 0n) + q.op.amount;
  }
  await reverts(exodusRefund(dave, d.rollup, 5n, queued[5]?.hex ?? '0x'), 'AlreadyRefunded', [5n]);

  // The invariant: everything locked was paid out, nothing more.
  assert.deepEqual(paid, deposited);
  assert.equal(await read<bigint>('totalLocked', [0]), 0n);
  assert.equal(await read<bigint>('totalLocked', [1]), 0n);
  assert.equal(await deployer.public.getBalance({ address: d.rollup }), 0n);
  const tokenBalance = (await deployer.public.readContract({ address: token, abi: testTokenAbi as Abi, functionName: 'balanceOf', args: [d.rollup] })) as bigint;
  assert.equal(tokenBalance, 0n);
});

function rootOf(): bigint {
  return applyBatch(state, { l1Ops: [], l2Txs: [], feeTable: [] }, config).newRoot;
}

function snapshot(): MemoryState {
  const copy = new MemoryState();
  const accounts = new Map([...state.entries()]);
  copy.apply({ nodes: new Map(), accounts, nextIndex: state.nextIndex });
  return copy;
}
