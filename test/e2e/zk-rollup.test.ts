/**
 * The ZK rollup end to end on the devnet, with real Groth16 proofs verified by the generated verifier:
 * two users deposit ETH and an ERC-20 on L1; they transfer on L2; every batch is committed and proven;
 * one withdraws and its L1 balance rises by exactly the amount; a second withdrawal of the same exit
 * reverts; a fresh node synced only from L1 reaches the same state root.
 * Uses the `test` circuit set (depth 4, 1 L1 op and 2 transactions per batch) to stay within the
 * test-circuit budget; the devnet set has the same code at depth 32.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi, Address } from 'viem';
import { ensureCircuit } from '../../scripts/build-circuits.ts';
import { setupCircuit } from '../../src/prover/setup.ts';
import { createProver, type Prover } from '../../src/prover/prover.ts';
import { deployVerifier, loadVerifierArtifact } from '../../src/prover/verifier.ts';
import { batchWitnessFromResult } from '../../src/prover/witness.ts';
import { CIRCUIT_SETS, stfConfigForCircuit } from '../../src/prover/circuit-params.ts';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { deployTestToken } from '../../src/l1/deployTestToken.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { proveBatch, withdraw } from '../../src/l1/rollupActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import { StateDb } from '../../src/node/state-db.ts';
import { Mempool, defaultMempoolOptions } from '../../src/node/mempool.ts';
import { Sequencer, type SealedBatch } from '../../src/node/sequencer.ts';
import { eddsaVerifier, type StfConfig } from '../../src/core/stf.ts';
import { domainHash, l2TxMessage } from '../../src/core/tx.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { SparseMerkleTree, siblingsToFr } from '../../src/core/smt.ts';
import { frToBytesLE } from '../../src/core/field.ts';
import { signTx, user } from '../support/rollup.ts';

const PARAMS = CIRCUIT_SETS.test;
let devnet: Devnet;
let deployer: L1Clients;
let seqL1: L1Clients;
let alice: L1Clients;
let bob: L1Clients;
let d: RollupDeployment;
let token: Address;
let config: StfConfig;
let prover: Prover;
const dirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-e2e-'));
  dirs.push(dir);
  return dir;
};
const addr = (c: L1Clients): Address => c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';

async function send(c: L1Clients, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = c.wallet;
  assert.ok(wallet);
  return sendAndWait({ public: c.public, context: functionName, send: () => wallet.writeContract({ address, abi, functionName, args, ...(value === undefined ? {} : { value }) } as never) });
}

before(async () => {
  const circuit = await ensureCircuit('test');
  const setup = await setupCircuit({ r1csPath: circuit.r1csPath, circuit: 'test' });
  prover = await createProver({ wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, threads: 1 });
  devnet = await startDevnet({ accounts: 5 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, seqL1, alice, bob] = await Promise.all([mk(0), mk(1), mk(2), mk(3)]);
  const verifier = await deployVerifier(deployer, await loadVerifierArtifact(setup.verifierSourcePath));
  d = await deployRollup(deployer, {
    verifier: verifier.address,
    sequencer: addr(seqL1),
    governance: addr(deployer),
    treeDepth: 2 * PARAMS.levels,
    exitTreeDepth: 2 * PARAMS.exitLevels,
    maxL1Ops: PARAMS.maxL1Ops,
    maxFeeTokens: PARAMS.maxFeeTokens,
    maxL2Txs: PARAMS.maxL2Txs,
  });
  config = stfConfigForCircuit(PARAMS, { chainId: BigInt(devnet.chainId), rollupAddress: BigInt(d.rollup) });
  token = (await deployTestToken(deployer)).address;
  await send(alice, d.rollup, rollupAbi as Abi, 'registerToken', [token]);
});

after(async () => {
  await prover?.close();
  await devnet?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('deposit ETH and ERC-20, transfer on L2, prove every batch, withdraw exactly once, resync from L1', async () => {
  // L1 deposits: alice ETH (account 1), bob ETH (account 2), bob ERC-20 (account 3).
  await send(alice, d.rollup, rollupAbi as Abi, 'createAccount', [0, 1000n, user(0).publicKey[0], user(0).publicKey[1]], 1000n);
  await send(bob, d.rollup, rollupAbi as Abi, 'createAccount', [0, 500n, user(1).publicKey[0], user(1).publicKey[1]], 500n);
  await send(bob, token, testTokenAbi as Abi, 'mint', [addr(bob), 10_000n]);
  await send(bob, token, testTokenAbi as Abi, 'approve', [d.rollup, 10_000n]);
  await send(bob, d.rollup, rollupAbi as Abi, 'createAccount', [1, 7_000n, user(1).publicKey[0], user(1).publicKey[1]]);

  const state = StateDb.open({ path: tmp(), treeDepth: config.treeDepth });
  const mempool = new Mempool(defaultMempoolOptions, { now: () => Date.now() });
  const proven: SealedBatch[] = [];
  const seq = new Sequencer({
    l1: seqL1,
    rollup: d.rollup,
    deployBlock: d.deployBlock,
    state,
    mempool,
    config,
    feeTable: () => [],
    // The prover service's job: witness from the pre-batch state, real Groth16 proof, proveBatch on L1.
    onCommitted: async (b, pre) => {
      const { input, commitment } = batchWitnessFromResult({ params: PARAMS, config, state: pre, result: b.result, l1Ops: b.l1Ops, feeTable: b.feeTable, batchNum: BigInt(b.batchNum), l1Start: b.l1Start });
      const p = await prover.prove(input);
      assert.deepEqual(p.publicSignals, [commitment.inputHash]);
      await proveBatch(alice, d.rollup, BigInt(b.batchNum), p.proof);
      proven.push(b);
    },
  });
  // maxL1Ops = 1: one deposit per batch.
  for (let i = 0; i < 3; i++) assert.equal((await seq.step())?.l1Ops.length, 1);
  assert.equal(state.nextIndex, 4);

  const domain = domainHash(config.domain);
  const maxFeeF = floatEncode(FLOAT16, 0n);
  const txs = [
    signTx(user(0), { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, 300n), maxFeeF, nonce: 0 }, domain),
    signTx(user(1), { kind: 'withdraw', from: 2, to: 0, amountF: floatEncode(FLOAT32, 450n), maxFeeF, nonce: 0 }, domain),
  ];
  for (const tx of txs) {
    const key = state.getAccount(tx.from)?.publicKey;
    assert.ok(key);
    mempool.add(tx, eddsaVerifier(l2TxMessage(tx, domain), tx.signature, key), state, config, []);
  }
  const b4 = await seq.step(true);
  assert.ok(b4 !== undefined && b4.result.included.length === 2);
  assert.equal(proven.length, 4, 'every batch proven on L1');
  assert.equal((await seqL1.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'lastProven' })) as bigint, 4n);
  assert.equal(state.getAccount(2)?.balance, 500n + 300n - 450n);

  // Bob's exit: a third party submits, so bob's L1 balance changes by exactly the amount.
  const exit = b4.result.exits[0];
  assert.ok(exit !== undefined && exit.amount === 450n && exit.l1Address === BigInt(addr(bob)));
  const exitTree = new SparseMerkleTree(config.exitTreeDepth);
  for (const e of b4.result.exits) exitTree.update(e.slot, frToBytesLE(e.leaf));
  assert.equal(exitTree.root(), b4.result.exitRoot);
  const siblings = siblingsToFr(exitTree.proof(exit.slot).siblings);
  const before = await bob.public.getBalance({ address: addr(bob) });
  await withdraw(deployer, d.rollup, 4n, BigInt(exit.slot), addr(bob), 0, 450n, siblings);
  assert.equal(await bob.public.getBalance({ address: addr(bob) }), before + 450n, 'L1 balance rose by exactly the amount');
  await assert.rejects(withdraw(deployer, d.rollup, 4n, BigInt(exit.slot), addr(bob), 0, 450n, siblings), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'AlreadyWithdrawn');
  // The same proof for an unspent slot, or a changed amount there, does not verify.
  await assert.rejects(withdraw(deployer, d.rollup, 4n, BigInt(exit.slot + 1), addr(bob), 0, 450n, siblings), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BadExitProof');
  await assert.rejects(withdraw(deployer, d.rollup, 3n, BigInt(exit.slot), addr(bob), 0, 450n, siblings), (e: unknown) => e instanceof ContractRevertedError && e.reason === 'BadExitProof');

  // A fresh node with only the L1 URL reaches the same root.
  const fresh = StateDb.open({ path: tmp(), treeDepth: config.treeDepth });
  const reader = await createL1Clients({ url: devnet.url, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  await new Sequencer({ l1: reader, rollup: d.rollup, deployBlock: d.deployBlock, state: fresh, mempool: new Mempool(defaultMempoolOptions, { now: () => 0 }), config, feeTable: () => [] }).sync();
  assert.equal(fresh.root(), state.root());
  await state.close();
  await fresh.close();
});
