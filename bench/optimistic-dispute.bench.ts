/**
 * Optimistic mode on the devnet L1 (Hardhat EDR, cancun), production tree depth 32, the real Rollup
 * (mode 1), DisputeGame and the production OneStepProver (Poseidon Merkle witnesses, EdDSA on chain):
 *
 * (a) bytes per transfer: the calldata of a bonded commitBatch carrying n real signed transfers (78-byte
 *     records) divided by n, at n = 64 and 1,024, and the marginal bytes and gas of one more transfer
 *     between the two sizes (what l1gas.bench.ts measures for the 12-byte records of zk mode).
 * (b) L1 gas of a whole dispute INCLUDING the real one-step proof: a proposer commits a batch of n signed
 *     transfers (real EdDSA signatures) one of which (at n/3) is a transfer its owner never signed, with
 *     roots that apply it; an honest challenger opens a dispute and bisects against the lying proposer
 *     (⌈log2 n⌉ rounds), then submits the one-step proof of the forged step, which OneStepProver
 *     re-executes (both Merkle paths, the signature) and refuses: the batch is removed, the bonds are
 *     split, the winner claims. `dispute.real.oneStepGas` is submitOneStep's receipt gas (the game's
 *     resolution with the removal and the burn transfer included); `dispute.real.executeStepGas` is
 *     eth_estimateGas of OneStepProver.executeStep alone for the same step. The other outcome,
 *     `dispute.real.griefed.*`: the same batch committed honestly and a griefer that agrees up to n/3 and
 *     disputes the rest; the proposer proves that valid transfer (both paths rewritten) and wins.
 *     Target (the issue): the one-step ≤ 5,000,000 gas at depth 32.
 *
 * bench/dispute.bench.ts measures the game's share with the test-only table prover; this one is the
 * whole thing with the production prover. Run: `npx tsx bench/run.ts dispute` (both) or
 * `npx tsx bench/run.ts optimistic-dispute`.
 */
import { type Address, type Hex, bytesToHex, hexToBytes } from 'viem';
import { sha256 } from '@noble/hashes/sha2.js';
import { signedBatchFromResult } from '../src/core/batch-commitment.ts';
import { createPrivateKey, publicKeyFromPrivate, sign } from '../src/core/eddsa.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../src/core/float.ts';
import { stepProof, traceBatch } from '../src/core/one-step.ts';
import { MemoryState } from '../src/core/state.ts';
import { applyBatch, createStfConfig, type StfConfig } from '../src/core/stf.ts';
import { encodeL1Ops, l2TxMessage, type L1Op, type L2Tx, type L2TxBody } from '../src/core/tx.ts';
import { createL1Clients, type L1Clients } from '../src/l1/createL1Clients.ts';
import { deployRollup } from '../src/l1/deployRollup.ts';
import { startDevnet } from '../src/l1/devnet.ts';
import { estimateExecuteStepGas } from '../src/l1/executeStep.ts';
import { bisect, claimGame, commitWithBond, getGame, getSettlement, getFinalityStatus, openDispute, respond, submitOneStep } from '../src/l1/optimisticActions.ts';
import { getQueuedOps } from '../src/l1/rollupActions.ts';
import { sendAndWait } from '../src/l1/sendAndWait.ts';
import { rollupAbi } from '../src/l1/generated/Rollup.ts';
import { nextMove, type GameView, type Trace } from '../src/node/dispute-player.ts';
import { commitFraud, stateFromL1 } from '../test/support/dispute-actors.ts';
import { type BenchResult } from './util.ts';

const log = (l: string): void => void process.stderr.write(`${l}\n`);
const EVM = 'cancun (hardhat EDR 2.29)';
const TARGET = { op: '<=' as const, value: 5_000_000 };
const SENDERS = 4;

type GameSample = {
  readonly rounds: number;
  readonly openGas: number;
  readonly bisectGas: number[];
  readonly respondGas: number[];
  readonly oneStepGas: number;
  readonly executeStepGas: number;
  readonly claimGas: number;
};

type Sample = {
  readonly griefed: GameSample;
  readonly transfers: number;
  readonly steps: number;
  readonly rounds: number;
  readonly forgedStep: number;
  readonly commitGas: number;
  readonly commitCalldataBytes: number;
  readonly openGas: number;
  readonly bisectGas: number[];
  readonly respondGas: number[];
  readonly oneStepGas: number;
  readonly executeStepGas: number;
  readonly claimGas: number;
};

