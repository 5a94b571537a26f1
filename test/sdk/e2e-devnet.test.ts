/**
 * The SDK end to end on the full stack (startDevnetStack: L1 devnet, sequencer, prover with real
 * Groth16 proofs, JSON-RPC): deposit ETH into two new accounts and an ERC-20 into a third, transfer,
 * withdraw, wait for finality, claim on L1 from a third party — the owner's L1 balance rises by
 * exactly the amount — and a second claim is ALREADY_CLAIMED. Uses the `test` circuit set (one L1
 * operation and two transactions per batch) to keep proving to seconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { registerWalletCommands } from '../../src/cli/wallet.ts';
import { erc20Abi } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { type DevnetStack, startDevnetStack } from '../../src/node/devnet-stack.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { createRampartClient, type RampartClient } from '../../src/sdk/createRampartClient.ts';
import { SdkError } from '../../src/sdk/errors.ts';
import { generateBabyJubKey } from '../../src/sdk/keyFile.ts';

let stack: DevnetStack | undefined;
let alice: RampartClient;
let bob: RampartClient;
let carol: RampartClient;
let bobL1: L1Clients;

before(async () => {
  stack = await startDevnetStack({ circuit: 'test', pollMs: 50 });
  const s = stack;
  const mk = async (i: number): Promise<[RampartClient, L1Clients]> => {
    const account = s.accounts[i];
    assert.ok(account, `devnet user account ${i}`);
    const l1 = await createL1Clients({ url: s.l1Url, privateKey: account.privateKey, chainId: s.chainId, pollingIntervalMs: 20, retryCount: 0 });
    return [createRampartClient({ rpcUrl: s.rpcUrl, l1, rollup: s.rollup, pollIntervalMs: 100, waitTimeoutMs: 240_000 }), l1];
  };
  [alice] = await mk(0);
  [bob, bobL1] = await mk(1);
  [carol] = await mk(2);
});
const dir = mkdtempSync(join(tmpdir(), 'rampart-sdk-e2e-'));
after(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('deposit → transfer → withdraw → waitForFinality → claim through the SDK on the full devnet stack', { timeout: 600_000 }, async () => {
  const s = stack;
  assert.ok(s);
  const domain = await alice.getDomain();
  assert.equal(domain.rollup.toLowerCase(), s.rollup.toLowerCase());
  const ka = generateBabyJubKey();
  const kb = generateBabyJubKey();
  const ETH = 10n ** 18n;

  // L1 → L2: ETH into new accounts for alice and bob, an ERC-20 into a second account of bob's.
  const da = await alice.deposit({ amount: ETH, publicKey: ka.publicKey });
  assert.equal(da.kind, 'createAccount');
  assert.equal(da.tokenId, 0);
  const db = await bob.deposit({ amount: ETH, publicKey: kb.publicKey });
  assert.ok(db.queueIndex > da.queueIndex);
  const bobAddress = db.l1Address;
  await sendAndWait({ public: bobL1.public, context: 'mint', send: () => (bobL1.wallet ?? assert.fail()).writeContract({ address: s.token, abi: testTokenAbi, functionName: 'mint', args: [bobAddress, 5000n] }) });
  const dt = await bob.deposit({ amount: 5000n, token: s.token, publicKey: kb.publicKey });
  assert.equal(dt.tokenId, 1);
  assert.equal(await bobL1.public.readContract({ address: s.token, abi: erc20Abi, functionName: 'balanceOf', args: [bobAddress] }), 0n);

  const a = await alice.waitForAccount({ deposit: da });
  const b = await bob.waitForAccount({ deposit: db });
  const bt = await bob.waitForAccount({ deposit: dt });
  assert.notEqual(a.index, b.index);
  assert.equal(a.account.balance, ETH);
  assert.equal(bt.account.tokenId, 1);
  assert.equal(bt.account.balance, 5000n);
  assert.notEqual(bt.index, b.index);

  // Top-up of an existing account by anyone; refused up front when the token differs.
  await assert.rejects(alice.deposit({ amount: 10n, toIndex: bt.index }), (e: unknown) => e instanceof SdkError && e.code === 'TOKEN_MISMATCH');

  // L2: alice pays bob, bob withdraws to his L1 address.
  await assert.rejects(alice.transfer({ privateKey: ka.privateKey, from: a.index, to: b.index, amount: 300_000_000_000_000_001n }), (e: unknown) => e instanceof SdkError && e.code === 'AMOUNT_NOT_REPRESENTABLE');
  await assert.rejects(alice.transfer({ privateKey: kb.privateKey, from: a.index, to: b.index, amount: 1n }), (e: unknown) => e instanceof SdkError && e.code === 'KEY_MISMATCH');
  const t = await alice.transfer({ privateKey: ka.privateKey, from: a.index, to: b.index, amount: 3n * 10n ** 17n });
  const amount = 45n * 10n ** 16n;
  const w = await bob.withdraw({ privateKey: kb.privateKey, from: b.index, amount });
  // Claiming before the batch is proven is refused up front (the proof takes seconds; this call, milliseconds).
  await assert.rejects(carol.claim({ hash: w.hash }), (e: unknown) => e instanceof SdkError && e.code === 'NOT_FINAL');
  const statuses: string[] = [];
  const finalT = await alice.waitForFinality({ hash: t.hash });
  const finalW = await bob.waitForFinality({ hash: w.hash, onStatus: (x) => statuses.push(x?.status ?? 'unknown') });
  assert.equal(finalT.status, 'final');
  assert.equal(finalW.kind, 'withdraw');
  assert.ok(finalW.exitSlot !== null);
  assert.equal(statuses.at(-1), 'final');
  assert.equal(await bob.getBalance({ index: b.index }), ETH + 3n * 10n ** 17n - amount);
  assert.equal(await alice.getBalance({ index: a.index }), ETH - 3n * 10n ** 17n);

  // L1: carol submits the claim, so bob's L1 balance changes by exactly the amount (no gas of his).
  const before = await bobL1.public.getBalance({ address: bobAddress });
  const c = await carol.claim({ hash: w.hash });
  assert.equal(c.to.toLowerCase(), bobAddress.toLowerCase());
  assert.equal(c.amount, amount);
  assert.equal(await bobL1.public.getBalance({ address: bobAddress }), before + amount, 'L1 balance rose by exactly the amount');
  await assert.rejects(carol.claim({ hash: w.hash }), (e: unknown) => e instanceof SdkError && e.code === 'ALREADY_CLAIMED');
  await assert.rejects(bob.claim({ hash: t.hash }), (e: unknown) => e instanceof SdkError && e.code === 'EXIT_NOT_FOUND');
});

/** Runs `rampart wallet …` in this process (as the CLI does, output captured) and parses its --json line. */
async function wallet(args: readonly string[]): Promise<Record<string, unknown>> {
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command('rampart');
  registerWalletCommands(program, { out: (t) => (out += t), err: (t) => (err += t), setExitCode: (c) => (code = c) });
  await program.parseAsync(['wallet', ...args, '--json'], { from: 'user' });
  assert.equal(code, 0, `wallet ${args.join(' ')}: ${err}`);
  return JSON.parse(out.trim()) as Record<string, unknown>;
}

