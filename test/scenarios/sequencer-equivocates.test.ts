/**
 * Attack (docs/PROTOCOL.md §11.3, preconf.ts): staked sequencers break the promise of their signed
 * batch headers (pre-confirmations). Three registered sequencer nodes run the rollup (optimistic
 * settlement). Honest nodes sign the header of every batch before committing it and serve the headers
 * they hold; every node pulls the members' headers and watches L1's commits.
 *   1. Split view: sequencer M stops its node and, with its key, signs two different headers for the
 *      same batch and slot, handing one to a user of node 1 and the other to a user of node 2. Neither
 *      node holds both; they find the pair by pulling each other's book, and one of them proves it on
 *      L1. M's whole stake is slashed, half to that node, half burned; M is ejected.
 *   2. Broken promise: sequencer N signs a header for a batch holding Alice's transfer (she reports her
 *      pre-confirmation to node 2), then, in that slot, commits a different batch at that number. Node 2
 *      compares the commit with the header and proves it on L1: N is slashed the same way.
 * Throughout, the honest nodes' own signed headers all match L1's commits, and the honest sequencer is
 * never slashed; Alice's transfer is included later by the honest node, exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, bytesToHex, getAddress } from 'viem';
import { signedBatchFromResult } from '../../src/core/batch-commitment.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { applyBatch } from '../../src/core/stf.ts';
import { domainHash, encodeL1Ops, type L2Tx } from '../../src/core/tx.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime, latestTimestamp } from '../../src/l1/devnetActions.ts';
import { sequencerRegistryAbi } from '../../src/l1/generated/SequencerRegistry.ts';
import { commitWithBond } from '../../src/l1/optimisticActions.ts';
import { batchHeaderHash, getMemberInfo, getRegistryParams, getSlotInfo, mayCommit, recoverBatchHeaderSigner, signBatchHeader, slotAt, type RegistryParams } from '../../src/l1/registryActions.ts';
import { getBatchCommit, getL1Consumed, type CommitHeader } from '../../src/l1/rollupActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import type { DevnetStack } from '../../src/node/devnet-stack.ts';
import { lastCommittedOnL1 } from '../../src/node/follow.ts';
import { signedHeaderFromJson, signedHeaderJson, type SignedHeaderJson } from '../../src/node/preconf.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { stateFromL1, startOptimisticStack, stackClients } from '../support/dispute-actors.ts';

const ETH = 10n ** 18n;
const ZERO = '0x0000000000000000000000000000000000000000';
let stack: DevnetStack;
let reader: L1Clients;
let p: RegistryParams;

type Slashed = { sequencer: Address; amount: bigint; beneficiary: Address; paid: bigint; reason: Hex };

before(async () => {
  stack = await startOptimisticStack({ sequencers: 3 });
  reader = await createL1Clients({ url: stack.l1Url, chainId: stack.chainId, pollingIntervalMs: 20, retryCount: 0 });
  assert.ok(stack.registry !== undefined);
  p = await getRegistryParams(reader, stack.registry);
});

after(async () => {
  await stack?.stop();
});

const keyOf = (address: Address): Hex => {
  const a = stack.devnet.accounts.find((x) => getAddress(x.address) === getAddress(address));
  assert.ok(a !== undefined, `no devnet key for ${address}`);
  return a.privateKey;
};
const clientsOf = (key: Hex) => stackClients(stack, key);
const slashes = async (): Promise<Slashed[]> =>
  ((await reader.public.getContractEvents({ address: stack.registry as Address, abi: sequencerRegistryAbi as Abi, eventName: 'Slashed', fromBlock: stack.deployBlock })) as unknown as { args: Slashed }[]).map((e) => e.args);
const reasonOf = (r: Hex): string => Buffer.from(r.slice(2), 'hex').toString('utf8').replace(/\0+$/, '');

/** Seals `txs` on the state L1's commits give (what a sequencer would sign and post next). */
async function seal(txs: readonly L2Tx[]): Promise<{ header: CommitHeader; l1Ops: Hex; batchData: Hex; batchNum: bigint }> {
  const config = stack.node.config;
  const state = await stateFromL1(reader, stack.rollup, stack.deployBlock, config);
  const result = applyBatch(state, { l1Ops: [], l2Txs: txs, feeTable: [] }, config);
  assert.equal(result.included.length, txs.length, 'every transaction is valid');
  const batchNum = BigInt(await lastCommittedOnL1(reader, stack.rollup)) + 1n;
  const built = signedBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result, l1Ops: [], feeTable: [], batchNum, l1Start: await getL1Consumed(reader, stack.rollup) });
  return {
    header: { newRoot: result.newRoot, exitRoot: result.exitRoot, dataCommitment: built.commitment.c, newNextIndex: result.newNextIndex, l1Count: 0 },
    l1Ops: bytesToHex(encodeL1Ops([])),
    batchData: bytesToHex(built.batchData),
    batchNum,
  };
}

