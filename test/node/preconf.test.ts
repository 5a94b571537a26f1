/**
 * Signed batch headers (src/node/preconf.ts) against the EDR devnet with a sequencer registry: the
 * book keeps at most one conflicting pair per (sequencer, batch, slot) and survives a reopen; a node
 * never signs two different headers for one (batch, slot); every header from the network is checked
 * (schema, signature recovering to the claimed member with the contract's rules, a member with stake,
 * a plausible slot and batch) and refused with a typed reason; a conflicting pair becomes evidence that
 * `step` proves on L1, exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, getAddress } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { latestTimestamp } from '../../src/l1/devnetActions.ts';
import { sequencerRegistryAbi } from '../../src/l1/generated/SequencerRegistry.ts';
import { getMemberInfo, getRegistryParams, joinRegistry, slotAt, type RegistryParams } from '../../src/l1/registryActions.ts';
import type { CommitHeader } from '../../src/l1/rollupActions.ts';
import { deployDevnetRollup, type DevnetDeployment } from '../../src/node/devnet-stack.ts';
import { HeaderStore, PreconfError, Preconfirmations, signedHeaderJson, type SignedBatchHeader } from '../../src/node/preconf.ts';
import { signedHeaderSchema } from '../../src/node/rpc-schemas.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const ETH = 10n ** 18n;
let devnet: Devnet;
let d: DevnetDeployment;
let reader: L1Clients;
let member: L1Clients;
let outsider: L1Clients;
let reporter: L1Clients;
let params: RegistryParams;
const { tmp, removeAll } = tempDirs('rampart-preconf-');
const header = (root: bigint): CommitHeader => ({ newRoot: root, exitRoot: 0n, dataCommitment: 7n, newNextIndex: 3, l1Count: 0 });

before(async () => {
  devnet = await startDevnet({ accounts: 6 });
  d = await deployDevnetRollup(devnet, 'test', { registry: { slotDuration: 8, leaderDeadline: 4, epochSlots: 2, unbondingDelay: 10_800, minStakeWei: ETH } });
  const mk = (i: number) => createL1Clients({ url: devnet.url, chainId: devnet.chainId, privateKey: d.users[i]?.privateKey ?? '0x', pollingIntervalMs: 20, retryCount: 0 });
  [member, outsider, reporter] = await Promise.all([mk(0), mk(1), mk(2)]);
  reader = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  assert.ok(d.registry !== undefined);
  params = await getRegistryParams(reader, d.registry);
  await joinRegistry(member, d.registry, 'http://127.0.0.1:1/', ETH);
});

after(async () => {
  await devnet?.stop();
  removeAll();
});

test('the header book: new, known, one conflicting pair, ranges, pruning, a bound, durable across reopen', async () => {
  const path = tmp();
  let store = HeaderStore.open(path, 6);
  const seq = getAddress(member.wallet?.account.address ?? '0x');
  const h = (batchNum: number, slot: bigint, root: bigint): SignedBatchHeader => ({ sequencer: seq, batchNum, slot, header: header(root), signature: `0x${'11'.repeat(65)}` });
  const { batchHeaderHash } = await import('../../src/l1/registryActions.ts');
  const add = (x: SignedBatchHeader) => store.add(x, batchHeaderHash(x.header));
  assert.equal(add(h(5, 10n, 1n)), 'new');
  assert.equal(add(h(5, 10n, 1n)), 'known');
  assert.equal(add(h(5, 10n, 2n)), 'conflict');
  assert.equal(add(h(5, 10n, 3n)), 'known', 'one pair is all the evidence kept');
  assert.equal(add(h(5, 11n, 3n)), 'new', 'another slot is another promise');
  assert.equal(add(h(2, 10n, 1n)), 'new');
  assert.deepEqual(store.range(1, 10).map((x) => x.batchNum), [2, 5, 5, 5]);
  assert.deepEqual(store.range(3, 2).map((x) => x.batchNum), [5, 5]);
  const pairs = store.conflicts(1);
  assert.equal(pairs.length, 1);
  assert.deepEqual(pairs[0]?.map((x) => x.header.newRoot).sort(), [1n, 2n]);
  store.putOwn(h(9, 12n, 4n), batchHeaderHash(header(4n)));
  assert.equal(store.size, 5);
  assert.equal(add(h(10, 12n, 4n)), 'new');
  assert.throws(() => add(h(11, 12n, 4n)), (e: unknown) => e instanceof PreconfError && e.code === 'PRECONF_BOOK_FULL');
  await store.close();
  store = HeaderStore.open(path, 6);
  assert.equal(store.ownHash(9, 12n), batchHeaderHash(header(4n)), 'what this node signed survives a restart');
  assert.equal(store.ownHash(9, 13n), undefined);
  assert.equal(store.prune(6), 4);
  assert.deepEqual(store.range(1, 10).map((x) => x.batchNum), [9, 10]);
  assert.equal(store.ownHash(9, 12n), batchHeaderHash(header(4n)));
  await store.close();
});

test('a node signs one header per (batch, slot); network headers are checked and refused with a reason; a conflicting pair is proven on L1 once', async () => {
  assert.ok(d.registry !== undefined);
  const store = HeaderStore.open(tmp());
  const events: string[] = [];
  const signerStore = HeaderStore.open(tmp());
  const signer = new Preconfirmations({ reader, signer: member, rollup: d.rollup, params, store: signerStore });
  const watcher = new Preconfirmations({ reader, reporter, rollup: d.rollup, params, store, log: (e) => events.push(e) });
  const slot = slotAt(params, (await latestTimestamp(reader.public)) + 1n);

  // Signing: the same header again is the same signature; a different one for the same slot is refused.
  const a = await signer.sign(1, slot, header(1n));
  assert.ok(a !== undefined);
  assert.deepEqual(await signer.sign(1, slot, header(1n)), a);
  assert.equal(await signer.sign(1, slot, header(2n)), undefined, 'never two different headers for one (batch, slot)');
  const later = await signer.sign(1, slot + 1n, header(2n));
  assert.ok(later !== undefined, 'a later slot may carry a re-sealed batch');
  assert.equal(signer.headers(1).length, 2);
  // A commit sent now may still land in an earlier slot than the one it is meant for (a block's
  // timestamp lags the wall clock): while the slot of an older, different header can still be hit,
  // the node does not sign.
  assert.ok((await signer.sign(3, slot, header(1n))) !== undefined);
  assert.equal(await signer.sign(3, slot + 1n, header(2n), slot), undefined, 'could land in the slot of the older header');
  assert.ok((await signer.sign(3, slot + 1n, header(2n), slot + 1n)) !== undefined, 'that slot is over');
  assert.equal(await signer.sign(3, slot + 1n, header(2n), slot), undefined, 'nor again for the later slot while the older one can be hit');
  // A crash right after signing (before any commit): the restarted node still refuses to sign a
  // re-sealed, different batch for that slot — it waits for a later one.
  const signerPath = tmp();
  const crashed = HeaderStore.open(signerPath);
  const beforeCrash = new Preconfirmations({ reader, signer: member, rollup: d.rollup, params, store: crashed });
  assert.ok((await beforeCrash.sign(2, slot, header(1n))) !== undefined);
  await crashed.close();
  const reopened = HeaderStore.open(signerPath);
  const afterCrash = new Preconfirmations({ reader, signer: member, rollup: d.rollup, params, store: reopened });
  assert.equal(await afterCrash.sign(2, slot, header(2n)), undefined);
  assert.ok((await afterCrash.sign(2, slot, header(1n))) !== undefined, 'the batch it signed may still be committed');
  await reopened.close();

  // The wire form passes the RPC schema; malformed ones do not.
  const wire = signedHeaderJson(a);
  assert.equal(signedHeaderSchema.safeParse(wire).success, true);
  for (const bad of [
    { ...wire, batchNum: 0 },
    { ...wire, slot: '0x01' },
    { ...wire, signature: '0x1234' },
    { ...wire, header: { ...wire.header, newRoot: `0x${(2n ** 254n).toString(16)}` } },
    { ...wire, header: { ...wire.header, l1Count: 70_000 } },
    { ...wire, extra: 1 },
  ]) assert.equal(signedHeaderSchema.safeParse(bad).success, false, JSON.stringify(bad).slice(0, 80));

  // Network headers: checked before they are kept.
  const refused = async (h: SignedBatchHeader, code: string) => assert.rejects(watcher.receive(h), (e: unknown) => e instanceof PreconfError && e.code === code, code);
  await refused({ ...a, header: header(3n) }, 'PRECONF_BAD_SIGNATURE');
  await refused({ ...a, sequencer: getAddress(outsider.wallet?.account.address ?? '0x') }, 'PRECONF_BAD_SIGNATURE');
  const { signBatchHeader, batchHeaderHash } = await import('../../src/l1/registryActions.ts');
  const byOutsider: SignedBatchHeader = { ...a, sequencer: getAddress(outsider.wallet?.account.address ?? '0x'), signature: await signBatchHeader(outsider, d.rollup, 1n, slot, batchHeaderHash(a.header)) };
  await refused(byOutsider, 'PRECONF_NOT_MEMBER');
  const signedFor = async (batchNum: number, s: bigint, root: bigint): Promise<SignedBatchHeader> => ({ ...a, batchNum, slot: s, header: header(root), signature: await signBatchHeader(member, d.rollup, BigInt(batchNum), s, batchHeaderHash(header(root))) });
  await refused(await signedFor(1, slot + 10n, 1n), 'PRECONF_FUTURE_SLOT');
  await refused(await signedFor(1000, slot, 1n), 'PRECONF_FUTURE_BATCH');
  // High-s twin of a valid signature: valid for ecrecover, refused by OpenZeppelin's ECDSA, so refused here.
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const r = a.signature.slice(0, 66);
  const s = BigInt(`0x${a.signature.slice(66, 130)}`);
  const v = Number.parseInt(a.signature.slice(130), 16);
  const twin = `${r}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
  await refused({ ...a, signature: twin }, 'PRECONF_BAD_SIGNATURE');

  // Valid: kept; the second, different header for the same (batch, slot) is a conflict and evidence.
  assert.equal(await watcher.receive(signedHeaderJson(a)), 'new');
  assert.equal(await watcher.receive(a), 'known');
  const b = await signedFor(1, slot, 2n);
  assert.equal(await watcher.receive(b), 'conflict');
  assert.equal(watcher.pendingEvidence.length, 1);
  assert.ok(events.includes('equivocation-found'));
  const who = getAddress(member.wallet?.account.address ?? '0x');
  assert.equal((await getMemberInfo(reader, d.registry, who)).stake, ETH);
  assert.equal(await watcher.step(), 1);
  assert.equal((await getMemberInfo(reader, d.registry, who)).stake, 0n, 'slashed');
  assert.equal(watcher.pendingEvidence.length, 0);
  const slashed = (await reader.public.getContractEvents({ address: d.registry, abi: sequencerRegistryAbi as Abi, eventName: 'Slashed', fromBlock: d.deployBlock })) as unknown as { args: { sequencer: Address; beneficiary: Address; paid: bigint } }[];
  assert.equal(slashed.length, 1);
  assert.equal(getAddress(slashed[0]?.args.beneficiary ?? '0x'), getAddress(reporter.wallet?.account.address ?? '0x'));
  assert.equal(slashed[0]?.args.paid, ETH / 2n);

  // A restart finds the pair again in the book; the stake is gone, so nothing is sent twice.
  const again = new Preconfirmations({ reader, reporter, rollup: d.rollup, params, store, log: (e) => events.push(e) });
  assert.equal(again.pendingEvidence.length, 1);
  assert.equal(await again.step(), 0);
  assert.equal(again.pendingEvidence.length, 0);
  // A slashed member's headers are no longer kept.
  await refused(await signedFor(2, slot, 5n), 'PRECONF_NOT_MEMBER');
  await store.close();
  await signerStore.close();
});

test('pulling from members: valid headers are taken, a peer serving junk is left alone for a while', async () => {
  assert.ok(d.registry !== undefined);
  const { createServer } = await import('node:http');
  const { signBatchHeader, batchHeaderHash } = await import('../../src/l1/registryActions.ts');
  let served: unknown[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: served }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    await joinRegistry(outsider, d.registry, url, ETH);
    const slot = slotAt(params, (await latestTimestamp(reader.public)) + 1n);
    const who = getAddress(outsider.wallet?.account.address ?? '0x');
    const good: SignedBatchHeader = { sequencer: who, batchNum: 1, slot, header: header(8n), signature: await signBatchHeader(outsider, d.rollup, 1n, slot, batchHeaderHash(header(8n))) };
    const junk = Array.from({ length: 20 }, (_, i) => ({ ...signedHeaderJson(good), header: { ...signedHeaderJson(good).header, newRoot: `0x${(100 + i).toString(16)}` } }));
    served = [signedHeaderJson(good), ...junk, { not: 'a header' }];
    const store = HeaderStore.open(tmp());
    const events: { e: string; f: Record<string, unknown> }[] = [];
    const w = new Preconfirmations({ reader, rollup: d.rollup, params, store, log: (e, f) => events.push({ e, f }) }, { pullMs: 1 });
    await w.step();
    assert.equal(requests, 1);
    assert.deepEqual(w.headers(1).map((h) => h.header.newRoot), ['0x8'], 'only the valid header is kept');
    assert.equal(events.find((x) => x.e === 'preconf-pull-refused')?.f['refused'], 21);
    await new Promise((r) => setTimeout(r, 5));
    await w.step();
    assert.equal(requests, 1, 'a peer that served junk is not asked again at once');
    await store.close();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
