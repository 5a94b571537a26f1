/**
 * Optimistic and multi-proof settlement against the EDR devnet (docs/PROTOCOL.md §14): bonded commits,
 * the bisection dispute game with chess clocks and bonds, removal and re-commit, finality and its bound,
 * withdrawals after finality, and multi mode's exodus on a fraud proof against a proven batch.
 *
 * The one-step outcome comes from a deployed IOneStepProver: until contracts/optimistic/OneStepProver.sol
 * lands, the test-only TableOneStepProver answers from a table this file writes. The table is the
 * "truth": for each batch the test fixes a chain of step states T_0..T_n whose endpoints are the real ones
 * (T_0 from the previous batch, T_n from the STF's result, both as the game computes them on chain) and
 * whose inner states are labels; step j maps (T_j) to T_{j+1}. A wrong assertion claims S_n ≠ T_n and
 * its defender claims T_j up to its fault step and made-up states after; an honest challenger agrees
 * exactly with the true states.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Abi, type Address, type Hex, type TransactionReceipt, bytesToHex, getAddress, keccak256, parseEventLogs, toHex } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { increaseTime, latestTimestamp } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { getCommittedBatches, getEscapeHatchStatus, getProverPriority, selfSequenceBatch, withdraw } from '../../src/l1/rollupActions.ts';
import {
  commitWithBond,
  finalizeBatch,
  getAssertion,
  getDisputeEvents,
  getFinalityStatus,
  getGame,
  getGameParams,
  getSettlement,
  getSettlementEvents,
  getStepState,
  openDispute,
} from '../../src/l1/optimisticActions.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { disputeGameAbi, disputeGameBytecode } from '../../src/l1/generated/DisputeGame.ts';
import { tableOneStepProverAbi, tableOneStepProverBytecode } from '../../src/l1/generated/TableOneStepProver.ts';
import { acceptingVerifierAbi, acceptingVerifierBytecode } from '../../src/l1/generated/AcceptingVerifier.ts';
import { decodeL1Op, encodeL1Ops, type L1Op, type L2Tx } from '../../src/core/tx.ts';
import { MemoryState, type StateChanges } from '../../src/core/state.ts';
import { applyBatch, createStfConfig, type BatchResult, type FeeEntry, type StfConfig } from '../../src/core/stf.ts';
import { signedBatchFromResult, zkBatchFromResult } from '../../src/core/batch-commitment.ts';
import { recordsRoot, stepDataHash, stepState } from '../../src/core/assertion.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { SparseMerkleTree, siblingsToFr } from '../../src/core/smt.ts';
import { frToBytesLE } from '../../src/core/field.ts';
import { batchWitnessFromResult } from '../../src/prover/witness.ts';
import { signTx, user } from '../support/rollup.ts';

const MAX_L1 = 4;
const MAX_L2 = 8;
const WINDOW = 1000;
const CLOCK = 300;
const ASSERTION_BOND = 10n ** 17n + 7n;
// Odd amounts and percentage: the split must be exact to the wei, floor division included.
const CHALLENGE_BOND = 123_456_789_012_345_679n;
const BURN = 37;
const DEAD: Address = '0x000000000000000000000000000000000000dEaD';
const DELAYS = { forcedInclusionDelay: 50_000, selfSequenceDelay: 60_000, exodusDelay: 100_000, proverPriorityWindow: 0 };
const GOOD = { a: [1n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;
const TABLE = { abi: tableOneStepProverAbi as Abi, bytecode: tableOneStepProverBytecode, name: 'TableOneStepProver' };

let devnet: Devnet;
let deployer: L1Clients;
let seq: L1Clients;
let alice: L1Clients;
let bob: L1Clients;
let honest: L1Clients;
let colluder: L1Clients;
let lazy: L1Clients;
let griefer: L1Clients;
let outsider: L1Clients;
let d: RollupDeployment;
let game: Address;
let prover: Address;
let config: StfConfig;
let emptyExitRoot: bigint;

const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
/** Game + Rollup + table-prover errors, so nested reverts decode by name. */
const ALL_ABI = [...(disputeGameAbi as Abi), ...(rollupAbi as Abi).filter((x) => x.type === 'error'), ...(tableOneStepProverAbi as Abi).filter((x) => x.type === 'error')] as Abi;

async function send(c: L1Clients, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const wallet = c.wallet;
  if (wallet === undefined) throw new Error('no wallet');
  return sendAndWait({
    public: c.public,
    context: functionName,
    send: () => wallet.writeContract({ address, abi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
}

/** A world: one deployed rollup, its game and table prover, and the TS mirror of its final chain. */
type World = {
  readonly d: RollupDeployment;
  readonly game: Address;
  readonly prover: Address;
  readonly state: MemoryState;
  readonly queued: { op: L1Op; hex: Hex }[];
  consumed: number;
  batchNum: number;
};

let w: World;

/** Rollup functions plus every error the stack can raise. */
const ROLLUP_ABI = [...(rollupAbi as Abi), ...(disputeGameAbi as Abi).filter((x) => x.type === 'error')] as Abi;
const rollupWrite = (c: L1Clients, fn: string, args: readonly unknown[], value?: bigint, world: World = w) => track(world, send(c, world.d.rollup, ROLLUP_ABI, fn, args, value));
const gameWrite = (c: L1Clients, fn: string, args: readonly unknown[], value?: bigint, world: World = w) => send(c, world.game, ALL_ABI, fn, args, value);

async function track(world: World, p: Promise<TransactionReceipt>): Promise<TransactionReceipt> {
  const receipt = await p;
  for (const l of parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'L1OpQueued' }) as unknown as { args: { op: Hex } }[]) {
    world.queued.push({ op: decodeL1Op(hexToBytesStrict(l.args.op)), hex: l.args.op });
  }
  return receipt;
}

function hexToBytesStrict(h: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
}

async function read<T>(functionName: string, args: readonly unknown[] = [], world: World = w): Promise<T> {
  return (await deployer.public.readContract({ address: world.d.rollup, abi: rollupAbi as Abi, functionName, args })) as T;
}

async function gameRead<T>(functionName: string, args: readonly unknown[] = [], world: World = w): Promise<T> {
  return (await deployer.public.readContract({ address: world.game, abi: disputeGameAbi as Abi, functionName, args })) as T;
}

async function reverts(p: Promise<unknown>, reason: string, args?: readonly unknown[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ContractRevertedError, `expected a contract revert ${reason}, got ${String(e)}`);
    assert.equal(e.reason, reason);
    if (args !== undefined) assert.deepEqual(e.args, args);
    return true;
  });
}

type Built = {
  readonly header: { newRoot: bigint; exitRoot: bigint; dataCommitment: bigint; newNextIndex: number; l1Count: number };
  readonly l1Ops: Hex;
  readonly batchData: Hex;
  readonly changes: StateChanges;
  readonly result: BatchResult;
  readonly l1Count: number;
  readonly feeCount: number;
  readonly inputHash: bigint;
  /** n = l1Count + txCount + feeCount. */
  readonly steps: number;
  /** T_0 and the true T_n, computed in TS exactly as the game does on chain. */
  readonly start: Hex;
  readonly trueEnd: Hex;
};

