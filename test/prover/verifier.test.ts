import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { toFunctionSelector } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { type Devnet, startDevnet } from '../../src/l1/devnet.ts';
import { createProver } from '../../src/prover/prover.ts';
import type { ProofPoints } from '../../src/prover/prover-protocol.ts';
import { setupCircuit, type SetupCircuitReturnType } from '../../src/prover/setup.ts';
import {
  buildVerifierContract,
  deployVerifier,
  loadVerifierArtifact,
  matchesRollupInterface,
  measureVerifierGas,
  ROLLUP_VERIFY_PROOF_SIGNATURE,
  type VerifierArtifact,
  verifyOnChain,
} from '../../src/prover/verifier.ts';
import { SetupError } from '../../src/prover/setup-errors.ts';
import { chainInput, ensureChainCircuit, ROOT } from './fixtures.ts';

const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const N = 4000;

let devnet: Devnet;
let clients: L1Clients;
let setup: SetupCircuitReturnType;
let artifact: VerifierArtifact;
let proof: ProofPoints;
let publicSignals: readonly bigint[];

before(async () => {
  const circuit = ensureChainCircuit(N);
  const [d, s] = await Promise.all([startDevnet({ accounts: 2 }), setupCircuit({ r1csPath: circuit.r1csPath, cacheDir: join(ROOT, '.cache', 'setup') })]);
  devnet = d;
  setup = s;
  const account = devnet.accounts[0];
  assert.ok(account !== undefined);
  clients = await createL1Clients({ url: devnet.url, privateKey: account.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  artifact = await loadVerifierArtifact(setup.verifierSourcePath);
  const prover = await createProver({ wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath });
  try {
    ({ proof, publicSignals } = await prover.prove(chainInput(N, 21n, 34n)));
  } finally {
    await prover.close();
  }
});

after(async () => {
  await devnet?.stop();
});

test("the generated verifier compiles and exposes exactly the Rollup's IBatchVerifier.verifyProof", () => {
  assert.equal(artifact.nPublic, 1);
  assert.equal(matchesRollupInterface(artifact), true);
  const rollup = readFileSync(join(ROOT, 'contracts', 'rollup', 'Rollup.sol'), 'utf8');
  assert.match(rollup, /function verifyProof\(\s*uint256\[2\] calldata a,\s*uint256\[2\]\[2\] calldata b,\s*uint256\[2\] calldata c,\s*uint256\[1\] calldata publicSignals\s*\)/);
  assert.equal(toFunctionSelector(ROLLUP_VERIFY_PROOF_SIGNATURE), '0x43753b4d');
  // Cached: the second load does not recompile.
  assert.equal(readFileSync(join(setup.dir, 'Groth16Verifier.json'), 'utf8').includes(artifact.sourceSha256), true);
  assert.throws(() => buildVerifierContract('contract Broken {'), (e: unknown) => e instanceof SetupError && e.code === 'VERIFIER_BUILD_FAILED');
  assert.throws(() => buildVerifierContract('pragma solidity ^0.8.0; contract Groth16Verifier { function verifyProof(uint256 x) external pure returns (bool) { return x == 1; } }'), (e: unknown) => e instanceof SetupError && e.code === 'VERIFIER_BUILD_FAILED');
});

test('on chain a real proof verifies and tampering with a, b, c or the public input does not; gas measured', async () => {
  const { address, gasUsed: deployGas } = await deployVerifier(clients, artifact);
  assert.equal(await verifyOnChain(clients, address, proof, publicSignals), true);
  const negY = ([x, y]: readonly [bigint, bigint]): [bigint, bigint] => [x, Q - y];
  const pub = publicSignals[0] ?? 0n;
  const cases: [string, ProofPoints, readonly bigint[]][] = [
    ['a negated', { ...proof, a: negY(proof.a) }, publicSignals],
    ['a off the curve', { ...proof, a: [proof.a[0], proof.a[1] + 1n] }, publicSignals],
    ['b rows swapped', { ...proof, b: [proof.b[1], proof.b[0]] }, publicSignals],
    ['b in snarkjs coordinate order', { ...proof, b: [[proof.b[0][1], proof.b[0][0]], [proof.b[1][1], proof.b[1][0]]] }, publicSignals],
    ['c negated', { ...proof, c: negY(proof.c) }, publicSignals],
    ['public input + 1', proof, [pub + 1n]],
    ['public input + r', proof, [pub + R]],
  ];
  for (const [what, p, s] of cases) assert.equal(await verifyOnChain(clients, address, p, s), false, what);
  const gas = await measureVerifierGas(clients, address, proof, publicSignals);
  // A Groth16 check is 4 pairings (≈ 181k gas with EIP-1108 prices) plus one ecMul/ecAdd per input.
  assert.ok(gas.executionGas > 150_000n && gas.executionGas < 260_000n, `verifier execution gas ${gas.executionGas}`);
  assert.ok(deployGas > 0n);
});
