/**
 * Attack: every sequencer goes offline while users have deposits waiting in the L1 queue and a signed
 * L2 transfer they want through. Defence (docs/PROTOCOL.md §11.1): once `selfSequenceDelay` has
 * passed, an outsider with only an L1 URL, the rollup address and the circuit files runs
 * `rampart self-sequence`: it rebuilds the last final state from L1 calldata, builds the next batches
 * from the queue and the given transactions, proves them (real Groth16, `test` circuit) and submits
 * them with `selfSequenceBatch`. The batches are final at once and the state is what the STF says.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Address } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { defaultEscapeHatchDelays } from '../../src/l1/deployRollup.ts';
import { getEscapeHatchStatus } from '../../src/l1/rollupActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { startDevnetStack, type DevnetStack } from '../../src/node/devnet-stack.ts';
import { buildExodusView } from '../../src/node/exodus.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let stack: DevnetStack;
let alice: L1Clients;
let bob: L1Clients;
let dave: L1Clients;
let outsider: L1Clients;
const dir = mkdtempSync(join(tmpdir(), 'rampart-selfseq-'));
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

async function send(c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = c.wallet;
  assert.ok(wallet);
  return sendAndWait({ public: c.public, context: functionName, send: () => wallet.writeContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName, args, ...(value === undefined ? {} : { value }) } as never) });
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

before(async () => {
  stack = await startDevnetStack({ circuit: 'test', pollMs: 50, userAccounts: 4 });
  const mk = (i: number) => createL1Clients({ url: stack.l1Url, privateKey: stack.accounts[i]?.privateKey ?? '0x', chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [alice, bob, dave, outsider] = await Promise.all([mk(0), mk(1), mk(2), mk(3)]);
});

after(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('all sequencers offline: an outsider self-sequences the queue and a signed transfer with the CLI, from L1 alone', async () => {
  const url = stack.rpcUrl;
  const rollup = stack.rollup;
  const read = async <T>(functionName: string, args: readonly unknown[] = []): Promise<T> => (await outsider.public.readContract({ address: rollup, abi: rollupAbi as Abi, functionName, args })) as T;
  const base = ['--l1-rpc', stack.l1Url, '--rollup', rollup, '--from-block', stack.deployBlock.toString(), '--json'];
  const key = ['--l1-key', stack.accounts[3]?.privateKey ?? ''];
  const files = ['--wasm', stack.wasmPath, '--zkey', stack.zkeyPath];

  // Before the outage: two accounts, final.
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  const a1 = await waitFor('alice account', () => find(addr(alice)));
  const b1 = await waitFor('bob account', () => find(addr(bob)));
  await waitFor('every batch final', async () => ((await read<bigint>('lastProven')) === (await read<bigint>('lastCommitted')) && (await read<bigint>('l1Consumed')) === (await read<bigint>('queueLength')) ? true : undefined), 240_000, 200);

  // The outage. Dave's new account and Bob's top-up wait in the queue; Alice signs a transfer to Bob.
  await stack.node.stop();
  await send(dave, 'createAccount', [0, 250n, user(2).publicKey[0], user(2).publicKey[1]], 250n);
  await send(bob, 'deposit', [0, 40n, b1], 40n);
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const transfer = signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: floatEncode(FLOAT32, 300n), maxFeeF, nonce: 0 }, domain);
  // Alice's next transfer (nonce 1) with its amount raised after signing.
  const next = signTx(user(0), { kind: 'transfer', from: a1, to: b1, amountF: floatEncode(FLOAT32, 100n), maxFeeF, nonce: 1 }, domain);
  const forged = { ...txJson(next), amountF: floatEncode(FLOAT32, 600n) };
  const txsFile = join(dir, 'txs.json');
  writeFileSync(txsFile, JSON.stringify([txJson(transfer), forged]));
  const committedBefore = await read<bigint>('lastCommitted');

  // Bad input is refused before anything is sent; before the bound self-sequencing is closed.
  const badFile = join(dir, 'bad.json');
  writeFileSync(badFile, JSON.stringify([{ ...txJson(transfer), from: 0 }]));
  const bad = await rampart(['self-sequence', ...base, ...key, ...files, '--txs', badFile]);
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /TXS_FILE_INVALID/);
  const noKey = await rampart(['self-sequence', ...base, ...key, '--wasm', stack.wasmPath, '--zkey', join(dir, 'missing.zkey')]);
  assert.equal(noKey.status, 1, noKey.stderr);
  assert.match(noKey.stderr, /PROVER_CONFIG/);
  const early = await rampart(['self-sequence', ...base, ...key, ...files, '--txs', txsFile]);
  assert.equal(early.status, 1, early.stderr);
  assert.match(early.stderr, /SELF_SEQUENCE_CLOSED/);
  assert.equal(await read<bigint>('lastCommitted'), committedBefore);

  // After the bound: the outsider takes over.
  await increaseTime(outsider.public, defaultEscapeHatchDelays.selfSequenceDelay + 1);
  const run = await rampart(['self-sequence', ...base, ...key, ...files, '--txs', txsFile]);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { batches: { batchNum: number; l1Ops: number; l2Included: string[] }[]; rejected: { reason: string }[]; remaining: number };
  // The `test` circuit takes one L1 op per batch: two batches, the transfer in the first; the forged
  // copy (amount changed after signing) is refused by the STF and reported.
  assert.equal(out.batches.length, 2);
  assert.deepEqual(out.batches.map((b) => b.l1Ops), [1, 1]);
  assert.equal(out.batches.flatMap((b) => b.l2Included).length, 1);
  assert.deepEqual(out.rejected.map((r) => r.reason), ['bad-signature']);
  assert.equal(out.remaining, 0);

  // Final at once, the queue drained, and the state is exactly what the users are owed.
  const s = await getEscapeHatchStatus(outsider, rollup);
  assert.equal(s.lastCommitted, committedBefore + 2n);
  assert.equal(s.lastProven, s.lastCommitted);
  assert.equal(s.l1Consumed, s.queueLength);
  const view = await buildExodusView({ l1: outsider, rollup, fromBlock: stack.deployBlock });
  assert.equal(view.state.getAccount(a1)?.balance, 700n);
  assert.equal(view.state.getAccount(a1)?.nonce, 1);
  assert.equal(view.state.getAccount(b1)?.balance, 500n + 300n + 40n);
  const daveAccount = [...Array(view.state.nextIndex).keys()].map((i) => view.state.getAccount(i)).find((a) => a?.l1Address === BigInt(addr(dave)));
  assert.equal(daveAccount?.balance, 250n);

  // Our own batch restarted the self-sequencing clock; a replay of the same transfer is not let in.
  const replay = await rampart(['self-sequence', ...base, ...key, ...files, '--txs', txsFile]);
  assert.equal(replay.status, 1, replay.stderr);
  assert.match(replay.stderr, /SELF_SEQUENCE_CLOSED/);
  assert.equal(await read<bigint>('lastCommitted'), committedBefore + 2n);
});

// With the queue drained and no transactions given there is nothing to do: reported, not an error.
test('self-sequence with nothing queued and no transactions does nothing', async () => {
  const run = await rampart(['self-sequence', '--l1-rpc', stack.l1Url, '--rollup', stack.rollup, '--from-block', stack.deployBlock.toString(), '--json', '--l1-key', stack.accounts[3]?.privateKey ?? '', '--wasm', stack.wasmPath, '--zkey', stack.zkeyPath]);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { batches: unknown[] };
  assert.deepEqual(out.batches, []);
});
