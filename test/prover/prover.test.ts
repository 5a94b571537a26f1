import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FR_MODULUS } from '../../src/core/field.ts';
import { ProvingError } from '../../src/prover/prover-errors.ts';
import { createProver, type ProofPoints, type Prover } from '../../src/prover/prover.ts';
import { setupCircuit, type SetupCircuitReturnType } from '../../src/prover/setup.ts';
import type { VerificationKeyJson } from '../../src/prover/snarkjs-api.ts';
import { verifyProofsLocally } from '../../src/prover/verifier.ts';
import { chainInput, type ChainCircuit, ensureChainCircuit, ROOT } from './fixtures.ts';

/** BN254 base field: negating a point's y keeps it on the curve but makes the proof wrong. */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const N = 4000;

let circuit: ChainCircuit;
let setup: SetupCircuitReturnType;
let vk: VerificationKeyJson;
let prover: Prover;

const isProvingError = (code: string) => (e: unknown) => e instanceof ProvingError && e.code === code;

before(async () => {
  circuit = ensureChainCircuit(N);
  setup = await setupCircuit({ r1csPath: circuit.r1csPath, cacheDir: join(ROOT, '.cache', 'setup'), circuit: `test chain-${N}` });
  vk = JSON.parse(readFileSync(setup.verificationKeyPath, 'utf8')) as VerificationKeyJson;
  prover = await createProver({ wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, threads: 2 });
});

after(async () => {
  await prover.close();
});

test('two workers prove several inputs in parallel; every proof verifies with snarkjs', async () => {
  assert.equal(prover.threads, 2);
  assert.equal(prover.nPublic, 1);
  const inputs = [1n, 2n, 3n, 4n].map((x) => chainInput(N, x, 99n));
  const pending = inputs.map((i) => prover.prove(i));
  assert.equal(prover.pending(), 4);
  const results = await Promise.all(pending);
  assert.equal(prover.pending(), 0);
  for (const [i, r] of results.entries()) {
    assert.deepEqual(r.publicSignals, [inputs[i]?.pub]);
    assert.ok(r.witnessMs >= 0 && r.proveMs > 0);
    for (const v of [...r.proof.a, ...r.proof.b.flat(), ...r.proof.c]) assert.ok(v > 0n && v < Q);
  }
  assert.deepEqual(await verifyProofsLocally(vk, results), [true, true, true, true]);
});

test('tampered proofs and public inputs are rejected by the verifier', async () => {
  const input = chainInput(N, 5n, 6n);
  const { proof, publicSignals } = await prover.prove(input);
  const negY = ([x, y]: readonly [bigint, bigint]): [bigint, bigint] => [x, Q - y];
  const tampered: [string, ProofPoints, readonly bigint[]][] = [
    ['a', { ...proof, a: negY(proof.a) }, publicSignals],
    ['b', { ...proof, b: [proof.b[1], proof.b[0]] }, publicSignals],
    ['c', { ...proof, c: negY(proof.c) }, publicSignals],
    ['public input', proof, [input.pub + 1n]],
    ['public input ≥ r', proof, [input.pub + FR_MODULUS]],
  ];
  const verdicts = await verifyProofsLocally(vk, [{ proof, publicSignals }, ...tampered.map(([, p, s]) => ({ proof: p, publicSignals: s }))]);
  assert.deepEqual(verdicts, [true, ...tampered.map(() => false)], `accepted: ${tampered.filter((_, i) => verdicts[i + 1]).map(([w]) => w).join(', ')}`);
});

test('an input the circuit cannot satisfy is WITNESS_FAILED, and the prover keeps working', async () => {
  const good = chainInput(N, 7n, 8n);
  await assert.rejects(prover.prove({ ...good, pub: good.pub + 1n }), isProvingError('WITNESS_FAILED'));
  await assert.rejects(prover.prove({ x: 7n, k: 8n }), isProvingError('WITNESS_FAILED'));
  await assert.rejects(prover.prove({ ...good, extra: 1n }), isProvingError('WITNESS_FAILED'));
  const r = await prover.prove(good);
  assert.deepEqual(r.publicSignals, [good.pub]);
});

test('close finishes the running proof, refuses queued and later ones, and ends the workers', async () => {
  const p = await createProver({ wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, threads: 1 });
  const running = p.prove(chainInput(N, 1n, 1n));
  // Observed at once: close() rejects it before this test awaits it.
  const queued = p.prove(chainInput(N, 2n, 2n)).then(
    () => undefined,
    (e: unknown) => e,
  );
  await new Promise((r) => setTimeout(r, 50));
  await p.close();
  assert.ok((await running).proveMs > 0);
  assert.ok(isProvingError('PROVER_CLOSED')(await queued));
  await assert.rejects(p.prove(chainInput(N, 3n, 3n)), isProvingError('PROVER_CLOSED'));
  await p.close();
});

test('bad prover configuration is PROVER_CONFIG', async () => {
  await assert.rejects(createProver({ wasmPath: circuit.wasmPath, zkeyPath: join(ROOT, 'missing.zkey') }), isProvingError('PROVER_CONFIG'));
  await assert.rejects(createProver({ wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, threads: 0 }), isProvingError('PROVER_CONFIG'));
  // A file that is not a zkey fails at load, inside the worker.
  await assert.rejects(createProver({ wasmPath: circuit.wasmPath, zkeyPath: circuit.r1csPath }), isProvingError('PROVER_CONFIG'));
});
