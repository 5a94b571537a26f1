/**
 * Attack / failure: the slot leader goes offline mid-slot. Three registered sequencer nodes run as
 * separate processes (`rampart node`, each joining the SequencerRegistry with its stake and its own
 * JSON-RPC URL); users send transactions to all of them. Once some node leads a slot that nobody has
 * claimed yet, it is killed with SIGKILL before its deadline. Transactions then sent to the two
 * survivors are accepted into their pools, fail to forward to the dead leader, and are committed by a
 * survivor once the slot opens at its deadline (docs/PROTOCOL.md §11.3). The dead leader is restarted
 * on its data folder, catches up from L1, and a transaction sent to it reaches the chain too.
 * At the end: every accepted transaction is included exactly once (nonces, balances and the number of
 * transactions in all batches on L1 are exact), and all nodes plus a fresh follower agree on the root.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Abi, type Address, type Hex, parseEventLogs } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { sequencerRegistryAbi } from '../../src/l1/generated/SequencerRegistry.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { getActiveSet, getRegistryParams } from '../../src/l1/registryActions.ts';
import { deployDevnetRollup, type DevnetDeployment } from '../../src/node/devnet-stack.ts';
import { startNode } from '../../src/node/node.ts';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { domainHash, type L2Tx } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SLOT = 8;
const DEADLINE = 4;
const DEPOSIT = 1_000_000n;
let devnet: Devnet;
let d: DevnetDeployment;
let l1: L1Clients;
const { tmp, removeAll } = tempDirs('rampart-takeover-');
const running = new Set<ChildProcess>();

type SlotStatus = { slot: string; leader: Address; openAt: string; slotEnd: string; time: string; committer: Address | null; isLeader: boolean; me: Address; mayCommit: boolean };
type Status = { batchNum: number; root: Hex; pending: number; nextIndex: number; sequencing: SlotStatus | null };
type NodeProc = { child: ChildProcess; url: Promise<string>; exited: Promise<unknown>; configPath: string; key: Hex; address: Address };

before(async () => {
  devnet = await startDevnet({ accounts: 9 });
  // Unbonding must outlast two of the devnet's 1 h proving priority windows (checked by the Rollup).
  d = await deployDevnetRollup(devnet, 'test', { registry: { slotDuration: SLOT, leaderDeadline: DEADLINE, epochSlots: 2, unbondingDelay: 10_800, minStakeWei: 10n ** 18n } });
  l1 = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
});
after(async () => {
  for (const c of running) c.kill('SIGKILL');
  await devnet?.stop();
  removeAll();
});

function spawnNode(configPath: string, key: Hex, address: Address): NodeProc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'node', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
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
      try {
        const ev = JSON.parse(line) as { event?: string; rpcUrl?: string };
        if (ev.event === 'ready' && typeof ev.rpcUrl === 'string') resolveUrl(ev.rpcUrl);
      } catch {
        // not a JSON line
      }
    }
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const exited = new Promise((r) => child.once('exit', r));
  void exited.then(() => {
    if (child.signalCode !== 'SIGKILL' && child.exitCode !== 0) process.stderr.write(`node exited ${child.exitCode}: ${err}\n`);
  });
  return { child, url, exited, configPath, key, address };
}

const status = (url: string): Promise<Status> => rpc<Status>(url, 'rampart_status');

test('the slot leader is killed mid-slot: a registered sequencer takes over after the deadline; nothing accepted is lost or doubled', { timeout: 600_000 }, async () => {
  const seqAccounts = d.users.slice(0, 3);
  const depositors = d.users.slice(3, 6);
  assert.equal(seqAccounts.length, 3);
  assert.equal(depositors.length, 3);
  const registry = d.registry;
  assert.ok(registry !== undefined);
  const params = await getRegistryParams(l1, registry);

  // Three sequencer nodes; each joins the registry with 1 ETH and its own RPC URL at start.
  const nodes: NodeProc[] = [];
  for (const [i, a] of seqAccounts.entries()) {
    const configPath = join(tmp(), `seq${i}.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        l1: { rpc: devnet.url, chainId: devnet.chainId, confirmations: 1, pollMs: 100 },
        rollup: { address: d.rollup, deployBlock: Number(d.deployBlock), circuit: 'test' },
        dataDir: tmp(),
        rpc: { host: '127.0.0.1', port: 0 },
        sequencer: { key: { privateKey: a.privateKey }, mempool: { maxAgeMs: 200 }, batcher: { bumpAfterMs: 3000 }, registry: { stakeWei: (10n ** 18n).toString(), forward: { timeoutMs: 1000, retryMs: 500 } } },
      }),
    );
    nodes.push(spawnNode(configPath, a.privateKey, a.address));
  }
  const urls = await Promise.all(nodes.map((n) => n.url));
  // Joins take effect two epochs (of 2 slots) later.
  await waitFor('all three in the active set', async () => {
    // An idle devnet mines no blocks: the next block's time is the wall clock (or the head's + 1).
    const head = (await l1.public.getBlock()).timestamp + 1n;
    const wall = BigInt(Math.floor(Date.now() / 1000));
    const epoch = ((head > wall ? head : wall) - params.genesisTime) / params.slotDuration / params.epochSlots;
    return (await getActiveSet(l1, registry, epoch)).length === 3 ? true : undefined;
  }, 120_000, 500);

  // Three users, one account each (indices 1..3), deposited on L1; whoever leads includes the deposits.
  for (const [i, u] of depositors.entries()) {
    const c = await createL1Clients({ url: devnet.url, privateKey: u.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, DEPOSIT, user(i).publicKey[0], user(i).publicKey[1]], value: DEPOSIT } as never) });
  }
  await waitFor('deposits applied on every node', async () => ((await Promise.all(urls.map(status))).every((s) => s.nextIndex === 4) ? true : undefined), 120_000, 200);

  const domain = domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const nonces = [0, 0, 0];
  const accepted: { tx: L2Tx; hash: Hex; via: number }[] = [];
  /** User i pays user i+1 (account i+1 -> account (i+1)%3+1) through node `via`. */
  const send = async (i: number, via: number, url: string): Promise<void> => {
    const tx = signTx(user(i), { kind: 'transfer', from: i + 1, to: ((i + 1) % 3) + 1, amountF: floatEncode(FLOAT32, BigInt(10 + accepted.length)), maxFeeF, nonce: nonces[i] ?? 0 }, domain);
    const hash = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(tx)]);
    nonces[i] = (nonces[i] ?? 0) + 1;
    accepted.push({ tx, hash, via });
  };
  const nonceOn = async (url: string, i: number): Promise<number> => (await rpc<{ nonce: number }>(url, 'rampart_getAccount', [i + 1])).nonce;
  const allIncludedOn = async (list: readonly string[]): Promise<true | undefined> => {
    for (const url of list) for (let i = 0; i < 3; i++) if ((await nonceOn(url, i)) !== nonces[i]) return undefined;
    return true;
  };

  // Warm-up: every user sends to every node; forwarding brings each transaction to the leader.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 3; i++) {
      const via = (i + round) % 3;
      await send(i, via, urls[via] ?? '');
    }
    await waitFor('warm-up round included everywhere', () => allIncludedOn(urls), 120_000, 200);
  }

  // Wait for a slot whose leader has not committed in it and is at least 2 s before its deadline; kill it.
  const picked = await waitFor(
    'an unclaimed slot with time before its deadline',
    async () => {
      for (const [k, url] of urls.entries()) {
        const s = (await status(url)).sequencing;
        if (s !== null && s.isLeader && s.committer === null && BigInt(s.time) + 2n < BigInt(s.openAt)) return { k, slot: BigInt(s.slot), openAt: BigInt(s.openAt), time: BigInt(s.time), wall: Date.now() };
      }
      return undefined;
    },
    120_000,
    100,
  );
  const dead = nodes[picked.k];
  assert.ok(dead !== undefined);
  dead.child.kill('SIGKILL');
  await dead.exited;
  const survivors = [0, 1, 2].filter((k) => k !== picked.k);
  const survivorUrls = survivors.map((k) => urls[k] ?? '');

  // Users keep sending, to the survivors only (the dead node refuses connections). A user sends its
  // nonces in order to one node: a node admits only what it can check against its own pool.
  for (let round = 0; round < 2; round++) for (let i = 0; i < 3; i++) await send(i, survivors[i % 2] ?? 0, survivorUrls[i % 2] ?? '');
  await waitFor('survivors include everything', () => allIncludedOn(survivorUrls), 120_000, 200);

  // The dead leader's slot was taken over by a survivor, at or after the deadline.
  const logs = await l1.public.getLogs({ address: registry, fromBlock: d.deployBlock });
  const claims = parseEventLogs({ abi: sequencerRegistryAbi as Abi, logs, eventName: 'SlotCommitted' }) as unknown as { args: { slot: bigint; committer: Address; leader: boolean }; blockNumber: bigint }[];
  const takeover = claims.find((c) => c.args.slot === picked.slot);
  assert.ok(takeover !== undefined, `slot ${picked.slot} was committed in; picked ${JSON.stringify(picked, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}; claims ${claims.map((c) => `${c.args.slot}:${c.args.committer.slice(0, 6)}:${c.args.leader}@${c.blockNumber}`).join(' ')}`);
  assert.equal(takeover.args.leader, false);
  assert.ok(survivors.map((k) => nodes[k]?.address.toLowerCase()).includes(takeover.args.committer.toLowerCase()), 'a surviving registered sequencer took the slot over');
  const at = (await l1.public.getBlock({ blockNumber: takeover.blockNumber })).timestamp;
  assert.ok(at >= picked.openAt, `the takeover (t=${at}) waited for the deadline (${picked.openAt})`);

  // The dead leader comes back on its data folder, catches up from L1 and forwards or commits what it gets.
  const back = spawnNode(dead.configPath, dead.key, dead.address);
  nodes[picked.k] = back;
  const backUrl = await back.url;
  urls[picked.k] = backUrl;
  await send(0, picked.k, backUrl);
  await send(1, picked.k, backUrl);
  await waitFor('everything included on every node', () => allIncludedOn(urls), 120_000, 200);

  // Exactly once: nonces, balances, and the number of transactions in all batches on L1.
  const amount = (t: L2Tx): bigint => BigInt(t.amountF); // small floats: exponent 0, mantissa = amount
  for (let i = 0; i < 3; i++) {
    const out = accepted.filter((a) => a.tx.from === i + 1).reduce((x, a) => x + amount(a.tx), 0n);
    const inn = accepted.filter((a) => a.tx.to === i + 1).reduce((x, a) => x + amount(a.tx), 0n);
    for (const url of urls) {
      const acc = await rpc<{ nonce: number; balance: Hex }>(url, 'rampart_getAccount', [i + 1]);
      assert.equal(acc.nonce, accepted.filter((a) => a.tx.from === i + 1).length);
      assert.equal(BigInt(acc.balance), DEPOSIT - out + inn);
    }
  }
  const committed = parseEventLogs({ abi: rollupAbi as Abi, logs: await l1.public.getLogs({ address: d.rollup, fromBlock: d.deployBlock }), eventName: 'BatchCommitted' }) as unknown as { args: { txCount: number } }[];
  assert.equal(committed.reduce((x, b) => x + Number(b.args.txCount), 0), accepted.length, 'each accepted transaction is in exactly one batch on L1');
  // Each node that accepted a transaction reports it committed (signed copies are kept for other sequencers' batches).
  for (const a of accepted) {
    const t = await rpc<{ status: string } | null>(urls[a.via] ?? '', 'rampart_getTransaction', [a.hash]);
    assert.ok(t !== null && (t.status === 'committed' || t.status === 'final'), `tx ${a.hash} sent via node ${a.via}: ${JSON.stringify(t)}`);
  }

  // All nodes agree, and so does a fresh follower rebuilding from L1 alone.
  const finals = await Promise.all(urls.map(status));
  const head = finals[0];
  assert.ok(head !== undefined);
  for (const s of finals) {
    assert.equal(s.batchNum, head.batchNum);
    assert.equal(s.root, head.root);
    assert.equal(s.pending, 0);
  }
  const follower = await startNode({ l1Url: devnet.url, rollup: d.rollup, deployBlock: d.deployBlock, circuit: CIRCUIT_SETS.test, dataDir: tmp(), confirmations: 1, pollMs: 50, rpc: false });
  try {
    assert.equal(follower.status().batchNum, head.batchNum);
    assert.equal(follower.status().root, head.root);
  } finally {
    await follower.stop();
  }
  process.stdout.write(`# takeover: slot ${picked.slot} leader ${dead.address} killed; taken over by ${takeover.args.committer} at t=${at} (deadline ${picked.openAt}); ${accepted.length} transactions, ${head.batchNum} batches\n`);
  for (const n of nodes) n.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
});
