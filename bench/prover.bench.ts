/**
 * Trusted setup, proving and on-chain verification:
 * - setup time per step (development ceremony: ptau points, transcript hashes, proving key; then
 *   the snarkjs exports) at 2^15 with the prover tests' chain circuit, and (full mode) the `devnet`
 *   batch circuit at 2^17 if it is compiled (else a 2^16 chain);
 * - proving time (witness, snarkjs prove) for the chain circuit at 2^12 and 2^15, and for the batch
 *   circuit's `test` set (first committed test vector) and `devnet` set (a full batch) when they are
 *   compiled (`npm run build:circuits`), else skipped with a note on stderr;
 * - gas of the generated verifier (one public input) on the devnet L1, and its deployment;
 * - `npm run bench:large` (runLarge): setup and proving of the 8-slot depth32-tx8 batch circuit
 *   (≈ 250k constraints, 2^18), compiled on first use (minutes).
 * Setups run with `force` into a temporary cache, so the figures are first-time costs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createL1Clients } from '../src/l1/createL1Clients.ts';
import { startDevnet } from '../src/l1/devnet.ts';
import { createProver, type ProverInput } from '../src/prover/prover.ts';
import { createProgressFactory, silentProgress } from '../src/prover/setup-progress.ts';
import { setupCircuit } from '../src/prover/setup.ts';
import { deployVerifier, loadVerifierArtifact, measureVerifierGas } from '../src/prover/verifier.ts';
import { chainInput, ensureChainCircuit, ROOT } from '../test/prover/fixtures.ts';
import { type BenchResult, median } from './util.ts';

const log = (l: string): void => void process.stderr.write(`${l}\n`);
const progress = process.stderr.isTTY === true ? createProgressFactory(process.stderr) : silentProgress;
const STEPS = ['hashInputs', 'ceremony.prepare', 'ceremony.points', 'ceremony.ptauHashes', 'ceremony.zkeyFinish', 'ceremony', 'exportVerificationKey', 'exportVerifier', 'hashOutputs', 'total'] as const;

async function setupSteps(label: string, r1csPath: string, reps: number): Promise<BenchResult[]> {
  const samples = new Map<string, number[]>();
  let constraints = 0;
  let power = 0;
  for (let i = 0; i < reps; i++) {
    const cacheDir = mkdtempSync(join(tmpdir(), 'rampart-bench-setup-'));
    try {
      log(`bench: setup ${label} (${i + 1}/${reps})`);
      const r = await setupCircuit({ r1csPath, cacheDir, force: true, circuit: label }, { progress, log });
      constraints = r.manifest.r1cs.constraints;
      power = r.manifest.r1cs.domainPower;
      for (const step of STEPS) {
        const v = r.manifest.timingsMs[step];
        if (v !== undefined) samples.set(step, [...(samples.get(step) ?? []), v]);
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
  return [...samples].map(([step, s]) => ({
    name: `prover.setup.${label}.${step}`,
    value: median(s),
    unit: 'ms',
    params: { circuit: label, constraints, power, phase2: 'direct', threads: 'all cores' },
    samples: s,
    ...(step === 'total' && power === 17 ? { target: { op: '<=' as const, value: 60_000 } } : {}),
  }));
}

async function provingTime(label: string, r1csPath: string, wasmPath: string, input: ProverInput, reps: number): Promise<BenchResult[]> {
  const setup = await setupCircuit({ r1csPath, cacheDir: join(ROOT, '.cache', 'setup'), circuit: label }, { progress, log });
  const prover = await createProver({ wasmPath, zkeyPath: setup.zkeyPath, threads: 1, verify: false });
  const witness: number[] = [];
  const prove: number[] = [];
  try {
    await prover.prove(input); // warm-up: engine threads, caches
    for (let i = 0; i < reps; i++) {
      const r = await prover.prove(input);
      witness.push(r.witnessMs);
      prove.push(r.proveMs);
    }
  } finally {
    await prover.close();
  }
  const params = { circuit: label, constraints: setup.manifest.r1cs.constraints, power: setup.manifest.r1cs.domainPower, workers: 1, engine: 'pool' };
  return [
    { name: `prover.witness.${label}`, value: median(witness), unit: 'ms', params, samples: witness },
    { name: `prover.prove.${label}`, value: median(prove), unit: 'ms', params, samples: prove },
  ];
}

async function parallelThroughput(label: string, r1csPath: string, wasmPath: string, inputs: readonly ProverInput[]): Promise<BenchResult> {
  const setup = await setupCircuit({ r1csPath, cacheDir: join(ROOT, '.cache', 'setup'), circuit: label }, { progress, log });
  const prover = await createProver({ wasmPath, zkeyPath: setup.zkeyPath, threads: 2, verify: false });
  try {
    await Promise.all([prover.prove(inputs[0] ?? {}), prover.prove(inputs[1] ?? {})]);
    const t0 = performance.now();
    await Promise.all(inputs.map((i) => prover.prove(i)));
    const ms = performance.now() - t0;
    return { name: `prover.parallel.${label}`, value: ms / inputs.length, unit: 'ms/proof', params: { circuit: label, proofs: inputs.length, workers: 2 } };
  } finally {
    await prover.close();
  }
}

/** The batch circuit's `test` set with the first committed test vector, if compiled. */
async function batchTestCircuit(reps: number): Promise<BenchResult[]> {
  const dir = join(ROOT, '.cache', 'circuits', 'test');
  const vectors = join(ROOT, 'test', 'vectors', 'circuit-test-batches.json');
  if (!existsSync(join(dir, 'main.r1cs')) || !existsSync(vectors)) {
    log('bench: prover: .cache/circuits/test not built (npm run build:circuits -- test); skipping the batch test circuit');
    return [];
  }
  const { circuitInputFromJson } = await import('../src/prover/witness.ts');
  const json = JSON.parse(readFileSync(vectors, 'utf8')) as { batches: { input: unknown }[] };
  const input = circuitInputFromJson(json.batches[0]?.input);
  return provingTime('batch-test', join(dir, 'main.r1cs'), join(dir, 'main_js', 'main.wasm'), input, reps);
}