/** The next batch over queue items [consumed, consumed + l1Count) and `txs` from the world's true state. */
function build(world: World, l1Count: number, txs: L2Tx[] = [], feeTable: FeeEntry[] = []): Built {
  const l1Ops = world.queued.slice(world.consumed, world.consumed + l1Count).map((q) => q.op);
  const r = applyBatch(world.state, { l1Ops, l2Txs: txs, feeTable }, config);
  assert.equal(r.included.length, txs.length, 'every L2 tx applies');
  const s = signedBatchFromResult({ config, maxL2Txs: MAX_L2, result: r, l1Ops, feeTable, batchNum: BigInt(world.batchNum + 1), l1Start: BigInt(world.consumed) });
  const zeros = feeTable.map(() => 0n);
  return {
    header: { newRoot: r.newRoot, exitRoot: r.exitRoot, dataCommitment: s.commitment.c, newNextIndex: r.newNextIndex, l1Count },
    l1Ops: bytesToHex(encodeL1Ops(l1Ops)),
    batchData: bytesToHex(s.batchData),
    changes: r.changes,
    result: r,
    l1Count,
    feeCount: feeTable.length,
    inputHash: s.commitment.inputHash,
    steps: l1Count + txs.length + feeTable.length,
    start: bytesToHex(stepState(r.oldRoot, emptyExitRoot, r.oldNextIndex, zeros)),
    trueEnd: bytesToHex(stepState(r.newRoot, r.exitRoot, r.newNextIndex, zeros)),
  };
}

/** A field element that is not the batch's root: the lie of a wrong assertion. */
const WRONG_ROOT = 0xbadn;

type Committed = { batchNum: bigint; commitId: bigint; committedAt: bigint; built: Built; wrong: boolean; truth: Hex[]; stepDataHash: Hex };

/**
 * Commits `b` (honest, or claiming WRONG_ROOT) with the bond and writes the truth chain T_0..T_n into the
 * table prover. An honest commit advances the TS mirror; a wrong one only the L1 queue position.
 */
async function commit(world: World, b: Built, opts: { wrong?: boolean; by?: L1Clients; value?: bigint; invalidStep?: number; mirror?: boolean } = {}): Promise<Committed> {
  const wrong = opts.wrong ?? false;
  const header = wrong ? { ...b.header, newRoot: WRONG_ROOT } : b.header;
  const c = opts.by ?? seq;
  const receipt = await rollupWrite(c, 'commitBatch', [header, b.l1Ops, b.batchData], opts.value ?? ASSERTION_BOND, world);
  const [ev] = parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'AssertionCommitted' }) as unknown as { args: { batchNum: bigint; commitId: bigint; stepDataHash: Hex; recordsRoot: Hex } }[];
  assert.ok(ev !== undefined);
  // The contract's recordsRoot and stepDataHash are the TS core's.
  assert.equal(ev.args.recordsRoot, bytesToHex(recordsRoot(hexToBytesStrict(b.batchData))));
  assert.equal(ev.args.stepDataHash, bytesToHex(stepDataHash(hexToBytesStrict(b.batchData))));
  const block = await deployer.public.getBlock({ blockNumber: receipt.blockNumber });
  world.consumed += b.l1Count;
  world.batchNum += 1;
  if (!wrong && opts.mirror !== false) world.state.apply(b.changes);
  const truth: Hex[] = [b.start];
  for (let j = 1; j < b.steps; j++) truth.push(keccak256(toHex(`truth/${ev.args.commitId}/${j}`)));
  if (b.steps > 0) truth.push(b.trueEnd);
  if (b.steps > 0) {
    const steps = Array.from({ length: b.steps }, (_, j) => BigInt(j));
    const valid = steps.map((j) => Number(j) !== opts.invalidStep);
    await send(deployer, world.prover, tableOneStepProverAbi as Abi, 'setSteps', [ev.args.stepDataHash, steps, truth.slice(0, -1), valid, truth.slice(1)]);
  }
  return { batchNum: ev.args.batchNum, commitId: ev.args.commitId, committedAt: block.timestamp, built: b, wrong, truth, stepDataHash: ev.args.stepDataHash };
}

/** The defender's claim at step j: the truth for an honest commit; for a wrong one the truth up to `fault`, then made-up states. */
function defenderClaim(c: Committed, j: number, fault: number): Hex {
  if (!c.wrong || j <= fault) return c.truth[j] ?? '0x';
  return keccak256(toHex(`lie/${c.commitId}/${j}`));
}

type Strategy = 'honest' | 'disagree' | 'agree';

/**
 * Plays the bisection of `gameId` to hi − lo = 1: the defender posts `defenderClaim`, the challenger
 * answers by `strategy` (honest: agree iff the claim is the truth). Returns the number of rounds.
 */
async function bisectToOneStep(world: World, c: Committed, gameId: bigint, challenger: L1Clients, strategy: Strategy, fault = 0): Promise<number> {
  let rounds = 0;
  for (;;) {
    const g = await getGame(deployer, world.game, gameId);
    assert.equal(g.status, 'open');
    if (g.hi - g.lo === 1) return rounds;
    if (g.turn === 'defender') {
      await gameWrite(seq, 'bisect', [gameId, BigInt(g.mid), defenderClaim(c, g.mid, fault)], undefined, world);
      rounds += 1;
    } else {
      const agree = strategy === 'agree' ? true : strategy === 'disagree' ? false : g.midState === c.truth[g.mid];
      await gameWrite(challenger, 'respond', [gameId, BigInt(g.mid), agree], undefined, world);
    }
  }
}

const burnOf = (stake: bigint): bigint => (stake * BigInt(BURN)) / 100n;
const ceilLog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

async function balance(a: Address): Promise<bigint> {
  return deployer.public.getBalance({ address: a });
}

/** Claims c's balance on `at` and asserts exactly `expected` arrived (gas accounted). */
async function claimExact(c: L1Clients, at: Address, expected: bigint): Promise<void> {
  const before = await balance(addr(c));
  const receipt = await send(c, at, at === game ? ALL_ABI : ROLLUP_ABI, 'claim', []);
  assert.equal(await balance(addr(c)), before - receipt.gasUsed * receipt.effectiveGasPrice + expected, 'claimed exactly');
}

async function newWorld(mode: 'optimistic' | 'multi', verifier: Address): Promise<World> {
  const dep = await deployRollup(deployer, {
    verifier,
    sequencer: addr(seq),
    governance: addr(deployer),
    treeDepth: 8,
    exitTreeDepth: 4,
    maxL1Ops: MAX_L1,
    maxFeeTokens: 1,
    maxL2Txs: MAX_L2,
    ...DELAYS,
    settlement: { mode, oneStepProver: TABLE, assertionBond: ASSERTION_BOND, challengeBond: CHALLENGE_BOND, challengeWindow: WINDOW, clockBudget: CLOCK, burnPercent: BURN },
  });
  assert.ok(dep.disputeGame !== undefined && dep.oneStepProver !== undefined);
  return { d: dep, game: dep.disputeGame, prover: dep.oneStepProver, state: new MemoryState(), queued: [], consumed: 0, batchNum: 0 };
}

