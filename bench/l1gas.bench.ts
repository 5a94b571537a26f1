/**
 * L1 cost of the ZK rollup per transfer, measured on the devnet L1 (Hardhat EDR, `cancun`) with the
 * real contracts: a Rollup deployed with a circuit set's parameters, accounts created by L1 deposits,
 * then batches filled with signed transfers that go the node's way: mempool admission with signature
 * verification, then the sequencer's seal-and-commit steps (queued L1 ops read from L1, STF,
 * zkBatchFromResult, commitBatch) — inlined from src/node/sequencer.ts so the bench does not depend on
 * the node's persistence and batcher wiring. Per batch it reads the commitBatch receipt's gasUsed
 * and calldata, and — for sets whose circuit is compiled and set up — builds the witness from the
 * pre-batch state, proves with Groth16 and sends proveBatch.
 *
 * - `devnet` set (2 L2 slots): commit + real proof per batch (`npm run bench`).
 * - `depth32-tx8` set (8 L2 slots): the same with its own setup and proofs (`npm run bench:large`).
 * - maxL2Txs = 64 / 256 / 1024, **commit only**: the Rollup is deployed with that batch size (no
 *   matching circuit exists; commitBatch never calls the verifier); the prove cost added to them is
 *   the measured devnet proveBatch gas, which does not depend on the batch size (the verifier checks
 *   one public input, the batch's input hash, whatever the batch holds).
 *
 * Calldata gas depends on zero bytes: the bench's account indices are small (mostly zero bytes), so
 * the worst case (16 gas for every record byte) is reported beside it.
 */
import { type Abi, type Address, type Hex, bytesToHex, hexToBytes } from 'viem';
import { zkBatchFromResult } from '../src/core/batch-commitment.ts';
import { createPrivateKey, publicKeyFromPrivate, sign, type PrivateKey, type PublicKey } from '../src/core/eddsa.ts';
import { RampartError } from '../src/core/errors.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../src/core/float.ts';
import { FIRST_ACCOUNT_INDEX } from '../src/core/params.ts';
import { MemoryState } from '../src/core/state.ts';
import { applyBatch, eddsaVerifier, type FeeEntry } from '../src/core/stf.ts';
import { domainHash, encodeL1Ops, l2TxMessage, type L2TxBody } from '../src/core/tx.ts';
import { createL1Clients, type L1Clients } from '../src/l1/createL1Clients.ts';
import { deployRollup } from '../src/l1/deployRollup.ts';
import { startDevnet, type Devnet } from '../src/l1/devnet.ts';
import { rollupAbi } from '../src/l1/generated/Rollup.ts';
import { commitBatch, getL1Consumed, getQueuedOps, proveBatch, setDesignatedProver } from '../src/l1/rollupActions.ts';
import { sendAndWait } from '../src/l1/sendAndWait.ts';
import { Mempool, defaultMempoolOptions } from '../src/node/mempool.ts';
import { CIRCUIT_SETS, stfConfigForCircuit, type CircuitParams, type CircuitSetName } from '../src/prover/circuit-params.ts';
import { createProver, type Prover } from '../src/prover/prover.ts';
import { silentProgress } from '../src/prover/setup-progress.ts';
import { setupCircuit } from '../src/prover/setup.ts';
import { calldataGas, deployVerifier, loadVerifierArtifact } from '../src/prover/verifier.ts';
import { batchWitnessFromResult } from '../src/prover/witness.ts';
import { ensureCircuit } from '../scripts/build-circuits.ts';
import { median, type BenchResult } from './util.ts';

const log = (l: string): void => void process.stderr.write(`${l}\n`);
/** ETH each L2 account is created with (wei). */
const DEPOSIT = 10n ** 15n;
/** The sequencer's fee per transfer (wei), credited to the first account. */
const FEE = 1n;
const RECORD_BYTES = 12;
const EVM = 'cancun (hardhat EDR 2.29)';

type Proving = { readonly set: CircuitSetName; readonly prover: Prover; readonly constraints: number };

