import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, before, test } from 'node:test';
import { createProver } from '../../src/prover/prover.ts';
import { SetupError } from '../../src/prover/setup-errors.ts';
import { readPtauInfo } from '../../src/prover/setup-ptau.ts';
import { openSnarkjsWorker, type SnarkjsWorker } from '../../src/prover/setup-tasks.ts';
import { setupCircuit } from '../../src/prover/setup.ts';
import type { VerificationKeyJson } from '../../src/prover/snarkjs-api.ts';
import { verifyProofLocally } from '../../src/prover/verifier.ts';
import { chainInput, ensureChainCircuit } from './fixtures.ts';

let dir: string;
let snark: SnarkjsWorker;
/** An unprepared 2^8 ptau made by snarkjs's own `new` + `contribute`. */
let snarkjsPtau: string;

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const isSetupError = (code: string) => (e: unknown) => e instanceof SetupError && e.code === code;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-setup-'));
  snark = openSnarkjsWorker();
  const blank = join(dir, 'snarkjs-0.ptau');
  await snark.run({ op: 'newAccumulator', power: 8, out: blank });
  snarkjsPtau = join(dir, 'snarkjs-1.ptau');
  await snark.run({ op: 'contributePtau', ptau: blank, out: snarkjsPtau, name: 'test', entropy: randomBytes(16).toString('hex') });
});

after(async () => {
  await snark.close();
  rmSync(dir, { recursive: true, force: true });
});

test('setup writes a manifest of hashes, is a cache hit the second time, and --force redoes it', async () => {
  const c = ensureChainCircuit(200);
  const cacheDir = join(dir, 'cache-a');
  const first = await setupCircuit({ r1csPath: c.r1csPath, cacheDir, circuit: 'chain-200' });
  assert.equal(first.cached, false);
  const m = first.manifest;
  assert.equal(first.dir, join(cacheDir, sha(c.r1csPath)));
  assert.equal(m.r1cs.sha256, sha(c.r1csPath));
  assert.equal(m.r1cs.domainPower, 8);
  assert.equal(m.ptau.source, 'development-ceremony');
  assert.equal(m.ptau.sha256, sha(first.ptauPath));
  assert.equal(m.zkey.sha256, sha(first.zkeyPath));
  assert.equal(m.verificationKey.sha256, sha(first.verificationKeyPath));
  assert.equal(m.verifier.sha256, sha(first.verifierSourcePath));
  assert.equal(m.zkey.contributions.length, 1);
  assert.equal(await snark.run({ op: 'verifyPtau', ptau: first.ptauPath }), true);
  assert.equal(await snark.run({ op: 'verifyZkey', r1cs: c.r1csPath, ptau: first.ptauPath, zkey: first.zkeyPath }), true);

  const t0 = performance.now();
  const second = await setupCircuit({ r1csPath: c.r1csPath, cacheDir });
  assert.equal(second.cached, true);
  assert.deepEqual(second.manifest, first.manifest);
  assert.ok(performance.now() - t0 < 2000, 'a cache hit only hashes files');

  const forced = await setupCircuit({ r1csPath: c.r1csPath, cacheDir, force: true });
  assert.equal(forced.cached, false);
  assert.notEqual(forced.manifest.zkey.sha256, first.manifest.zkey.sha256, 'fresh secrets and entropy');

  // A damaged key is not served from the cache.
  const bytes = readFileSync(forced.zkeyPath);
  const at = bytes.length - 100;
  bytes.writeUInt8(bytes.readUInt8(at) ^ 1, at);
  writeFileSync(forced.zkeyPath, bytes);
  const repaired = await setupCircuit({ r1csPath: c.r1csPath, cacheDir });
  assert.equal(repaired.cached, false);
});