const ZERO: Address = '0x0000000000000000000000000000000000000000';
const maxFeeF = floatEncode(FLOAT16, 5n);
const transfer = (u: number, from: number, to: number, amount: bigint, nonce: number): L2Tx =>
  signTx(user(u), { kind: 'transfer', from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF, nonce }, config.domain);

before(async () => {
  devnet = await startDevnet({ accounts: 10 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, seq, alice, bob, honest, colluder, lazy, griefer, outsider] = await Promise.all([mk(0), mk(1), mk(2), mk(3), mk(4), mk(5), mk(6), mk(7), mk(8)]);
  w = await newWorld('optimistic', ZERO);
  d = w.d;
  game = w.game;
  prover = w.prover;
  emptyExitRoot = await gameRead<bigint>('emptyExitRoot');
  config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: MAX_L1, maxL2Txs: MAX_L2, maxFeeTokens: 1 });
  // Accounts 1..3 (alice, bob, carol's keys 0..2).
  await rollupWrite(alice, 'createAccount', [0, 10n ** 15n, user(0).publicKey[0], user(0).publicKey[1]], 10n ** 15n);
  await rollupWrite(bob, 'createAccount', [0, 10n ** 15n, user(1).publicKey[0], user(1).publicKey[1]], 10n ** 15n);
  await rollupWrite(bob, 'createAccount', [0, 10n ** 15n, user(2).publicKey[0], user(2).publicKey[1]], 10n ** 15n);
});

after(async () => {
  await devnet?.stop();
});

test('deployment: mode, bonds, window and clock are wired; the game refuses a rollup that does not name it; mode-1 commits need mode-1 data and the exact bond', async () => {
  const s = await getSettlement(deployer, d.rollup);
  assert.deepEqual(s, { mode: 'optimistic', disputeGame: getAddress(game), challengeWindow: BigInt(WINDOW), clockBudget: BigInt(CLOCK), assertionBond: ASSERTION_BOND });
  const p = await getGameParams(deployer, game);
  assert.deepEqual(p, { challengeBond: CHALLENGE_BOND, burnPercent: BigInt(BURN), challengeWindow: BigInt(WINDOW), clockBudget: BigInt(CLOCK), emptyExitRoot, prover: getAddress(prover) });
  // Bad settlement parameters are refused before anything is sent.
  const base = { verifier: ZERO, sequencer: addr(seq), governance: addr(deployer), treeDepth: 8, exitTreeDepth: 4, maxL1Ops: MAX_L1, maxFeeTokens: 1, maxL2Txs: MAX_L2 };
  for (const bad of [{ challengeWindow: 0 }, { clockBudget: -1 }, { assertionBond: 0n }, { challengeBond: 0n }, { burnPercent: 101 }, { burnPercent: 2.5 }]) {
    await assert.rejects(deployRollup(deployer, { ...base, settlement: { mode: 'optimistic', oneStepProver: TABLE, ...bad } }), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'L1_DEPLOY_FAILED');
  }
  // A second game pointed at this rollup is refused by its own constructor (the rollup names only one).
  await assert.rejects(deployContract({ clients: deployer, abi: disputeGameAbi as Abi, bytecode: disputeGameBytecode, name: 'DisputeGame', args: [d.rollup, prover, CHALLENGE_BOND, 10n] }));

  const b = build(w, 3);
  await reverts(rollupWrite(seq, 'commitBatch', [b.header, b.l1Ops, b.batchData], ASSERTION_BOND - 1n), 'BondRequired', [ASSERTION_BOND, ASSERTION_BOND - 1n]);
  await reverts(rollupWrite(seq, 'commitBatch', [b.header, b.l1Ops, b.batchData], ASSERTION_BOND + 1n), 'BondRequired', [ASSERTION_BOND, ASSERTION_BOND + 1n]);
  const l1Ops = w.queued.slice(0, 3).map((q) => q.op);
  const zk = zkBatchFromResult({ config, maxL2Txs: MAX_L2, result: b.result, l1Ops, feeTable: [], batchNum: 1n, l1Start: 0n });
  await reverts(rollupWrite(seq, 'commitBatch', [b.header, b.l1Ops, bytesToHex(zk.batchData)], ASSERTION_BOND), 'MalformedBatchData', ['mode']);
  await reverts(rollupWrite(outsider, 'commitBatch', [b.header, b.l1Ops, b.batchData], ASSERTION_BOND), 'NotSequencer');
  const c = await commit(w, b);
  assert.equal(c.batchNum, 1n);
  assert.equal(c.commitId, 1n);
  // Mode 1 has no validity proofs; its inputHash is 0 (no Poseidon work at commit).
  await reverts(rollupWrite(outsider, 'proveBatch', [1n, GOOD]), 'WrongMode');
  assert.equal((await read<readonly unknown[]>('batches', [1n]))[0], 0n);
  const a = await getAssertion(deployer, d.rollup, 1n);
  assert.equal(a.live, true);
  assert.equal(a.bond, ASSERTION_BOND);
  assert.deepEqual([a.l1Count, a.txCount, a.feeCount, a.batchNum], [3, 0, 0, 1n]);
  assert.equal(await getStepState(deployer, game, b.result.newRoot, b.result.exitRoot, b.result.newNextIndex, 0), b.trueEnd);
});

test('finality: window, order, then the bond is claimable; withdrawals before finality are refused', async () => {
  await reverts(rollupWrite(outsider, 'finalizeBatch', [2n]), 'BatchOutOfOrder', [2n, 1n]);
  const until = ((await read<readonly unknown[]>('batches', [1n]))[5] as bigint) + BigInt(WINDOW);
  await reverts(rollupWrite(outsider, 'finalizeBatch', [1n]), 'ChallengeWindowOpen', [1n, until]);
  assert.equal((await getFinalityStatus(deployer, d.rollup)).nextFinalizable, false);
  // A withdraw from batch 2 (bob's account 2 -> L1) is not payable before batch 2 is final.
  const tx = signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: floatEncode(FLOAT32, 400n), maxFeeF, nonce: 0 }, config.domain);
  const b2 = build(w, 0, [tx], [{ tokenId: 0, accountIdx: 1, fee: 3n }]);
  const c2 = await commit(w, b2);
  const exit = b2.result.exits[0];
  assert.ok(exit !== undefined);
  const tree = new SparseMerkleTree(config.exitTreeDepth);
  tree.update(exit.slot, frToBytesLE(exit.leaf));
  const siblings = siblingsToFr(tree.siblings(exit.slot));
  await reverts(withdraw(outsider, d.rollup, 2n, BigInt(exit.slot), addr(bob), 0, exit.amount, siblings), 'BatchNotFinal', [2n]);
  await increaseTime(deployer.public, WINDOW);
  assert.equal((await getFinalityStatus(deployer, d.rollup)).nextFinalizable, true);
  await reverts(rollupWrite(outsider, 'finalizeBatch', [2n]), 'BatchOutOfOrder', [2n, 1n]);
  await finalizeBatch(outsider, d.rollup, 1n);
  await reverts(withdraw(outsider, d.rollup, 2n, BigInt(exit.slot), addr(bob), 0, exit.amount, siblings), 'BatchNotFinal', [2n]);
  await finalizeBatch(outsider, d.rollup, 2n);
  await reverts(rollupWrite(outsider, 'finalizeBatch', [3n]), 'BatchNotCommitted', [3n]);
  const before = await balance(addr(bob));
  await withdraw(outsider, d.rollup, 2n, BigInt(exit.slot), addr(bob), 0, exit.amount, siblings);
  assert.equal(await balance(addr(bob)), before + exit.amount, 'the exit pays once final');
  assert.equal(exit.amount, 400n);
  // Both bonds are claimable by the committer (pull), exactly.
  assert.equal(await read<bigint>('claimable', [addr(seq)]), 2n * ASSERTION_BOND);
  await claimExact(seq, d.rollup, 2n * ASSERTION_BOND);
  await reverts(rollupWrite(seq, 'claim', []), 'NothingToClaim');
  const st = await getFinalityStatus(deployer, d.rollup);
  assert.deepEqual([st.lastCommitted, st.lastFinal], [2n, 2n]);
  assert.equal((await getAssertion(deployer, d.rollup, c2.commitId)).bond, 0n);
});

