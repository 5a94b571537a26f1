/**
 * Attack: every sequencer (and prover) goes offline for good, with users' money inside — balances on
 * L2, an exit of a final batch not yet claimed, and deposits queued after the last batch. Defence
 * (docs/PROTOCOL.md §11.1): once the bounds pass, self-sequencing opens; with no one doing so, anyone
 * triggers exodus, and every user gets back exactly what they own with `rampart exit`, which rebuilds
 * the last final state from L1 calldata alone (no node, no database). Total paid out equals total
 * locked; replayed or wrong claims revert with their reason.
 *
 * Runs on the devnet stack with real Groth16 proofs (`test` circuit) and the default (production)
 * delays; time travels with evm_increaseTime.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Address, Hex } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { defaultEscapeHatchDelays } from '../../src/l1/deployRollup.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { exodusRefund, exodusWithdraw, getEscapeHatchStatus } from '../../src/l1/rollupActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import { startDevnetStack, type DevnetStack } from '../../src/node/devnet-stack.ts';
import { buildExodusView, claimExodus, exodusAccountProof } from '../../src/node/exodus.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
let carol: L1Clients;
let dave: L1Clients;
let payer: L1Clients;
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

async function send(c: L1Clients, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = c.wallet;
  assert.ok(wallet);
  return sendAndWait({ public: c.public, context: functionName, send: () => wallet.writeContract({ address, abi, functionName, args, ...(value === undefined ? {} : { value }) } as never) });
}

type Run = { status: number | null; stdout: string; stderr: string };
function rampart(args: readonly string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

async function reverts(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ContractRevertedError && e.reason === reason);
}

before(async () => {
  stack = await startDevnetStack({ circuit: 'test', pollMs: 50, userAccounts: 5 });
  const mk = (i: number) => createL1Clients({ url: stack.l1Url, privateKey: stack.accounts[i]?.privateKey ?? '0x', chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [alice, bob, carol, dave, payer] = await Promise.all([mk(0), mk(1), mk(2), mk(3), mk(4)]);
});

after(async () => {
  await stack?.stop();
});

test('all sequencers offline: exodus, and every user takes out exactly what they own from L1 alone', async () => {
  const url = stack.rpcUrl;
  const rollup = stack.rollup;
  const read = async <T>(functionName: string, args: readonly unknown[] = []): Promise<T> => (await payer.public.readContract({ address: rollup, abi: rollupAbi as Abi, functionName, args })) as T;
  const locked: [bigint, bigint] = [0n, 0n];

  // Life before the outage: deposits, a transfer, a withdrawal left unclaimed; every batch final.
  await send(alice, rollup, rollupAbi as Abi, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, rollup, rollupAbi as Abi, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  await send(carol, stack.token, testTokenAbi as Abi, 'mint', [addr(carol), 10_000n]);
  await send(carol, stack.token, testTokenAbi as Abi, 'approve', [rollup, 10_000n]);
  await send(carol, rollup, rollupAbi as Abi, 'createAccount', [1, 7_000n, user(2).publicKey[0], user(2).publicKey[1]]);
  locked[0] += 1500n;
  locked[1] += 7000n;
  const find = async (a: Address, token: number): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: token }]))[0];
  const a1 = await waitFor('alice account', () => find(addr(alice), 0));
  const b1 = await waitFor('bob account', () => find(addr(bob), 0));
  await waitFor('carol account', () => find(addr(carol), 1));
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: floatEncode(FLOAT32, 300n), maxFeeF, nonce: 0 }, domain))]);
  const wd = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(1), { kind: 'withdraw', from: b1, to: 0, amountF: floatEncode(FLOAT32, 100n), maxFeeF, nonce: 0 }, domain))]);
  await waitFor('withdrawal final', async () => ((await rpc<{ status: string } | null>(url, 'rampart_getTransaction', [wd]))?.status === 'final' ? true : undefined), 240_000, 200);
  await waitFor('every batch final', async () => ((await read<bigint>('lastProven')) === (await read<bigint>('lastCommitted')) && (await read<bigint>('l1Consumed')) === (await read<bigint>('queueLength')) ? true : undefined), 240_000, 200);

  // The outage: the only node (sequencer, batcher, prover) stops for good.
  await stack.node.stop();
  // Deposits keep arriving on L1 and are never processed.
  await send(dave, rollup, rollupAbi as Abi, 'createAccount', [0, 250n, user(3).publicKey[0], user(3).publicKey[1]], 250n);
  await send(bob, rollup, rollupAbi as Abi, 'deposit', [0, 40n, b1], 40n);
  locked[0] += 290n;

  // Before the bounds nothing opens; calls before exodus are refused with their reason.
  const early = await rampart(['exodus', 'trigger', '--l1-rpc', stack.l1Url, '--rollup', rollup, '--l1-key', stack.accounts[4]?.privateKey ?? '', '--json']);
  assert.equal(early.status, 1, early.stderr);
  assert.match(early.stderr, /EXODUS_NOT_ALLOWED/);
  const before = await buildExodusView({ l1: payer, rollup, fromBlock: stack.deployBlock });
  await reverts(exodusWithdraw(payer, rollup, exodusAccountProof(before, a1)), 'NotExodus');
  await reverts(exodusRefund(payer, rollup, 0n, before.refundable[0]?.opHex ?? '0x'), 'NotExodus');
  // After the self-sequencing bound anyone could take over sequencing (with a proof)...
  await increaseTime(payer.public, defaultEscapeHatchDelays.selfSequenceDelay + 1);
  assert.equal((await getEscapeHatchStatus(payer, rollup)).selfSequencingOpen, true);
  assert.equal((await getEscapeHatchStatus(payer, rollup)).exodusAllowed, false);
  // ...no one does; after the exodus bound anyone freezes the rollup.
  await increaseTime(payer.public, defaultEscapeHatchDelays.exodusDelay);
  const trig = await rampart(['exodus', 'trigger', '--l1-rpc', stack.l1Url, '--rollup', rollup, '--l1-key', stack.accounts[4]?.privateKey ?? '', '--json']);
  assert.equal(trig.status, 0, trig.stderr);
  assert.equal(await read<boolean>('exodus'), true);

  // Wrong claims: another account's index, an inflated balance.
  const frozen = await buildExodusView({ l1: payer, rollup, fromBlock: stack.deployBlock });
  const wrong = exodusAccountProof(frozen, a1);
  await reverts(exodusWithdraw(payer, rollup, { ...wrong, accountIndex: b1 }), 'BadAccountProof');
  await reverts(exodusWithdraw(payer, rollup, { ...wrong, balance: wrong.balance * 2n }), 'BadAccountProof');

  // What each user owns, by the last final state and the queue.
  const owns = { alice: [700n, 0n], bob: [700n + 100n + 40n, 0n], carol: [0n, 7000n], dave: [250n, 0n] } as const;
  const paidEth = new Map<string, bigint>();
  const tokenBalance = (a: Address): Promise<bigint> => payer.public.readContract({ address: stack.token, abi: testTokenAbi as Abi, functionName: 'balanceOf', args: [a] }) as Promise<bigint>;

  // alice and bob use the CLI with only the L1 URL and the rollup address; a third party pays gas, so
  // their L1 balances change by exactly what they receive.
  for (const [name, who] of [['alice', alice], ['bob', bob]] as const) {
    const eth0 = await payer.public.getBalance({ address: addr(who) });
    const r = await rampart(['exit', '--l1-rpc', stack.l1Url, '--rollup', rollup, '--owner', addr(who), '--l1-key', stack.accounts[4]?.privateKey ?? '', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { totals: Record<string, string> };
    assert.equal(BigInt(out.totals['0'] ?? '0'), owns[name][0]);
    const got = (await payer.public.getBalance({ address: addr(who) })) - eth0;
    assert.equal(got, owns[name][0], `${name} got exactly what they own`);
    paidEth.set(name, got);
  }
  // carol (token) and dave (a deposit never processed) use the library the CLI is built on.
  const carolTok0 = await tokenBalance(addr(carol));
  await claimExodus({ l1: payer, rollup, owner: addr(carol) });
  assert.equal((await tokenBalance(addr(carol))) - carolTok0, owns.carol[1]);
  const dave0 = await payer.public.getBalance({ address: addr(dave) });
  const daveClaims = await claimExodus({ l1: payer, rollup, owner: addr(dave), fromBlock: stack.deployBlock });
  assert.deepEqual(daveClaims.map((c) => c.kind), ['refund']);
  paidEth.set('dave', (await payer.public.getBalance({ address: addr(dave) })) - dave0);
  assert.equal(paidEth.get('dave'), owns.dave[0]);

  // Total paid out == total locked, and nothing is left behind.
  assert.equal([...paidEth.values()].reduce((a, b) => a + b, 0n), locked[0]);
  assert.equal(await read<bigint>('totalLocked', [0]), 0n);
  assert.equal(await read<bigint>('totalLocked', [1]), 0n);
  assert.equal(await payer.public.getBalance({ address: rollup }), 0n);
  assert.equal(await tokenBalance(rollup), 0n);

  // Replayed and wrong claims revert with their reason.
  const view = await buildExodusView({ l1: payer, rollup, fromBlock: stack.deployBlock });
  const pa = exodusAccountProof(view, a1);
  await reverts(exodusWithdraw(payer, rollup, pa), 'AlreadyExited');
  const refund = view.refundable[0];
  assert.ok(refund !== undefined);
  await reverts(exodusRefund(payer, rollup, BigInt(refund.index), refund.opHex), 'AlreadyRefunded');
  const ops = (await import('../../src/l1/rollupActions.ts')).getQueuedOps;
  const consumed = (await ops(payer, rollup, stack.deployBlock))[0];
  assert.ok(consumed !== undefined);
  await reverts(exodusRefund(payer, rollup, 0n, `0x${Buffer.from(consumed.bytes).toString('hex')}`), 'OpAlreadyProcessed');
  // A second `rampart exit` finds nothing left to pay.
  const again = await rampart(['exit', '--l1-rpc', stack.l1Url, '--rollup', rollup, '--owner', addr(bob), '--l1-key', stack.accounts[4]?.privateKey ?? '', '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual((JSON.parse(again.stdout.trim().split('\n').pop() ?? '{}') as { totals: object }).totals, {});
});
