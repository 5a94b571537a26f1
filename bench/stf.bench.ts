/**
 * STF throughput: 10,000 signed transfers over a depth-32 tree holding 100,000 accounts.
 *   ingest  = signature verification (SigPool, all cores) + balance/nonce/fee checks (ingestTransactions)
 *   sealed  = applyBatch with the ingest verdicts: leaf hashing, tree updates, per-tx witness, exit
 *             and fee settlement — what the sequencer does to close a batch
 *   sealed.parallel = the same result from ParallelSealer (lower tree levels hashed on a worker,
 *             upper ones on the main thread, the split steered while sealing), with the Poseidon(4)
 *             speed measured alongside: sealing is hash-bound, so `hashBoundTxPerS` (2 threads, zero
 *             overhead) is its ceiling on the machine at that moment and `ofHashBound` the share
 *             reached; `cpuUsPerTx` (both threads) and `loadAvg1` show how shared the machine was
 * plus L1 data bytes per transfer in ZK and optimistic mode. Hashing runs on the backend bench/run.ts
 * installed (`poseidon*` params; `RAMPART_POSEIDON=wasm npm run bench -- stf` for WebAssembly only).
 */
import { availableParallelism, loadavg } from 'node:os';
import { accountLeaf, type Account } from '../src/core/account.ts';
import { encodeBatchData } from '../src/core/batch-data.ts';
import { RampartError } from '../src/core/errors.ts';
import { createPrivateKey, packSignature, publicKeyFromPrivate, sign, type PrivateKey } from '../src/core/eddsa.ts';
import { frToBytesLE } from '../src/core/field.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../src/core/float.ts';
import { poseidonLE } from '../src/core/poseidon.ts';
import { nodeKey, SparseMerkleTree, treeLevels } from '../src/core/smt.ts';
import { MemoryState } from '../src/core/state.ts';
import { applyBatch, ingestTransactions, createStfConfig, planBatch, type BatchPlan, type StfConfig } from '../src/core/stf.ts';
import { domainHash, l2TxMessage, type L2Tx } from '../src/core/tx.ts';
import { poseidonBackendName } from '../src/core/wasm/poseidon-engine.ts';
import { DEFAULT_SPLIT_LEVEL, ParallelSealer } from '../src/node/parallel-sealer.ts';
import { SigPool } from '../src/node/sig-pool.ts';
import { median, timeRuns, type BenchResult } from './util.ts';

const CONFIG: StfConfig = createStfConfig({
  domain: { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n },
});

/** Deterministic xorshift so runs are comparable. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

type Fixture = { state: MemoryState; txs: L2Tx[]; keys: (readonly [bigint, bigint])[] };

function buildFixture(accounts: number, transfers: number, signers: number): Fixture {
  const t0 = performance.now();
  const keys: { key: PrivateKey; pub: readonly [bigint, bigint] }[] = [];
  for (let i = 0; i < signers; i++) {
    const key = createPrivateKey(new Uint8Array(32).map((_, j) => (i * 13 + j * 101 + 7) & 0xff));
    keys.push({ key, pub: publicKeyFromPrivate(key) });
  }
  // Bulk-load accounts 1..N: one leaf hash each, then every dirty node hashed once.
  const state = new MemoryState();
  const tree = new SparseMerkleTree(CONFIG.treeDepth, state);
  const accountsMap = new Map<number, Account>();
  const leaves: [number, Uint8Array][] = [];
  for (let i = 1; i <= accounts; i++) {
    const signer = keys[i % signers];
    if (signer === undefined) throw new Error('unreachable');
    const a: Account = { tokenId: 0, balance: 10n ** 24n, nonce: 0, publicKey: signer.pub, l1Address: BigInt(i) };
    accountsMap.set(i, a);
    leaves.push([i, frToBytesLE(accountLeaf(a))]);
  }
  tree.updateMany(leaves);
  state.apply({ nodes: tree.changes, accounts: accountsMap, nextIndex: accounts + 1 });
  process.stderr.write(`  fixture: ${accounts} accounts loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const t1 = performance.now();
  const domain = domainHash(CONFIG.domain);
  const random = rng(42);
  const nonces = new Map<number, number>();
  const txs: L2Tx[] = [];
  const txKeys: (readonly [bigint, bigint])[] = [];
  const maxFeeF = floatEncode(FLOAT16, 1000n);
  for (let i = 0; i < transfers; i++) {
    const from = 1 + Math.floor(random() * accounts);
    let to = 1 + Math.floor(random() * accounts);
    if (to === from) to = (from % accounts) + 1;
    const nonce = nonces.get(from) ?? 0;
    nonces.set(from, nonce + 1);
    const signer = keys[from % signers];
    if (signer === undefined) throw new Error('unreachable');
    const body = { kind: 'transfer' as const, from, to, amountF: floatEncode(FLOAT32, 1000n + BigInt(i)), maxFeeF, nonce };
    txs.push({ ...body, signature: sign(signer.key, l2TxMessage(body, domain)) });
    txKeys.push(signer.pub);
  }
  process.stderr.write(`  fixture: ${transfers} transfers signed in ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
  return { state, txs, keys: txKeys };
}

/** Median µs of one Poseidon(4) over a few short runs (the machine's speed drifts by ±15%). */
function poseidon4Us(): number {
  const inputs = new Uint8Array(128);
  const out = new Uint8Array(32);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) poseidonLE(inputs, 4, out);
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

