import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createDevPtau, runDevCeremony } from '../../src/prover/ceremony.ts';
import { affineScratchBytes, Bn254Wasm, buildFixedBaseTable, fixedBaseMul, fixedBaseMulAffine, type Group, SIZES } from '../../src/prover/ceremony-wasm.ts';
import { SetupError } from '../../src/prover/setup-errors.ts';
import { BN254_R, bigintToLE, readPtauInfo } from '../../src/prover/setup-ptau.ts';
import { openSnarkjsWorker, type SnarkjsWorker } from '../../src/prover/setup-tasks.ts';
import { loadSnarkjs } from '../../src/prover/snarkjs-api.ts';
import { ensureChainCircuit } from './fixtures.ts';

let dir: string;
let snark: SnarkjsWorker;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-ceremony-'));
  snark = openSnarkjsWorker();
});

after(async () => {
  await snark.close();
  rmSync(dir, { recursive: true, force: true });
});

test('fixed-base combs (Jacobian and batch-affine) equal double-and-add in G1 and G2, including carry-heavy and repeated scalars', async () => {
  const snarkjs = await loadSnarkjs();
  const curve = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  assert.ok(curve.tm.code !== undefined);
  const w = await Bn254Wasm.create({ code: curve.tm.code, pG1gen: curve.tm.pG1gen, pG2gen: curve.tm.pG2gen });
  const special = [1n, 2n, BN254_R - 1n, (1n << 253n) - 1n, 0xffffn, (1n << 128n) + 0xffffffffn, 0x8000n, 0x7fffn];
  const random = Array.from({ length: 24 }, () => BigInt(`0x${randomBytes(32).toString('hex')}`) % BN254_R);
  // With w = 4 the top digit of 6·2^252 − r is 3 and the lower windows sum to 3·2^252 − r ≡ 3·2^252:
  // the accumulator meets the table point, which the affine comb must double, not divide by zero.
  const scalars = [...special, ...random, (6n << 252n) - BN254_R, 5n, 0n];
  for (const group of ['G1', 'G2'] as Group[]) {
    for (const window of [4, 7, 11, 13]) {
      const mark = w.mark();
      const table = buildFixedBaseTable(w, group, window);
      const s = SIZES[group];
      const pS = w.alloc(scalars.length * 32);
      scalars.forEach((x, i) => w.write(pS + 32 * i, bigintToLE(x, 32)));
      const jac = w.alloc(scalars.length * s.jacobian);
      const out = w.alloc(scalars.length * s.affine);
      fixedBaseMul(w, table, pS, scalars.length, jac, out);
      const out2 = w.alloc(scalars.length * s.affine);
      fixedBaseMulAffine(w, table, pS, scalars.length, w.alloc(affineScratchBytes(group, scalars.length)), out2);
      const refJ = w.alloc(s.jacobian);
      const refA = w.alloc(s.affine);
      for (let i = 0; i < scalars.length; i++) {
        if (group === 'G1') {
          w.ex.g1m_timesScalarAffine(w.pG1gen, pS + 32 * i, 32, refJ);
          w.ex.g1m_toAffine(refJ, refA);
        } else {
          w.ex.g2m_timesScalarAffine(w.pG2gen, pS + 32 * i, 32, refJ);
          w.ex.g2m_toAffine(refJ, refA);
        }
        assert.deepEqual(w.read(out + i * s.affine, s.affine), w.read(refA, s.affine), `${group} w=${window} scalar #${i}`);
        assert.deepEqual(w.read(out2 + i * s.affine, s.affine), w.read(refA, s.affine), `affine ${group} w=${window} scalar #${i}`);
      }
      w.reset(mark);
    }
  }
});

test('a dev ptau is byte-identical to what snarkjs prepare phase2 makes of it, and snarkjs verifies it', async () => {
  const path = join(dir, 'dev5.ptau');
  const r = await createDevPtau({ power: 5, path, threads: 2 });
  assert.equal(r.power, 5);
  const info = await readPtauInfo(path);
  assert.deepEqual({ power: info.power, prepared: info.prepared, contributions: info.contributions }, { power: 5, prepared: true, contributions: 1 });
  assert.equal(await snark.run({ op: 'verifyPtau', ptau: path }), true);
  const prepared = join(dir, 'dev5.snarkjs.ptau');
  await snark.run({ op: 'preparePhase2', ptau: path, out: prepared });
  assert.ok(readFileSync(path).equals(readFileSync(prepared)), 'sections 12-15 equal the FFT-based Lagrange bases');
});

test('snarkjs can contribute on top of a dev ptau: the transcript hashes chain', async () => {
  const path = join(dir, 'dev4.ptau');
  await createDevPtau({ power: 4, path, threads: 1 });
  const next = join(dir, 'dev4.next.ptau');
  await snark.run({ op: 'contributePtau', ptau: path, out: next, name: 'second', entropy: randomBytes(16).toString('hex') });
  assert.equal(await snark.run({ op: 'verifyPtau', ptau: next }), true);
});

test('the direct initial key is byte-identical to snarkjs zkey new; the contributed key passes snarkjs zkey verify', async () => {
  const c = ensureChainCircuit(100);
  const ptau = join(dir, 'c100.ptau');
  const init = join(dir, 'c100.init.zkey');
  const r = await runDevCeremony({ power: 7, path: ptau, threads: 2, circuit: { r1csPath: c.r1csPath, zkeyPath: init, initialOnly: true } });
  assert.equal(r.zkey?.contributionHash, null);
  const viaSnarkjs = join(dir, 'c100.snarkjs.zkey');
  const hash = await snark.run({ op: 'newZKey', r1cs: c.r1csPath, ptau, zkey: viaSnarkjs });
  assert.equal(r.zkey?.circuitHash, hash);
  assert.ok(readFileSync(init).equals(readFileSync(viaSnarkjs)));

  const ptau2 = join(dir, 'c100b.ptau');
  const final = join(dir, 'c100.final.zkey');
  const r2 = await runDevCeremony({ power: 7, path: ptau2, threads: 2, circuit: { r1csPath: c.r1csPath, zkeyPath: final } });
  assert.match(r2.zkey?.contributionHash ?? '', /^[0-9a-f]{128}$/);
  assert.equal(await snark.run({ op: 'verifyZkey', r1cs: c.r1csPath, ptau: ptau2, zkey: final }), true);
  // The key does not verify against another ceremony's ptau.
  assert.equal(await snark.run({ op: 'verifyZkey', r1cs: c.r1csPath, ptau, zkey: final }), false);
});

test('bad ceremony parameters are typed errors', async () => {
  await assert.rejects(createDevPtau({ power: 0, path: join(dir, 'x.ptau') }), (e: unknown) => e instanceof SetupError && e.code === 'SETUP_CONFIG');
  await assert.rejects(createDevPtau({ power: 28, path: join(dir, 'x.ptau') }), (e: unknown) => e instanceof SetupError && e.code === 'SETUP_CONFIG');
  await assert.rejects(createDevPtau({ power: 4, path: join(dir, 'x.ptau'), threads: 0 }), (e: unknown) => e instanceof SetupError && e.code === 'SETUP_CONFIG');
  const c = ensureChainCircuit(100);
  await assert.rejects(
    runDevCeremony({ power: 6, path: join(dir, 'x.ptau'), circuit: { r1csPath: c.r1csPath, zkeyPath: join(dir, 'x.zkey') } }),
    (e: unknown) => e instanceof SetupError && e.code === 'SETUP_PTAU_TOO_SMALL',
  );
});
