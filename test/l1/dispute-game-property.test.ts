/**
 * Properties of the bisection game on the EDR devnet (docs/PROTOCOL.md §14.2), over random batch sizes
 * n, fault positions and challenger behaviour:
 *   - against a defender whose claims follow the truth up to a random step and then lie, an honest
 *     challenger wins, in at most ⌈log2 n⌉ rounds, and the batch is removed;
 *   - against an honest defender, a challenger answering at random loses (the defender proves the step).
 * The batch data is synthetic (a mode-1 commit checks lengths and hashes, not the STF) and the one-step
 * outcome comes from the test-only TableOneStepProver, with the truth chain T_0..T_n chosen by the test
 * (T_0 and T_n are the on-chain endpoints of an honest commit).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Abi, type Address, type Hex, bytesToHex, keccak256, toHex } from 'viem';
import { startDevnet, type Devnet } from '../../src/l1/devnet.ts';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { deployRollup, type RollupDeployment } from '../../src/l1/deployRollup.ts';
import { sendAndWait } from '../../src/l1/sendAndWait.ts';
import { bisect, commitWithBond, getAssertion, getGame, getStepState, openDispute, respond, submitOneStep } from '../../src/l1/optimisticActions.ts';
import { tableOneStepProverAbi, tableOneStepProverBytecode } from '../../src/l1/generated/TableOneStepProver.ts';
import { rollupAbi } from '../../src/l1/generated/Rollup.ts';
import { encodeBatchData } from '../../src/core/batch-data.ts';

const MAX_L2 = 64;
let devnet: Devnet;
let deployer: L1Clients;
let seq: L1Clients;
let challenger: L1Clients;
let d: RollupDeployment;
let game: Address;
let prover: Address;
let emptyExitRoot: bigint;

before(async () => {
  devnet = await startDevnet({ accounts: 3 });
  const mk = (i: number) => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  [deployer, seq, challenger] = await Promise.all([mk(0), mk(1), mk(2)]);
  const seqAddr = seq.wallet?.account.address as Address;
  d = await deployRollup(deployer, {
    verifier: '0x0000000000000000000000000000000000000000',
    sequencer: seqAddr,
    governance: seqAddr,
    treeDepth: 8,
    exitTreeDepth: 8,
    maxL1Ops: 4,
    maxFeeTokens: 1,
    maxL2Txs: MAX_L2,
    settlement: { mode: 'optimistic', oneStepProver: { abi: tableOneStepProverAbi as Abi, bytecode: tableOneStepProverBytecode, name: 'TableOneStepProver' }, challengeWindow: 1_000_000, clockBudget: 100_000, assertionBond: 10n ** 16n, challengeBond: 10n ** 16n, burnPercent: 10 },
  });
  game = d.disputeGame as Address;
  prover = d.oneStepProver as Address;
  emptyExitRoot = (await deployer.public.readContract({ address: game, abi: [{ type: 'function', name: 'emptyExitRoot', inputs: [], outputs: [{ type: 'uint256' }], stateMutability: 'view' }], functionName: 'emptyExitRoot' })) as bigint;
});

after(async () => {
  await devnet?.stop();
});

/** Synthetic signed records (the contract does not run the STF at commit). */
function batchData(txCount: number, fee: boolean): Hex {
  const txs = Array.from({ length: txCount }, (_, i) => ({ from: 1 + (i % 3), to: 2, amountF: i + 1, maxFeeF: 1, signature: new Uint8Array(64).fill((i % 250) + 1) }));
  return bytesToHex(encodeBatchData({ mode: 'optimistic', feeTable: fee ? [{ tokenId: 0, accountIdx: 1, fee: 1n }] : [], txs }));
}

type Commit = { batchNum: bigint; commitId: bigint; steps: number; truth: Hex[]; stepDataHash: Hex };

