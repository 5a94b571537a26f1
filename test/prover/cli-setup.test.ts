import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureChainCircuit, ROOT } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rampart(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rampart setup --r1cs sets up, reports one JSON line, and hits the cache the second time', () => {
  const c = ensureChainCircuit(200);
  const first = rampart(['setup', '--r1cs', c.r1csPath, '--cache-dir', dir]);
  assert.equal(first.status, 0, first.stderr);
  const out = JSON.parse(first.stdout) as { event: string; cached: boolean; domainPower: number; verifier: { nPublic: number; rollupInterface: boolean }; timingsMs: Record<string, number> };
  assert.equal(out.event, 'setup');
  assert.equal(out.cached, false);
  assert.equal(out.domainPower, 8);
  assert.deepEqual(out.verifier, { ...out.verifier, nPublic: 1, rollupInterface: true });
  assert.ok((out.timingsMs['total'] ?? 0) > 0);
  assert.match(first.stderr, /ptau 2\^8/, 'progress goes to stderr');
  const second = rampart(['setup', '--r1cs', c.r1csPath, '--cache-dir', dir]);
  assert.equal(second.status, 0, second.stderr);
  assert.equal((JSON.parse(second.stdout) as { cached: boolean }).cached, true);
});

test('rampart setup reports a missing circuit or a bad ptau as a typed error and exit code 1', () => {
  const missing = rampart(['setup', '--circuit', 'no-such-set', '--circuits-dir', dir, '--cache-dir', dir]);
  assert.equal(missing.status, 1);
  assert.equal((JSON.parse(missing.stderr.trim().split('\n').pop() ?? '{}') as { error: string }).error, 'SETUP_CIRCUIT_MISSING');
  const c = ensureChainCircuit(200);
  const bad = rampart(['setup', '--r1cs', c.r1csPath, '--ptau', c.r1csPath, '--cache-dir', dir]);
  assert.equal(bad.status, 1);
  assert.equal((JSON.parse(bad.stderr.trim().split('\n').pop() ?? '{}') as { error: string }).error, 'SETUP_PTAU_INVALID');
});