test('a wrong-root assertion loses in ⌈log2 n⌉ rounds + one step: batches N.. removed, re-committable, bond split exact to the wei; games on removed batches void and refund', async () => {
  await rollupWrite(alice, 'deposit', [0, 5000n, 1], 5000n);
  await rollupWrite(alice, 'deposit', [0, 6000n, 2], 6000n);
  const txs = [transfer(0, 1, 2, 100n, 0), transfer(1, 2, 3, 50n, 1), transfer(2, 3, 1, 20n, 0), transfer(0, 1, 3, 10n, 1)];
  const fee = [{ tokenId: 0, accountIdx: 1, fee: 2n }];
  const l1Before = await read<bigint>('l1Consumed');
  const snapshot = { consumed: w.consumed, batchNum: w.batchNum };
  const b3 = build(w, 2, txs, fee);
  assert.equal(b3.steps, 7);
  const bad = await commit(w, b3, { wrong: true });
  // A later batch on top of the wrong one (its contents do not matter: it goes with it; one step, so its
  // game stays open: an empty batch would be decided at opening).
  const b4 = build(w, 0, [transfer(2, 3, 1, 1n, 0)], fee);
  const later = await commit(w, b4, { wrong: true });
  assert.equal(await read<bigint>('l1Consumed'), l1Before + 2n);

  const { gameId, receipt } = await openDispute(honest, game, bad.batchNum, bad.commitId);
  const { gameId: lazyGame } = await openDispute(lazy, game, later.batchNum, later.commitId);
  const [opened] = parseEventLogs({ abi: disputeGameAbi as Abi, logs: receipt.logs, eventName: 'GameOpened' }) as unknown as { args: { steps: bigint; startState: Hex; endState: Hex } }[];
  assert.equal(opened?.args.steps, 7n);
  assert.equal(opened?.args.startState, b3.start, 'S_0 on chain = T_0 in TS');
  assert.notEqual(opened?.args.endState, b3.trueEnd, 'the claimed S_n is not the truth');
  assert.equal(await gameRead<bigint>('openDisputes', [bad.commitId]), 1n);

  const rounds = await bisectToOneStep(w, bad, gameId, honest, 'honest', 4);
  assert.ok(rounds <= ceilLog2(7), `${rounds} rounds`);
  const g = await getGame(deployer, game, gameId);
  assert.deepEqual([g.lo, g.hi, g.turn], [4, 5, 'challenger']);
  assert.equal(g.loState, bad.truth[4]);

  const deadBefore = await balance(DEAD);
  const proof = await gameWrite(honest, 'submitOneStep', [gameId, '0x']);
  const resolved = parseEventLogs({ abi: disputeGameAbi as Abi, logs: proof.logs, eventName: 'GameResolved' }) as unknown as { args: { status: number; winner: Address; payout: bigint; burned: bigint } }[];
  const burned = burnOf(ASSERTION_BOND);
  assert.deepEqual(resolved.map((l) => l.args), [{ gameId, status: 3, winner: addr(honest), payout: CHALLENGE_BOND + ASSERTION_BOND - burned, burned }]);
  assert.equal(await balance(DEAD), deadBefore + burned, 'burn share sent to 0xdead exactly');
  const reverted = parseEventLogs({ abi: rollupAbi as Abi, logs: proof.logs, eventName: 'BatchesReverted' }) as unknown as { args: { fromBatch: bigint; toBatch: bigint; commitId: bigint } }[];
  assert.deepEqual(reverted.map((l) => l.args), [{ fromBatch: 3n, toBatch: 4n, commitId: bad.commitId }]);
  assert.equal(await read<bigint>('lastCommitted'), 2n);
  assert.equal(await read<bigint>('l1Consumed'), l1Before, 'the queue position rewinds');
  assert.equal((await getAssertion(deployer, d.rollup, bad.commitId)).live, false);
  assert.equal((await getAssertion(deployer, d.rollup, later.commitId)).live, false);

  // Exact payout: the challenger's bond back plus the assertion bond minus the burn share.
  assert.equal(await gameRead<bigint>('claimable', [addr(honest)]), CHALLENGE_BOND + ASSERTION_BOND - burned);
  await claimExact(honest, game, CHALLENGE_BOND + ASSERTION_BOND - burned);

  // The lazy challenger's game is against a removed batch: no move is possible, voiding refunds it.
  await reverts(gameWrite(lazy, 'timeout', [lazyGame]), 'StaleCommit', [later.commitId]);
  await reverts(gameWrite(seq, 'bisect', [lazyGame, 0n, b3.start]), 'StaleCommit', [later.commitId]);
  await gameWrite(outsider, 'voidGame', [lazyGame]);
  assert.equal((await getGame(deployer, game, lazyGame)).status, 'void');
  await reverts(gameWrite(outsider, 'voidGame', [lazyGame]), 'GameNotOpen', [lazyGame, 4]);
  await claimExact(lazy, game, CHALLENGE_BOND);

  // The removed later batch's bond goes back to its committer; the slashed one has nothing left.
  await rollupWrite(outsider, 'reclaimBond', [later.commitId]);
  await reverts(rollupWrite(outsider, 'reclaimBond', [later.commitId]), 'NothingToReclaim', [4n]);
  await reverts(rollupWrite(outsider, 'reclaimBond', [bad.commitId]), 'NothingToReclaim', [3n]);
  await claimExact(seq, d.rollup, ASSERTION_BOND);

  // Re-commit batch 3, correctly this time, from the same queue position.
  w.consumed = snapshot.consumed;
  w.batchNum = snapshot.batchNum;
  const again = await commit(w, build(w, 2, txs, fee));
  assert.equal(again.batchNum, 3n);
  assert.ok(again.commitId > later.commitId);
  assert.equal((await getAssertion(deployer, d.rollup, again.commitId)).live, true);
  good3 = again;

  const events = await getDisputeEvents(deployer, game, d.deployBlock);
  assert.deepEqual(events.filter((e) => e.gameId === gameId).map((e) => e.kind), ['GameOpened', ...Array<string>(rounds * 2).fill('').map((_, i) => (i % 2 === 0 ? 'Bisected' : 'Responded')), 'OneStepExecuted', 'GameResolved']);
  const settlement = await getSettlementEvents(deployer, d.rollup, d.deployBlock);
  assert.deepEqual(settlement.map((e) => e.kind), ['AssertionCommitted', 'AssertionCommitted', 'BatchFinalized', 'BatchFinalized', 'AssertionCommitted', 'AssertionCommitted', 'BatchesReverted', 'AssertionCommitted']);
});