type BatchSample = {
  readonly transfers: number;
  readonly commitGas: number;
  readonly calldataBytes: number;
  readonly calldataGas: number;
  readonly batchDataBytes: number;
  readonly proveGas?: number;
};

type ScenarioResult = {
  readonly samples: readonly BatchSample[];
  /** proveBatch gas of every proven batch (account-creation batches too: the cost is the same). */
  readonly proveGasAll: readonly number[];
  readonly proverMs: readonly number[];
};

type Env = { readonly devnet: Devnet; readonly deployer: L1Clients; readonly sequencer: L1Clients; readonly proverL1: L1Clients };

const addr = (c: L1Clients): Address => {
  const a = c.wallet?.account.address;
  if (a === undefined) throw new RampartError('BENCH_FIXTURE', 'L1 client without a key');
  return a;
};

function benchUser(i: number): { key: PrivateKey; publicKey: PublicKey } {
  const bytes = new Uint8Array(32).fill(0x5a);
  bytes[0] = i & 0xff;
  bytes[1] = (i >> 8) & 0xff;
  const key = createPrivateKey(bytes);
  return { key, publicKey: publicKeyFromPrivate(key) };
}

/**
 * Deploys a Rollup with `params`, creates the accounts, then seals `batches` batches of exactly
 * maxL2Txs transfers through mempool + sequencer, measuring each commitBatch (and proveBatch when
 * `proving` is given; then every batch, account creations included, is proven in order).
 */