/** Process CPU time (all threads) since `c0`, per transfer: steadier than wall time on a shared machine. */
function cpuUsPerTx(c0: NodeJS.CpuUsage, transfers: number): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / transfers;
}

/** The machine's 1-minute load average: the bench machine is shared, so each figure carries it. */
function load(): number {
  return Number((loadavg()[0] ?? 0).toFixed(1));
}

/** Poseidon(4) calls sealing makes: a leaf hash per update, and per step each dirty ancestor once. */
function sealHashes(plan: BatchPlan, depth: number): number {
  let hashes = 0;
  for (const step of plan.steps) {
    const dirty = new Set<number>();
    for (const u of step.updates) {
      hashes++;
      let i = u.index;
      for (let k = 1; k <= treeLevels(depth); k++) {
        i = Math.floor(i / 4);
        dirty.add(nodeKey(k, i));
      }
    }
    hashes += dirty.size;
  }
  return hashes;
}

export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const accounts = quick ? 10_000 : 100_000;
  const transfers = quick ? 1_000 : 10_000;
  const reps = quick ? 2 : 3;
  const { state, txs, keys } = buildFixture(accounts, transfers, 256);
  const feeTable = [{ tokenId: 0, accountIdx: 1, fee: 10n }];
  const params = { l1Ops: [], l2Txs: txs, feeTable };
  const domain = domainHash(CONFIG.domain);
  const threads = availableParallelism();
  const pool = new SigPool({ threads });
  const results: BenchResult[] = [];
  const base = { accounts, transfers, treeDepth: CONFIG.treeDepth };
  try {
    let verdicts: boolean[] = [];
    // Warm the workers (engine instantiation, Base8 table) so start-up is not billed to throughput.
    await pool.verify(txs.slice(0, 64 * threads), keys.slice(0, 64 * threads), domain);
    const ingest = await timeRuns(reps, async () => {
      verdicts = await pool.verify(txs, keys, domain);
      const r = ingestTransactions(state, params, CONFIG, { verified: verdicts });
      if (r.included.length !== transfers) throw new Error(`ingest included ${r.included.length}/${transfers}`);
    });
    results.push({ name: 'stf.ingest', value: transfers / (median(ingest) / 1000), unit: 'tx/s', params: { ...base, threads }, target: { op: '>=', value: 5000 }, samples: ingest.map((ms) => transfers / (ms / 1000)) });

    const single = await timeRuns(1, () => ingestTransactions(state, { ...params, l2Txs: txs.slice(0, Math.min(2000, transfers)) }, CONFIG));
    const singleCount = Math.min(2000, transfers);
    results.push({ name: 'stf.ingest.single-thread', value: singleCount / (median(single) / 1000), unit: 'tx/s', params: { ...base, transfers: singleCount, threads: 1 } });

    let witnessSteps = 0;
    let sealedRoot = 0n;
    const sealedCpu: number[] = [];
    const sealed = await timeRuns(reps, () => {
      const c0 = process.cpuUsage();
      const r = applyBatch(state, params, CONFIG, { verified: verdicts });
      sealedCpu.push(cpuUsPerTx(c0, transfers));
      if (r.included.length !== transfers) throw new Error('seal dropped transactions');
      witnessSteps = r.witness.length;
      sealedRoot = r.newRoot;
    });
    results.push({ name: 'stf.sealed', value: transfers / (median(sealed) / 1000), unit: 'tx/s', params: { ...base, witnessSteps, signatures: 'verified at ingest', cpuUsPerTx: Math.round(median(sealedCpu)), loadAvg1: load(), poseidon: poseidonBackendName() }, target: { op: '>=', value: 2000 }, samples: sealed.map((ms) => transfers / (ms / 1000)) });

    const sealer = new ParallelSealer();
    try {
      // Warm-up (worker start, engine instantiation, JIT) is not billed, as for the SigPool above.
      await sealer.seal(state, { ...params, l2Txs: txs.slice(0, 500) }, CONFIG, { verified: verdicts.slice(0, 500) });
      const hashUs: number[] = [];
      const parallelCpu: number[] = [];
      const splits: number[] = [];
      const loadBefore = load();
      // More repetitions than the others: on a shared 2-core machine this figure swings the most.
      const parallel = await timeRuns(quick ? reps : 5, async () => {
        hashUs.push(poseidon4Us());
        const c0 = process.cpuUsage();
        const r = await sealer.seal(state, params, CONFIG, { verified: verdicts });
        parallelCpu.push(cpuUsPerTx(c0, transfers));
        splits.push(sealer.stats?.splitLevel ?? Number.NaN);
        if (r.included.length !== transfers || r.newRoot !== sealedRoot) {
          throw new RampartError('BENCH_MISMATCH', 'parallel seal differs from applyBatch');
        }
      });
      const hashesPerTransfer = sealHashes(planBatch(state, params, CONFIG, { verified: verdicts }), CONFIG.treeDepth) / transfers;
      const us = median(hashUs);
      const hashBound = (2 * 1e6) / (hashesPerTransfer * us);
      const value = transfers / (median(parallel) / 1000);
      results.push({
        name: 'stf.sealed.parallel',
        value,
        unit: 'tx/s',
        params: {
          ...base,
          witnessSteps,
          threads: 2,
          startSplitLevel: DEFAULT_SPLIT_LEVEL,
          meanSplitLevel: Number(median(splits).toFixed(2)),
          poseidon4Us: Number(us.toFixed(1)),
          hashesPerTransfer: Number(hashesPerTransfer.toFixed(2)),
          hashBoundTxPerS: Math.round(hashBound),
          ofHashBound: Number((value / hashBound).toFixed(2)),
          cpuUsPerTx: Math.round(median(parallelCpu)),
          loadAvg1: Number(Math.max(loadBefore, load()).toFixed(1)),
          poseidonMain: sealer.stats?.poseidon.main ?? 'unknown',
          poseidonWorker: sealer.stats?.poseidon.worker ?? 'unknown',
        },
        target: { op: '>=', value: 2000 },
        samples: parallel.map((ms) => transfers / (ms / 1000)),
      });
    } finally {
      await sealer.close();
    }
    const endToEnd = median(ingest) + median(sealed);
    results.push({ name: 'stf.ingest+sealed', value: transfers / (endToEnd / 1000), unit: 'tx/s', params: { ...base, threads } });

    const r = applyBatch(state, params, CONFIG, { verified: verdicts, witness: false });
    const zk = encodeBatchData({ mode: 'zk', feeTable, txs: r.included.map(({ from, to, amountF }) => ({ from, to, amountF })) });
    const opt = encodeBatchData({ mode: 'optimistic', feeTable, txs: r.included.map((t) => ({ from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, signature: packSignature(t.signature) })) });
    results.push({ name: 'l1.bytes-per-transfer.zk', value: zk.length / transfers, unit: 'bytes', params: { transfers, totalBytes: zk.length }, target: { op: '<=', value: 12 } });
    results.push({ name: 'l1.bytes-per-transfer.optimistic', value: opt.length / transfers, unit: 'bytes', params: { transfers, totalBytes: opt.length } });
  } finally {
    await pool.close();
  }
  return results;
}