/** The `devnet` set with a batch filling every slot (built like bench/circuit.bench.ts), if compiled. */
async function batchDevnetCircuit(reps: number): Promise<BenchResult[]> {
  const dir = join(ROOT, '.cache', 'circuits', 'devnet');
  if (!existsSync(join(dir, 'main.r1cs'))) {
    log('bench: prover: .cache/circuits/devnet not built (npm run build:circuits -- devnet); skipping');
    return [];
  }
  let input: ProverInput;
  try {
    input = await devnetBatchInput();
  } catch (err) {
    log(`bench: prover: cannot build a devnet batch input (${err instanceof Error ? err.message : String(err)}); skipping`);
    return [];
  }
  return provingTime('batch-devnet', join(dir, 'main.r1cs'), join(dir, 'main_js', 'main.wasm'), input, reps);
}

/** A full `devnet` batch (one deposit, a transfer, a withdraw, a fee), as bench/circuit.bench.ts builds it. */
export async function devnetBatchInput(): Promise<ProverInput> {
  const [{ accountLeaf }, eddsa, { frToBytesLE }, float, { SparseMerkleTree }, { MemoryState }, stf, tx, { CIRCUIT_SETS, stfConfigForCircuit }, { batchWitnessFromResult }] = await Promise.all([
    import('../src/core/account.ts'),
    import('../src/core/eddsa.ts'),
    import('../src/core/field.ts'),
    import('../src/core/float.ts'),
    import('../src/core/smt.ts'),
    import('../src/core/state.ts'),
    import('../src/core/stf.ts'),
    import('../src/core/tx.ts'),
    import('../src/prover/circuit-params.ts'),
    import('../src/prover/witness.ts'),
  ]);
  const params = CIRCUIT_SETS.devnet;
  const config = stfConfigForCircuit(params, { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n });
  const keys = [0, 1, 2].map((i) => {
    const key = eddsa.createPrivateKey(new Uint8Array(32).fill(i + 1));
    return { key, pub: eddsa.publicKeyFromPrivate(key) };
  });
  const state = new MemoryState();
  const tree = new SparseMerkleTree(config.treeDepth, state);
  const accounts = new Map(keys.map((k, i) => [i + 1, { tokenId: 0, balance: 1_000_000n, nonce: 0, publicKey: k.pub, l1Address: 0xa000n + BigInt(i) }] as const));
  tree.updateMany([...accounts].map(([i, a]) => [i, frToBytesLE(accountLeaf(a))] as const));
  state.apply({ nodes: tree.changes, accounts, nextIndex: 4 });
  const domain = tx.domainHash(config.domain);
  const maxFeeF = float.floatEncode(float.FLOAT16, 10n);
  const k0 = keys[0];
  const k1 = keys[1];
  if (k0 === undefined || k1 === undefined) return {};
  const b0 = { kind: 'transfer' as const, from: 1, to: 2, amountF: float.floatEncode(float.FLOAT32, 1_000n), maxFeeF, nonce: 0 };
  const b1 = { kind: 'withdraw' as const, from: 2, to: 0, amountF: float.floatEncode(float.FLOAT32, 500n), maxFeeF, nonce: 0 };
  const l2Txs = [
    { ...b0, signature: eddsa.sign(k0.key, tx.l2TxMessage(b0, domain)) },
    { ...b1, signature: eddsa.sign(k1.key, tx.l2TxMessage(b1, domain)) },
  ];
  const l1Ops = [{ kind: 'deposit' as const, l1Address: 0xbeefn, tokenId: 0, amount: 7n, toIdx: 3 }];
  const feeTable = [{ tokenId: 0, accountIdx: 3, fee: 2n }];
  const result = stf.applyBatch(state, { l1Ops, l2Txs, feeTable }, config);
  return batchWitnessFromResult({ params, config, state, result, l1Ops, feeTable, batchNum: 1n, l1Start: 0n }).input;
}