let good3: Committed;

test('a griefing challenger against an honest batch loses its bond (split exact); a resolved game takes no further move', async () => {
  const { gameId } = await openDispute(griefer, game, good3.batchNum, good3.commitId);
  const rounds = await bisectToOneStep(w, good3, gameId, griefer, 'disagree');
  assert.ok(rounds <= ceilLog2(7));
  const g = await getGame(deployer, game, gameId);
  assert.deepEqual([g.lo, g.hi], [0, 1], 'always disagreeing drives the game to step 0');
  await reverts(gameWrite(outsider, 'submitOneStep', [gameId, '0x']), 'NotAParty', [gameId]);
  const deadBefore = await balance(DEAD);
  // The defender proves the step itself rather than wait out the challenger's clock.
  await gameWrite(seq, 'submitOneStep', [gameId, '0x']);
  const burned = burnOf(CHALLENGE_BOND);
  assert.equal(await balance(DEAD), deadBefore + burned);
  assert.equal(await gameRead<bigint>('claimable', [addr(seq)]), CHALLENGE_BOND - burned);
  assert.equal((await getGame(deployer, game, gameId)).status, 'defenderWon');
  assert.equal(await gameRead<bigint>('claimable', [addr(griefer)]), 0n);
  // Double resolution, in every form.
  await reverts(gameWrite(seq, 'submitOneStep', [gameId, '0x']), 'GameNotOpen', [gameId, 2]);
  await reverts(gameWrite(outsider, 'timeout', [gameId]), 'GameNotOpen', [gameId, 2]);
  await reverts(gameWrite(outsider, 'voidGame', [gameId]), 'GameNotOpen', [gameId, 2]);
  await claimExact(seq, game, CHALLENGE_BOND - burned);
  assert.equal((await getAssertion(deployer, d.rollup, good3.commitId)).live, true);
  assert.equal(await gameRead<bigint>('openDisputes', [good3.commitId]), 0n);
});

test('the side that stops moving loses by clock (challenger stalls: defender wins; defender stalls: batch removed)', async () => {
  // Challenger stalls after the defender's first bisection.
  const { gameId } = await openDispute(griefer, game, good3.batchNum, good3.commitId);
  const g0 = await getGame(deployer, game, gameId);
  await gameWrite(seq, 'bisect', [gameId, BigInt(g0.mid), good3.truth[g0.mid] ?? '0x']);
  await reverts(gameWrite(outsider, 'timeout', [gameId]), 'ClockNotExpired');
  await increaseTime(deployer.public, CLOCK);
  await reverts(gameWrite(griefer, 'respond', [gameId, BigInt(g0.mid), false]), 'ClockExpired', [gameId, 1]);
  const r = await gameWrite(outsider, 'timeout', [gameId]);
  const to = parseEventLogs({ abi: disputeGameAbi as Abi, logs: r.logs, eventName: 'GameTimedOut' }) as unknown as { args: { loser: number } }[];
  assert.deepEqual(to.map((l) => l.args.loser), [1]);
  assert.equal((await getGame(deployer, game, gameId)).status, 'defenderWon');
  assert.equal(await gameRead<bigint>('claimable', [addr(seq)]), CHALLENGE_BOND - burnOf(CHALLENGE_BOND));

  // Defender stalls on a wrong batch 4: the challenger wins without a single move.
  const snapshot = { consumed: w.consumed, batchNum: w.batchNum };
  const bad = await commit(w, build(w, 0, [transfer(1, 2, 1, 7n, 2)], [{ tokenId: 0, accountIdx: 1, fee: 1n }]), { wrong: true });
  const { gameId: g2 } = await openDispute(honest, game, bad.batchNum, bad.commitId);
  await increaseTime(deployer.public, CLOCK - 10);
  const left = (await deployer.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'clockLeft', args: [g2] })) as readonly [number, bigint];
  assert.equal(left[0], 0, 'the defender is to move');
  assert.ok(left[1] > 0n && left[1] <= 10n);
  await reverts(gameWrite(outsider, 'timeout', [g2]), 'ClockNotExpired');
  await increaseTime(deployer.public, 10);
  await reverts(gameWrite(seq, 'bisect', [g2, 1n, bad.truth[1] ?? '0x']), 'ClockExpired', [g2, 0]);
  await gameWrite(outsider, 'timeout', [g2]);
  assert.equal((await getGame(deployer, game, g2)).status, 'challengerWon');
  assert.equal(await read<bigint>('lastCommitted'), 3n);
  w.consumed = snapshot.consumed;
  w.batchNum = snapshot.batchNum;
  await claimExact(honest, game, CHALLENGE_BOND + ASSERTION_BOND - burnOf(ASSERTION_BOND));
});

test('n = 0: an empty batch is decided at opening (honest: challenger loses; wrong root: removed)', async () => {
  const empty = build(w, 0);
  assert.equal(empty.steps, 0);
  assert.equal(empty.start, empty.trueEnd, 'an empty batch changes nothing: S_0 = S_n (TS exit root of no exits = game.emptyExitRoot)');
  const good = await commit(w, empty);
  const { gameId, receipt } = await openDispute(griefer, game, good.batchNum, good.commitId);
  assert.equal((await getGame(deployer, game, gameId)).status, 'defenderWon');
  assert.equal(parseEventLogs({ abi: disputeGameAbi as Abi, logs: receipt.logs, eventName: 'GameResolved' }).length, 1);
  assert.equal(await gameRead<bigint>('openDisputes', [good.commitId]), 0n);

  const snapshot = { consumed: w.consumed, batchNum: w.batchNum };
  const bad = await commit(w, build(w, 0), { wrong: true });
  const { gameId: g2 } = await openDispute(honest, game, bad.batchNum, bad.commitId);
  assert.equal((await getGame(deployer, game, g2)).status, 'challengerWon');
  assert.equal(await read<bigint>('lastCommitted'), good.batchNum);
  await claimExact(honest, game, CHALLENGE_BOND + ASSERTION_BOND - burnOf(ASSERTION_BOND));
  w.consumed = snapshot.consumed;
  w.batchNum = snapshot.batchNum;
});

