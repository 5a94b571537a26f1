/**
 * The sequencer registry against the EDR devnet (docs/PROTOCOL.md §11.3): joining with a stake and a
 * URL, leaving through unbonding and withdrawing, the epoch-stable slot schedule (recomputed here from
 * the documented rule), the commit gate Rollup.commitBatch consults (leader in its slot, any active
 * member after the deadline, the first takeover claims the slot), slashing by the slasher, by
 * equivocation evidence (two headers signed for one batch and slot, or a commit that differs from the
 * header its committer signed for the commit's slot) and for a missed proof, and a typed revert for
 * every bad input.
 * Commits carry a minimal well-formed batch (no ops, no transactions): the gate runs before the data
 * checks, and an AcceptingVerifier stands in for Groth16 where a batch must be proven.
 */
import { after, before, test } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1';
import assert from 'node:assert/strict';
import {
  type Abi,
  type Address,
  type Hex,
  BaseError,
  decodeErrorResult,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  concat,
  numberToHex,
  parseEventLogs,
  slice,
  stringToHex,
  zeroAddress,
} from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime, latestTimestamp, setBalance } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { decodeL1Error } from '../../src/l1/decodeL1Error.ts';
import { commitBatch, proveBatch } from '../../src/l1/rollupActions.ts';
import {
  batchHeaderDigest,
  batchHeaderHash,
  getActiveSet,
  getMemberInfo,
  getRegistryAddress,
  getRegistryParams,
  getSlotInfo,
  joinRegistry,
  mayCommit,
  pokeSeed,
  proveEquivocation,
  pruneMember,
  requestLeave,
  proveCommitEquivocation,
  recoverBatchHeaderSigner,
  signBatchHeader,
  reportMissedProof,
  slashMissedProof,
  slashSequencer,
  slotAt,
  updateUrl,
  withdrawStake,
  type RegistryParams,
} from '../../src/l1/registryActions.ts';
import { rollupAbi, rollupBytecode } from '../../src/l1/generated/Rollup.ts';
import { sequencerRegistryAbi, sequencerRegistryBytecode } from '../../src/l1/generated/SequencerRegistry.ts';
import { acceptingVerifierAbi, acceptingVerifierBytecode } from '../../src/l1/generated/AcceptingVerifier.ts';

const ETH = 10n ** 18n;
const SLOT = 20;
const DEADLINE = 10;
const EPOCH_SLOTS = 4;
const UNBONDING = 150;
const WINDOW = 50;
const GOOD_PROOF = { a: [1n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;
const EMPTY_DATA: Hex = '0x01000000000000'; // version 1, zk mode, no fee entries, no transactions

let devnet: Devnet;
let deployer: L1Clients;
/** Candidate sequencers A..E are accounts 1..5; 6 reports faults, 7 is the slasher, 8 an outsider. */
const c: L1Clients[] = [];
let d: RollupDeployment;
let registry: Address;
let params: RegistryParams;
let root = 1n;

const addr = (x: L1Clients): Address => x.wallet?.account.address ?? zeroAddress;
const rd = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
  deployer.public.readContract({ address: registry, abi: sequencerRegistryAbi as Abi, functionName, args }) as Promise<T>;
const rollupRead = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
  deployer.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName, args }) as Promise<T>;

async function reverts(p: Promise<unknown>, reason: string, args?: readonly unknown[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ContractRevertedError, `expected a contract revert (${reason}), got ${String(e)}`);
    assert.equal(e.reason, reason);
    if (args !== undefined) assert.deepEqual(e.args, args);
    return true;
  });
}

/** Decodes the custom error a constructor reverts with (deploys carry no ABI for viem to decode). */
async function deployReverts(abi: Abi, bytecode: Hex, args: readonly unknown[], reason: string, errorArgs?: readonly unknown[]): Promise<void> {
  const data = encodeDeployData({ abi, bytecode, args } as Parameters<typeof encodeDeployData>[0]);
  try {
    await deployer.public.call({ account: deployer.wallet?.account, data });
  } catch (err) {
    // EDR reports a constructor's revert as an internal error whose message carries the return data.
    const text = err instanceof BaseError ? JSON.stringify(err.walk((e) => (e as { data?: unknown }).data !== undefined && !(e instanceof BaseError)) ?? err.walk()) : String(err);
    const raw = /return data: (0x[0-9a-fA-F]+)/.exec(text)?.[1] as Hex | undefined;
    assert.ok(raw !== undefined, `no revert data: ${String(err)}`);
    const decoded = decodeErrorResult({ abi, data: raw });
    assert.equal(decoded.errorName, reason);
    if (errorArgs !== undefined) assert.deepEqual(decoded.args, errorArgs);
    return;
  }
  assert.fail(`deploy did not revert (${reason})`);
}

async function setNextTimestamp(t: bigint): Promise<void> {
  const request = deployer.public.request as unknown as (a: { method: string; params: unknown[] }) => Promise<unknown>;
  await request({ method: 'evm_setNextBlockTimestamp', params: [`0x${t.toString(16)}`] });
  await request({ method: 'evm_mine', params: [] });
}

