/**
 * `rampart devnet --sequencers 2` (startDevnetStack with two sequencer nodes): the Rollup is deployed
 * with a sequencer registry, both nodes join it, each leads slots, a transaction sent to either node
 * is committed once (one sent to the non-leader is forwarded to the leader), and every batch is proven
 * by the first node's prover — including a batch the second node committed with a transaction only it
 * held (the prover fetches the signed transactions from the committer's registered URL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, parseEventLogs } from 'viem';
import { createL1Clients } from '../../src/l1/createL1Clients.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { sequencerRegistryAbi } from '../../src/l1/generated/SequencerRegistry.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { startDevnetStack, type DevnetStack } from '../../src/node/devnet-stack.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';

let stack: DevnetStack;
const events: { event: string; fields: Record<string, unknown> }[] = [];

before(async () => {
  stack = await startDevnetStack({ circuit: 'test', sequencers: 2, userAccounts: 2, pollMs: 100, log: (event, fields) => events.push({ event, fields }) });
});
after(async () => {
  await stack?.stop();
});

type Seq = { isLeader: boolean; time: string; slotEnd: string; slot: string; leader: Address };

test('two sequencer nodes on the devnet: both registered, transactions through either are committed once, every batch proven', { timeout: 600_000 }, async () => {
  assert.ok(stack.registry !== undefined);
  assert.equal(stack.nodes.length, 2);
  const [n0, n1] = stack.nodes;
  assert.ok(n0 !== undefined && n1 !== undefined);
  const urls = [n0.rpcUrl ?? '', n1.rpcUrl ?? ''];
  for (const [i, u] of stack.accounts.slice(0, 2).entries()) {
    const c = await createL1Clients({ url: stack.l1Url, privateKey: u.privateKey, chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const wallet = c.wallet;
    assert.ok(wallet);
    await sendAndWait({ public: c.public, context: 'createAccount', send: () => wallet.writeContract({ address: stack.rollup, abi: rollupAbi as Abi, functionName: 'createAccount', args: [0, 1000n, user(i).publicKey[0], user(i).publicKey[1]], value: 1000n } as never) });
  }
  await waitFor('deposits on both nodes', async () => (n0.status().nextIndex === 3 && n1.status().nextIndex === 3 ? true : undefined), 120_000, 200);

  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const c = await createL1Clients({ url: stack.l1Url, chainId: stack.chainId, retryCount: 0 });
  // Who committed batch n (the registry's SlotCommitted events name the committer).
  const committerOf = async (batchNum: number): Promise<string | undefined> => {
    const logs = await c.public.getLogs({ address: stack.registry, fromBlock: stack.deployBlock - 1n });
    const events = parseEventLogs({ abi: sequencerRegistryAbi as Abi, logs, eventName: 'SlotCommitted' }) as unknown as { args: { committer: Address; batchNum: bigint } }[];
    return events.find((e) => e.args.batchNum === BigInt(batchNum))?.args.committer.toLowerCase();
  };
  const batchOf = async (url: string, h: Hex): Promise<number> => (await rpc<{ batchNum: number | null } | null>(url, 'rampart_getTransaction', [h]))?.batchNum ?? -1;
  const first = stack.roles.sequencer.address.toLowerCase();
  const sent: Hex[] = [];
  // Transfers sent to the second node while it leads with time to spare: it commits them itself, and
  // only it holds the signed transactions. On a loaded machine its commit can slip past its slot (the
  // first node then commits the forwarded copy), so it gets up to three slots to commit one itself.
  let nonce0 = 0;
  let secondCommitted = false;
  for (let attempt = 0; attempt < 3 && !secondCommitted; attempt++) {
    await waitFor('the second node leads a slot', async () => {
      const s = n1.status().sequencing as unknown as Seq | null;
      return s !== null && s.isLeader && BigInt(s.time) + 4n < BigInt(s.slotEnd) ? true : undefined;
    }, 180_000, 100);
    const t = signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 7n), maxFeeF, nonce: nonce0 }, domain);
    const h = await rpc<Hex>(urls[1] ?? '', 'rampart_sendTransaction', [txJson(t)]);
    sent.push(h);
    nonce0++;
    await waitFor('the transfer applied', async () => (n1.state.getAccount(1)?.nonce === nonce0 ? true : undefined), 60_000, 100);
    const committer = await committerOf(await batchOf(urls[1] ?? '', h));
    assert.ok(committer !== undefined, 'the batch has a SlotCommitted event');
    secondCommitted = committer !== first;
  }
  assert.ok(secondCommitted, 'the second node committed a transfer only it held');
  // One sent to the second node while the first leads: forwarded, and committed by the first.
  await waitFor('the first node leads a slot', async () => {
    const s = n0.status().sequencing as unknown as Seq | null;
    return s !== null && s.isLeader && BigInt(s.time) + 4n < BigInt(s.slotEnd) ? true : undefined;
  }, 180_000, 100);
  const t1 = signTx(user(1), { kind: 'transfer', from: 2, to: 1, amountF: floatEncode(FLOAT32, 3n), maxFeeF, nonce: 0 }, domain);
  const h1 = await rpc<Hex>(urls[1] ?? '', 'rampart_sendTransaction', [txJson(t1)]);
  await waitFor('every transfer applied on both nodes', async () => (n0.state.getAccount(1)?.nonce === nonce0 && n0.state.getAccount(2)?.nonce === 1 && n1.state.getAccount(1)?.nonce === nonce0 && n1.state.getAccount(2)?.nonce === 1 ? true : undefined), 120_000, 200);
  const moved = 7n * BigInt(nonce0);
  assert.equal(n0.state.getAccount(1)?.balance, 1000n - moved + 3n);
  assert.equal(n1.state.getAccount(2)?.balance, 1000n + moved - 3n);
  const included = async (url: string, h: Hex): Promise<boolean> => ['committed', 'final'].includes((await rpc<{ status: string } | null>(url, 'rampart_getTransaction', [h]))?.status ?? 'unknown');
  for (const h of [...sent, h1]) assert.ok(await included(urls[1] ?? '', h), `${h} on the node it was sent to`);
  assert.ok(await included(urls[0] ?? '', h1), 'the forwarded copy is indexed on the committer');

  const last = n0.status().batchNum;
  assert.equal(n1.status().root, n0.status().root);
  await waitFor('every batch proven', async () => (n0.status().lastFinal >= last ? true : undefined), 480_000, 500);

  assert.equal(events.filter((e) => e.event === 'batch-input-fallback-failed').length, 0);
  assert.equal(events.filter((e) => e.event === 'prover-error').length, 0, JSON.stringify(events.filter((e) => e.event === 'prover-error').slice(0, 2)));
});
