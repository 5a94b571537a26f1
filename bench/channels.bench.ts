/**
 * State-channel benchmarks (`npx tsx bench/run.ts channels`):
 *   - off-chain payments per second between two processes over loopback: Alice in this process, Bob a
 *     real `rampart channel serve` child; each payment is signed, countersigned and persisted (LMDB,
 *     fsync on) by both before it counts. Three modes: coalesced (payments issued together share
 *     states), pipelined one-state-per-payment, and sequential (one at a time: latency);
 *   - L1 gas of open, deposit, cooperative close, dispute (forceClose), respond and settle;
 *   - the per-state crypto (EIP-712 hash, sign, verify).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Hex, parseEther } from 'viem';
import { forceClose } from '../src/channels/actions/forceClose.ts';
import { respondChallenge } from '../src/channels/actions/respondChallenge.ts';
import { settleChannel } from '../src/channels/actions/settleChannel.ts';
import type { AdjudicatorWriter } from '../src/channels/actions/l1Write.ts';
import { createChannelClient, type ChannelClient } from '../src/channels/createChannelClient.ts';
import { createSignatureVerifier } from '../src/channels/createSignatureVerifier.ts';
import { domainSeparator, hashState } from '../src/channels/hashState.ts';
import { privateKeyBytes, signDigest } from '../src/channels/signDigest.ts';
import { createL1Clients, type L1Clients } from '../src/l1/createL1Clients.ts';
import { deployAdjudicator } from '../src/l1/deployAdjudicator.ts';
import { startDevnet } from '../src/l1/devnet.ts';
import { increaseTime } from '../src/l1/devnetActions.ts';
import { createSerialQueue } from '../src/l1/serialQueue.ts';
import { type BenchResult, median } from './util.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function startPeer(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /"event":"ready","url":"([^"]+)"/.exec(buf);
      if (m?.[1] !== undefined) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new RangeError(`peer exited (${code})`)));
  });
}

export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const reps = quick ? 1 : 3;
  const devnet = await startDevnet({ accounts: 6, chainId: 31399 });
  const dirs: string[] = [];
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'rampart-bench-'));
    dirs.push(d);
    return d;
  };
  const account = (i: number): { privateKey: Hex; address: Hex } => {
    const a = devnet.accounts[i];
    if (a === undefined) throw new RangeError(`no account ${i}`);
    return a;
  };
  const clientsOf = (i: number): Promise<L1Clients> =>
    createL1Clients({ url: devnet.url, privateKey: account(i).privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  let peer: ChildProcess | undefined;
  try {
    const deployer = await clientsOf(0);
    const adjudicator = (await deployAdjudicator(deployer)).address;
    const bobPort = await freePort();
    const started = await startPeer(['channel', 'serve', '--listen', String(bobPort), '--db', temp(), '--monitor-ms', '0'], {
      RAMPART_KEY: account(5).privateKey,
      RAMPART_L1_RPC: devnet.url,
      RAMPART_ADJUDICATOR: adjudicator,
    });
    peer = started.child;

    const alice = async (i: number, over: { maxPaymentsPerState: number; maxInFlight: number }): Promise<ChannelClient> =>
      createChannelClient(
        { dbPath: temp(), privateKey: account(i).privateKey, l1Url: devnet.url, adjudicator, monitorIntervalMs: 0, fsync: true, ...over },
        { l1: await clientsOf(i) },
      );
    const gas = new Map<string, bigint>();

    const throughput = async (
      name: string,
      i: number,
      n: number,
      over: { maxPaymentsPerState: number; maxInFlight: number },
      sequential: boolean,
    ): Promise<void> => {
      const c = await alice(i, over);
      try {
        const rec = await c.openChannel({ peerUrl: started.url, depositA: parseEther('100'), depositB: parseEther('100'), pipelineWindow: 64 });
        const openTx = rec.l1Txs[0];
        if (!gas.has('open') && openTx !== undefined) gas.set('open', (await deployer.public.getTransactionReceipt({ hash: openTx })).gasUsed);
        const samples: number[] = [];
        const states: number[] = [];
        for (let r = 0; r < reps; r++) {
          const v0 = c.channel(rec.channelId)?.latest.state.version ?? 0n;
          const t0 = performance.now();
          if (sequential) for (let k = 0; k < n; k++) await c.pay(rec.channelId, 1n);
          else await Promise.all(Array.from({ length: n }, () => c.pay(rec.channelId, 1n)));
          const s = (performance.now() - t0) / 1000;
          samples.push(n / s);
          states.push(Number((c.channel(rec.channelId)?.latest.state.version ?? 0n) - v0));
        }
        results.push({
          name,
          value: Math.round(median(samples)),
          unit: 'payments/s',
          params: { payments: n, maxPaymentsPerState: over.maxPaymentsPerState, maxInFlight: over.maxInFlight, sequential, statesPerRun: median(states), fsync: true, processes: 2 },
          target: { op: '>=', value: 10_000 },
          samples: samples.map((x) => Math.round(x)),
        });
        const closed = await c.closeCooperatively(rec.channelId);
        if (!gas.has('cooperativeClose')) gas.set('cooperativeClose', closed.gasUsed);
      } finally {
        await c.stop();
      }
    };

    await throughput('channels.payments.coalesced', 1, quick ? 2000 : 10_000, { maxPaymentsPerState: 10_000, maxInFlight: 16 }, false);
    await throughput('channels.payments.pipelined-one-state-each', 2, quick ? 200 : 1000, { maxPaymentsPerState: 1, maxInFlight: 16 }, false);
    await throughput('channels.payments.sequential', 3, quick ? 30 : 200, { maxPaymentsPerState: 1, maxInFlight: 1 }, true);

    // The dispute path: a stale close (beyond the window), the answer, and settlement.
    const A = await clientsOf(4);
    const wA: AdjudicatorWriter = { clients: A, adjudicator, queue: createSerialQueue() };
    const c = await alice(4, { maxPaymentsPerState: 1, maxInFlight: 4 });
    try {
      const rec = await c.openChannel({ peerUrl: started.url, depositA: parseEther('1'), depositB: parseEther('1'), pipelineWindow: 2 });
      const stale = rec.latest;
      for (let k = 0; k < 5; k++) await c.pay(rec.channelId, 1000n);
      const latest = c.channel(rec.channelId)?.latest;
      const fc = await forceClose(wA, stale);
      gas.set('forceClose', fc.gasUsed);
      if (latest?.sigA !== undefined && latest.sigB !== undefined) {
        const rs = await respondChallenge(wA, { state: latest.state, sigA: latest.sigA, sigB: latest.sigB });
        gas.set('respond', rs.gasUsed);
      }
      await increaseTime(A.public, 86400);
      gas.set('settle', (await settleChannel(wA, rec.channelId)).gasUsed);
    } finally {
      await c.stop();
    }
    const depositTx = await findDeposit(deployer, adjudicator);
    if (depositTx !== undefined) gas.set('deposit', depositTx);
    for (const [k, v] of gas) {
      results.push({ name: `channels.gas.${k}`, value: Number(v), unit: 'gas', params: { token: 'ETH', evm: 'cancun' } });
    }

    // Per-state crypto on this machine.
    const key = privateKeyBytes(account(1).privateKey);
    const sep = domainSeparator({ chainId: devnet.chainId, adjudicator });
    const verifier = createSignatureVerifier(account(1).address);
    const N = quick ? 200 : 1000;
    const st = (v: number) => ({ channelId: `0x${'11'.repeat(32)}` as Hex, version: BigInt(v), balanceA: 10n ** 18n, balanceB: 5n, isFinal: false });
    let t = performance.now();
    for (let k = 0; k < N; k++) hashState(sep, st(k));
    results.push({ name: 'channels.crypto.hashState', value: ((performance.now() - t) * 1000) / N, unit: 'µs', params: { n: N } });
    const digests = Array.from({ length: N }, (_, k) => hashState(sep, st(k)));
    t = performance.now();
    const sigs = digests.map((d) => signDigest(key, d));
    results.push({ name: 'channels.crypto.sign', value: ((performance.now() - t) * 1000) / N, unit: 'µs', params: { n: N, lib: '@noble/curves' } });
    verifier.verify(digests[0] ?? new Uint8Array(32), sigs[0] ?? '0x');
    t = performance.now();
    for (let k = 0; k < N; k++) verifier.verify(digests[k] ?? new Uint8Array(32), sigs[k] ?? '0x');
    results.push({ name: 'channels.crypto.verify', value: ((performance.now() - t) * 1000) / N, unit: 'µs', params: { n: N, precomputedKey: true } });
  } finally {
    peer?.kill('SIGTERM');
    await devnet.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return results;
}

/** Gas of the first deposit(bytes32) call to the adjudicator. */
async function findDeposit(c: L1Clients, adjudicator: Hex): Promise<bigint | undefined> {
  const head = await c.public.getBlockNumber();
  for (let n = 1n; n <= head; n++) {
    const block = await c.public.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      // deposit(bytes32) = 0xb214faa5
      if (tx.to?.toLowerCase() === adjudicator.toLowerCase() && tx.input.startsWith('0xb214faa5')) {
        return (await c.public.getTransactionReceipt({ hash: tx.hash })).gasUsed;
      }
    }
  }
  return undefined;
}