/** Mines a block `offset` seconds into the next slot (or into the next epoch's first slot, with `epochStart`); returns that slot. */
async function toSlot(offset: number, opts: { epochStart?: boolean } = {}): Promise<bigint> {
  const now = await latestTimestamp(deployer.public);
  let s = slotAt(params, now) + 1n;
  if (opts.epochStart === true) s = (slotAt(params, now) / params.epochSlots + 1n) * params.epochSlots;
  await setNextTimestamp(params.genesisTime + s * params.slotDuration + BigInt(offset));
  return s;
}

/** A well-formed commit (nothing in it) from `who`; distinct roots so every batch differs. */
function commit(who: L1Clients) {
  root += 1n;
  return commitBatch(who, d.rollup, { newRoot: root, exitRoot: 0n, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 }, '0x', EMPTY_DATA);
}

function byAddress(a: Address): L1Clients {
  const x = c.find((y) => addr(y).toLowerCase() === a.toLowerCase());
  assert.ok(x !== undefined, `no client for ${a}`);
  return x;
}

async function paidTo(who: L1Clients, run: () => Promise<{ gasUsed: bigint; effectiveGasPrice: bigint }>): Promise<bigint> {
  const before = await who.public.getBalance({ address: addr(who) });
  const r = await run();
  const after = await who.public.getBalance({ address: addr(who) });
  return after - before + r.gasUsed * r.effectiveGasPrice;
}

/**
 * Variants of a valid 65-byte signature that OpenZeppelin's ECDSA.tryRecover refuses: the high-s twin
 * (s → n − s, v flipped: ecrecover alone would accept it), v outside 27/28, r or s zero, r with no curve
 * point, and a wrong length.
 */
function malformedVariants(sig: Hex): [string, Hex][] {
  const n = secp256k1.CURVE.n;
  const r = slice(sig, 0, 32);
  const s = BigInt(slice(sig, 32, 64));
  const v = Number(BigInt(slice(sig, 64, 65)));
  const word = (x: bigint): Hex => numberToHex(x, { size: 32 });
  let offCurve = 5n;
  for (;;) {
    try {
      secp256k1.ProjectivePoint.fromHex(`02${word(offCurve).slice(2)}`);
      offCurve += 1n;
    } catch {
      break;
    }
  }
  return [
    ['high s', concat([r, word(n - s), numberToHex(v === 27 ? 28 : 27, { size: 1 })])],
    ['v = 29', concat([r, word(s), numberToHex(29, { size: 1 })])],
    ['v = 0', concat([r, word(s), numberToHex(0, { size: 1 })])],
    ['r = 0', concat([word(0n), word(s), numberToHex(v, { size: 1 })])],
    ['s = 0', concat([r, word(0n), numberToHex(v, { size: 1 })])],
    ['r off the curve', concat([word(offCurve), word(s), numberToHex(v, { size: 1 })])],
    ['64 bytes', slice(sig, 0, 64)],
    ['garbage', '0x1234'],
  ];
}

/** The documented leader rule, recomputed: the active member with the smallest keccak256(seed, slot, member). */
async function expectedLeader(slot: bigint): Promise<Address> {
  const epoch = slot / params.epochSlots;
  const seed = await rd<Hex>('epochSeed', [epoch]);
  const set = await getActiveSet(deployer, registry, epoch);
  let best: bigint | undefined;
  let leader: Address = zeroAddress;
  for (const m of set) {
    const score = BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }], [seed, slot, m])));
    if (best === undefined || score < best) {
      best = score;
      leader = m;
    }
  }
  return leader;
}

