/**
 * kill -9 the node process (`rampart node`, sequencer + batcher + prover + RPC) while transfers flow:
 * right after a commit is broadcast (intent recorded, not yet applied), right after a batch is
 * committed (before its proof), while a batch is being proven, and at a random moment. The node is
 * restarted on the same data folder each time. At the end no accepted transaction is lost or applied
 * twice (nonces and balances are exactly what the accepted transfers give), every batch is proven on
 * L1, and a fresh follower reaches the same root.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Abi, Hex } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { deployDevnetRollup, type DevnetDeployment } from '../../src/node/devnet-stack.ts';
import { startNode } from '../../src/node/node.ts';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { domainHash, type L2Tx } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { RpcCallError, rpc, txJson, waitFor } from '../support/rpc.ts';
import { txHash } from '../../src/node/stored-tx.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let devnet: Devnet;
let d: DevnetDeployment;
const { tmp, removeAll } = tempDirs('rampart-node-crash-');

before(async () => {
  devnet = await startDevnet({ accounts: 5 });
  d = await deployDevnetRollup(devnet, 'test');
});
const running = new Set<ChildProcess>();
after(async () => {
  for (const c of running) c.kill('SIGKILL');
  await devnet?.stop();
  removeAll();
});

type NodeProc = { child: ChildProcess; url: Promise<string>; events: string[]; waitEvent: (name: string) => Promise<void>; exited: Promise<unknown> };

function spawnNode(configPath: string): NodeProc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'node', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const events: string[] = [];
  const waiters: { name: string; resolve: () => void }[] = [];
  let buf = '';
  let resolveUrl: (u: string) => void = () => {};
  const url = new Promise<string>((r) => (resolveUrl = r));
  child.stdout?.on('data', (chunk: Buffer) => {
    if (process.env['RAMPART_TEST_NODE_LOG'] !== undefined) appendFileSync(process.env['RAMPART_TEST_NODE_LOG'], chunk);
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let ev: { event?: string; rpcUrl?: string };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        continue;
      }
      if (ev.event === undefined) continue;
      events.push(ev.event);
      if (ev.event === 'ready' && typeof ev.rpcUrl === 'string') resolveUrl(ev.rpcUrl);
      for (const w of waiters.filter((x) => x.name === ev.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const exited = new Promise((r) => child.once('exit', r));
  void exited.then(() => {
    if (child.signalCode !== 'SIGKILL' && child.exitCode !== 0) process.stderr.write(`node exited ${child.exitCode}: ${err}\n`);
  });
  return { child, url, events, exited, waitEvent: (name) => new Promise<void>((resolve) => waiters.push({ name, resolve })) };
}

test('kill -9 of the node mid-commit, after commit, mid-proof and at random: nothing lost or applied twice', { timeout: 900_000 }, async () => {
  const [ua, ub] = d.users;
  assert.ok(ua !== undefined && ub !== undefined);
  const mk = (k: Hex): Promise<L1Clients> => createL1Clients({ url: devnet.url, privateKey: k, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  const [la, lb] = await Promise.all([mk(ua.privateKey), mk(ub.privateKey)]);
  for (const [i, c] of [la, lb].entries()) {
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 1_000_000n, user(i).publicKey[0], user(i).publicKey[1]], value: 1_000_000n } as never) });
  }

  const dataDir = tmp();
  const configPath = join(tmp(), 'node.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      l1: { rpc: devnet.url, chainId: devnet.chainId, confirmations: 1, pollMs: 50 },
      rollup: { address: d.rollup, deployBlock: Number(d.deployBlock), circuit: 'test' },
      dataDir,
      rpc: { host: '127.0.0.1', port: 0 },
      sequencer: { key: { privateKey: d.roles.sequencer.privateKey }, mempool: { maxAgeMs: 300 }, batcher: { bumpAfterMs: 3000 } },
      prover: { key: { privateKey: d.roles.prover.privateKey }, wasmPath: d.wasmPath, zkeyPath: d.zkeyPath, threads: 1 },
    }),
  );

  let node = spawnNode(configPath);
  let url = await node.url;
  const domain = domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  // Accounts 1 (user 0) and 2 (user 1) exist once the deposits' batches are applied.
  await waitFor('accounts', async () => ((await rpc<unknown>(url, 'rampart_getAccount', [2]).catch(() => null)) !== null ? true : undefined));

  const accepted: { tx: L2Tx; hash: Hex }[] = [];
  const nonces = [0, 0];
  let stop = false;
  let sent = 0;
  // One sender at a time per account, alternating; an unknown outcome (node killed mid-request) is
  // resolved by resending the same signed transaction after the restart and asking the node.
  const traffic = (async () => {
    while (!stop) {
      const s = sent % 2;
      const tx = signTx(user(s), { kind: 'transfer', from: s + 1, to: 2 - s, amountF: floatEncode(FLOAT32, BigInt(1 + (sent % 7))), maxFeeF, nonce: nonces[s] ?? 0 }, domain);
      for (;;) {
        try {
          const hash = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(tx)]);
          accepted.push({ tx, hash });
          break;
        } catch (e) {
          if (e instanceof RpcCallError) {
            const data = e.data as { code?: string; reason?: string } | undefined;
            if (data?.code === 'MEMPOOL_DUPLICATE' || data?.reason === 'bad-nonce') {
              // Accepted before a crash, answer lost: the node must know it.
              const hash = txHash(tx, domain);
              const known = await rpc<{ status: string } | null>(url, 'rampart_getTransaction', [hash]);
              assert.ok(known !== null && known.status !== 'rejected', `transaction ${hash} refused as a duplicate must be known to the node`);
              accepted.push({ tx, hash });
              break;
            }
            if (e.code === -32005) {
              await new Promise((r) => setTimeout(r, 200));
              continue;
            }
            throw e;
          }
          await new Promise((r) => setTimeout(r, 200)); // node down: retry the same transaction
        }
      }
      nonces[s] = (nonces[s] ?? 0) + 1;
      sent++;
      // One transaction every 2 s: every batch must be proven before the end, at seconds each, and
      // proving is what makes this test long on a loaded 2-core machine.
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();

  const restart = async (): Promise<void> => {
    node.child.kill('SIGKILL');
    await node.exited;
    node = spawnNode(configPath);
    url = await node.url;
  };
  const phases = ['commit-sent', 'committed', 'proving', 'random'];
  for (const phase of phases) {
    await waitFor('some traffic', async () => (accepted.length >= 4 ? true : undefined));
    if (phase === 'random') await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 2000)));
    else await node.waitEvent(phase);
    await restart();
    await new Promise((r) => setTimeout(r, 1500));
  }
  stop = true;
  await traffic;

  // Every accepted transaction ends final, exactly once.
  await waitFor('all accepted transactions final', async () => {
    for (const a of accepted) {
      const t = await rpc<{ status: string } | null>(url, 'rampart_getTransaction', [a.hash]);
      if (t?.status !== 'final') return undefined;
    }
    return true;
  }, 600_000, 500);
  const acc = async (i: number) => rpc<{ nonce: number; balance: Hex }>(url, 'rampart_getAccount', [i]);
  const sentBy = (s: number) => accepted.filter((a) => a.tx.from === s + 1);
  const amount = (a: { tx: L2Tx }) => BigInt(a.tx.amountF); // small floats: exponent 0, mantissa = amount
  const out0 = sentBy(0).reduce((x, a) => x + amount(a), 0n);
  const out1 = sentBy(1).reduce((x, a) => x + amount(a), 0n);
  const [a1, a2] = [await acc(1), await acc(2)];
  assert.equal(a1.nonce, sentBy(0).length, 'account 1 applied each accepted transaction exactly once');
  assert.equal(a2.nonce, sentBy(1).length, 'account 2 applied each accepted transaction exactly once');
  assert.equal(BigInt(a1.balance), 1_000_000n - out0 + out1);
  assert.equal(BigInt(a2.balance), 1_000_000n - out1 + out0);
  assert.equal(new Set(accepted.map((a) => a.hash)).size, accepted.length);

  const status = await rpc<{ batchNum: number; lastFinal: number; root: Hex }>(url, 'rampart_status');
  node.child.kill('SIGTERM');
  await node.exited;
  const fresh = await startNode({ l1Url: devnet.url, rollup: d.rollup, deployBlock: d.deployBlock, circuit: CIRCUIT_SETS.test, dataDir: tmp(), confirmations: 1, pollMs: 50, rpc: false });
  try {
    assert.equal(fresh.status().batchNum, status.batchNum);
    assert.equal(fresh.status().root, status.root, 'a fresh follower reaches the same root from L1');
  } finally {
    await fresh.stop();
  }
  const pub = la.public;
  assert.equal(Number((await pub.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'lastProven' })) as bigint), status.batchNum);
  assert.ok(accepted.length >= 8, `traffic flowed (${accepted.length} accepted)`);
});