/** Commits a batch of `txCount` records (+ a fee entry) whose header root is `root`; the truth ends at `trueRoot`. */
async function commit(txCount: number, fee: boolean, root: bigint, trueRoot: bigint): Promise<Commit> {
  const header = { newRoot: root, exitRoot: emptyExitRoot, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 };
  const { batchNum, commitId } = await commitWithBond(seq, d.rollup, { header, l1Ops: '0x', batchData: batchData(txCount, fee) });
  const prev = (await deployer.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'batches', args: [batchNum - 1n] })) as readonly unknown[];
  const feeCount = fee ? 1 : 0;
  const steps = txCount + feeCount;
  const s0 = await getStepState(deployer, game, prev[1] as bigint, emptyExitRoot, Number(prev[4]), feeCount);
  const sn = await getStepState(deployer, game, trueRoot, emptyExitRoot, 1, feeCount);
  const truth: Hex[] = [s0];
  for (let j = 1; j < steps; j++) truth.push(keccak256(toHex(`truth/${commitId}/${j}`)));
  truth.push(sn);
  return { batchNum, commitId, steps, truth, stepDataHash: (await getAssertion(deployer, d.rollup, commitId)).stepDataHash };
}

/** Writes the one table entry the game ends at: (lo, S_lo) -> truth(lo + 1). */
async function teach(c: Commit, lo: number, pre: Hex): Promise<void> {
  const wallet = deployer.wallet;
  assert.ok(wallet !== undefined);
  const post = pre === c.truth[lo] ? (c.truth[lo + 1] ?? '0x') : keccak256(toHex(`off-path/${lo}`));
  await sendAndWait({
    public: deployer.public,
    context: 'setSteps',
    send: () => wallet.writeContract({ address: prover, abi: tableOneStepProverAbi as Abi, functionName: 'setSteps', args: [c.stepDataHash, [BigInt(lo)], [pre], [true], [post]] } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
}

const ceilLog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));
const lastCommitted = async (): Promise<bigint> => (await deployer.public.readContract({ address: d.rollup, abi: rollupAbi as Abi, functionName: 'lastCommitted' })) as bigint;

test('property: an honest challenger beats a lie at any fault step, in ≤ ⌈log2 n⌉ rounds', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: MAX_L2 }), fc.boolean(), fc.nat(), async (txCount, fee, pick) => {
      const trueRoot = 1000n + BigInt(pick % 1000);
      const c = await commit(txCount, fee, trueRoot + 1n, trueRoot);
      const fault = pick % c.steps;
      const claim = (j: number): Hex => (j <= fault ? (c.truth[j] ?? '0x') : keccak256(toHex(`lie/${c.commitId}/${j}`)));
      const { gameId } = await openDispute(challenger, game, c.batchNum, c.commitId);
      let rounds = 0;
      let g = await getGame(deployer, game, gameId);
      while (g.hi - g.lo > 1) {
        if (g.turn === 'defender') {
          await bisect(seq, game, gameId, g.mid, claim(g.mid));
          rounds += 1;
        } else {
          await respond(challenger, game, gameId, g.mid, g.midState === c.truth[g.mid]);
        }
        g = await getGame(deployer, game, gameId);
      }
      assert.ok(rounds <= ceilLog2(c.steps), `n = ${c.steps}: ${rounds} rounds`);
      assert.equal(g.lo, fault, 'the bisection lands on the fault step');
      assert.equal(g.loState, c.truth[g.lo]);
      await teach(c, g.lo, g.loState);
      await submitOneStep(challenger, game, gameId, '0x');
      assert.equal((await getGame(deployer, game, gameId)).status, 'challengerWon');
      assert.equal(await lastCommitted(), c.batchNum - 1n, 'the lie is removed');
    }),
    { numRuns: 8 },
  );
});

test('property: against an honest defender a challenger answering at random loses', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: MAX_L2 }), fc.boolean(), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), async (txCount, fee, answers) => {
      const root = 5000n + BigInt(txCount);
      const c = await commit(txCount, fee, root, root);
      const { gameId } = await openDispute(challenger, game, c.batchNum, c.commitId);
      let i = 0;
      let g = await getGame(deployer, game, gameId);
      while (g.hi - g.lo > 1) {
        if (g.turn === 'defender') await bisect(seq, game, gameId, g.mid, c.truth[g.mid] ?? '0x');
        else await respond(challenger, game, gameId, g.mid, answers[i++ % answers.length] ?? false);
        g = await getGame(deployer, game, gameId);
      }
      assert.equal(g.loState, c.truth[g.lo]);
      assert.equal(g.hiState, c.truth[g.hi], 'an honest defender only ever claims the truth');
      await teach(c, g.lo, g.loState);
      await submitOneStep(seq, game, gameId, '0x');
      assert.equal((await getGame(deployer, game, gameId)).status, 'defenderWon');
      assert.equal(await lastCommitted(), c.batchNum, 'the honest batch stays');
    }),
    { numRuns: 8 },
  );
});