async function verifierGas(): Promise<BenchResult[]> {
  const c = ensureChainCircuit(4000);
  const setup = await setupCircuit({ r1csPath: c.r1csPath, cacheDir: join(ROOT, '.cache', 'setup') }, { progress, log });
  const prover = await createProver({ wasmPath: c.wasmPath, zkeyPath: setup.zkeyPath });
  const devnet = await startDevnet({ accounts: 1 });
  try {
    const { proof, publicSignals } = await prover.prove(chainInput(4000, 3n, 4n));
    const account = devnet.accounts[0];
    if (account === undefined) return [];
    const clients = await createL1Clients({ url: devnet.url, privateKey: account.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const artifact = await loadVerifierArtifact(setup.verifierSourcePath);
    const { address, gasUsed } = await deployVerifier(clients, artifact);
    const gas = await measureVerifierGas(clients, address, proof, publicSignals);
    const params = { nPublic: publicSignals.length, evm: 'cancun (EIP-1108 precompile prices)' };
    return [
      { name: 'prover.verifier.gas.execution', value: Number(gas.executionGas), unit: 'gas', params },
      { name: 'prover.verifier.gas.tx', value: Number(gas.txGas), unit: 'gas', params: { ...params, includes: '21000 + calldata' } },
      { name: 'prover.verifier.gas.deploy', value: Number(gasUsed), unit: 'gas', params },
    ];
  } finally {
    await prover.close();
    await devnet.stop();
  }
}

export async function run({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const small = ensureChainCircuit(4000);
  const c15 = ensureChainCircuit(30_000);
  out.push(...(await setupSteps('chain-2^15', c15.r1csPath, 1)));
  if (!quick) {
    const devnet = join(ROOT, '.cache', 'circuits', 'devnet', 'main.r1cs');
    if (existsSync(devnet)) out.push(...(await setupSteps('devnet', devnet, 1)));
    else {
      log('bench: prover: .cache/circuits/devnet not built; timing a 2^16 chain instead');
      out.push(...(await setupSteps('chain-2^16', ensureChainCircuit(60_000).r1csPath, 1)));
    }
  }
  out.push(...(await provingTime('chain-2^12', small.r1csPath, small.wasmPath, chainInput(4000, 1n, 2n), quick ? 3 : 7)));
  out.push(...(await provingTime('chain-2^15', c15.r1csPath, c15.wasmPath, chainInput(30_000, 1n, 2n), quick ? 3 : 5)));
  if (!quick) out.push(await parallelThroughput('chain-2^15', c15.r1csPath, c15.wasmPath, [1n, 2n, 3n, 4n].map((x) => chainInput(30_000, x, 2n))));
  out.push(...(await batchTestCircuit(quick ? 2 : 5)));
  if (!quick) out.push(...(await batchDevnetCircuit(3)));
  out.push(...(await verifierGas()));
  return out;
}

/** `npm run bench:large`: setup (first-time, forced) and proving of a full depth32-tx8 batch. */
export async function runLarge({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  const { ensureCircuit } = await import('../scripts/build-circuits.ts');
  const { fullBatchInput } = await import('./circuit.bench.ts');
  const circuit = await ensureCircuit('depth32-tx8', { log });
  const out: BenchResult[] = [];
  if (!quick) out.push(...(await setupSteps('depth32-tx8', circuit.r1csPath, 1)));
  out.push(...(await provingTime('batch-depth32-tx8', circuit.r1csPath, circuit.wasmPath, fullBatchInput('depth32-tx8'), quick ? 1 : 3)));
  return out;
}