/** Every header an honest node serves is signed by its committer and matches L1's commit in the signed slot. */
async function honestHeadersMatchL1(url: string, sequencer: Address): Promise<number> {
  const held = await rpc<SignedHeaderJson[]>(url, 'rampart_getBatchHeaders', [1]);
  let matched = 0;
  for (const j of held.filter((h) => getAddress(h.sequencer) === getAddress(sequencer))) {
    const h = signedHeaderFromJson(j);
    const signer = await recoverBatchHeaderSigner(BigInt(stack.chainId), stack.rollup, BigInt(h.batchNum), h.slot, batchHeaderHash(h.header), h.signature);
    assert.equal(getAddress(signer ?? ZERO), getAddress(sequencer));
    const c = await getBatchCommit(reader, stack.rollup, BigInt(h.batchNum));
    // Signed but not landed in that slot (the commit reverted, or landed a slot later): no promise was broken.
    if (c.committedAt === 0n || slotAt(p, c.committedAt) !== h.slot || getAddress(c.committer) !== getAddress(sequencer)) continue;
    assert.deepEqual([c.stateRoot, c.exitRoot, c.nextIndex], [h.header.newRoot, h.header.exitRoot, h.header.newNextIndex], `batch ${h.batchNum}: the commit is what was signed`);
    matched++;
  }
  return matched;
}