async function scenario(env: Env, params: CircuitParams, verifier: Address, batches: number, proving: Proving | undefined): Promise<ScenarioResult> {
  const { devnet, deployer, sequencer, proverL1 } = env;
  const d = await deployRollup(deployer, {
    verifier,
    sequencer: addr(sequencer),
    governance: addr(deployer),
    treeDepth: 2 * params.levels,
    exitTreeDepth: 2 * params.exitLevels,
    maxL1Ops: params.maxL1Ops,
    maxFeeTokens: params.maxFeeTokens,
    maxL2Txs: params.maxL2Txs,
  });
  const config = stfConfigForCircuit(params, { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  // The sequencer's own prover proves at once (no priority window), as a node's does.
  const proverAddress = proverL1.wallet?.account?.address;
  if (proverAddress === undefined) throw new RampartError('BENCH_FIXTURE', 'prover has no key');
  await setDesignatedProver(sequencer, d.rollup, proverAddress);
  const n = params.maxL2Txs;
  // The mempool keeps ≤ 64 pending per account: enough senders that one batch is full.
  const accounts = Math.max(2, Math.ceil(n / defaultMempoolOptions.maxPerAccount));
  const users = Array.from({ length: accounts }, (_, i) => benchUser(i));
  for (const u of users) {
    await sendAndWait({
      public: deployer.public,
      context: 'Rollup.createAccount',
      send: () => {
        const wallet = deployer.wallet;
        if (wallet === undefined) throw new RampartError('BENCH_FIXTURE', 'deployer has no key');
        return wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, DEPOSIT, u.publicKey[0], u.publicKey[1]], value: DEPOSIT } as never);
      },
    });
  }
  const state = new MemoryState();
  const mempool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  const feeIdx = FIRST_ACCOUNT_INDEX;
  const feeTable = (): FeeEntry[] => (state.getAccount(feeIdx) === undefined ? [] : [{ tokenId: 0, accountIdx: feeIdx, fee: FEE }]);
  const proveGas = new Map<number, number>();
  const proverMs: number[] = [];
  let batchNum = 0;
  let scannedTo = d.deployBlock - 1n;
  const queue: Awaited<ReturnType<typeof getQueuedOps>> = [];

  /** Sequencer.step: seal the next queued L1 ops and pending transfers, commit, prove, apply. */
  const step = async (): Promise<{ receipt: Awaited<ReturnType<typeof commitBatch>>; included: number; fees: bigint; batchData: Uint8Array } | undefined> => {
    const head = await sequencer.public.getBlockNumber();
    if (head > scannedTo) queue.push(...(await getQueuedOps(sequencer, d.rollup, scannedTo + 1n, head)));
    scannedTo = head;
    const consumed = await getL1Consumed(sequencer, d.rollup);
    const waiting = queue.filter((q) => BigInt(q.index) >= consumed).sort((a, b) => a.index - b.index);
    if (waiting.length === 0 && mempool.size === 0) return undefined;
    const l1Ops = waiting.slice(0, config.maxL1Ops).map((q) => q.op);
    const fees = feeTable();
    const candidates = mempool.peek(config.maxL2Txs);
    const result = applyBatch(state, { l1Ops, l2Txs: candidates, feeTable: fees }, config, { verified: candidates.map(() => true) });
    const num = batchNum + 1;
    const { batchData, commitment } = zkBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result, l1Ops, feeTable: fees, batchNum: BigInt(num), l1Start: consumed });
    const receipt = await commitBatch(
      sequencer,
      d.rollup,
      { newRoot: result.newRoot, exitRoot: result.exitRoot, dataCommitment: commitment.c, newNextIndex: result.newNextIndex, l1Count: l1Ops.length },
      bytesToHex(encodeL1Ops(l1Ops)) as Hex,
      bytesToHex(batchData) as Hex,
    );
    if (proving !== undefined) {
      // The prover service: witness from the pre-batch state, Groth16 proof, proveBatch on L1.
      const t0 = performance.now();
      const { input } = batchWitnessFromResult({ params, config, state, result, l1Ops, feeTable: fees, batchNum: BigInt(num), l1Start: consumed });
      const p = await proving.prover.prove(input);
      proverMs.push(performance.now() - t0);
      proveGas.set(num, Number((await proveBatch(proverL1, d.rollup, BigInt(num), p.proof)).gasUsed));
    }
    state.apply(result.changes);
    mempool.removeIncluded(result.included, state);
    batchNum = num;
    return { receipt, included: result.included.length, fees: result.feeTotals[0] ?? 0n, batchData };
  };

  // maxL1Ops per batch: account creations take ceil(accounts / maxL1Ops) batches.
  while ((await step()) !== undefined) {
    /* drain the L1 queue */
  }
  const domain = domainHash(config.domain);
  const nonces = users.map(() => 0);
  const maxFeeF = floatEncode(FLOAT16, FEE);
  const samples: BatchSample[] = [];
  for (let k = 0; k < batches; k++) {
    for (let j = 0; j < n; j++) {
      const s = j % accounts;
      const nonce = nonces[s] ?? 0;
      nonces[s] = nonce + 1;
      const u = users[s];
      if (u === undefined) throw new RampartError('BENCH_FIXTURE', `no user ${s}`);
      // Amounts vary so records are not all alike (their bytes set the calldata gas).
      const body: L2TxBody = { kind: 'transfer', from: FIRST_ACCOUNT_INDEX + s, to: FIRST_ACCOUNT_INDEX + ((s + 1) % accounts), amountF: floatEncode(FLOAT32, 1_000n + BigInt(j % 997)), maxFeeF, nonce };
      const tx = { ...body, signature: sign(u.key, l2TxMessage(body, domain)) };
      mempool.add(tx, eddsaVerifier(l2TxMessage(tx, domain), tx.signature, u.publicKey), state, config, feeTable());
    }
    const sealed = await step();
    if (sealed === undefined || sealed.included !== n) throw new RampartError('BENCH_FIXTURE', `batch ${k}: expected ${n} included transfers, got ${sealed?.included ?? 0}`);
    // Real fee-paying transfers: the fee account collects one fee per transfer.
    if (sealed.fees !== FEE * BigInt(n)) throw new RampartError('BENCH_FIXTURE', `batch ${k}: fees ${sealed.fees} != ${FEE * BigInt(n)}`);
    const tx = await sequencer.public.getTransaction({ hash: sealed.receipt.transactionHash });
    const pg = proveGas.get(batchNum);
    samples.push({
      transfers: n,
      commitGas: Number(sealed.receipt.gasUsed),
      calldataBytes: hexToBytes(tx.input).length,
      calldataGas: Number(calldataGas(tx.input)),
      batchDataBytes: sealed.batchData.length,
      ...(pg === undefined ? {} : { proveGas: pg }),
    });
  }
  return { samples, proveGasAll: [...proveGas.values()], proverMs };
}

