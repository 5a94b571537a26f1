/**
 * The dispute game as the sequencer registry's slasher (docs/PROTOCOL.md §11.3, §14.2), against the EDR
 * devnet: deployRollup wires the registry's `slasher` to the game's predicted address; a registered
 * defender that loses a game has min(stake, minStake) of its registry stake slashed, the challenger is
 * credited the registry's reporterShareBps of it (pull, through the game's claim) and the rest is burned;
 * a member slashed to zero, and a defender that is not a member (an outsider's self-sequenced batch),
 * lose their assertion bond only, and resolution completes either way.
 *
 * Games here are over empty batches (n = 0 steps): a commit claiming a root other than its parent's is
 * decided at opening (challenger wins), so no one-step proof is needed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type TransactionReceipt, bytesToHex, getAddress, parseEventLogs, zeroAddress } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployConfig, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime, latestTimestamp } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { getFinalityStatus, openDispute } from '../../src/l1/optimisticActions.ts';
import { getActiveSet, getMemberInfo, getRegistryParams, getSlotInfo, joinRegistry, mayCommit, requestLeave, slotAt } from '../../src/l1/registryActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import { sequencerRegistryAbi } from '../../src/l1/generated/SequencerRegistry.ts';
import { tableOneStepProverAbi, tableOneStepProverBytecode } from '../../src/l1/generated/TableOneStepProver.ts';
import { encodeL1Ops } from '../../src/core/tx.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, type StfConfig } from '../../src/core/stf.ts';
import { signedBatchFromResult } from '../../src/core/batch-commitment.ts';

const ETH = 10n ** 18n;
const WINDOW = 300;
const CLOCK = 100;
const BOND = 10n ** 17n + 7n;
const CHALLENGE_BOND = 123_456_789_012_345_679n;
const BURN = 37;
const SHARE_BPS = 3000;
const DEAD: Address = '0x000000000000000000000000000000000000dEaD';
const TABLE = { abi: tableOneStepProverAbi as Abi, bytecode: tableOneStepProverBytecode, name: 'TableOneStepProver' };
const GOOD = { a: [1n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;
/** Slots of 100 s with a 50 s deadline, epochs of 2 slots; unbonding outlasts W + 2C = 500 s. */
const REGISTRY = { minStakeWei: ETH, slotDuration: 100, leaderDeadline: 50, epochSlots: 2, unbondingDelay: 1000, maxSequencers: 4, reporterShareBps: SHARE_BPS, missedProofPenaltyWei: ETH / 4n };

let devnet: Devnet;
let deployer: L1Clients;
let a: L1Clients;
let b: L1Clients;
let challenger: L1Clients;
let outsider: L1Clients;
let d: RollupDeployment;
let registry: Address;
let game: Address;
let config: StfConfig;
let base: RollupDeployConfig;

const addr = (c: L1Clients): Address => c.wallet?.account.address ?? zeroAddress;
const ERRORS = [...(rollupAbi as Abi), ...(disputeGameAbi as Abi), ...(sequencerRegistryAbi as Abi)].filter((x) => x.type === 'error');
const burnOf = (v: bigint): bigint => (v * BigInt(BURN)) / 100n;