test('import: an unprepared snarkjs ptau is prepared (with a warning), used through snarkjs phase 2, and proofs verify', async () => {
  const c = ensureChainCircuit(200);
  const cacheDir = join(dir, 'cache-b');
  const logs: string[] = [];
  const r = await setupCircuit({ r1csPath: c.r1csPath, cacheDir, ptauPath: snarkjsPtau }, { log: (l) => logs.push(l) });
  assert.equal(r.cached, false);
  assert.ok(logs.some((l) => l.includes('not prepared')), 'warns that prepare phase2 is slow');
  assert.equal(r.manifest.ptau.source, 'imported');
  assert.equal(r.manifest.ptau.importedSha256, sha(snarkjsPtau));
  assert.equal((await readPtauInfo(r.ptauPath)).prepared, true);
  assert.equal(await snark.run({ op: 'verifyZkey', r1cs: c.r1csPath, ptau: r.ptauPath, zkey: r.zkeyPath }), true);

  const prover = await createProver({ wasmPath: c.wasmPath, zkeyPath: r.zkeyPath });
  try {
    const input = chainInput(200, 11n, 13n);
    const { proof, publicSignals } = await prover.prove(input);
    assert.deepEqual(publicSignals, [input.pub]);
    const vk = JSON.parse(readFileSync(r.verificationKeyPath, 'utf8')) as VerificationKeyJson;
    assert.equal(await verifyProofLocally(vk, proof, publicSignals), true);
  } finally {
    await prover.close();
  }

  // The same import again is a hit; the prepared file, imported elsewhere, is used as is.
  assert.equal((await setupCircuit({ r1csPath: c.r1csPath, cacheDir, ptauPath: snarkjsPtau })).cached, true);
  const logs2: string[] = [];
  const direct = await setupCircuit({ r1csPath: c.r1csPath, cacheDir: join(dir, 'cache-c'), ptauPath: r.ptauPath }, { log: (l) => logs2.push(l) });
  assert.equal(logs2.length, 0);
  assert.ok(isAbsolute(direct.manifest.ptau.file));
  assert.equal(direct.ptauPath, r.ptauPath);
});

test('import: bad or too small ptau files and bad r1cs files are typed errors', async () => {
  const big = ensureChainCircuit(300); // needs 2^9
  await assert.rejects(setupCircuit({ r1csPath: big.r1csPath, cacheDir: join(dir, 'cache-d'), ptauPath: snarkjsPtau }), isSetupError('SETUP_PTAU_TOO_SMALL'));
  const garbage = join(dir, 'garbage.ptau');
  writeFileSync(garbage, randomBytes(4096));
  await assert.rejects(setupCircuit({ r1csPath: big.r1csPath, cacheDir: join(dir, 'cache-d'), ptauPath: garbage }), isSetupError('SETUP_PTAU_INVALID'));
  await assert.rejects(setupCircuit({ r1csPath: big.r1csPath, cacheDir: join(dir, 'cache-d'), ptauPath: join(dir, 'missing.ptau') }), isSetupError('SETUP_PTAU_INVALID'));
  // A fresh accumulator (every point the generator) has no contribution: never usable.
  await assert.rejects(setupCircuit({ r1csPath: big.r1csPath, cacheDir: join(dir, 'cache-d'), ptauPath: join(dir, 'snarkjs-0.ptau') }), isSetupError('SETUP_PTAU_INVALID'));
  const truncated = join(dir, 'truncated.ptau');
  writeFileSync(truncated, readFileSync(snarkjsPtau).subarray(0, 5000));
  await assert.rejects(setupCircuit({ r1csPath: big.r1csPath, cacheDir: join(dir, 'cache-d'), ptauPath: truncated }), isSetupError('SETUP_PTAU_INVALID'));
  await assert.rejects(setupCircuit({ r1csPath: garbage, cacheDir: join(dir, 'cache-d') }), isSetupError('SETUP_R1CS_INVALID'));
});

test('a lock and a half-built folder left by a killed setup do not block the next one', async () => {
  const c = ensureChainCircuit(200);
  const cacheDir = join(dir, 'cache-e');
  const hash = sha(c.r1csPath);
  // The pid of a process that has exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(dead.stdout);
  mkdirSync(join(cacheDir, `${hash}.lock`), { recursive: true });
  writeFileSync(join(cacheDir, `${hash}.lock`, 'pid'), `${pid}\n`);
  mkdirSync(join(cacheDir, `${hash}.tmp-${pid}`));
  const r = await setupCircuit({ r1csPath: c.r1csPath, cacheDir });
  assert.equal(r.cached, false);
  assert.equal(existsSync(join(cacheDir, `${hash}.lock`)), false);
  assert.equal(existsSync(join(cacheDir, `${hash}.tmp-${pid}`)), false);
});