test('sequencers that break their signed batch headers are slashed from gossip and L1 alone; honest ones are not', { timeout: 600_000 }, async () => {
  const registry = stack.registry as Address;
  const [n0, n1, n2] = stack.nodes;
  assert.ok(n0 !== undefined && n1 !== undefined && n2 !== undefined);
  const url1 = n1.rpcUrl ?? '';
  const url2 = n2.rpcUrl ?? '';
  const addrOf = async (url: string): Promise<Address> => getAddress((await rpc<{ sequencing: { me: Address } }>(url, 'rampart_status')).sequencing.me);
  const [mAddr, nAddr, hAddr] = [await addrOf(n0.rpcUrl ?? ''), await addrOf(url1), await addrOf(url2)];
  await waitFor('all three registered', async () => ((await Promise.all([mAddr, nAddr, hAddr].map((a) => getMemberInfo(reader, registry, a)))).every((m) => m.stake === ETH) ? true : undefined));
  await increaseTime(reader.public, Number(3n * p.epochSlots * p.slotDuration));

  // Alice and Bob get accounts; the nodes commit (and sign) the deposit batches.
  const [alice, bob] = await Promise.all([clientsOf(stack.accounts[0]?.privateKey ?? '0x'), clientsOf(stack.accounts[1]?.privateKey ?? '0x')]);
  const { writeRollup } = await import('../../src/l1/rollupActions.ts');
  await writeRollup(alice, stack.rollup, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await writeRollup(bob, stack.rollup, 'createAccount', [0, 1000n, user(1).publicKey[0], user(1).publicKey[1]], 1000n);
  const find = async (c: L1Clients): Promise<number | undefined> => (await rpc<number[]>(url2, 'rampart_findAccounts', [{ l1Address: c.wallet?.account.address, tokenId: 0 }]))[0];
  const a = await waitFor('alice', () => find(alice));
  const b = await waitFor('bob', () => find(bob));
  const domain = domainHash({ chainId: BigInt(stack.chainId), rollupAddress: BigInt(stack.rollup) });
  const transfer = (from: number, to: number, who: number, amount: bigint, nonce: number): L2Tx => signTx(user(who), { kind: 'transfer', from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF: floatEncode(FLOAT16, 0n), nonce }, domain);
  // Some honest traffic: each transfer is sealed, signed as a header, committed.
  await rpc(url2, 'rampart_sendTransaction', [txJson(transfer(b, a, 1, 1n, 0))]);
  await waitFor('bob→alice included', async () => ((await rpc<{ nonce: number } | null>(url2, 'rampart_getAccount', [b]))?.nonce === 1 ? true : undefined));
  const honestSigned = await waitFor('honest headers served', async () => {
    const held = await rpc<SignedHeaderJson[]>(url2, 'rampart_getBatchHeaders', [1]);
    return held.length > 0 ? held : undefined;
  });
  assert.ok(honestSigned.every((h) => [mAddr, nAddr, hAddr].includes(getAddress(h.sequencer))), 'only members sign');
  let honestMatched = 0;
  for (const s of [mAddr, nAddr, hAddr]) honestMatched += await honestHeadersMatchL1(url2, s);
  assert.ok(honestMatched >= 1, 'at least one signed header landed in its slot and matches its commit');

  // 1. Split view. M's node stops; its key signs two different headers for one (batch, slot).
  await n0.stop();
  const mKey = await clientsOf(keyOf(mAddr));
  const viewA = await seal([transfer(a, b, 0, 5n, 0)]);
  const viewB = await seal([transfer(a, b, 0, 7n, 0)]);
  assert.equal(viewA.batchNum, viewB.batchNum);
  const slot = slotAt(p, (await latestTimestamp(reader.public)) + 1n);
  const signedBy = async (c: L1Clients, v: { header: CommitHeader; batchNum: bigint }, s: bigint): Promise<SignedHeaderJson> =>
    signedHeaderJson({ sequencer: getAddress(c.wallet?.account.address ?? ZERO), batchNum: Number(v.batchNum), slot: s, header: v.header, signature: await signBatchHeader(c, stack.rollup, v.batchNum, s, batchHeaderHash(v.header)) });
  const hA = await signedBy(mKey, viewA, slot);
  const hB = await signedBy(mKey, viewB, slot);
  // Each honest node is shown one of them (users reporting what they were promised).
  assert.equal(await rpc<string>(url1, 'rampart_submitBatchHeader', [hA]), 'new');
  assert.equal(await rpc<string>(url2, 'rampart_submitBatchHeader', [hB]), 'new');
  assert.equal(await rpc<string>(url2, 'rampart_submitBatchHeader', [hB]), 'known');
  const first = await waitFor('M slashed for equivocation', async () => (await slashes()).find((s) => getAddress(s.sequencer) === mAddr), 120_000, 200);
  assert.equal(reasonOf(first.reason), 'equivocation');
  assert.equal(first.amount, ETH, 'the whole stake');
  assert.ok([nAddr, hAddr].includes(getAddress(first.beneficiary)), 'an honest node reported it');
  assert.equal(first.paid, ETH / 2n, 'half to the reporter');
  const m = await getMemberInfo(reader, registry, mAddr);
  assert.equal(m.stake, 0n);
  assert.equal(m.ejected, true);
  // The pair reached both books; the second reporter found the stake gone and let it be.
  await waitFor('no evidence left pending', async () => {
    const st = await Promise.all([url1, url2].map((u) => rpc<{ preconf: { pendingEvidence: number } }>(u, 'rampart_status')));
    return st.every((s) => s.preconf.pendingEvidence === 0) ? true : undefined;
  });
  assert.equal((await slashes()).length, 1, 'slashed once');

  // 2. Broken promise. N's node stops; in a slot N leads, N signs a header holding Alice's transfer,
  // Alice hands it to node 2, and N commits a different batch at that number in that slot.
  await n1.stop();
  const nKey = await clientsOf(keyOf(nAddr));
  const alicePays = transfer(a, b, 0, 9n, 0);
  for (let attempt = 0; ; attempt++) {
    if (attempt > 60) throw new Error('no slot led by N');
    const now = await latestTimestamp(reader.public);
    const s = await getSlotInfo(reader, registry, slotAt(p, now + 1n));
    const mine = getAddress(s.leader) === nAddr && s.committer === ZERO;
    if (!mine || now + 3n > s.start + p.slotDuration || !(await mayCommit(reader, registry, nAddr, now + 1n))) {
      await increaseTime(reader.public, Number(s.start + p.slotDuration - now));
      continue;
    }
    const promised = await seal([alicePays]);
    const h = await signedBy(nKey, promised, s.slot);
    assert.equal(await rpc<string>(url2, 'rampart_submitBatchHeader', [h]), 'new');
    const other = await seal([transfer(b, a, 1, 3n, 1)]); // Alice's transfer left out
    try {
      const c = await commitWithBond(nKey, stack.rollup, other);
      assert.equal(c.batchNum, promised.batchNum);
      const landed = await getBatchCommit(reader, stack.rollup, c.batchNum);
      if (slotAt(p, landed.committedAt) !== s.slot) continue; // landed in the next slot: no broken promise; try again
      break;
    } catch (e) {
      if (!(e instanceof ContractRevertedError && e.reason === 'NotAllowedToCommit')) throw e;
    }
  }
  const second = await waitFor('N slashed for its commit', async () => (await slashes()).find((s) => getAddress(s.sequencer) === nAddr), 120_000, 200);
  assert.equal(reasonOf(second.reason), 'equivocation');
  assert.equal(second.amount, ETH);
  assert.equal(getAddress(second.beneficiary), hAddr, 'the only live node reported it');
  assert.equal(second.paid, ETH / 2n);

  // The honest sequencer is untouched; its own headers all match L1; Alice's transfer lands once.
  assert.equal((await getMemberInfo(reader, registry, hAddr)).stake, ETH);
  assert.equal((await slashes()).length, 2);
  await rpc(url2, 'rampart_sendTransaction', [txJson(alicePays)]);
  await waitFor('alice pays through the honest sequencer', async () => ((await rpc<{ nonce: number } | null>(url2, 'rampart_getAccount', [a]))?.nonce === 1 ? true : undefined), 120_000, 200);
  const balance = async (i: number): Promise<bigint> => BigInt((await rpc<{ balance: Hex }>(url2, 'rampart_getAccount', [i])).balance);
  assert.equal(await balance(a), 1000n + 1n + 3n - 9n);
  assert.equal(await balance(b), 1000n - 1n - 3n + 9n);
  assert.ok((await honestHeadersMatchL1(url2, hAddr)) >= 1, 'the honest sequencer signed what it committed');
});