/** Figures of one scenario; `proveGas` is the per-batch proveBatch gas added to each commit. */
function figures(label: string, params: Record<string, string | number | boolean>, r: ScenarioResult, proveGas: number, proveSource: string): BenchResult[] {
  const s = r.samples;
  const n = s[0]?.transfers ?? 1;
  const commit = s.map((x) => x.commitGas);
  const perTransfer = s.map((x) => (x.commitGas + proveGas) / n);
  const commitPer = s.map((x) => x.commitGas / n);
  const bytesPer = s.map((x) => x.calldataBytes / n);
  const calldataGasPer = s.map((x) => x.calldataGas / n);
  const p = {
    ...params,
    batchSize: n,
    transfersPerBatch: n,
    batches: s.length,
    evm: EVM,
    proveGasPerBatch: proveGas,
    proveGasSource: proveSource,
    calldataBytesPerBatch: median(s.map((x) => x.calldataBytes)),
    batchDataBytesPerBatch: median(s.map((x) => x.batchDataBytes)),
    commitCalldataGasPerBatch: median(s.map((x) => x.calldataGas)),
  };
  return [
    { name: `l1gas.${label}.perTransfer`, value: median(perTransfer), unit: 'gas/transfer', params: { ...p, includes: 'commitBatch receipt gasUsed + proveBatch gasUsed, divided by the transfers of a full batch' }, samples: perTransfer },
    { name: `l1gas.${label}.commitPerTransfer`, value: median(commitPer), unit: 'gas/transfer', params: p, samples: commitPer },
    { name: `l1gas.${label}.commitBatch`, value: median(commit), unit: 'gas/batch', params: { ...p, includes: '21000 + calldata + execution (Poseidon, fingerprint, storage)' }, samples: commit },
    { name: `l1gas.${label}.calldataBytesPerTransfer`, value: median(bytesPer), unit: 'bytes/transfer', params: { ...p, includes: 'whole commitBatch calldata (selector, ABI header, fee table, 12-byte records) / transfers' }, samples: bytesPer },
    {
      name: `l1gas.${label}.calldataGasPerTransfer`,
      value: median(calldataGasPer),
      unit: 'gas/transfer',
      params: { ...p, note: 'EIP-2028 on the measured bytes (small account indices: many zero bytes)', worstCasePerRecord: RECORD_BYTES * 16 },
      samples: calldataGasPer,
    },
  ];
}

async function withEnv<T>(fn: (env: Env) => Promise<T>): Promise<T> {
  const devnet = await startDevnet({ accounts: 3 });
  try {
    const mk = (i: number): Promise<L1Clients> =>
      // Retries: signing a 1024-transfer batch idles the connection past the node's keep-alive; a
      // reused socket the node already closed fails once ("other side closed").
      createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 3 });
    const [deployer, sequencer, proverL1] = await Promise.all([mk(0), mk(1), mk(2)]);
    return await fn({ devnet, deployer, sequencer, proverL1 });
  } finally {
    await devnet.stop();
  }
}

