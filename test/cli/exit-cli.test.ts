/**
 * `rampart exit` / `rampart exodus` argument checks, in process (no L1 needed): every bad flag is a
 * usage error (exit code 2) with a typed code before anything is sent; an unreachable L1 is exit code 1.
 * The commands' happy paths run against a real devnet in test/scenarios/all-sequencers-offline-exodus.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerExitCommands } from '../../src/cli/exit.ts';

const ROLLUP = '0x00000000000000000000000000000000000000aa';
const KEY = `0x${'11'.repeat(32)}`;

async function run(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let status = 0;
  const saved = { rpc: process.env['RAMPART_L1_RPC'], rollup: process.env['RAMPART_ROLLUP'], key: process.env['RAMPART_L1_KEY'] };
  delete process.env['RAMPART_L1_RPC'];
  delete process.env['RAMPART_ROLLUP'];
  delete process.env['RAMPART_L1_KEY'];
  try {
    const program = new Command('rampart');
    registerExitCommands(program, { out: (t) => (stdout += t), err: (t) => (stderr += t), setExitCode: (c) => (status = c) });
    await program.parseAsync([...args], { from: 'user' });
  } finally {
    for (const [k, v] of [['RAMPART_L1_RPC', saved.rpc], ['RAMPART_ROLLUP', saved.rollup], ['RAMPART_L1_KEY', saved.key]] as const) if (v !== undefined) process.env[k] = v;
  }
  return { status, stdout, stderr };
}

const code = (stderr: string): unknown => (JSON.parse(stderr.trim()) as { error: unknown }).error;

test('usage errors exit 2 with INVALID_ARGUMENT before touching L1', async () => {
  for (const args of [
    ['exit', '--rollup', ROLLUP, '--l1-key', KEY, '--json'], // no L1
    ['exit', '--l1-rpc', 'ftp://x', '--rollup', ROLLUP, '--l1-key', KEY, '--json'],
    ['exit', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', '0x12', '--l1-key', KEY, '--json'],
    ['exit', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', ROLLUP, '--l1-key', '0x12', '--json'],
    ['exit', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', ROLLUP, '--l1-key', KEY, '--account', '0', '--json'],
    ['exit', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', ROLLUP, '--l1-key', KEY, '--owner', 'bob', '--json'],
    ['exodus', 'trigger', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', ROLLUP, '--json'], // no key
    ['exodus', 'proof', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', ROLLUP, '--account', 'x', '--from-block', '0', '--json'],
    ['exodus', 'status', '--l1-rpc', 'http://127.0.0.1:1', '--json'], // no rollup
  ]) {
    const r = await run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(code(r.stderr), 'INVALID_ARGUMENT', args.join(' '));
  }
});

test('an unreachable L1 is a failure (exit 1), not a crash', async () => {
  const r = await run(['exodus', 'status', '--l1-rpc', 'http://127.0.0.1:1', '--rollup', ROLLUP, '--json']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
});
