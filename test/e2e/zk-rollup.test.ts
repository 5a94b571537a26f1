/**
 * The ZK rollup end to end on the devnet stack (one node with every role: sequencer, batcher, prover
 * service with real Groth16 proofs verified on L1, follower, JSON-RPC): two users deposit ETH and an
 * ERC-20 on L1; they transfer on L2 through JSON-RPC; batches are committed and proven; one withdraws
 * with the exit proof the node serves and its L1 balance rises by exactly the amount; a second
 * withdrawal of the same exit reverts; a fresh follower node synced only from L1 reaches the same root.
 * Uses the `test` circuit set (depth 4, 1 L1 op and 2 transactions per batch) to stay within the
 * test-circuit budget; the devnet set has the same code at depth 32.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi, Address, Hex } from 'viem';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { withdraw } from '../../src/l1/rollupActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import { startDevnetStack, type DevnetStack } from '../../src/node/devnet-stack.ts';
import { startNode } from '../../src/node/node.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';

let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
const dirs: string[] = [];
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

async function send(c: L1Clients, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = c.wallet;
  assert.ok(wallet);
  return sendAndWait({ public: c.public, context: functionName, send: () => wallet.writeContract({ address, abi, functionName, args, ...(value === undefined ? {} : { value }) } as never) });
}

before(async () => {
  stack = await startDevnetStack({ circuit: 'test', pollMs: 50 });
  const mk = (i: number) => createL1Clients({ url: stack.l1Url, privateKey: stack.accounts[i]?.privateKey ?? '0x', chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [alice, bob] = await Promise.all([mk(0), mk(1)]);
});

after(async () => {
  await stack?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type Account = { index: number; balance: Hex; nonce: number } | null;
type Tx = { status: string; batchNum: number | null; exitSlot: number | null };
type Status = { batchNum: number; lastFinal: number; root: Hex; pending: number };

test('deposit ETH and ERC-20, transfer over JSON-RPC, every batch proven, withdraw exactly once, resync from L1', async () => {
  const url = stack.rpcUrl;
  // L1 deposits: alice ETH, bob ETH, bob ERC-20 (token 1).
  await send(alice, stack.rollup, rollupAbi as Abi, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, stack.rollup, rollupAbi as Abi, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  await send(bob, stack.token, testTokenAbi as Abi, 'mint', [addr(bob), 10_000n]);
  await send(bob, stack.token, testTokenAbi as Abi, 'approve', [stack.rollup, 10_000n]);
  await send(bob, stack.rollup, rollupAbi as Abi, 'createAccount', [1, 7_000n, user(1).publicKey[0], user(1).publicKey[1]]);

  const find = async (a: Address, token: number): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: token }]))[0];
  const a1 = await waitFor('alice ETH account', () => find(addr(alice), 0));
  const b1 = await waitFor('bob ETH account', () => find(addr(bob), 0));
  const b2 = await waitFor('bob token account', () => find(addr(bob), 1));
  assert.deepEqual([a1, b1, b2].sort(), [1, 2, 3]);

  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const transfer = signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: floatEncode(FLOAT32, 300n), maxFeeF, nonce: 0 }, domain);
  const exitTx = signTx(user(1), { kind: 'withdraw', from: b1, to: 0, amountF: floatEncode(FLOAT32, 450n), maxFeeF, nonce: 0 }, domain);
  const h1 = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(transfer)]);
  // The withdrawal spends what the transfer brings: its admission already counts the pending transfer.
  const h2 = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(exitTx)]);
  assert.match(h1, /^0x[0-9a-f]{64}$/);
  // A replay of the same signed transaction is refused with a typed JSON-RPC error.
  await assert.rejects(rpc(url, 'rampart_sendTransaction', [txJson(exitTx)]), (e: { code?: number }) => e.code === -32000 || e.code === -32003);

  const done = await waitFor('withdrawal final', async () => {
    const t = await rpc<Tx | null>(url, 'rampart_getTransaction', [h2]);
    return t?.status === 'final' ? t : undefined;
  }, 240_000, 200);
  assert.equal((await rpc<Tx>(url, 'rampart_getTransaction', [h1])).status, 'final');
  const status = await rpc<Status>(url, 'rampart_status');
  assert.ok(status.lastFinal >= (done.batchNum ?? Infinity), 'the batch is proven on L1');
  assert.equal(BigInt((await rpc<Account>(url, 'rampart_getAccount', [b1]))?.balance ?? '0x0'), 500n + 300n - 450n);
  const lastProven = (await alice.public.readContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName: 'lastProven' })) as bigint;
  assert.ok(lastProven >= BigInt(done.batchNum ?? 0));

  // Bob's exit, claimed by a third party so bob's L1 balance changes by exactly the amount.
  assert.ok(done.batchNum !== null && done.exitSlot !== null);
  const proof = await rpc<{ amount: Hex; tokenId: number; l1Address: Address; siblings: Hex[]; final: boolean }>(url, 'rampart_getExitProof', [done.batchNum, done.exitSlot]);
  assert.equal(BigInt(proof.amount), 450n);
  assert.equal(proof.l1Address.toLowerCase(), addr(bob).toLowerCase());
  assert.equal(proof.final, true);
  const siblings = proof.siblings.map((s) => BigInt(s));
  const before = await bob.public.getBalance({ address: addr(bob) });
  await withdraw(alice, stack.rollup, BigInt(done.batchNum), BigInt(done.exitSlot), addr(bob), 0, 450n, siblings);
  assert.equal(await bob.public.getBalance({ address: addr(bob) }), before + 450n, 'L1 balance rose by exactly the amount');
  await assert.rejects(withdraw(alice, stack.rollup, BigInt(done.batchNum), BigInt(done.exitSlot), addr(bob), 0, 450n, siblings), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'AlreadyWithdrawn');
  await assert.rejects(withdraw(alice, stack.rollup, BigInt(done.batchNum), BigInt(done.exitSlot + 1), addr(bob), 0, 450n, siblings), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BadExitProof');

  // A fresh node with only the L1 URL (no keys: follower and RPC) reaches the same root.
  const dir = mkdtempSync(join(tmpdir(), 'rampart-e2e-fresh-'));
  dirs.push(dir);
  const fresh = await startNode({ l1Url: stack.l1Url, rollup: stack.rollup, deployBlock: stack.deployBlock, circuit: CIRCUIT_SETS.test, dataDir: dir, confirmations: 1, pollMs: 50 });
  try {
    const seqStatus = await rpc<Status>(url, 'rampart_status');
    await waitFor('fresh node caught up', async () => (fresh.status().batchNum >= seqStatus.batchNum ? true : undefined));
    assert.equal(fresh.state.getBatch(seqStatus.batchNum)?.root, (await rpc<{ root: Hex }>(url, 'rampart_getBatch', [seqStatus.batchNum])).root);
    assert.equal((await rpc<Account>(fresh.rpcUrl ?? '', 'rampart_getAccount', [b1]))?.balance, (await rpc<Account>(url, 'rampart_getAccount', [b1]))?.balance);
    await assert.rejects(rpc(fresh.rpcUrl ?? '', 'rampart_sendTransaction', [txJson(transfer)]), (e: { data?: { code?: string } }) => e.data?.code === 'NOT_SEQUENCER');
  } finally {
    await fresh.stop();
  }
});