test('an invalid record makes the whole batch wrong: the one-step says valid = false and the challenger wins', async () => {
  const snapshot = { consumed: w.consumed, batchNum: w.batchNum };
  // The table marks step 1 (the second record) as rejected by the STF; the defender claims the honest roots.
  const b = build(w, 0, [transfer(0, 1, 2, 3n, 2), transfer(0, 1, 2, 4n, 3)], [{ tokenId: 0, accountIdx: 1, fee: 1n }]);
  // Not mirrored: the batch will be removed.
  const c = await commit(w, b, { invalidStep: 1, mirror: false });
  const { gameId } = await openDispute(honest, game, c.batchNum, c.commitId);
  // The honest challenger disagrees from step 2 on (no valid state exists after an invalid record).
  let g = await getGame(deployer, game, gameId);
  while (g.hi - g.lo > 1) {
    if (g.turn === 'defender') await gameWrite(seq, 'bisect', [gameId, BigInt(g.mid), c.truth[g.mid] ?? '0x']);
    else await gameWrite(honest, 'respond', [gameId, BigInt(g.mid), g.mid <= 1]);
    g = await getGame(deployer, game, gameId);
  }
  assert.deepEqual([g.lo, g.hi], [1, 2]);
  const r = await gameWrite(honest, 'submitOneStep', [gameId, '0x']);
  const ex = parseEventLogs({ abi: disputeGameAbi as Abi, logs: r.logs, eventName: 'OneStepExecuted' }) as unknown as { args: { valid: boolean } }[];
  assert.deepEqual(ex.map((l) => l.args.valid), [false]);
  assert.equal((await getGame(deployer, game, gameId)).status, 'challengerWon');
  w.consumed = snapshot.consumed;
  w.batchNum = snapshot.batchNum;
  await claimExact(honest, game, CHALLENGE_BOND + ASSERTION_BOND - burnOf(ASSERTION_BOND));
});

test('parallel challengers (colluding, lazy, honest) against a wrong batch: the honest outcome stands, the others are void', async () => {
  const snapshot = { consumed: w.consumed, batchNum: w.batchNum };
  const b = build(w, 0, [transfer(0, 1, 2, 30n, 2), transfer(1, 2, 3, 40n, 2), transfer(2, 3, 1, 5n, 1)], [{ tokenId: 0, accountIdx: 1, fee: 1n }]);
  assert.equal(b.steps, 4);
  const bad = await commit(w, b, { wrong: true });
  const { gameId: gc } = await openDispute(colluder, game, bad.batchNum, bad.commitId);
  const { gameId: gl } = await openDispute(lazy, game, bad.batchNum, bad.commitId);
  const { gameId: gh } = await openDispute(honest, game, bad.batchNum, bad.commitId);
  assert.equal(await gameRead<bigint>('openDisputes', [bad.commitId]), 3n);
  // The colluder agrees with every lie; at the one step it holds a made-up pre-state nobody can execute.
  await bisectToOneStep(w, bad, gc, colluder, 'agree', 1);
  const gcState = await getGame(deployer, game, gc);
  assert.deepEqual([gcState.lo, gcState.hi], [3, 4]);
  await reverts(gameWrite(colluder, 'submitOneStep', [gc, '0x']), 'NoTableEntry');
  // The lazy challenger never moves. Neither game keeps the honest one from finishing.
  const rounds = await bisectToOneStep(w, bad, gh, honest, 'honest', 1);
  assert.ok(rounds <= ceilLog2(4));
  const g = await getGame(deployer, game, gh);
  assert.equal(g.loState, bad.truth[g.lo], 'the honest challenger only ever agreed with the truth');
  assert.deepEqual([g.lo, g.hi], [1, 2], 'the fault step');
  await gameWrite(honest, 'submitOneStep', [gh, '0x']);
  assert.equal((await getGame(deployer, game, gh)).status, 'challengerWon');
  assert.equal(await read<bigint>('lastCommitted'), bad.batchNum - 1n);
  const resolvedAt = await latestTimestamp(deployer.public);
  assert.ok(resolvedAt <= bad.committedAt + BigInt(WINDOW + 2 * CLOCK), 'removed within window + 2·clockBudget');
  // The other games are against a removed commit: void, bonds refunded in full.
  for (const [id, c] of [[gc, colluder], [gl, lazy]] as const) {
    await gameWrite(outsider, 'voidGame', [id]);
    assert.equal((await getGame(deployer, game, id)).status, 'void');
    await claimExact(c, game, CHALLENGE_BOND);
  }
  await claimExact(honest, game, CHALLENGE_BOND + ASSERTION_BOND - burnOf(ASSERTION_BOND));
  w.consumed = snapshot.consumed;
  w.batchNum = snapshot.batchNum;
});

test('finality is bounded by window + 2·clockBudget whatever the number of stalling challengers', async () => {
  // Everything before is made final first.
  await increaseTime(deployer.public, WINDOW);
  for (let n = (await read<bigint>('lastFinal')) + 1n; n <= (await read<bigint>('lastCommitted')); n++) await finalizeBatch(outsider, d.rollup, n);
  const good = await commit(w, build(w, 0, [transfer(0, 1, 2, 1n, 2)], [{ tokenId: 0, accountIdx: 1, fee: 1n }]));
  const deadline = good.committedAt + BigInt(WINDOW);
  await increaseTime(deployer.public, Number(deadline - (await latestTimestamp(deployer.public))) - 20);
  const games: bigint[] = [];
  for (const c of [griefer, lazy, colluder]) games.push((await openDispute(c, game, good.batchNum, good.commitId)).gameId);
  await reverts(rollupWrite(outsider, 'finalizeBatch', [good.batchNum]), 'ChallengeWindowOpen', [good.batchNum, deadline]);
  await increaseTime(deployer.public, Number(deadline - (await latestTimestamp(deployer.public))));
  await reverts(openDispute(honest, game, good.batchNum, good.commitId), 'OutOfWindow', [good.batchNum, deadline]);
  await reverts(rollupWrite(outsider, 'finalizeBatch', [good.batchNum]), 'DisputeOpen', [good.batchNum, 3n]);
  // The defender spends most of its clock in every game; every challenger then spends all of its own.
  await increaseTime(deployer.public, CLOCK - 40);
  for (const id of games) {
    const g = await getGame(deployer, game, id);
    await gameWrite(seq, 'bisect', [id, BigInt(g.mid), good.truth[g.mid] ?? '0x']);
  }
  await increaseTime(deployer.public, CLOCK);
  for (const id of games) await gameWrite(outsider, 'timeout', [id]);
  assert.equal(await gameRead<bigint>('openDisputes', [good.commitId]), 0n);
  await finalizeBatch(outsider, d.rollup, good.batchNum);
  const finalAt = await latestTimestamp(deployer.public);
  const delay = finalAt - good.committedAt;
  assert.ok(delay > BigInt(WINDOW + CLOCK) && delay <= BigInt(WINDOW + 2 * CLOCK), `final after ${delay} s`);
  assert.equal(await read<bigint>('lastFinalBatch'), good.batchNum);
});