before(async () => {
  devnet = await startDevnet({ accounts: 10 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  deployer = await mk(0);
  for (let i = 1; i <= 9; i++) c.push(await mk(i));
  const verifier = await deployContract({ clients: deployer, abi: acceptingVerifierAbi as Abi, bytecode: acceptingVerifierBytecode, name: 'AcceptingVerifier' });
  d = await deployRollup(deployer, {
    verifier: verifier.address,
    sequencer: addr(c[8] as L1Clients),
    governance: addr(deployer),
    treeDepth: 8,
    exitTreeDepth: 4,
    maxL1Ops: 2,
    maxFeeTokens: 1,
    maxL2Txs: 4,
    forcedInclusionDelay: 1000,
    selfSequenceDelay: 2000,
    exodusDelay: 4000,
    proverPriorityWindow: WINDOW,
    registry: {
      slasher: addr(c[6] as L1Clients),
      minStakeWei: ETH,
      slotDuration: SLOT,
      leaderDeadline: DEADLINE,
      epochSlots: EPOCH_SLOTS,
      unbondingDelay: UNBONDING,
      maxSequencers: 4,
      reporterShareBps: 5000,
      missedProofPenaltyWei: ETH / 4n,
    },
  });
  assert.ok(d.registry !== undefined);
  registry = d.registry;
  params = await getRegistryParams(deployer, registry);
});

after(async () => {
  await devnet?.stop();
});

test('deploy: the rollup names its registry, the registry its rollup; bad parameters revert with BadConfig', async () => {
  assert.equal((await getRegistryAddress(deployer, d.rollup))?.toLowerCase(), registry.toLowerCase());
  assert.equal(params.rollup.toLowerCase(), d.rollup.toLowerCase());
  assert.deepEqual([params.slotDuration, params.leaderDeadline, params.epochSlots, params.unbondingDelay], [20n, 10n, 4n, 150n]);
  const good = { rollup: d.rollup, slasher: zeroAddress, minStake: ETH, slotDuration: 20n, leaderDeadline: 10n, epochSlots: 4, unbondingDelay: 150n, maxSequencers: 4, reporterShareBps: 5000, missedProofPenalty: ETH / 4n };
  const regAbi = sequencerRegistryAbi as Abi;
  const bad: [Partial<typeof good>, string][] = [
    [{ rollup: zeroAddress }, 'rollup'],
    [{ minStake: 0n }, 'minStake'],
    [{ slotDuration: 0n }, 'slotDuration'],
    [{ leaderDeadline: 0n }, 'leaderDeadline'],
    [{ leaderDeadline: 20n }, 'leaderDeadline'],
    [{ epochSlots: 0 }, 'epochSlots'],
    [{ unbondingDelay: 0n }, 'unbondingDelay'],
    [{ maxSequencers: 0 }, 'maxSequencers'],
    [{ maxSequencers: 65 }, 'maxSequencers'],
    [{ reporterShareBps: 10_001 }, 'reporterShareBps'],
    [{ missedProofPenalty: 2n * ETH }, 'missedProofPenalty'],
  ];
  for (const [patch, what] of bad) await deployReverts(regAbi, sequencerRegistryBytecode, [{ ...good, ...patch }], 'BadConfig', [what]);

  // The Rollup refuses a registry bound to another rollup, and one whose unbonding is not longer than two priority windows.
  const other = await deployContract({ clients: deployer, abi: regAbi, bytecode: sequencerRegistryBytecode, name: 'SequencerRegistry', args: [{ ...good, rollup: addr(deployer) }] });
  const rollupCfg = {
    verifier: addr(deployer), poseidon2: d.poseidon2, poseidon3: d.poseidon3, poseidon4: d.poseidon4, sequencer: zeroAddress, governance: addr(deployer),
    treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4, forcedInclusionDelay: 10n, selfSequenceDelay: 20n, exodusDelay: 400n, proverPriorityWindow: 50n,
    mode: 0, disputeGame: zeroAddress, challengeWindow: 0n, clockBudget: 0n, assertionBond: 0n, registry: other.address,
  };
  await deployReverts(rollupAbi as Abi, rollupBytecode, [rollupCfg], 'BadConfig', ['registry']);
  await assert.rejects(deployRollup(deployer, { verifier: addr(deployer), sequencer: zeroAddress, governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4, forcedInclusionDelay: 10, selfSequenceDelay: 20, exodusDelay: 400, proverPriorityWindow: 100, registry: { unbondingDelay: 200 } }));
  const nonce = await deployer.public.getTransactionCount({ address: addr(deployer) });
  const predicted = getContractAddress({ from: addr(deployer), nonce: BigInt(nonce + 1) });
  await deployContract({ clients: deployer, abi: regAbi, bytecode: sequencerRegistryBytecode, name: 'SequencerRegistry', args: [{ ...good, rollup: predicted, unbondingDelay: 100n }] });
  await deployReverts(rollupAbi as Abi, rollupBytecode, [{ ...rollupCfg, registry: getContractAddress({ from: addr(deployer), nonce: BigInt(nonce) }) }], 'BadConfig', ['unbondingDelay']);
});

test('join: stake and URL checked; active two epochs later; URL updates; the set is bounded', async () => {
  const [A, B, C, D, E] = c as [L1Clients, L1Clients, L1Clients, L1Clients, L1Clients];
  await reverts(joinRegistry(A, registry, 'http://a.example:8547', ETH - 1n), 'StakeTooLow', [ETH - 1n, ETH]);
  await reverts(joinRegistry(A, registry, '', ETH), 'BadUrl', ['empty']);
  await reverts(joinRegistry(A, registry, `http://${'a'.repeat(250)}`, ETH), 'BadUrl', ['too long']);
  await reverts(joinRegistry(A, registry, 'ftp://a.example', ETH), 'BadUrl', ['scheme']);
  await reverts(joinRegistry(A, registry, 'http://', ETH), 'BadUrl', ['scheme']);
  await reverts(joinRegistry(A, registry, 'http://a b.example', ETH), 'BadUrl', ['character']);
  await reverts(joinRegistry(A, registry, 'http://a.example/\u00e9', ETH), 'BadUrl', ['character']);
  await reverts(updateUrl(A, registry, 'http://a.example'), 'NotRegistered', [addr(A)]);

  const epoch = await rd<bigint>('currentEpoch');
  for (const [i, x] of [A, B, C].entries()) await joinRegistry(x, registry, `http://seq${i}.example:8547`, ETH + BigInt(i));
  await reverts(joinRegistry(A, registry, 'http://a.example', ETH), 'AlreadyRegistered', [addr(A)]);
  const info = await getMemberInfo(deployer, registry, addr(B));
  assert.deepEqual({ ...info }, { registered: true, stake: ETH + 1n, activeFrom: Number(epoch) + 2, activeUntil: 2 ** 32 - 1, unbondEnd: 0n, ejected: false, url: 'http://seq1.example:8547' });
  await updateUrl(B, registry, 'https://seq1.example/rpc');
  assert.equal((await getMemberInfo(deployer, registry, addr(B))).url, 'https://seq1.example/rpc');
  await reverts(updateUrl(B, registry, 'nope'), 'BadUrl', ['scheme']);
  assert.equal((await getMemberInfo(deployer, registry, addr(E))).registered, false);

  // Not active before epoch + 2 (joins wait two epochs): nobody leads, nobody may commit through the registry.
  assert.deepEqual(await getActiveSet(deployer, registry, epoch), []);
  assert.deepEqual(await getActiveSet(deployer, registry, epoch + 1n), []);
  assert.equal((await getSlotInfo(deployer, registry, await rd<bigint>('currentSlot'))).leader, zeroAddress);
  await reverts(commit(A), 'NotAllowedToCommit');
  assert.deepEqual([...(await getActiveSet(deployer, registry, epoch + 2n))].sort(), [addr(A), addr(B), addr(C)].sort());

  await joinRegistry(D, registry, 'http://seq3.example', ETH);
  await reverts(joinRegistry(E, registry, 'http://seq4.example', ETH), 'TooManySequencers', [4n]);
  // A stake must fit the 96-bit field it is kept in.
  await setBalance(deployer.public, addr(E), 2n ** 96n + 10n * ETH);
  await reverts(joinRegistry(E, registry, 'http://seq4.example', 2n ** 96n), 'StakeTooLarge', [2n ** 96n]);
});

test('schedule: the documented leader rule; the set changes only at epoch boundaries', async () => {
  const [A, B, C, D] = c as [L1Clients, L1Clients, L1Clients, L1Clients];
  // The first epoch in which all four joins count.
  // The first epoch in which all four joins count and whose seed was recorded in the epoch before it
  // (pokeSeed: anyone records the next epoch's seed).
  let first = await toSlot(1, { epochStart: true });
  while ((await getActiveSet(deployer, registry, first / params.epochSlots)).length < 4 || (await rd<Hex>('recordedSeed', [first / params.epochSlots])) === `0x${'0'.repeat(64)}`) {
    await pokeSeed(deployer, registry);
    first = await toSlot(1, { epochStart: true });
  }
  const epoch = first / params.epochSlots;
  assert.equal((await getActiveSet(deployer, registry, epoch)).length, 4);
  const leaders: Address[] = [];
  for (let s = first; s < first + params.epochSlots; s++) {
    const l = (await getSlotInfo(deployer, registry, s)).leader;
    assert.equal(l, await expectedLeader(s));
    leaders.push(l);
  }
  // The epoch's seed was recorded from prevrandao during the previous epoch.
  assert.notEqual(await rd<Hex>('recordedSeed', [epoch]), `0x${'0'.repeat(64)}`);
  // D leaves mid-epoch: this epoch's and the next epoch's schedules do not move; D is out two epochs on.
  await requestLeave(D, registry);
  for (let s = first; s < first + params.epochSlots; s++) assert.equal((await getSlotInfo(deployer, registry, s)).leader, leaders[Number(s - first)]);
  const dInfo = await getMemberInfo(deployer, registry, addr(D));
  assert.equal(dInfo.activeUntil, Number(epoch) + 2);
  assert.equal(dInfo.unbondEnd, (await rd<bigint>('epochStart', [epoch + 2n])) + BigInt(UNBONDING));
  assert.equal((await getActiveSet(deployer, registry, epoch + 1n)).length, 4);
  assert.deepEqual([...(await getActiveSet(deployer, registry, epoch + 2n))].sort(), [addr(A), addr(B), addr(C)].sort());
  await reverts(requestLeave(D, registry), 'AlreadyLeaving', [addr(D)]);
  await reverts(withdrawStake(D, registry), 'StillBonded', [dInfo.unbondEnd]);
  await reverts(withdrawStake(A, registry), 'NotLeaving', [addr(A)]);
  await reverts(withdrawStake(c[7] as L1Clients, registry), 'NotRegistered', [addr(c[7] as L1Clients)]);
  await reverts(requestLeave(c[7] as L1Clients, registry), 'NotRegistered', [addr(c[7] as L1Clients)]);
  await reverts(pruneMember(c[7] as L1Clients, registry, addr(D)), 'CannotPrune', [addr(D)]);
  await reverts(pruneMember(c[7] as L1Clients, registry, addr(c[7] as L1Clients)), 'NotRegistered', [addr(c[7] as L1Clients)]);
  // Views: a time before genesis has no slot; only the rollup may call the commit hook.
  await assert.rejects(rd('mayCommit', [addr(A), 0n]), /BeforeGenesis/);
  await reverts(
    sendAndWait({ public: A.public, context: 'onCommit', send: () => (A.wallet as NonNullable<L1Clients['wallet']>).writeContract({ address: registry, abi: sequencerRegistryAbi as Abi, functionName: 'onCommit', args: [addr(A), 1n] } as never) }),
    'NotRollup',
  );

  // After unbonding, D withdraws its stake and is gone.
  await increaseTime(deployer.public, Number(dInfo.unbondEnd - (await latestTimestamp(deployer.public))) + 1);
  const got = await paidTo(D, () => withdrawStake(D, registry));
  assert.equal(got, ETH);
  assert.equal((await getMemberInfo(deployer, registry, addr(D))).registered, false);
  assert.equal(await rd<bigint>('memberCount'), 3n);
});

test('gate: the leader commits in its slot; others only after the deadline, and the first takeover claims the slot', async () => {
  const outsider = c[7] as L1Clients;
  const legacy = c[8] as L1Clients;
  const gas: bigint[] = [];
  // Slot 1: the leader commits before the deadline; nobody else may, before or after it.
  let slot = await toSlot(1);
  let leader = byAddress((await getSlotInfo(deployer, registry, slot)).leader);
  const others = c.slice(0, 3).filter((x) => x !== leader);
  const [o1, o2] = others as [L1Clients, L1Clients];
  const openAt = params.genesisTime + slot * params.slotDuration + params.leaderDeadline;
  await reverts(commit(o1), 'NotAllowedToCommit', [addr(o1), slot, addr(leader), openAt]);
  await reverts(commit(outsider), 'NotAllowedToCommit');
  await reverts(commit(legacy), 'NotAllowedToCommit');
  // A raw estimate (what the batcher runs before signing) decodes to the registry's reason too.
  const data = encodeFunctionData({ abi: rollupAbi, functionName: 'commitBatch', args: [{ newRoot: 1n, exitRoot: 0n, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 }, '0x', EMPTY_DATA] });
  const raw = await outsider.public.estimateGas({ account: outsider.wallet?.account, to: d.rollup, data }).then(() => undefined, (e: unknown) => e);
  const decoded = decodeL1Error(raw, 'estimate', [...rollupAbi, ...sequencerRegistryAbi].filter((x) => x.type === 'error') as Abi);
  assert.ok(decoded instanceof ContractRevertedError && decoded.reason === 'NotAllowedToCommit', String(decoded));
  const r = await commit(leader);
  gas.push(r.gasUsed);
  const ev = parseEventLogs({ abi: sequencerRegistryAbi as Abi, logs: r.logs, eventName: 'SlotCommitted' }) as unknown as { args: { slot: bigint; committer: Address; leader: boolean } }[];
  assert.deepEqual(ev.map((e) => [e.args.slot, e.args.committer, e.args.leader]), [[slot, addr(leader), true]]);
  gas.push((await commit(leader)).gasUsed); // the leader may commit several batches in its slot
  await setNextTimestamp(openAt + 1n);
  await reverts(commit(o1), 'NotAllowedToCommit');
  assert.equal(await mayCommit(deployer, registry, addr(leader), openAt + 2n), true);

  // Next slot: the leader stays silent; before the deadline others are refused, after it the first one takes over.
  slot = await toSlot(1);
  leader = byAddress((await getSlotInfo(deployer, registry, slot)).leader);
  const [t1, t2] = c.slice(0, 3).filter((x) => x !== leader) as [L1Clients, L1Clients];
  await reverts(commit(t1), 'NotAllowedToCommit');
  const open = params.genesisTime + slot * params.slotDuration + params.leaderDeadline;
  assert.equal(await mayCommit(deployer, registry, addr(t1), open - 1n), false);
  assert.equal(await mayCommit(deployer, registry, addr(t1), open), true);
  assert.equal(await mayCommit(deployer, registry, addr(outsider), open), false);
  await setNextTimestamp(open);
  await reverts(commit(outsider), 'NotAllowedToCommit');
  const take = await commit(t1);
  gas.push(take.gasUsed);
  const ev2 = parseEventLogs({ abi: sequencerRegistryAbi as Abi, logs: take.logs, eventName: 'SlotCommitted' }) as unknown as { args: { committer: Address; leader: boolean } }[];
  assert.deepEqual(ev2.map((e) => [e.args.committer, e.args.leader]), [[addr(t1), false]]);
  assert.equal((await getSlotInfo(deployer, registry, slot)).committer, addr(t1));
  await reverts(commit(t2), 'NotAllowedToCommit');
  await reverts(commit(leader), 'NotAllowedToCommit');
  await commit(t1);
  void o2;
  process.stdout.write(`# commitBatch gas through the registry (3 members): ${gas.join(', ')}\n`);
});

test('equivocation: two headers signed for one batch number and slot slash the whole stake; the prover gets its share', async () => {
  const [A, B] = c as [L1Clients, L1Clients];
  const reporter = c[5] as L1Clients;
  const hA = batchHeaderHash({ newRoot: 11n, exitRoot: 0n, dataCommitment: 5n, newNextIndex: 3, l1Count: 0 });
  const hB = batchHeaderHash({ newRoot: 12n, exitRoot: 0n, dataCommitment: 5n, newNextIndex: 3, l1Count: 0 });
  const n = 7n;
  const slot = 1000n;
  const chainId = BigInt(devnet.chainId);
  assert.equal(await rd<Hex>('batchHeaderDigest', [n, slot, hA]), batchHeaderDigest(chainId, d.rollup, n, slot, hA));
  const sA = await signBatchHeader(A, d.rollup, n, slot, hA);
  const sB = await signBatchHeader(A, d.rollup, n, slot, hB);
  const byB = await signBatchHeader(B, d.rollup, n, slot, hB);
  const otherBatch = await signBatchHeader(A, d.rollup, n + 1n, slot, hB);
  // Re-sealing batch n for a later slot (its commit did not land in `slot`) is no equivocation.
  const laterSlot = await signBatchHeader(A, d.rollup, n, slot + 1n, hB);
  const ev = { sequencer: addr(A), batchNum: n, slot, headerA: hA, signatureA: sA, headerB: hB, signatureB: sB };
  await reverts(proveEquivocation(reporter, registry, { ...ev, batchNum: 0n }), 'BadBatchNum', [0n]);
  await reverts(proveEquivocation(reporter, registry, { ...ev, headerB: hA, signatureB: sA }), 'SameHeader');
  await reverts(proveEquivocation(reporter, registry, { ...ev, signatureB: byB }), 'BadSignature', [1n]);
  await reverts(proveEquivocation(reporter, registry, { ...ev, signatureB: otherBatch }), 'BadSignature', [1n]);
  await reverts(proveEquivocation(reporter, registry, { ...ev, signatureB: laterSlot }), 'BadSignature', [1n]);
  await reverts(proveEquivocation(reporter, registry, { ...ev, slot: slot + 1n }), 'BadSignature', [0n]);
  await reverts(proveEquivocation(reporter, registry, { ...ev, signatureA: '0x1234' }), 'BadSignature', [0n]);
  await reverts(proveEquivocation(reporter, registry, { ...ev, sequencer: addr(reporter) }), 'NotRegistered', [addr(reporter)]);

  // recoverBatchHeaderSigner agrees with the contract's ECDSA.tryRecover: it recovers the signer of a
  // valid signature and refuses (undefined) exactly what the contract refuses with BadSignature(0).
  const recover = (sig: Hex, h: Hex = hA, s: bigint = slot) => recoverBatchHeaderSigner(chainId, d.rollup, n, s, h, sig);
  assert.equal(await recover(sA), addr(A));
  assert.equal(await recover(byB, hB), addr(B));
  assert.notEqual(await recover(sA, hA, slot + 1n), addr(A), 'another slot is another digest');
  for (const [what, bad] of malformedVariants(sA)) {
    assert.equal(await recover(bad), undefined, what);
    await reverts(proveEquivocation(reporter, registry, { ...ev, signatureA: bad }), 'BadSignature', [0n]);
  }

  const stake = (await getMemberInfo(deployer, registry, addr(A))).stake;
  const burnedBefore = await rd<bigint>('burned');
  let gasUsed = 0n;
  const got = await paidTo(reporter, async () => {
    const r = await proveEquivocation(reporter, registry, ev);
    gasUsed = r.gasUsed;
    return r;
  });
  process.stdout.write(`# proveEquivocation gas: ${gasUsed}\n`);
  assert.equal(got, stake / 2n);
  assert.equal((await rd<bigint>('burned')) - burnedBefore, stake - stake / 2n);
  const info = await getMemberInfo(deployer, registry, addr(A));
  assert.equal(info.stake, 0n);
  assert.equal(info.ejected, true);
  assert.equal(info.activeUntil, Number(await rd<bigint>('currentEpoch')) + 2);
  const now = await latestTimestamp(deployer.public);
  assert.equal(await mayCommit(deployer, registry, addr(A), now + 1n), false, 'an ejected member commits no more, even as leader');
  await reverts(proveEquivocation(reporter, registry, ev), 'NothingToSlash', [addr(A)]);
  // Once out of the set, the empty entry can be pruned by anyone.
  await reverts(pruneMember(reporter, registry, addr(A)), 'CannotPrune', [addr(A)]);
  await toSlot(0, { epochStart: true });
  await reverts(pruneMember(reporter, registry, addr(A)), 'CannotPrune', [addr(A)]);
  await toSlot(0, { epochStart: true });
  await pruneMember(reporter, registry, addr(A));
  assert.equal((await getMemberInfo(deployer, registry, addr(A))).registered, false);
});

test('slasher: only the configured slasher slashes, within the stake, to a beneficiary', async () => {
  const [, B] = c as [L1Clients, L1Clients];
  const slasher = c[6] as L1Clients;
  const beneficiary = c[7] as L1Clients;
  await reverts(slashSequencer(B, registry, addr(B), 1n, addr(B)), 'NotSlasher');
  await reverts(slashSequencer(slasher, registry, addr(B), 1n, zeroAddress), 'BadBeneficiary');
  await reverts(slashSequencer(slasher, registry, addr(B), 0n, addr(beneficiary)), 'BadAmount');
  const stake = (await getMemberInfo(deployer, registry, addr(B))).stake;
  await reverts(slashSequencer(slasher, registry, addr(B), stake + 1n, addr(beneficiary)), 'AmountExceedsStake', [stake + 1n, stake]);
  await reverts(slashSequencer(slasher, registry, addr(beneficiary), 1n, addr(beneficiary)), 'NotRegistered', [addr(beneficiary)]);
  const before = await beneficiary.public.getBalance({ address: addr(beneficiary) });
  await slashSequencer(slasher, registry, addr(B), ETH / 2n, addr(beneficiary));
  assert.equal((await beneficiary.public.getBalance({ address: addr(beneficiary) })) - before, ETH / 2n);
  const info = await getMemberInfo(deployer, registry, addr(B));
  assert.equal(info.stake, stake - ETH / 2n);
  assert.equal(info.ejected, true);
  assert.ok(info.unbondEnd > 0n, 'a slashed member is on its way out (unbonding started)');
});

test('missed proof: the oldest unproven batch, reported after its window, is slashed one more window later; later batches are not blamed', async () => {
  const C = c[2] as L1Clients;
  const reporter = c[5] as L1Clients;
  const anyone = c[7] as L1Clients;
  // Everything committed so far is proven first (after its window anyone may), so C's next batch is the oldest unproven one.
  await increaseTime(deployer.public, WINDOW + 1);
  for (let k = (await rollupRead<bigint>('lastProven')) + 1n; k <= (await rollupRead<bigint>('lastCommitted')); k++) await proveBatch(reporter, d.rollup, k, GOOD_PROOF);
  // A is gone and B ejected: C may commit in any slot from its start.
  await toSlot(1);
  await commit(C);
  const n = await rollupRead<bigint>('lastCommitted');
  await commit(C);
  await commit(C);
  const until = await rollupRead<bigint>('priorityUntil', [n]);
  await reverts(reportMissedProof(reporter, registry, n), 'PriorityWindowOpen', [n, until]);
  await reverts(reportMissedProof(reporter, registry, 0n), 'BadBatchNum', [0n]);
  await reverts(reportMissedProof(reporter, registry, n + 3n), 'BadBatchNum', [n + 3n]);
  await increaseTime(deployer.public, WINDOW + 1);
  // Proofs go in order: n + 1 cannot be proven before n, so its committer is not blamed for it.
  await reverts(reportMissedProof(reporter, registry, n + 1n), 'NotOldestUnproven', [n + 1n, n]);
  await reverts(slashMissedProof(reporter, registry, n), 'NotReported', [n]);
  const r = await reportMissedProof(reporter, registry, n);
  const reportedAt = (await deployer.public.getBlock({ blockNumber: r.blockNumber })).timestamp;
  await reverts(reportMissedProof(anyone, registry, n), 'AlreadyReported', [n]);
  // The committer gets one more full window after the report.
  await reverts(slashMissedProof(anyone, registry, n), 'PriorityWindowOpen', [n, reportedAt + BigInt(WINDOW)]);
  await increaseTime(deployer.public, WINDOW + 1);
  const stake = (await getMemberInfo(deployer, registry, addr(C))).stake;
  const before = await deployer.public.getBalance({ address: addr(reporter) });
  await slashMissedProof(anyone, registry, n);
  assert.equal((await deployer.public.getBalance({ address: addr(reporter) })) - before, ETH / 8n, 'the reporter gets half of the quarter-ETH penalty');
  assert.equal((await getMemberInfo(deployer, registry, addr(C))).stake, stake - ETH / 4n);
  assert.equal((await getMemberInfo(deployer, registry, addr(C))).ejected, true);
  await reverts(slashMissedProof(anyone, registry, n), 'AlreadySlashedForBatch', [n]);
  // Each missed batch is its own fault, once it is the oldest unproven one.
  await proveBatch(reporter, d.rollup, n, GOOD_PROOF);
  await reverts(reportMissedProof(reporter, registry, n), 'AlreadyReported', [n]);
  await reportMissedProof(reporter, registry, n + 1n);
  await increaseTime(deployer.public, WINDOW + 1);
  await slashMissedProof(reporter, registry, n + 1n);
  assert.equal((await getMemberInfo(deployer, registry, addr(C))).stake, stake - ETH / 2n);
  // A batch proven after the report is no missed duty.
  await proveBatch(reporter, d.rollup, n + 1n, GOOD_PROOF);
  // Once C has unbonded and withdrawn, its remaining misses have nobody to slash.
  const info = await getMemberInfo(deployer, registry, addr(C));
  await increaseTime(deployer.public, Number(info.unbondEnd - (await latestTimestamp(deployer.public))) + 1);
  assert.equal(await paidTo(C, () => withdrawStake(C, registry)), stake - ETH / 2n);
  await reverts(reportMissedProof(reporter, registry, n + 2n), 'NotCommitter', [n + 2n, addr(C)]);
  await reverts(reportMissedProof(reporter, registry, n - 1n), 'BatchProven', [n - 1n]);
});

test('commit equivocation: the committer signed, for its commit\'s slot, a header the commit does not match; the whole stake is slashed', async () => {
  const E = c[4] as L1Clients;
  const reporter = c[5] as L1Clients;
  const outsider = c[7] as L1Clients;
  const chainId = BigInt(devnet.chainId);
  // The batch before E's was C's (missed-proof test); C has withdrawn, so nobody can be slashed for it.
  const prev = await rollupRead<bigint>('lastCommitted');
  const prevCommitter = (await rollupRead<readonly unknown[]>('batches', [prev]))[7] as Address;
  assert.equal(prevCommitter, addr(c[2] as L1Clients));
  const dummy = { newRoot: 1n, exitRoot: 0n, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 };
  await reverts(proveCommitEquivocation(reporter, registry, { batchNum: prev, header: dummy, signature: '0x1234' }), 'NotRegistered', [prevCommitter]);

  // E joins; two epochs on it is the only member that may commit (A, C and D are gone, B is ejected and out of the set).
  await joinRegistry(E, registry, 'http://seq4.example', ETH);
  await toSlot(1, { epochStart: true });
  await toSlot(1, { epochStart: true });
  await toSlot(1);
  root += 1n;
  const committed = { newRoot: root, exitRoot: 0n, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 };
  const r = await commitBatch(E, d.rollup, committed, '0x', EMPTY_DATA);
  const n = await rollupRead<bigint>('lastCommitted');
  const committedAt = (await rollupRead<readonly unknown[]>('batches', [n]))[5] as bigint;
  assert.equal(committedAt, (await deployer.public.getBlock({ blockNumber: r.blockNumber })).timestamp);
  const slot = slotAt(params, committedAt);

  // E had pre-confirmed another header for batch n in the slot its commit landed in.
  const promised = { ...committed, newRoot: root + 1000n };
  const sig = await signBatchHeader(E, d.rollup, n, slot, batchHeaderHash(promised));
  assert.equal(await recoverBatchHeaderSigner(chainId, d.rollup, n, slot, batchHeaderHash(promised), sig), addr(E));
  const ev = { batchNum: n, header: promised, signature: sig };
  await reverts(proveCommitEquivocation(reporter, registry, { ...ev, batchNum: 0n }), 'BadBatchNum', [0n]);
  await reverts(proveCommitEquivocation(reporter, registry, { ...ev, batchNum: n + 1n }), 'BadBatchNum', [n + 1n]);
  // Signed for another slot (an honest re-seal after a commit that did not land), by someone else, or not at all.
  for (const s of [slot - 1n, slot + 1n]) {
    await reverts(proveCommitEquivocation(reporter, registry, { ...ev, signature: await signBatchHeader(E, d.rollup, n, s, batchHeaderHash(promised)) }), 'BadSignature', [0n]);
  }
  await reverts(proveCommitEquivocation(reporter, registry, { ...ev, signature: await signBatchHeader(outsider, d.rollup, n, slot, batchHeaderHash(promised)) }), 'BadSignature', [0n]);
  await reverts(proveCommitEquivocation(reporter, registry, { ...ev, signature: '0x1234' }), 'BadSignature', [0n]);
  // The header that was committed is no fault; nor is one differing only in what the Rollup does not keep
  // readable (dataCommitment, l1Count are folded into inputHash).
  for (const h of [committed, { ...committed, dataCommitment: 9n }, { ...committed, l1Count: 1 }]) {
    const honest = await signBatchHeader(E, d.rollup, n, slot, batchHeaderHash(h));
    await reverts(proveCommitEquivocation(reporter, registry, { batchNum: n, header: h, signature: honest }), 'HeaderMatchesCommit', [n]);
  }
  // Each of the compared fields counts.
  for (const h of [{ ...committed, exitRoot: 1n }, { ...committed, newNextIndex: 2 }]) {
    const s = await signBatchHeader(E, d.rollup, n, slot, batchHeaderHash(h));
    await deployer.public.simulateContract({ account: reporter.wallet?.account, address: registry, abi: sequencerRegistryAbi as Abi, functionName: 'proveCommitEquivocation', args: [n, h, s] });
  }

  const stake = (await getMemberInfo(deployer, registry, addr(E))).stake;
  assert.equal(stake, ETH);
  const burnedBefore = await rd<bigint>('burned');
  const balanceBefore = await deployer.public.getBalance({ address: addr(reporter) });
  const receipt = await proveCommitEquivocation(reporter, registry, ev);
  process.stdout.write(`# proveCommitEquivocation gas: ${receipt.gasUsed}\n`);
  const got = (await deployer.public.getBalance({ address: addr(reporter) })) - balanceBefore + receipt.gasUsed * receipt.effectiveGasPrice;
  assert.equal(got, stake / 2n);
  assert.equal((await rd<bigint>('burned')) - burnedBefore, stake - stake / 2n);
  const slashed = parseEventLogs({ abi: sequencerRegistryAbi as Abi, logs: receipt.logs, eventName: 'Slashed' }) as unknown as { args: { sequencer: Address; amount: bigint; beneficiary: Address; paid: bigint; reason: Hex } }[];
  assert.deepEqual(
    slashed.map((e) => [e.args.sequencer, e.args.amount, e.args.beneficiary, e.args.paid, e.args.reason]),
    [[addr(E), stake, addr(reporter), stake / 2n, stringToHex('equivocation', { size: 32 })]],
  );
  const info = await getMemberInfo(deployer, registry, addr(E));
  assert.equal(info.stake, 0n);
  assert.equal(info.ejected, true);
  assert.equal(info.activeUntil, Number(await rd<bigint>('currentEpoch')) + 2);
  assert.equal(await mayCommit(deployer, registry, addr(E), (await latestTimestamp(deployer.public)) + 1n), false);
  await reverts(proveCommitEquivocation(reporter, registry, ev), 'NothingToSlash', [addr(E)]);
});

test('missed proof needs a priority window: without one, NoProvingDuty', async () => {
  const d2 = await deployRollup(deployer, {
    verifier: addr(deployer), sequencer: zeroAddress, governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4,
    forcedInclusionDelay: 10, selfSequenceDelay: 20, exodusDelay: 40, proverPriorityWindow: 0, registry: { unbondingDelay: 60, slotDuration: 12, leaderDeadline: 6 },
  });
  assert.ok(d2.registry !== undefined);
  await reverts(reportMissedProof(c[5] as L1Clients, d2.registry, 1n), 'NoProvingDuty');
});

test('gas: the same empty commit without a registry (the baseline the registry adds to)', async () => {
  const legacy = c[8] as L1Clients;
  const d3 = await deployRollup(deployer, {
    verifier: addr(deployer), sequencer: addr(legacy), governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 2, maxFeeTokens: 1, maxL2Txs: 4,
    forcedInclusionDelay: 1000, selfSequenceDelay: 2000, exodusDelay: 4000, proverPriorityWindow: WINDOW,
  });
  const gas: bigint[] = [];
  for (let i = 0; i < 2; i++) gas.push((await commitBatch(legacy, d3.rollup, { newRoot: 5n + BigInt(i), exitRoot: 0n, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 }, '0x', EMPTY_DATA)).gasUsed);
  assert.ok(gas.every((g) => g > 0n));
  process.stdout.write(`# commitBatch gas without a registry: ${gas.join(', ')}\n`);
});
