/**
 * Attack (multi-proof mode, docs/PROTOCOL.md §14.1): the circuit has a bug, so a wrong state transition
 * gets a validity proof the verifier accepts. The sequencer (its node stopped) commits a batch whose
 * roots include a transfer of Alice's money that Alice never signed, and proves it.
 *
 * Simulating the circuit bug honestly: nobody can forge a real Groth16 proof for a wrong transition, so
 * this rollup is deployed with the test-only AcceptingVerifier (contracts/test/AcceptingVerifier.sol,
 * accepts any proof with a[0] ≠ 0) standing in for "a verifier whose circuit has a bug". Everything else
 * is real: the honest node proves its batches with the real `test` circuit prover (proofs the accepting
 * verifier also takes), the watchtower is a real node with the challenger role, and the one-step is the
 * production OneStepProver (Poseidon Merkle witnesses, EdDSA on chain).
 *
 * Defence: the second proof system. The watchtower disputes the proven batch; one-step re-execution
 * disproves the forged transfer. A proven batch that is wrong means the circuit cannot be trusted at
 * all, so the rollup does not remove the batch but freezes (exodus) at the last final batch.
 * Shown: FraudAgainstProvenBatch + exodus at the last final batch (nothing removed, no more commits,
 * proofs or finality); the liar's bond split exactly; every user leaves through the escape hatch
 * (claimExodus, what `rampart exit` runs) with exactly what the last final state owes them: a later
 * honest batch that was proven but not yet final does not count, a deposit no final batch consumed is
 * refunded, the loot pays nothing, and each claim pays once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Abi, type Address, type Hex, parseEventLogs } from 'viem';
import { ensureCircuit } from '../../scripts/build-circuits.ts';
import { CIRCUIT_SETS } from '../../src/prover/circuit-params.ts';
import { setupCircuit } from '../../src/prover/setup.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { deployRollup } from '../../src/l1/deployRollup.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { proveBatch, setDesignatedProver, withdraw, writeRollup } from '../../src/l1/rollupActions.ts';
import { claimGame, getAssertion, getDisputeEvents, getFinalityStatus, getSettlement, openDispute } from '../../src/l1/optimisticActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { disputeGameAbi } from '../../src/l1/generated/DisputeGame.ts';
import { acceptingVerifierAbi, acceptingVerifierBytecode } from '../../src/l1/generated/AcceptingVerifier.ts';
import { startNode, type RampartNode } from '../../src/node/node.ts';
import { claimExodus } from '../../src/node/exodus.ts';
import { SparseMerkleTree, siblingsToFr } from '../../src/core/smt.ts';
import { frToBytesLE } from '../../src/core/field.ts';
import { domainHash } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { signTx, user } from '../support/rollup.ts';
import { rpc, txJson, waitFor } from '../support/rpc.ts';
import { commitFraud, playScripted, startWatchtower } from '../support/dispute-actors.ts';

const WINDOW = 600;
const CLOCK = 300;
const BOND = 10n ** 17n;
const CHALLENGE_BOND = 4n * 10n ** 16n;
const BURN = '0x000000000000000000000000000000000000dEaD';
const CIRCUIT = CIRCUIT_SETS.test;
/** What the buggy verifier takes: any proof with a[0] ≠ 0 (no real proof exists for a wrong transition). */
const BUGGY_PROOF = { a: [1n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] } as const;
let devnet: Devnet;
let rollup: Address;
let deployBlock: bigint;
let node: RampartNode | undefined;
let watchtower: RampartNode | undefined;
let deployer: L1Clients;
let seq: L1Clients;
let alice: L1Clients;
let carol: L1Clients;
let watchtowerAddr: Address;
const dirs: string[] = [];
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

const send = (c: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) => writeRollup(c, rollup, functionName, args, value);
const read = <T>(functionName: string, args: readonly unknown[] = []) => deployer.public.readContract({ address: rollup, abi: rollupAbi as Abi, functionName, args }) as Promise<T>;