test('the README wallet flow: keys new, deposit --wait, transfer --wait, withdraw --wait --claim, balance', { timeout: 600_000 }, async () => {
  const s = stack;
  assert.ok(s);
  const user = s.accounts[3];
  assert.ok(user);
  const l1KeyFile = join(dir, 'l1.key');
  writeFileSync(l1KeyFile, `${user.privateKey}\n`, { mode: 0o600 });
  const common = ['--rpc', s.rpcUrl, '--l1-rpc', s.l1Url, '--rollup', s.rollup];
  const signer = [...common, '--l1-key-file', l1KeyFile];
  const k1 = join(dir, 'k1.json');
  const k2 = join(dir, 'k2.json');
  await wallet(['keys', 'new', '--key-file', k1]);
  await wallet(['keys', 'new', '--key-file', k2]);
  const d1 = await wallet(['deposit', ...signer, '--amount', '2eth', '--key-file', k1, '--wait', '--timeout', '240']);
  const d2 = await wallet(['deposit', ...signer, '--amount', '1eth', '--key-file', k2, '--wait', '--timeout', '240']);
  const a1 = d1['account'] as number;
  const a2 = d2['account'] as number;
  assert.ok(a1 > 0 && a2 > 0 && a1 !== a2);
  const t = await wallet(['transfer', ...common, '--key-file', k1, '--from', String(a1), '--to', String(a2), '--amount', '0.5eth', '--wait', '--timeout', '240']);
  assert.equal(t['status'], 'final');
  const before = await (await createL1Clients({ url: s.l1Url, chainId: s.chainId })).public.getBalance({ address: user.address });
  const w = await wallet(['withdraw', ...signer, '--key-file', k2, '--from', String(a2), '--amount', '1.25eth', '--wait', '--claim', '--timeout', '240']);
  assert.equal(w['status'], 'final');
  assert.match(String(w['claimTx']), /^0x[0-9a-f]{64}$/);
  const after = await (await createL1Clients({ url: s.l1Url, chainId: s.chainId })).public.getBalance({ address: user.address });
  // The user paid gas for the claim, so the rise is the amount minus that gas.
  assert.ok(after > before && after <= before + 125n * 10n ** 16n);
  const bal = await wallet(['balance', '--rpc', s.rpcUrl, '--key-file', k2]);
  assert.deepEqual((bal['accounts'] as { index: number; balance: string }[]).map((x) => [x.index, x.balance]), [[a2, String(25n * 10n ** 16n)]]);
  const st = await wallet(['status', ...common]);
  assert.equal(st['domainVerifiedOnL1'], true);
});