async function send(c: L1Clients, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const wallet = c.wallet;
  if (wallet === undefined) throw new Error('no wallet');
  return sendAndWait({
    public: c.public,
    context: functionName,
    send: () => wallet.writeContract({ address, abi: [...abi, ...ERRORS] as Abi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
}

const read = async <T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<T> => (await deployer.public.readContract({ address, abi, functionName, args })) as T;
const balance = (x: Address): Promise<bigint> => deployer.public.getBalance({ address: x });

/** An empty batch at `batchNum` (no ops, no txs: n = 0 steps) claiming `root` (default: the true, unchanged root). */
function emptyBatch(batchNum: bigint, root?: bigint) {
  const r = applyBatch(new MemoryState(), { l1Ops: [], l2Txs: [], feeTable: [] }, config);
  const s = signedBatchFromResult({ config, maxL2Txs: 8, result: r, l1Ops: [], feeTable: [], batchNum, l1Start: 0n });
  return {
    header: { newRoot: root ?? r.newRoot, exitRoot: r.exitRoot, dataCommitment: s.commitment.c, newNextIndex: r.newNextIndex, l1Count: 0 },
    l1Ops: bytesToHex(encodeL1Ops([])),
    batchData: bytesToHex(s.batchData),
  };
}

/** Moves time to the takeover part of an unclaimed slot, where every active member may commit. */
async function toOpenSlot(): Promise<void> {
  const p = await getRegistryParams(deployer, registry);
  for (;;) {
    const now = await latestTimestamp(deployer.public);
    const slot = await getSlotInfo(deployer, registry, slotAt(p, now + 1n));
    if (slot.committer === zeroAddress && now + 1n >= slot.openAt && now + 10n < slot.start + p.slotDuration) return;
    const target = now + 1n < slot.openAt ? slot.openAt : slot.start + p.slotDuration + p.leaderDeadline;
    await increaseTime(deployer.public, Number(target - now));
  }
}

/** Commits an empty batch claiming `root` as `c`; returns its batch number and commit id. */
async function commitEmpty(c: L1Clients, root?: bigint): Promise<{ batchNum: bigint; commitId: bigint }> {
  const next = (await getFinalityStatus(deployer, d.rollup)).lastCommitted + 1n;
  const x = emptyBatch(next, root);
  const receipt = await send(c, d.rollup, rollupAbi as Abi, 'commitBatch', [x.header, x.l1Ops, x.batchData], BOND);
  const [ev] = parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'AssertionCommitted' }) as unknown as { args: { batchNum: bigint; commitId: bigint } }[];
  assert.ok(ev !== undefined);
  return ev.args;
}

type Outcome = {
  readonly receipt: TransactionReceipt;
  readonly gameId: bigint;
  readonly stakeSlashed: readonly { gameId: bigint; defender: Address; amount: bigint; challenger: Address; toChallenger: bigint; burned: bigint }[];
  readonly registrySlashed: readonly { sequencer: Address; amount: bigint; beneficiary: Address; paid: bigint }[];
  readonly resolved: { status: number; winner: Address; payout: bigint; burned: bigint };
  readonly burnDelta: bigint;
  readonly registryDelta: bigint;
  readonly claimableDelta: bigint;
};

/** `challenger` disputes the (n = 0, wrong) commit: decided at opening. Collects every effect. */
async function disputeAndResolve(batchNum: bigint, commitId: bigint): Promise<Outcome> {
  const [burn0, reg0, cl0] = await Promise.all([balance(DEAD), balance(registry), read<bigint>(game, disputeGameAbi as Abi, 'claimable', [addr(challenger)])]);
  const { receipt, gameId } = await openDispute(challenger, game, batchNum, commitId, CHALLENGE_BOND);
  const stakeSlashed = (parseEventLogs({ abi: disputeGameAbi as Abi, logs: receipt.logs, eventName: 'DefenderStakeSlashed' }) as unknown as { args: Outcome['stakeSlashed'][number] }[]).map((l) => l.args);
  const registrySlashed = (parseEventLogs({ abi: sequencerRegistryAbi as Abi, logs: receipt.logs, eventName: 'Slashed' }) as unknown as { args: Outcome['registrySlashed'][number] }[]).map((l) => l.args);
  const [res] = parseEventLogs({ abi: disputeGameAbi as Abi, logs: receipt.logs, eventName: 'GameResolved' }) as unknown as { args: Outcome['resolved'] }[];
  assert.ok(res !== undefined, 'resolved at opening');
  const [burn1, reg1, cl1] = await Promise.all([balance(DEAD), balance(registry), read<bigint>(game, disputeGameAbi as Abi, 'claimable', [addr(challenger)])]);
  return { receipt, gameId, stakeSlashed, registrySlashed, resolved: res.args, burnDelta: burn1 - burn0, registryDelta: reg1 - reg0, claimableDelta: cl1 - cl0 };
}

before(async () => {
  devnet = await startDevnet({ accounts: 6 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, a, b, challenger, outsider] = await Promise.all([mk(0), mk(1), mk(2), mk(3), mk(4)]);
  base = {
    verifier: zeroAddress,
    sequencer: addr(a),
    governance: addr(deployer),
    treeDepth: 8,
    exitTreeDepth: 4,
    maxL1Ops: 4,
    maxFeeTokens: 1,
    maxL2Txs: 8,
    forcedInclusionDelay: 100,
    selfSequenceDelay: 200,
    exodusDelay: 100_000,
    proverPriorityWindow: 0,
  };
  d = await deployRollup(deployer, {
    ...base,
    settlement: { mode: 'optimistic', oneStepProver: TABLE, assertionBond: BOND, challengeBond: CHALLENGE_BOND, challengeWindow: WINDOW, clockBudget: CLOCK, burnPercent: BURN },
    registry: REGISTRY,
  });
  assert.ok(d.registry !== undefined && d.disputeGame !== undefined);
  registry = d.registry;
  game = d.disputeGame;
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: 4, maxL2Txs: 8, maxFeeTokens: 1 });
});

after(async () => {
  await devnet?.stop();
});

test('deployRollup: with settlement the registry slasher is the game (predicted, checked); the game reads minStake and the reporter share; unbonding must outlast a game', async () => {
  assert.equal(getAddress(await read<Address>(registry, sequencerRegistryAbi as Abi, 'slasher')), getAddress(game));
  assert.equal(getAddress(await read<Address>(game, disputeGameAbi as Abi, 'registry')), getAddress(registry));
  assert.equal(await read<bigint>(game, disputeGameAbi as Abi, 'fraudPenalty'), ETH);
  assert.equal(await read<bigint>(game, disputeGameAbi as Abi, 'stakeShareBps'), BigInt(SHARE_BPS));

  const settlement = { mode: 'optimistic', oneStepProver: TABLE, challengeWindow: WINDOW, clockBudget: CLOCK } as const;
  const failed = (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'L1_DEPLOY_FAILED';
  // Another slasher next to a game, or an unbonding a game can outlast (W + 2C = 500 s), is refused.
  await assert.rejects(deployRollup(deployer, { ...base, settlement, registry: { ...REGISTRY, slasher: addr(outsider) } }), failed);
  await assert.rejects(deployRollup(deployer, { ...base, settlement, registry: { ...REGISTRY, unbondingDelay: 500 } }), failed);
  // Unset, the default unbonding (8 days) is lengthened past the production game bound (7 d + 2 × 3.5 d) plus a day.
  const prod = await deployRollup(deployer, { ...base, settlement: { mode: 'optimistic', oneStepProver: TABLE }, registry: {} });
  assert.ok(prod.registry !== undefined);
  assert.equal(await read<bigint>(prod.registry, sequencerRegistryAbi as Abi, 'unbondingDelay'), BigInt(15 * 24 * 3600));
  assert.equal(getAddress(await read<Address>(prod.registry, sequencerRegistryAbi as Abi, 'slasher')), getAddress(prod.disputeGame ?? zeroAddress));
  // Without settlement the slasher keeps its default (nobody) or the configured address.
  const zk = await deployRollup(deployer, { ...base, registry: REGISTRY });
  assert.equal(await read<Address>(zk.registry ?? zeroAddress, sequencerRegistryAbi as Abi, 'slasher'), zeroAddress);
  const zk2 = await deployRollup(deployer, { ...base, registry: { ...REGISTRY, slasher: addr(outsider) } });
  assert.equal(getAddress(await read<Address>(zk2.registry ?? zeroAddress, sequencerRegistryAbi as Abi, 'slasher')), getAddress(addr(outsider)));
  // A settlement rollup without a registry: the game slashes no stake.
  const plain = await deployRollup(deployer, { ...base, settlement });
  assert.equal(await read<Address>(plain.disputeGame ?? zeroAddress, disputeGameAbi as Abi, 'registry'), zeroAddress);
  // Nobody but the rollup and the registry may send ETH to the game.
  await assert.rejects(outsider.wallet?.sendTransaction({ to: game, value: 1n }) ?? Promise.reject(new Error('no wallet')));
});

test('a registered defender that loses is slashed min(stake, minStake), capped at its stake, even while leaving; slashed to zero: the game still resolves', async () => {
  // A stakes 1.5 ETH (more than minStake), B 1 ETH; both active two epochs on.
  await joinRegistry(a, registry, 'http://a.example', (3n * ETH) / 2n);
  await joinRegistry(b, registry, 'http://b.example', ETH);
  const p = await getRegistryParams(deployer, registry);
  await increaseTime(deployer.public, Number(5n * p.epochSlots * p.slotDuration));
  await toOpenSlot();
  // A claims the slot: an honest batch 1, then wrong batches 2, 3, 4 (each claims a root its empty data does not produce).
  await commitEmpty(a);
  const c2 = await commitEmpty(a, 0xbad2n);
  const c3 = await commitEmpty(a, 0xbad3n);
  const c4 = await commitEmpty(a, 0xbad4n);
  assert.equal(c4.batchNum, 4n);
  // A asks to leave: the stake stays slashable while it unbonds.
  await requestLeave(a, registry);
  const leaving = await getMemberInfo(deployer, registry, addr(a));
  assert.ok(leaving.unbondEnd > 0n && !leaving.ejected);

  // Game 1 (batch 4): A has 1.5 ETH, loses minStake = 1 ETH; 30 % to the challenger, 70 % burned.
  const g4 = await disputeAndResolve(c4.batchNum, c4.commitId);
  assert.equal(g4.resolved.status, 3, 'challenger won');
  const bondPayout = BOND - burnOf(BOND) + CHALLENGE_BOND;
  assert.equal(g4.resolved.payout, bondPayout, 'GameResolved reports the bond split as before');
  assert.equal(g4.resolved.burned, burnOf(BOND));
  const share1 = (ETH * BigInt(SHARE_BPS)) / 10_000n;
  assert.deepEqual(g4.stakeSlashed, [{ gameId: g4.gameId, defender: getAddress(addr(a)), amount: ETH, challenger: getAddress(addr(challenger)), toChallenger: share1, burned: ETH - share1 }]);
  assert.deepEqual(
    g4.registrySlashed.map((s) => ({ ...s })),
    [{ sequencer: getAddress(addr(a)), amount: ETH, beneficiary: getAddress(game), paid: ETH, reason: `0x${Buffer.from('slasher').toString('hex').padEnd(64, '0')}` }],
  );
  assert.equal(g4.claimableDelta, bondPayout + share1, 'the challenger is credited the bond payout and its share of the stake');
  assert.equal(g4.burnDelta, burnOf(BOND) + ETH - share1, 'bond burn and stake burn, to the dead address');
  assert.equal(g4.registryDelta, -ETH);
  const afterOne = await getMemberInfo(deployer, registry, addr(a));
  assert.equal(afterOne.stake, ETH / 2n);
  assert.equal(afterOne.ejected, true);
  assert.equal(await mayCommit(deployer, registry, addr(a), (await latestTimestamp(deployer.public)) + 1n), false, 'ejected: no more commits');
  const epoch = slotAt(p, await latestTimestamp(deployer.public)) / p.epochSlots;
  assert.ok(!(await getActiveSet(deployer, registry, epoch + 2n)).map(getAddress).includes(getAddress(addr(a))), 'out of the active set two epochs on');

  // Game 2 (batch 3): 0.5 ETH left < minStake: the whole rest is slashed.
  const g3 = await disputeAndResolve(c3.batchNum, c3.commitId);
  const share2 = (ETH / 2n * BigInt(SHARE_BPS)) / 10_000n;
  assert.equal(g3.stakeSlashed.length, 1);
  assert.equal(g3.stakeSlashed[0]?.amount, ETH / 2n);
  assert.equal(g3.stakeSlashed[0]?.toChallenger, share2);
  assert.equal(g3.claimableDelta, bondPayout + share2);
  assert.equal(g3.burnDelta, burnOf(BOND) + ETH / 2n - share2);
  assert.equal((await getMemberInfo(deployer, registry, addr(a))).stake, 0n);

  // Game 3 (batch 2): A is slashed to zero; the game resolves, the bond is split as before, the registry is untouched.
  const g2 = await disputeAndResolve(c2.batchNum, c2.commitId);
  assert.equal(g2.resolved.status, 3);
  assert.deepEqual(g2.stakeSlashed, []);
  assert.deepEqual(g2.registrySlashed, []);
  assert.equal(g2.claimableDelta, bondPayout);
  assert.equal(g2.burnDelta, burnOf(BOND));
  assert.equal(g2.registryDelta, 0n);
  assert.equal((await getFinalityStatus(deployer, d.rollup)).lastCommitted, 1n, 'batches 2..4 removed');
  // B, who did nothing wrong, keeps its stake.
  assert.equal((await getMemberInfo(deployer, registry, addr(b))).stake, ETH);

  // The challenger collects everything in one claim.
  const owed = await read<bigint>(game, disputeGameAbi as Abi, 'claimable', [addr(challenger)]);
  assert.equal(owed, 3n * bondPayout + share1 + share2);
  const before = await balance(addr(challenger));
  const r = await send(challenger, game, disputeGameAbi as Abi, 'claim', []);
  assert.equal(await balance(addr(challenger)), before - r.gasUsed * r.effectiveGasPrice + owed);
});

test('a defender that is not a member (an outsider self-sequencing) loses its bond only; no stake is touched', async () => {
  await increaseTime(deployer.public, 201);
  const next = (await getFinalityStatus(deployer, d.rollup)).lastCommitted + 1n;
  const x = emptyBatch(next, 0xbad5n);
  const receipt = await send(outsider, d.rollup, rollupAbi as Abi, 'selfSequenceBatch', [x.header, x.l1Ops, x.batchData, GOOD], BOND);
  const [ev] = parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'AssertionCommitted' }) as unknown as { args: { batchNum: bigint; commitId: bigint; committer: Address } }[];
  assert.ok(ev !== undefined);
  assert.equal(getAddress(ev.args.committer), getAddress(addr(outsider)));
  assert.equal((await getMemberInfo(deployer, registry, addr(outsider))).registered, false);
  const burnedBefore = await read<bigint>(registry, sequencerRegistryAbi as Abi, 'burned');
  const g = await disputeAndResolve(ev.args.batchNum, ev.args.commitId);
  assert.equal(g.resolved.status, 3);
  assert.deepEqual(g.stakeSlashed, []);
  assert.deepEqual(g.registrySlashed, []);
  assert.equal(g.registryDelta, 0n);
  assert.equal(g.claimableDelta, BOND - burnOf(BOND) + CHALLENGE_BOND);
  assert.equal(g.burnDelta, burnOf(BOND));
  assert.equal(await read<bigint>(registry, sequencerRegistryAbi as Abi, 'burned'), burnedBefore);
  assert.equal((await getMemberInfo(deployer, registry, addr(b))).stake, ETH);
  // The registry's slash stays the game's alone.
  await assert.rejects(send(outsider, registry, sequencerRegistryAbi as Abi, 'slash', [addr(b), 1n, addr(outsider)]), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'NotSlasher');
});

