/** `rampart wallet` as a user runs it: a real child process, exit codes, --json and human output. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { getAddress } from 'viem';
import { Command } from 'commander';
import { registerWalletCommands } from '../../src/cli/wallet.ts';
import { user } from '../support/rollup.ts';
import { type MockNode, startMockNode } from './mockNode.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rampart-wallet-cli-'));
let node: MockNode;
before(async () => {
  node = await startMockNode();
});
after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

type Run = { status: number | null; stdout: string; stderr: string };
// Async (not spawnSync): the mock node lives in this process and must keep answering.
function wallet(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'wallet', ...args], { cwd: ROOT, env: { ...clean, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}
/**
 * The same commands in this process (registerWalletCommands on a fresh program), for the many
 * argument checks: spawning tsx costs seconds per run. Commander's own usage errors call
 * process.exit, so those are only tested in a child process.
 */
async function walletInProcess(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let status = 0;
  const program = new Command('rampart');
  registerWalletCommands(program, { out: (t) => (stdout += t), err: (t) => (stderr += t), setExitCode: (c) => (status = c) });
  await program.parseAsync(['wallet', ...args], { from: 'user' });
  return { status, stdout, stderr };
}
const lastJson = (text: string): Record<string, unknown> => JSON.parse(text.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

test('keys new writes a 0600 key file and refuses to overwrite it; keys show prints only the public key', async () => {
  const path = join(dir, 'k.json');
  const made = await wallet(['keys', 'new', '--key-file', path, '--json']);
  assert.equal(made.status, 0, made.stderr);
  const out = lastJson(made.stdout) as { publicKey: string[] };
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const before = readFileSync(path, 'utf8');
  const again = await wallet(['keys', 'new', '--key-file', path, '--json']);
  assert.equal(again.status, 1);
  assert.equal(lastJson(again.stderr)['error'], 'KEY_FILE_EXISTS');
  assert.equal(readFileSync(path, 'utf8'), before);
  const shown = await walletInProcess(['keys', 'show', '--key-file', path]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.ok(shown.stdout.includes(out.publicKey[0] ?? 'missing'));
  assert.ok(!shown.stdout.includes((JSON.parse(before) as { privateKey: string }).privateKey), 'never prints the private key');
  const human = await walletInProcess(['keys', 'new', '--key-file', path]);
  assert.equal(human.status, 1);
  assert.match(human.stderr, /^error \[KEY_FILE_EXISTS\]: /);
});

test('bad flags are usage errors with exit code 2 and a precise message, before anything is sent', async () => {
  const key = join(dir, 'k.json');
  const rpc = node.url;
  const cases: [string[], RegExp][] = [
    [['transfer', '--rpc', rpc, '--key-file', key, '--from', '1', '--to', 'two', '--amount', '5', '--json'], /--to must be an account index/],
    [['transfer', '--rpc', rpc, '--key-file', key, '--from', '0', '--to', '2', '--amount', '5', '--json'], /--from must be an account index/],
    [['transfer', '--rpc', rpc, '--key-file', key, '--from', '1', '--to', '2', '--amount', '1.5', '--json'], /not a whole number of base units/],
    [['transfer', '--rpc', rpc, '--key-file', key, '--from', '1', '--to', '2', '--amount', '-3', '--json'], /not an amount/],
    [['transfer', '--rpc', 'ftp://x', '--key-file', key, '--from', '1', '--to', '2', '--amount', '5', '--json'], /--rpc must be an http\(s\) URL/],
    [['transfer', '--rpc', rpc, '--key-file', key, '--from', '1', '--to', '2', '--amount', '5', '--json'], /signing needs --l1-rpc/],
    [['transfer', '--key-file', key, '--from', '1', '--to', '2', '--amount', '5', '--json'], /no node: pass --rpc/],
    [['withdraw', '--rpc', rpc, '--key-file', key, '--from', '1', '--amount', '5', '--claim', '--json'], /--claim needs --wait/],
    [['claim', '--rpc', rpc, '--batch', '3', '--json'], /--tx HASH, or --batch N --slot S|go together/],
    [['claim', '--rpc', rpc, '--tx', '0x12', '--json'], /--tx must be a 32-byte/],
    [['deposit', '--rpc', rpc, '--amount', '1eth', '--to', '3', '--key-file', key, '--json'], /not both/],
    [['deposit', '--rpc', rpc, '--amount', '1eth', '--token', '0x12', '--json'], /--token must be a 20-byte/],
    [['deposit', '--rpc', rpc, '--l1-rpc', 'http://127.0.0.1:9', '--amount', '1eth', '--to', '3', '--l1-key', '0x12', '--json'], /L1 key must be 32 bytes/],
    [['balance', '--rpc', rpc, '--json'], /exactly one of --account, --key-file, --owner/],
    [['balance', '--rpc', rpc, '--account', '1', '--owner', '0x0000000000000000000000000000000000000001', '--json'], /exactly one/],
    [['transfer', '--rpc', rpc, '--key-file', key, '--from', '1', '--to', '2', '--amount', '5', '--wait', '--timeout', '0', '--json'], /--timeout must be at least 1 second/],
  ];
  const results: Run[] = [];
  for (const [args] of cases) results.push(await walletInProcess(args));
  results.forEach((r, i) => {
    const [args, re] = cases[i] ?? [[], /./];
    assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
    const err = lastJson(r.stderr);
    assert.equal(err['error'], 'INVALID_ARGUMENT', args.join(' '));
    assert.match(String(err['message']), re, args.join(' '));
  });
  // Commander's own usage errors (missing required flag, unknown flag) also exit 2.
  const missing = await wallet(['transfer', '--rpc', rpc]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /required option/);
  assert.equal(node.calls.filter((c) => c.method === 'rampart_sendTransaction').length, 0);
});

test('an unrepresentable amount is refused with the nearest lower amount (exit 2)', async () => {
  const r = await walletInProcess(['transfer', '--rpc', node.url, '--l1-rpc', 'http://127.0.0.1:9', '--key-file', join(dir, 'k.json'), '--from', '1', '--to', '2', '--amount', '1000000001000', '--json']);
  assert.equal(r.status, 2, r.stderr);
  const err = lastJson(r.stderr) as { error: string; details: { nearestLower: string } };
  assert.equal(err.error, 'AMOUNT_NOT_REPRESENTABLE');
  assert.equal(err.details.nearestLower, '1000000000000');
});

test('balance and status read the node; a misbehaving node is a typed failure with exit code 1', async () => {
  const u = user(2);
  const hex = (v: bigint): string => `0x${v.toString(16)}`;
  node.handlers.set('rampart_getAccount', (p) => ({ result: p[0] === 7 ? { index: 7, tokenId: 1, balance: '0x2a', nonce: 3, publicKey: [hex(u.publicKey[0]), hex(u.publicKey[1])], l1Address: '0x00000000000000000000000000000000000010aa' } : null }));
  const ok = await walletInProcess(['balance', '--rpc', node.url, '--account', '7', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual({ ...lastJson(ok.stdout), publicKey: null }, { index: 7, tokenId: 1, balance: '42', nonce: 3, l1Address: getAddress('0x00000000000000000000000000000000000010aa'), publicKey: null });
  const human = await wallet(['balance', '--account', '7'], { RAMPART_RPC: node.url });
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /account 7: token 1, balance 42, nonce 3/);
  const none = await walletInProcess(['balance', '--rpc', node.url, '--account', '8', '--json']);
  assert.equal(none.status, 1);
  assert.equal(lastJson(none.stderr)['error'], 'ACCOUNT_NOT_FOUND');

  const status = await walletInProcess(['status', '--rpc', node.url, '--json']);
  assert.equal(status.status, 0, status.stderr);
  assert.equal(lastJson(status.stdout)['chainId'], 31337);

  node.handlers.set('rampart_getAccount', () => ({ result: { index: 7, balance: 'lots' } }));
  const bad = await walletInProcess(['balance', '--rpc', node.url, '--account', '7', '--json']);
  assert.equal(bad.status, 1);
  assert.equal(lastJson(bad.stderr)['error'], 'NODE_INVALID_RESPONSE');
  const keyFile = join(dir, 'loose.json');
  writeFileSync(keyFile, readFileSync(join(dir, 'k.json')), { mode: 0o644 });
  const loose = await walletInProcess(['balance', '--rpc', node.url, '--key-file', keyFile, '--json']);
  assert.equal(loose.status, 1);
  assert.equal(lastJson(loose.stderr)['error'], 'KEY_FILE_PERMISSIONS');
});
