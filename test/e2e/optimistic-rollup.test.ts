/**
 * The optimistic rollup end to end on the devnet stack (docs/PROTOCOL.md §14): no circuit, no proofs.
 * The sequencer node is the proposer: it posts signed (78-byte) records with an assertion bond per
 * commit. A separate watchtower node (follower + challenger role, its own key and database) derives
 * every batch from L1 and finds nothing to dispute. Once the challenge window has passed (L1 time
 * travel) the proposer finalizes the batches, gets its bonds back, and a withdrawal pays exactly once;
 * before finality it does not pay. Then the sequencer disappears and an outsider self-sequences the
 * queue with the assertion bond alone (`rampart self-sequence` without circuit files).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi, Address, Hex } from 'viem';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { withdraw, writeRollup } from '../../src/l1/rollupActions.ts';
import { defaultEscapeHatchDelays } from '../../src/l1/deployRollup.ts';
import { selfSequence, SelfSequenceError } from '../../src/node/self-sequence.ts';
import { getDisputeEvents, getFinalityStatus } from '../../src/l1/optimisticActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { startDevnetStack, type DevnetStack } from '../../src/node/devnet-stack.ts';
import { startNode, type RampartNode } from '../../src/node/node.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';

const WINDOW = 600;
const CLOCK = 300;
const BOND = 10n ** 17n;
let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
let watchtower: RampartNode | undefined;
const dirs: string[] = [];
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, stack.rollup, functionName, args, value);

before(async () => {
  stack = await startDevnetStack({
    circuit: 'test',
    pollMs: 50,
    settlement: { mode: 'optimistic', challengeWindow: WINDOW, clockBudget: CLOCK, assertionBond: BOND, challengeBond: BOND / 2n },
  });
  const mk = (i: number) => createL1Clients({ url: stack.l1Url, privateKey: stack.accounts[i]?.privateKey ?? '0x', chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [alice, bob] = await Promise.all([mk(0), mk(1)]);
  const dir = mkdtempSync(join(tmpdir(), 'rampart-watchtower-'));
  dirs.push(dir);
  watchtower = await startNode({
    l1Url: stack.l1Url,
    chainId: stack.chainId,
    rollup: stack.rollup,
    deployBlock: stack.deployBlock,
    circuit: CIRCUIT_SETS.test,
    dataDir: dir,
    confirmations: 1,
    pollMs: 50,
    rpc: false,
    challenger: { privateKey: stack.accounts[3]?.privateKey ?? '0x' },
  });
});

after(async () => {
  await watchtower?.stop();
  await stack?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type Tx = { status: string; batchNum: number | null; exitSlot: number | null };

test('optimistic mode: bonded commits of signed data, a watchtower that finds nothing, finality after the window, withdraw exactly once', async () => {
  const url = stack.rpcUrl;
  assert.equal(stack.node.status().mode, 'optimistic');
  assert.deepEqual([...(watchtower?.status().roles ?? [])].sort(), ['challenger', 'follower']);
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  const a1 = await waitFor('alice account', () => find(addr(alice)));
  const b1 = await waitFor('bob account', () => find(addr(bob)));
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  // Two transactions of one sender in one batch: the nonce is not posted, derivation takes it as it stands.
  await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: floatEncode(FLOAT32, 300n), maxFeeF, nonce: 0 }, domain))]);
  await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: floatEncode(FLOAT32, 100n), maxFeeF, nonce: 1 }, domain))]);
  const wd = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(1), { kind: 'withdraw', from: b1, to: 0, amountF: floatEncode(FLOAT32, 450n), maxFeeF, nonce: 0 }, domain))]);
  const committed = await waitFor('withdrawal committed', async () => {
    const t = await rpc<Tx | null>(url, 'rampart_getTransaction', [wd]);
    return t?.status === 'committed' && t.batchNum !== null && t.exitSlot !== null ? t : undefined;
  });
  const batchNum = committed.batchNum ?? 0;
  const slot = committed.exitSlot ?? 0;

  // The watchtower derives every batch (signed records, with signatures checked) and agrees.
  await waitFor('watchtower synced', async () => (watchtower?.state.batchNum ?? 0) >= batchNum ? true : undefined);
  assert.equal(watchtower?.state.root(), stack.node.state.root());
  assert.equal(watchtower?.status().invalidBatch, null);

  // Before finality the exit does not pay.
  const exitProof = await rpc<{ siblings: Hex[]; l1Address: Address; amount: Hex; final: boolean }>(url, 'rampart_getExitProof', [batchNum, slot]);
  assert.equal(exitProof.final, false);
  await assert.rejects(
    withdraw(bob, stack.rollup, BigInt(batchNum), BigInt(slot), addr(bob), 0, BigInt(exitProof.amount), exitProof.siblings.map((s) => BigInt(s))),
    (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BatchNotFinal',
  );

  // After the window the proposer finalizes every batch and takes its bonds back.
  await increaseTime(alice.public, WINDOW + 1);
  await waitFor('all final', async () => {
    const f = await getFinalityStatus(alice, stack.rollup);
    return f.lastFinal === f.lastCommitted && f.lastCommitted >= BigInt(batchNum) ? true : undefined;
  }, 60_000, 100);
  await waitFor('bonds claimed', async () => ((await alice.public.readContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName: 'claimable', args: [stack.roles.sequencer.address] })) === 0n ? true : undefined));
  await waitFor('status final', async () => ((await rpc<Tx | null>(url, 'rampart_getTransaction', [wd]))?.status === 'final' ? true : undefined));

  const proof = await rpc<{ siblings: Hex[]; amount: Hex; final: boolean }>(url, 'rampart_getExitProof', [batchNum, slot]);
  assert.equal(proof.final, true);
  const before = await bob.public.getBalance({ address: addr(bob) });
  const r = await withdraw(alice, stack.rollup, BigInt(batchNum), BigInt(slot), addr(bob), 0, 450n, proof.siblings.map((s) => BigInt(s)));
  assert.equal(r.status, 'success');
  assert.equal((await bob.public.getBalance({ address: addr(bob) })) - before, 450n);
  await assert.rejects(
    withdraw(alice, stack.rollup, BigInt(batchNum), BigInt(slot), addr(bob), 0, 450n, proof.siblings.map((s) => BigInt(s))),
    (e: unknown) => e instanceof ContractRevertedError && e.reason === 'AlreadyWithdrawn',
  );
  // Nobody was disputed: an honest chain gives the watchtower nothing to do.
  const evs = await getDisputeEvents(alice, (await alice.public.readContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName: 'disputeGame' })) as Address, stack.deployBlock);
  assert.deepEqual(evs.map((e) => e.kind), [], JSON.stringify(evs, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  const acct = await rpc<{ balance: Hex } | null>(url, 'rampart_getAccount', [a1]);
  assert.equal(BigInt(acct?.balance ?? '0x0'), 600n);
});

test('optimistic mode: with the sequencer gone, an outsider self-sequences the queue with the assertion bond (no proof, no circuit); the watchtower agrees and the batch becomes final', async () => {
  const outsider = await createL1Clients({ url: stack.l1Url, privateKey: stack.accounts[2]?.privateKey ?? '0x', chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const read = async <T>(functionName: string, args: readonly unknown[] = []): Promise<T> => (await alice.public.readContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName, args })) as T;
  await stack.node.stop();
  await send(outsider, 'createAccount', [0, 250n, user(2).publicKey[0], user(2).publicKey[1]], 250n);
  const before = await read<bigint>('lastCommitted');
  await assert.rejects(selfSequence({ l1: outsider, rollup: stack.rollup, fromBlock: stack.deployBlock }), (e: unknown) => e instanceof SelfSequenceError && e.code === 'SELF_SEQUENCE_CLOSED');
  await increaseTime(alice.public, defaultEscapeHatchDelays.selfSequenceDelay + 1);
  const res = await selfSequence({ l1: outsider, rollup: stack.rollup, fromBlock: stack.deployBlock });
  assert.equal(res.batches.length, 1);
  assert.equal(res.batches[0]?.l1Ops, 1);
  assert.equal(await read<bigint>('lastCommitted'), before + 1n);
  const commitId = await read<bigint>('commitIdOf', [before + 1n]);
  // assertions(commitId): (stepDataHash, recordsRoot, committer, bond, ...).
  const assertion = await read<readonly unknown[]>('assertions', [commitId]);
  assert.equal(String(assertion[2]).toLowerCase(), addr(outsider).toLowerCase());
  assert.equal(assertion[3], BOND);
  // The watchtower derives the outsider's batch like any other, disputes nothing, and finalizes it.
  await waitFor('watchtower applied it', async () => ((watchtower?.state.batchNum ?? 0) === Number(before + 1n) ? true : undefined));
  assert.equal(watchtower?.status().invalidBatch, null);
  await increaseTime(alice.public, WINDOW + 1);
  await waitFor('final', async () => ((await read<bigint>('lastFinalBatch')) === before + 1n ? true : undefined), 60_000, 100);
  assert.equal(await read<bigint>('claimable', [addr(outsider)]), BOND);
});