/** A proven set: setup (cached in .cache/setup), verifier deployed, `batches` proven transfer batches. */
async function provenSet(env: Env, set: CircuitSetName, batches: number): Promise<{ results: BenchResult[]; proveGas: number; verifier: Address }> {
  const circuit = await ensureCircuit(set, { log });
  log(`bench: l1gas: setup ${set} (cached after the first run)`);
  const setup = await setupCircuit({ r1csPath: circuit.r1csPath, circuit: set }, { progress: silentProgress, log });
  const prover = await createProver({ wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, threads: 1, verify: false });
  try {
    const verifier = await deployVerifier(env.deployer, await loadVerifierArtifact(setup.verifierSourcePath));
    const params = CIRCUIT_SETS[set];
    log(`bench: l1gas: ${set}: ${batches} full batches of ${params.maxL2Txs} transfers, every batch proven`);
    const r = await scenario(env, params, verifier.address, batches, { set, prover, constraints: circuit.constraints });
    const transferProve = r.samples.map((x) => x.proveGas ?? Number.NaN);
    const proveGas = median(transferProve);
    const p = { set, constraints: circuit.constraints, ...params };
    return {
      verifier: verifier.address,
      proveGas,
      results: [
        ...figures(set, p, r, proveGas, `measured proveBatch of these batches (real Groth16 proofs, ${set} circuit)`),
        { name: `l1gas.${set}.proveBatch`, value: proveGas, unit: 'gas/batch', params: { ...p, evm: EVM, nPublic: 1, note: 'independent of batch size: one public input' }, samples: r.proveGasAll },
        { name: `l1gas.${set}.proverServiceTime`, value: median(r.proverMs), unit: 'ms/batch', params: { ...p, includes: 'witness builder + circom witness + Groth16 prove, 1 worker', batches: r.proverMs.length }, samples: r.proverMs },
      ],
    };
  } finally {
    await prover.close();
  }
}

/** Commit-only sizes: no circuit; the prove cost is the measured proveBatch gas (size-independent). */
async function commitOnly(env: Env, verifier: Address, proveGas: number, proveSet: string, sizes: readonly number[], batches: number): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const n of sizes) {
    const params: CircuitParams = { ...CIRCUIT_SETS.devnet, maxL2Txs: n };
    log(`bench: l1gas: commit-only maxL2Txs=${n}: ${batches} full batches`);
    const r = await scenario(env, params, verifier, batches, undefined);
    out.push(...figures(`commitOnly.tx${n}`, { set: 'none (commit only; no circuit of this size)', ...params }, r, proveGas, `measured ${proveSet} proveBatch (independent of batch size)`));
  }
  return out;
}

/** What one more transfer adds to a commit, between the smallest and largest commit-only size. */
function marginal(results: readonly BenchResult[], lo: number, hi: number): BenchResult[] {
  const get = (n: number, what: string): number => results.find((r) => r.name === `l1gas.commitOnly.tx${n}.${what}`)?.value ?? Number.NaN;
  const gas = (get(hi, 'commitBatch') - get(lo, 'commitBatch')) / (hi - lo);
  const bytes = (hi * get(hi, 'calldataBytesPerTransfer') - lo * get(lo, 'calldataBytesPerTransfer')) / (hi - lo);
  const params = { method: `(median commitBatch at maxL2Txs ${hi} - at ${lo}) / ${hi - lo}`, evm: EVM, ...CIRCUIT_SETS.devnet, maxL2Txs: `${lo}..${hi}` };
  return [
    { name: 'l1gas.commitMarginalPerTransfer', value: gas, unit: 'gas/transfer', params: { ...params, includes: 'calldata of one 12-byte record + the contract\'s per-record fingerprint step' } },
    { name: 'l1gas.calldataMarginalBytesPerTransfer', value: bytes, unit: 'bytes/transfer', params },
  ];
}

export async function run({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  return withEnv(async (env) => {
    const devnet = await provenSet(env, 'devnet', quick ? 1 : 3);
    const sizes = quick ? [64, 1024] : [64, 256, 1024];
    const more = await commitOnly(env, devnet.verifier, devnet.proveGas, 'devnet', sizes, quick ? 1 : 3);
    return [...devnet.results, ...more, ...marginal(more, sizes[0] ?? 64, sizes[sizes.length - 1] ?? 1024)];
  });
}

/** `npm run bench:large`: the depth32-tx8 set with its own setup and real proofs. */
export async function runLarge({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  return withEnv(async (env) => (await provenSet(env, 'depth32-tx8', quick ? 1 : 2)).results);
}