const keyAt = (i: number) => createPrivateKey(sha256(new TextEncoder().encode(`rampart/bench/optimistic-dispute/${i}`)));

async function one(transfers: number): Promise<Sample> {
  const devnet = await startDevnet({ accounts: 3 });
  try {
    const mk = (i: number): Promise<L1Clients> => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const [deployer, seq, challenger] = await Promise.all([mk(0), mk(1), mk(2)]);
    const seqAddr = seq.wallet?.account.address as Address;
    const dims = { treeDepth: 32, exitTreeDepth: 12, maxL1Ops: 4, maxFeeTokens: 1, maxL2Txs: transfers };
    const d = await deployRollup(deployer, {
      verifier: '0x0000000000000000000000000000000000000000',
      sequencer: seqAddr,
      governance: seqAddr,
      ...dims,
      settlement: { mode: 'optimistic', challengeWindow: 3600, clockBudget: 1800 },
    });
    const config: StfConfig = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) }, ...dims });
    const game = (await getSettlement(deployer, d.rollup)).disputeGame;

    // Genesis: SENDERS accounts created through L1 and committed honestly (bonded) in one batch.
    const users = Array.from({ length: SENDERS }, (_, i) => ({ key: keyAt(i), publicKey: publicKeyFromPrivate(keyAt(i)) }));
    const wallet = deployer.wallet;
    if (wallet === undefined) throw new Error('no deployer key');
    for (const u of users) {
      await sendAndWait({ public: deployer.public, context: 'createAccount', send: () => wallet.writeContract({ address: d.rollup, abi: rollupAbi, functionName: 'createAccount', args: [0, 10n ** 12n, u.publicKey[0], u.publicKey[1]], value: 10n ** 12n } as never) });
    }
    const ops: L1Op[] = (await getQueuedOps(deployer, d.rollup, d.deployBlock)).map((q) => q.op);
    const state = new MemoryState();
    const genesis = applyBatch(state, { l1Ops: ops, l2Txs: [], feeTable: [] }, config);
    const built = signedBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result: genesis, l1Ops: ops, feeTable: [], batchNum: 1n, l1Start: 0n });
    await commitWithBond(seq, d.rollup, {
      header: { newRoot: genesis.newRoot, exitRoot: genesis.exitRoot, dataCommitment: built.commitment.c, newNextIndex: genesis.newNextIndex, l1Count: ops.length },
      l1Ops: bytesToHex(encodeL1Ops(ops)),
      batchData: bytesToHex(built.batchData),
    });

    // The measured batch: `transfers` signed transfers round the senders (accounts 1..SENDERS), the one at
    // n/3 signed by the wrong key.
    const forgedAt = Math.floor(transfers / 3);
    const nonces = users.map(() => 0);
    const maxFeeF = floatEncode(FLOAT16, 0n);
    const txs: L2Tx[] = [];
    const bodies: L2TxBody[] = [];
    for (let j = 0; j < transfers; j++) {
      const s = j % SENDERS;
      const body: L2TxBody = { kind: 'transfer', from: 1 + s, to: 1 + ((s + 1) % SENDERS), amountF: floatEncode(FLOAT32, 1_000n + BigInt(j % 997)), maxFeeF, nonce: nonces[s] ?? 0 };
      nonces[s] = (nonces[s] ?? 0) + 1;
      const signer = j === forgedAt ? keyAt(1000) : (users[s]?.key ?? keyAt(0));
      bodies.push(body);
      txs.push({ ...body, signature: sign(signer, l2TxMessage(body, config.domain)) });
    }
    log(`bench: optimistic-dispute: n=${transfers}: commit the lying batch`);
    const fraud = await commitFraud({ sequencer: seq, rollup: d.rollup, deployBlock: d.deployBlock, config, txs });
    if (fraud.invalidStep !== forgedAt) throw new Error(`forged step ${fraud.invalidStep} != ${forgedAt}`);
    const commitReceipt = await seq.public.getTransactionReceipt({ hash: (await lastCommitTx(seq, d.rollup, d.deployBlock)) });
    const commitTx = await seq.public.getTransaction({ hash: commitReceipt.transactionHash });

    const { receipt: open, gameId } = await openDispute(challenger, game, fraud.batchNum, fraud.commitId);
    const honest = fraud.honest.stateHashes.map((h) => bytesToHex(h));
    const honestTrace: Trace = { steps: fraud.honest.steps, stateAt: (j) => honest[j] };
    const bisectGas: number[] = [];
    const respondGas: number[] = [];
    let oneStep: number | undefined;
    let executeStepGas = 0;
    for (;;) {
      const g = await getGame(deployer, game, gameId);
      if (g.status !== 'open') break;
      const view: GameView = { open: true, lo: g.lo, hi: g.hi, turn: g.turn, loState: g.loState, hiState: g.hiState, midState: g.turn === 'challenger' && g.hi - g.lo >= 2 ? g.midState : undefined };
      if (g.turn === 'defender') {
        const m = nextMove('defender', view, fraud.lie);
        if (m.kind !== 'bisect') throw new Error(`liar: unexpected ${m.kind}`);
        bisectGas.push(Number((await bisect(seq, game, gameId, m.mid, m.state)).gasUsed));
        continue;
      }
      const m = nextMove('challenger', view, honestTrace);
      if (m.kind === 'respond') respondGas.push(Number((await respond(challenger, game, gameId, m.mid, m.agree)).gasUsed));
      else if (m.kind === 'one-step') {
        const proof = stepProof(fraud.honest, m.step);
        const ctx = { l1Start: BigInt(ops.length), startNextIndex: fraud.honest.states[0]?.nextIndex ?? 0, l1Count: fraud.honest.l1Count, txCount: fraud.honest.txCount, feeCount: fraud.honest.feeCount, stepDataHash: bytesToHex(fraud.honest.stepDataHash) };
        executeStepGas = Number(await estimateExecuteStepGas(deployer, { prover: (await proverOf(deployer, game)) as Address, ctx, step: m.step, preState: fraud.honest.stateHashes[m.step] ?? new Uint8Array(32), proof }));
        oneStep = Number((await submitOneStep(challenger, game, gameId, bytesToHex(proof))).gasUsed);
        if (m.step !== forgedAt) throw new Error(`one-step at ${m.step}, forged at ${forgedAt}`);
      } else throw new Error(`challenger: unexpected ${m.kind}`);
    }
    const final = await getGame(deployer, game, gameId);
    if (final.status !== 'challengerWon' || oneStep === undefined) throw new Error(`game ended ${final.status}`);
    if ((await getFinalityStatus(deployer, d.rollup)).lastCommitted !== fraud.batchNum - 1n) throw new Error('the batch was not removed');
    const claimed = await claimGame(challenger, game);

    // The other outcome: the same batch committed honestly (the transfer at n/3 signed by its owner) and a
    // griefer that agrees up to n/3 and disputes the rest; the proposer ends it with the real one-step of
    // that valid transfer and wins.
    log(`bench: optimistic-dispute: n=${transfers}: the honest batch against a griefer`);
    const fixed = txs.map((t, j) => (j === forgedAt ? { ...(bodies[j] as L2TxBody), signature: sign(users[j % SENDERS]?.key ?? keyAt(0), l2TxMessage(bodies[j] as L2TxBody, config.domain)) } : t));
    const pre = await stateFromL1(deployer, d.rollup, d.deployBlock, config);
    const good = applyBatch(pre, { l1Ops: [], l2Txs: fixed, feeTable: [] }, config);
    if (good.included.length !== transfers) throw new Error('the honest batch must include every transfer');
    const goodBuilt = signedBatchFromResult({ config, maxL2Txs: config.maxL2Txs, result: good, l1Ops: [], feeTable: [], batchNum: fraud.batchNum, l1Start: BigInt(ops.length) });
    const goodCommit = await commitWithBond(seq, d.rollup, {
      header: { newRoot: good.newRoot, exitRoot: good.exitRoot, dataCommitment: goodBuilt.commitment.c, newNextIndex: good.newNextIndex, l1Count: 0 },
      l1Ops: '0x',
      batchData: bytesToHex(goodBuilt.batchData),
    });
    const goodTrace = traceBatch({ state: pre, l1Ops: [], batchData: goodBuilt.batchData, config });
    if (goodTrace.invalidAt !== undefined) throw new Error('the honest batch must be valid');
    const goodStates = goodTrace.stateHashes.map((h) => bytesToHex(h));
    const defenderTrace: Trace = { steps: goodTrace.steps, stateAt: (j) => goodStates[j] };
    const grief: Trace = { steps: goodTrace.steps, stateAt: (j) => (j <= forgedAt ? goodStates[j] : bytesToHex(new Uint8Array(32).fill(j % 251))) };
    const { receipt: gOpen, gameId: gId } = await openDispute(challenger, game, goodCommit.batchNum, goodCommit.commitId);
    const gBisect: number[] = [];
    const gRespond: number[] = [];
    let gOneStep: number | undefined;
    let gExecute = 0;
    for (;;) {
      const g = await getGame(deployer, game, gId);
      if (g.status !== 'open') break;
      const view: GameView = { open: true, lo: g.lo, hi: g.hi, turn: g.turn, loState: g.loState, hiState: g.hiState, midState: g.turn === 'challenger' && g.hi - g.lo >= 2 ? g.midState : undefined };
      const dm = nextMove('defender', view, defenderTrace);
      if (dm.kind === 'bisect') gBisect.push(Number((await bisect(seq, game, gId, dm.mid, dm.state)).gasUsed));
      else if (dm.kind === 'one-step') {
        const proof = stepProof(goodTrace, dm.step);
        if (dm.step !== forgedAt) throw new Error(`griefed one-step at ${dm.step}, expected ${forgedAt}`);
        const ctx = { l1Start: BigInt(ops.length), startNextIndex: goodTrace.states[0]?.nextIndex ?? 0, l1Count: goodTrace.l1Count, txCount: goodTrace.txCount, feeCount: goodTrace.feeCount, stepDataHash: bytesToHex(goodTrace.stepDataHash) };
        gExecute = Number(await estimateExecuteStepGas(deployer, { prover: await proverOf(deployer, game), ctx, step: dm.step, preState: goodTrace.stateHashes[dm.step] ?? new Uint8Array(32), proof }));
        gOneStep = Number((await submitOneStep(seq, game, gId, bytesToHex(proof))).gasUsed);
      } else {
        const cm = nextMove('challenger', view, grief);
        if (cm.kind !== 'respond') throw new Error(`griefer: unexpected ${cm.kind}`);
        gRespond.push(Number((await respond(challenger, game, gId, cm.mid, cm.agree)).gasUsed));
      }
    }
    const gFinal = await getGame(deployer, game, gId);
    if (gFinal.status !== 'defenderWon' || gOneStep === undefined) throw new Error(`griefed game ended ${gFinal.status}`);
    const gClaim = await claimGame(seq, game);
    const griefed: GameSample = { rounds: gBisect.length, openGas: Number(gOpen.gasUsed), bisectGas: gBisect, respondGas: gRespond, oneStepGas: gOneStep, executeStepGas: gExecute, claimGas: Number(gClaim.gasUsed) };
    return {
      griefed,
      transfers,
      steps: fraud.steps,
      rounds: bisectGas.length,
      forgedStep: forgedAt,
      commitGas: Number(commitReceipt.gasUsed),
      commitCalldataBytes: hexToBytes(commitTx.input).length,
      openGas: Number(open.gasUsed),
      bisectGas,
      respondGas,
      oneStepGas: oneStep,
      executeStepGas,
      claimGas: Number(claimed.gasUsed),
    };
  } finally {
    await devnet.stop();
  }
}