before(async () => {
  devnet = await startDevnet({ accounts: 6 });
  const [dep, sq, pr, wt, al, ca] = devnet.accounts;
  assert.ok(dep && sq && pr && wt && al && ca);
  const mk = (key: Hex) => createL1Clients({ url: devnet.url, privateKey: key, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, seq, alice, carol] = await Promise.all([mk(dep.privateKey), mk(sq.privateKey), mk(al.privateKey), mk(ca.privateKey)]);
  watchtowerAddr = wt.address;
  const circuit = await ensureCircuit('test', { log: () => {} });
  const setup = await setupCircuit({ r1csPath: circuit.r1csPath, circuit: 'test' }, { log: () => {} });
  const verifier = await deployContract({ clients: deployer, abi: acceptingVerifierAbi as Abi, bytecode: acceptingVerifierBytecode, name: 'AcceptingVerifier' });
  const d = await deployRollup(deployer, {
    verifier: verifier.address,
    sequencer: sq.address,
    governance: dep.address,
    treeDepth: 2 * CIRCUIT.levels,
    exitTreeDepth: 2 * CIRCUIT.exitLevels,
    maxL1Ops: CIRCUIT.maxL1Ops,
    maxFeeTokens: CIRCUIT.maxFeeTokens,
    maxL2Txs: CIRCUIT.maxL2Txs,
    settlement: { mode: 'multi', challengeWindow: WINDOW, clockBudget: CLOCK, assertionBond: BOND, challengeBond: CHALLENGE_BOND },
  });
  rollup = d.rollup;
  deployBlock = d.deployBlock;
  await setDesignatedProver(seq, rollup, pr.address);
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-multi-bug-'));
  dirs.push(dataDir);
  node = await startNode({
    l1Url: devnet.url,
    chainId: devnet.chainId,
    rollup,
    deployBlock,
    circuit: CIRCUIT,
    dataDir,
    confirmations: 1,
    pollMs: 50,
    rpc: { host: '127.0.0.1', port: 0 },
    sequencer: { privateKey: sq.privateKey, batcher: { bumpAfterMs: 5_000 } },
    prover: { privateKey: pr.privateKey, wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, threads: 1 },
  });
  watchtower = await startWatchtower({ l1Url: devnet.url, chainId: devnet.chainId, rollup, deployBlock, circuit: CIRCUIT, privateKey: wt.privateKey });
});

after(async () => {
  await watchtower?.stop();
  await node?.stop();
  await devnet?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Tx = { status: string; batchNum: number | null };

test('multi mode, circuit bug: a proven wrong batch is disproven by one-step re-execution, the rollup freezes, users exit with exactly the last final state', async () => {
  assert.ok(node !== undefined);
  assert.equal(node.status().mode, 'multi');
  const url = node.rpcUrl ?? '';
  const domain = domainHash({ chainId: BigInt(devnet.chainId), rollupAddress: BigInt(rollup) });
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const amt = (v: bigint) => floatEncode(FLOAT32, v);
  const game = (await getSettlement(deployer, rollup)).disputeGame;
  const config = node.config;

  // Honest life, proven by the node's prover and final after the window: Alice 1000, Mallory (the
  // sequencer's own L2 account) 1.
  await send(alice, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(seq, 'createAccount', [0, 1n, user(9).publicKey[0], user(9).publicKey[1]], 1n);
  const find = async (a: Address): Promise<number | undefined> => (await rpc<number[]>(url, 'rampart_findAccounts', [{ l1Address: a, tokenId: 0 }]))[0];
  const a1 = await waitFor('alice', () => find(addr(alice)));
  const m1 = await waitFor('mallory', () => find(addr(seq)));
  const provenAll = async () => {
    const f = await getFinalityStatus(deployer, rollup);
    return f.lastProven === f.lastCommitted && (node?.status().pending ?? 1) === 0 ? f : undefined;
  };
  await waitFor('all proven', provenAll, 120_000, 200);
  await increaseTime(deployer.public, WINDOW + 1);
  const finalAt = await waitFor('all final', async () => {
    const f = await getFinalityStatus(deployer, rollup);
    return f.lastFinal === f.lastCommitted && f.lastFinal >= 2n ? f.lastFinal : undefined;
  }, 60_000, 100);

  // A later honest batch, proven but not final yet: Alice pays Mallory 50. It will not count in exodus.
  const t2 = await rpc<Hex>(url, 'rampart_sendTransaction', [txJson(signTx(user(0), { kind: 'transfer', from: a1, to: m1, amountF: amt(50n), maxFeeF, nonce: 0 }, domain))]);
  await waitFor('t2 committed', async () => ((await rpc<Tx | null>(url, 'rampart_getTransaction', [t2]))?.status === 'committed' ? true : undefined));
  const notFinal = await waitFor('t2 proven', provenAll, 120_000, 200);
  assert.equal(notFinal.lastFinal, finalAt);
  assert.ok(notFinal.lastCommitted > finalAt);
  await waitFor('watchtower synced', async () => ((watchtower?.state.batchNum ?? 0) >= Number(notFinal.lastCommitted) ? true : undefined));

  // The sequencer turns: its node stops, its key commits a batch stealing Alice's 900 and withdrawing it.
  await node.stop();
  node = undefined;
  // Carol's deposit arrives now; no batch will ever consume it.
  await send(carol, 'createAccount', [0, 300n, user(2).publicKey[0], user(2).publicKey[1]], 300n);
  const forged = signTx(user(9), { kind: 'transfer', from: a1, to: m1, amountF: amt(900n), maxFeeF, nonce: 1 }, domain); // not Alice's key
  const loot = signTx(user(9), { kind: 'withdraw', from: m1, to: 0, amountF: amt(900n), maxFeeF, nonce: 0 }, domain);
  const fraud = await commitFraud({ sequencer: seq, rollup, deployBlock, config, txs: [forged, loot] });
  assert.equal(fraud.invalidStep, 0);
  // The bug: the verifier takes the attacker's "proof" of the wrong transition.
  await proveBatch(seq, rollup, fraud.batchNum, BUGGY_PROOF as never);
  assert.equal((await getFinalityStatus(deployer, rollup)).lastProven, fraud.batchNum);
  const lootSlot = config.maxL1Ops + 1;
  const exitTree = new SparseMerkleTree(config.exitTreeDepth);
  for (const e of fraud.result.exits) exitTree.update(e.slot, frToBytesLE(e.leaf));
  const takeLoot = () => withdraw(alice, rollup, fraud.batchNum, BigInt(lootSlot), addr(seq), 0, 900n, siblingsToFr(exitTree.siblings(lootSlot)));
  await assert.rejects(takeLoot(), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BatchNotFinal');

  // The watchtower node disputes the proven batch by itself; the liar defends; one-step disproves it.
  const opened = await waitFor('dispute opened', async () => (await getDisputeEvents(deployer, game, deployBlock)).find((e) => e.kind === 'GameOpened' && e.commitId === fraud.commitId));
  assert.ok(opened.kind === 'GameOpened');
  assert.equal(opened.challenger.toLowerCase(), watchtowerAddr.toLowerCase());
  const burnBefore = await deployer.public.getBalance({ address: BURN });
  const played = await playScripted({ l1: seq, game, gameId: opened.gameId, role: 'defender', trace: fraud.lie });
  assert.equal(played.final.status, 'challengerWon');
  const events = (await getDisputeEvents(deployer, game, deployBlock)).filter((e) => e.gameId === opened.gameId);
  const oneStep = events.find((e) => e.kind === 'OneStepExecuted');
  assert.ok(oneStep?.kind === 'OneStepExecuted');
  assert.equal(oneStep.valid, false);
  assert.equal(oneStep.step, 0n);
  const resolved = events.find((e) => e.kind === 'GameResolved');
  assert.ok(resolved?.kind === 'GameResolved');
  assert.equal(resolved.burned, BOND / 2n);
  assert.equal(resolved.payout, BOND - BOND / 2n + CHALLENGE_BOND);
  assert.equal((await deployer.public.getBalance({ address: BURN })) - burnBefore, BOND / 2n);
  assert.equal((await getAssertion(deployer, rollup, fraud.commitId)).bond, 0n);

  // Frozen, not rewound: exodus at the last final batch; nothing removed, nothing more settles.
  const resolveBlock = resolved.blockNumber;
  const receiptLogs = await deployer.public.getLogs({ address: rollup, fromBlock: resolveBlock, toBlock: resolveBlock });
  const fraudEv = parseEventLogs({ abi: rollupAbi as Abi, logs: receiptLogs, eventName: 'FraudAgainstProvenBatch' }) as unknown as { args: { batchNum: bigint; commitId: bigint } }[];
  assert.deepEqual(fraudEv.map((e) => [e.args.batchNum, e.args.commitId]), [[fraud.batchNum, fraud.commitId]]);
  const exodusEv = parseEventLogs({ abi: rollupAbi as Abi, logs: receiptLogs, eventName: 'ExodusTriggered' }) as unknown as { args: { lastFinalBatch: bigint; stateRoot: bigint } }[];
  assert.deepEqual(exodusEv.map((e) => e.args.lastFinalBatch), [finalAt]);
  assert.equal(parseEventLogs({ abi: rollupAbi as Abi, logs: receiptLogs, eventName: 'BatchesReverted' }).length, 0);
  const st = await getFinalityStatus(deployer, rollup);
  assert.equal(st.exodus, true);
  assert.equal(st.lastFinal, finalAt);
  assert.equal(st.lastCommitted, fraud.batchNum);
  assert.equal(await read<bigint>('exodusBatch'), finalAt);
  await assert.rejects(openDispute(seq, game, fraud.batchNum, fraud.commitId, CHALLENGE_BOND), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'RollupInExodus');
  await assert.rejects(send(alice, 'finalizeBatch', [finalAt + 1n]), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'Exodus');
  await waitFor('watchtower claimed', async () => ((await deployer.public.readContract({ address: game, abi: disputeGameAbi as Abi, functionName: 'claimable', args: [watchtowerAddr] })) === 0n ? true : undefined));
  await assert.rejects(claimGame(seq, game), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'NothingToClaim');

  // Everyone leaves through the escape hatch with exactly the last final state: Alice 1000 (not 950:
  // her later batch never became final), the thief 1 wei (not 51, nor the loot), Carol her deposit back.
  const paid = async (who: L1Clients, owner: Address, expect: { account?: bigint; refund?: bigint }) => {
    const before = await who.public.getBalance({ address: owner });
    const claims = await claimExodus({ l1: who, rollup, fromBlock: deployBlock, owner });
    let gas = 0n;
    for (const c of claims) {
      assert.ok(c.tx !== null && c.skipped === undefined, JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      const r = await who.public.getTransactionReceipt({ hash: c.tx });
      gas += r.gasUsed * r.effectiveGasPrice;
    }
    assert.deepEqual(claims.filter((c) => c.kind === 'account').map((c) => c.amount), expect.account === undefined ? [] : [expect.account]);
    assert.deepEqual(claims.filter((c) => c.kind === 'refund').map((c) => c.amount), expect.refund === undefined ? [] : [expect.refund]);
    assert.equal(claims.filter((c) => c.kind === 'exit').length, 0);
    assert.equal((await who.public.getBalance({ address: owner })) - before + gas, (expect.account ?? 0n) + (expect.refund ?? 0n));
    // Once only: a second run pays nothing.
    const again = await claimExodus({ l1: who, rollup, fromBlock: deployBlock, owner });
    assert.ok(again.every((c) => c.tx === null && c.skipped !== undefined));
  };
  await paid(alice, addr(alice), { account: 1000n });
  await paid(seq, addr(seq), { account: 1n });
  await paid(carol, addr(carol), { refund: 300n });
  await assert.rejects(takeLoot(), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BatchNotFinal');
});