test('every bad input reverts with its typed error', async () => {
  const c = await commit(w, build(w, 0, [transfer(0, 1, 2, 1n, 3)], [{ tokenId: 0, accountIdx: 1, fee: 1n }]));
  await reverts(openDispute(honest, game, c.batchNum, c.commitId, CHALLENGE_BOND - 1n), 'WrongBond', [CHALLENGE_BOND, CHALLENGE_BOND - 1n]);
  await reverts(openDispute(honest, game, c.batchNum, 9999n), 'StaleCommit', [9999n]);
  await reverts(openDispute(honest, game, c.batchNum - 1n, c.commitId), 'WrongBatch', [c.batchNum - 1n, c.commitId]);
  await reverts(gameWrite(honest, 'timeout', [9999n]), 'NoSuchGame', [9999n]);
  const { gameId } = await openDispute(honest, game, c.batchNum, c.commitId);
  const g = await getGame(deployer, game, gameId);
  assert.equal(g.hi, 2);
  await reverts(gameWrite(honest, 'bisect', [gameId, 1n, c.truth[1] ?? '0x']), 'NotDefender', [gameId]);
  await reverts(gameWrite(seq, 'respond', [gameId, 1n, true]), 'NotChallenger', [gameId]);
  await reverts(gameWrite(honest, 'respond', [gameId, 1n, true]), 'WrongTurn', [gameId, 0]);
  await reverts(gameWrite(seq, 'bisect', [gameId, 0n, c.truth[1] ?? '0x']), 'BadMidIndex', [1n, 0n]);
  await reverts(gameWrite(honest, 'submitOneStep', [gameId, '0x']), 'NotAtOneStep', [gameId, 0n, 2n]);
  await gameWrite(seq, 'bisect', [gameId, 1n, c.truth[1] ?? '0x']);
  await reverts(gameWrite(seq, 'bisect', [gameId, 1n, c.truth[1] ?? '0x']), 'WrongTurn', [gameId, 1]);
  await reverts(gameWrite(honest, 'respond', [gameId, 2n, true]), 'BadMidIndex', [1n, 2n]);
  await gameWrite(honest, 'respond', [gameId, 1n, true]);
  await reverts(gameWrite(honest, 'respond', [gameId, 1n, true]), 'AtOneStep', [gameId]);
  await reverts(gameWrite(outsider, 'voidGame', [gameId]), 'CommitStillLive', [gameId]);
  await reverts(rollupWrite(outsider, 'reclaimBond', [c.commitId]), 'BondLocked', [c.commitId]);
  await reverts(rollupWrite(outsider, 'removeBatchesFrom', [c.batchNum, c.commitId]), 'NotDisputeGame');
  await reverts(gameWrite(outsider, 'claim', []), 'NothingToClaim');
  const wallet = outsider.wallet;
  assert.ok(wallet !== undefined);
  // Only the rollup may send ETH to the game (NotRollup; a plain transfer carries no ABI to decode it by).
  await assert.rejects(sendAndWait({ public: outsider.public, context: 'plain ETH to the game', send: () => wallet.sendTransaction({ to: game, value: 1n }) }));
  await gameWrite(seq, 'submitOneStep', [gameId, '0x']);
  assert.equal((await getGame(deployer, game, gameId)).status, 'defenderWon');
  await increaseTime(deployer.public, WINDOW);
  await reverts(openDispute(honest, game, c.batchNum, c.commitId), 'OutOfWindow', [c.batchNum, c.committedAt + BigInt(WINDOW)]);
  // A stale one-step pre-state: the table (like the real prover) refuses what it cannot open.
  const c2 = await commit(w, build(w, 0, [transfer(0, 1, 2, 1n, 4)], [{ tokenId: 0, accountIdx: 1, fee: 1n }]), { wrong: true });
  const { gameId: g2 } = await openDispute(honest, game, c2.batchNum, c2.commitId);
  await gameWrite(seq, 'bisect', [g2, 1n, keccak256(toHex('not a state'))]);
  await gameWrite(honest, 'respond', [g2, 1n, true]);
  await reverts(gameWrite(honest, 'submitOneStep', [g2, '0x']), 'NoTableEntry');
  await reverts(gameWrite(seq, 'submitOneStep', [g2, '0x']), 'NoTableEntry');
});

test('optimistic self-sequencing posts a bond instead of a proof', async () => {
  await increaseTime(deployer.public, DELAYS.selfSequenceDelay + 1);
  const b = build(w, Math.min(w.queued.length - w.consumed, MAX_L1));
  await reverts(rollupWrite(outsider, 'selfSequenceBatch', [b.header, b.l1Ops, b.batchData, GOOD]), 'BondRequired', [ASSERTION_BOND, 0n]);
  const receipt = await selfSequenceBatch(outsider, d.rollup, b.header, b.l1Ops, b.batchData, GOOD, ASSERTION_BOND);
  w.consumed += b.l1Count;
  w.batchNum += 1;
  w.state.apply(b.changes);
  const [ev] = parseEventLogs({ abi: rollupAbi as Abi, logs: receipt.logs, eventName: 'AssertionCommitted' }) as unknown as { args: { committer: Address } }[];
  assert.equal(ev?.args.committer, addr(outsider));
});

test('optimistic exodus: never while the next batch can be finalized; then after exodusDelay + window + 2·clockBudget, at the last final batch', async () => {
  const st = await getFinalityStatus(deployer, d.rollup);
  assert.ok(st.lastCommitted > st.lastFinal + 1n);
  // The next batch is finalizable (window passed, no open game), so the rollup is not stuck: no exodus.
  assert.equal(st.nextFinalizable, true);
  await increaseTime(deployer.public, DELAYS.exodusDelay + WINDOW + 2 * CLOCK + 1);
  assert.equal(await read<boolean>('exodusAllowed'), false);
  await reverts(rollupWrite(outsider, 'triggerExodus', []), 'ExodusNotAllowed');
  await finalizeBatch(outsider, d.rollup, st.lastFinal + 1n);
  // The batch after it still has an open (stalled) game: not finalizable, and it waited long enough.
  const next = st.lastFinal + 2n;
  const commitId = await read<bigint>('commitIdOf', [next]);
  assert.equal(await gameRead<bigint>('openDisputes', [commitId]), 1n);
  assert.equal(await read<boolean>('finalizable', [next]), false);
  assert.equal(await read<boolean>('exodusAllowed'), true);
  const status = await getEscapeHatchStatus(deployer, d.rollup);
  assert.deepEqual([status.lastFinal, status.lastProven, status.exodusAllowed], [st.lastFinal + 1n, 0n, true], 'escape-hatch readers see finality, not proofs');
  // The calldata reader skips every removed commit: each batch number once, with the commit that stands.
  const committed = await getCommittedBatches(deployer, d.rollup, d.deployBlock);
  assert.deepEqual(committed.map((b) => b.batchNum), Array.from({ length: Number(st.lastCommitted) }, (_, i) => i + 1));
  for (const b of committed) assert.equal(b.newRoot, (await read<readonly unknown[]>('batches', [BigInt(b.batchNum)]))[1]);
  const r = await rollupWrite(outsider, 'triggerExodus', []);
  const [ev] = parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'ExodusTriggered' }) as unknown as { args: { lastFinalBatch: bigint; stateRoot: bigint } }[];
  assert.equal(ev?.args.lastFinalBatch, st.lastFinal + 1n, 'frozen at the last final batch, not the last committed');
  assert.equal(ev?.args.stateRoot, (await read<readonly unknown[]>('batches', [st.lastFinal + 1n]))[1]);
  await reverts(rollupWrite(outsider, 'finalizeBatch', [next]), 'Exodus');
  // A live non-final commit with an open game keeps its bond locked until the game ends.
  await reverts(rollupWrite(outsider, 'reclaimBond', [commitId]), 'BondLocked', [commitId]);
  const selfSeq = await read<bigint>('commitIdOf', [st.lastCommitted]);
  await rollupWrite(outsider, 'reclaimBond', [selfSeq]);
  assert.equal(await read<bigint>('claimable', [addr(outsider)]), ASSERTION_BOND, 'the self-sequencer gets its bond back');
});