async function proverOf(c: L1Clients, game: Address): Promise<Address> {
  return (await c.public.readContract({ address: game, abi: [{ type: 'function', name: 'prover', stateMutability: 'view', inputs: [], outputs: [{ name: '', type: 'address' }] }] as const, functionName: 'prover' })) as Address;
}

/** The transaction of the latest AssertionCommitted (commitFraud returns ids, not the receipt). */
async function lastCommitTx(c: L1Clients, rollup: Address, fromBlock: bigint): Promise<Hex> {
  const logs = await c.public.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'AssertionCommitted', fromBlock });
  const last = logs[logs.length - 1];
  if (last?.transactionHash == null) throw new Error('no commit');
  return last.transactionHash;
}

export async function run(_options: { readonly quick: boolean }): Promise<BenchResult[]> {
  const sizes = [64, 1024];
  const samples: Sample[] = [];
  for (const n of sizes) samples.push(await one(n));
  const out: BenchResult[] = [];
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  for (const s of samples) {
    const params = { transfers: s.transfers, steps: s.steps, rounds: s.rounds, forgedStep: s.forgedStep, treeDepth: 32, exitTreeDepth: 12, evm: EVM, oneStepProver: 'OneStepProver (production)' };
    const total = s.openGas + sum(s.bisectGas) + sum(s.respondGas) + s.oneStepGas + s.claimGas;
    out.push(
      { name: 'optimistic.commitCalldataBytesPerTransfer', value: s.commitCalldataBytes / s.transfers, unit: 'bytes/transfer', params: { transfers: s.transfers, evm: EVM, includes: 'whole commitBatch calldata (selector, ABI header, 78-byte signed records) / transfers', calldataBytes: s.commitCalldataBytes } },
      { name: 'optimistic.commitGasPerTransfer', value: s.commitGas / s.transfers, unit: 'gas/transfer', params: { transfers: s.transfers, evm: EVM, includes: 'bonded commitBatch receipt gasUsed / transfers (no proof in mode 1)', commitGas: s.commitGas } },
      { name: 'dispute.real.totalGas', value: total, unit: 'gas', params: { ...params, includes: 'open + every bisect and respond + submitOneStep with the real OneStepProver (removal, bond split, burn) + claim' } },
      { name: 'dispute.real.rounds', value: s.rounds, unit: 'rounds', params, target: { op: '<=', value: Math.ceil(Math.log2(s.steps)) } },
      { name: 'dispute.real.oneStepGas', value: s.oneStepGas, unit: 'gas', params: { ...params, includes: 'submitOneStep receipt: OneStepProver.executeStep of a forged transfer (2 Merkle paths at depth 32, EdDSA) + resolution' }, target: TARGET },
      { name: 'dispute.real.executeStepGas', value: s.executeStepGas, unit: 'gas', params: { ...params, includes: 'eth_estimateGas of OneStepProver.executeStep alone (21k base + calldata)' }, target: TARGET },
      { name: 'dispute.real.bisectAndRespondGas', value: sum(s.bisectGas) + sum(s.respondGas), unit: 'gas', params: { ...params, bisect: s.bisectGas.join(','), respond: s.respondGas.join(',') } },
      { name: 'dispute.real.openGas', value: s.openGas, unit: 'gas', params },
      { name: 'dispute.real.claimGas', value: s.claimGas, unit: 'gas', params },
    );
    const g = s.griefed;
    const gParams = { ...params, rounds: g.rounds, outcome: 'defenderWon: a griefer disputes the honest batch; the proposer proves the valid transfer at n/3' };
    out.push(
      { name: 'dispute.real.griefed.totalGas', value: g.openGas + sum(g.bisectGas) + sum(g.respondGas) + g.oneStepGas + g.claimGas, unit: 'gas', params: { ...gParams, includes: 'open + every bisect and respond + the proposer\'s submitOneStep with the real OneStepProver (valid transfer, bond split, burn) + claim' } },
      { name: 'dispute.real.griefed.oneStepGas', value: g.oneStepGas, unit: 'gas', params: { ...gParams, includes: 'submitOneStep receipt: OneStepProver.executeStep of a valid transfer (2 Merkle paths opened and rewritten at depth 32, EdDSA) + resolution' }, target: TARGET },
      { name: 'dispute.real.griefed.executeStepGas', value: g.executeStepGas, unit: 'gas', params: { ...gParams, includes: 'eth_estimateGas of OneStepProver.executeStep alone (21k base + calldata)' }, target: TARGET },
    );
  }
  const [lo, hi] = samples;
  if (lo !== undefined && hi !== undefined) {
    const method = `(commitBatch at ${hi.transfers} - at ${lo.transfers}) / ${hi.transfers - lo.transfers}`;
    out.push(
      { name: 'optimistic.calldataMarginalBytesPerTransfer', value: (hi.commitCalldataBytes - lo.commitCalldataBytes) / (hi.transfers - lo.transfers), unit: 'bytes/transfer', params: { method, evm: EVM, record: '78 bytes (from u32, to u32, amountF u32, maxFeeF u16, signature 64)' } },
      { name: 'optimistic.commitMarginalGasPerTransfer', value: (hi.commitGas - lo.commitGas) / (hi.transfers - lo.transfers), unit: 'gas/transfer', params: { method, evm: EVM, includes: 'calldata of one 78-byte record + its share of recordsRoot and stepDataHash' } },
    );
  }
  return out;
}