test('multi mode: bond + reward, the ZK input hash over 12-byte prefixes equals the TS (and prover) one; finality needs the proof; fraud against a proven batch freezes the rollup', async () => {
  const verifier = await deployContract({ clients: deployer, abi: acceptingVerifierAbi as Abi, bytecode: acceptingVerifierBytecode, name: 'AcceptingVerifier' });
  const m = await newWorld('multi', verifier.address);
  const mConfig = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(m.d.rollup) }, treeDepth: 8, exitTreeDepth: 4, maxL1Ops: MAX_L1, maxL2Txs: MAX_L2, maxFeeTokens: 1 });
  const saved = config;
  config = mConfig;
  try {
    await rollupWrite(alice, 'createAccount', [0, 10n ** 15n, user(0).publicKey[0], user(0).publicKey[1]], 10n ** 15n, m);
    await rollupWrite(bob, 'createAccount', [0, 10n ** 15n, user(1).publicKey[0], user(1).publicKey[1]], 10n ** 15n, m);
    const b1 = build(m, 2);
    const c1 = await commit(m, b1, { value: ASSERTION_BOND + 555n });
    assert.equal((await read<readonly unknown[]>('batches', [1n], m))[0], b1.inputHash, 'contract inputHash = TS signed-batch commitment');
    assert.equal((await getAssertion(deployer, m.d.rollup, c1.commitId)).proverReward, 555n);
    assert.equal((await getProverPriority(deployer, m.d.rollup, 1n)).reward, 555n, 'the reader finds the multi reward with the commit');
    await increaseTime(deployer.public, WINDOW);
    await reverts(rollupWrite(outsider, 'finalizeBatch', [1n], undefined, m), 'BatchNotProven', [1n]);
    const before = await balance(addr(outsider));
    const pr = await rollupWrite(outsider, 'proveBatch', [1n, GOOD], undefined, m);
    assert.equal(await balance(addr(outsider)), before - pr.gasUsed * pr.effectiveGasPrice + 555n, 'multi reward paid to the prover');
    await finalizeBatch(outsider, m.d.rollup, 1n);
    // Batch 2 carries signed transfers: the 78-byte stride matters here.
    const pre = new MemoryState();
    pre.apply(b1.changes);
    const txs = [signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 9n), maxFeeF, nonce: 0 }, mConfig.domain), signTx(user(1), { kind: 'transfer', from: 2, to: 1, amountF: floatEncode(FLOAT32, 4n), maxFeeF, nonce: 0 }, mConfig.domain)];
    const fee = [{ tokenId: 0, accountIdx: 1, fee: 1n }];
    const b2 = build(m, 0, txs, fee);
    const c2 = await commit(m, b2, { wrong: true });
    // The prover builds the same input hash from the same result (multi data, unchanged circuit layout).
    const witness = batchWitnessFromResult({ params: { levels: 4, exitLevels: 2, maxL1Ops: MAX_L1, maxL2Txs: MAX_L2, maxFeeTokens: 1 }, config: mConfig, state: pre, result: b2.result, l1Ops: [], feeTable: fee, batchNum: 2n, l1Start: 2n, mode: 'multi' });
    assert.equal(bytesToHex(witness.batchData), b2.batchData);
    assert.notEqual(witness.input.inputHash, 0n);
    assert.equal(witness.input.inputHash, b2.inputHash);
    const honestHash = (await read<readonly unknown[]>('batches', [2n], m))[0] as bigint;
    assert.notEqual(honestHash, b2.inputHash, 'the wrong root changes the on-chain input hash');
    const zkOnly = zkBatchFromResult({ config: mConfig, maxL2Txs: MAX_L2, result: b2.result, l1Ops: [], feeTable: fee, batchNum: 2n, l1Start: 2n });
    assert.equal(zkOnly.commitment.c, witness.commitment.c, 'same elements, same c: the circuit sees the 12-byte records');
    assert.notEqual(zkOnly.commitment.z, witness.commitment.z, 'z binds the signatures too');

    // The wrong batch 2 gets "proven" (the accepting verifier plays a circuit bug) and then loses a dispute.
    await rollupWrite(outsider, 'proveBatch', [2n, GOOD], undefined, m);
    const c3 = await commit(m, build(m, 0), { wrong: true });
    const { gameId } = await openDispute(honest, m.game, c2.batchNum, c2.commitId);
    await bisectToOneStep(m, c2, gameId, honest, 'honest', 0);
    const r = await gameWrite(honest, 'submitOneStep', [gameId, '0x'], undefined, m);
    const fraud = parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'FraudAgainstProvenBatch' });
    assert.equal(fraud.length, 1);
    const ex = parseEventLogs({ abi: rollupAbi as Abi, logs: r.logs, eventName: 'ExodusTriggered' }) as unknown as { args: { lastFinalBatch: bigint; stateRoot: bigint } }[];
    assert.deepEqual(ex.map((l) => l.args.lastFinalBatch), [1n]);
    assert.equal(await read<boolean>('exodus', [], m), true);
    assert.equal(await read<bigint>('exodusBatch', [], m), 1n);
    assert.equal(await read<bigint>('exodusRoot', [], m), b1.result.newRoot);
    assert.equal(await read<bigint>('lastCommitted', [], m), 3n, 'nothing removed: the whole rollup is frozen instead');
    assert.equal(await gameRead<bigint>('claimable', [addr(honest)], m), CHALLENGE_BOND + ASSERTION_BOND - burnOf(ASSERTION_BOND));
    await reverts(openDispute(honest, m.game, 3n, c3.commitId), 'RollupInExodus');
    await reverts(rollupWrite(outsider, 'finalizeBatch', [2n], undefined, m), 'Exodus');
    // The non-final live batch 3's bond goes back to its committer in exodus.
    await rollupWrite(outsider, 'reclaimBond', [c3.commitId], undefined, m);
    assert.equal(await read<bigint>('claimable', [addr(seq)], m), ASSERTION_BOND * 2n);
  } finally {
    config = saved;
  }
});
