/**
 * L1 gas of one whole optimistic dispute (docs/PROTOCOL.md §14.2) at batch sizes 64 and 1,024 transfers,
 * on the devnet L1 (Hardhat EDR, cancun) with the real Rollup (mode 1) and DisputeGame: a bonded commit
 * of a batch claiming a wrong root, an honest challenger opening a dispute, ⌈log2 n⌉ bisection rounds
 * (defender's bisect + challenger's respond), the one-step resolution that removes the batch and pays the
 * bonds, and the winner's claim.
 *
 * What is and is not measured: the one-step re-execution itself (OneStepProver.executeStep: Poseidon
 * Merkle witnesses, EdDSA) is another contract's cost and is reported there; here the game calls the
 * test-only TableOneStepProver (one SLOAD), so `dispute.oneStepResolveGas` is the game's own share of
 * the resolution (the call, the comparison, the removal, the bond split, the burn transfer). The records
 * are synthetic (non-zero bytes, like real signatures): a mode-1 commit checks lengths and hashes, not
 * the STF, so its gas does not depend on the transfers being valid.
 *
 * Run: `npm run bench -- dispute` (or `npx tsx bench/run.ts dispute`).
 */
import { type Abi, type Address, type Hex, type TransactionReceipt, bytesToHex, keccak256, toHex } from 'viem';
import { encodeBatchData } from '../src/core/batch-data.ts';
import { createL1Clients, type L1Clients } from '../src/l1/createL1Clients.ts';
import { deployRollup } from '../src/l1/deployRollup.ts';
import { startDevnet } from '../src/l1/devnet.ts';
import { tableOneStepProverAbi, tableOneStepProverBytecode } from '../src/l1/generated/TableOneStepProver.ts';
import { bisect, claimGame, commitWithBond, getAssertion, getGame, openDispute, respond, submitOneStep } from '../src/l1/optimisticActions.ts';
import { sendAndWait } from '../src/l1/sendAndWait.ts';
import { median, type BenchResult } from './util.ts';

const log = (l: string): void => void process.stderr.write(`${l}\n`);
const EVM = 'cancun (hardhat EDR 2.29)';

type DisputeSample = {
  readonly transfers: number;
  readonly steps: number;
  readonly rounds: number;
  readonly commitGas: number;
  readonly openGas: number;
  readonly bisectGas: number[];
  readonly respondGas: number[];
  readonly resolveGas: number;
  readonly claimGas: number;
};

/** Deterministic non-zero filler for the 78-byte records (a real signature has few zero bytes). */
function records(n: number): { from: number; to: number; amountF: number; maxFeeF: number; signature: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => {
    const signature = new Uint8Array(64);
    for (let k = 0; k < 64; k++) signature[k] = ((i * 131 + k * 17) % 255) + 1;
    return { from: 1 + (i % 7), to: 2 + (i % 5), amountF: 0x0100 + i, maxFeeF: 5, signature };
  });
}

async function one(transfers: number): Promise<DisputeSample> {
  const devnet = await startDevnet({ accounts: 4 });
  try {
    const mk = (i: number): Promise<L1Clients> => createL1Clients({ url: devnet.url, privateKey: devnet.accounts[i]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const [deployer, seq, challenger] = await Promise.all([mk(0), mk(1), mk(2)]);
    const seqAddr = seq.wallet?.account.address as Address;
    // Exit slots must cover maxL1Ops + maxL2Txs: 4 + 1,024 needs 2^12.
    const d = await deployRollup(deployer, {
      verifier: '0x0000000000000000000000000000000000000000',
      sequencer: seqAddr,
      governance: seqAddr,
      treeDepth: 32,
      exitTreeDepth: 12,
      maxL1Ops: 4,
      maxFeeTokens: 1,
      maxL2Txs: transfers,
      settlement: { mode: 'optimistic', oneStepProver: { abi: tableOneStepProverAbi as Abi, bytecode: tableOneStepProverBytecode, name: 'TableOneStepProver' }, challengeWindow: 3600, clockBudget: 1800 },
    });
    const game = d.disputeGame as Address;
    const prover = d.oneStepProver as Address;
    const batchData = encodeBatchData({ mode: 'optimistic', feeTable: [{ tokenId: 0, accountIdx: 1, fee: 1n }], txs: records(transfers) });
    const header = { newRoot: 0xbadn, exitRoot: 0n, dataCommitment: 0n, newNextIndex: 1, l1Count: 0 };
    const { receipt: commit, batchNum, commitId } = await commitWithBond(seq, d.rollup, { header, l1Ops: '0x', batchData: bytesToHex(batchData) });
    const { receipt: open, gameId } = await openDispute(challenger, game, batchNum, commitId);
    const g0 = await getGame(deployer, game, gameId);
    const steps = g0.hi;
    // The truth: made-up inner states; the lying defender agrees with it up to step `fault` and diverges after.
    const fault = Math.floor(steps / 3);
    const truth = (j: number): Hex => (j === 0 ? g0.loState : keccak256(toHex(`truth/${j}`)));
    const claim = (j: number): Hex => (j <= fault ? truth(j) : j === steps ? g0.hiState : keccak256(toHex(`lie/${j}`)));
    const bisectGas: number[] = [];
    const respondGas: number[] = [];
    for (;;) {
      const g = await getGame(deployer, game, gameId);
      if (g.hi - g.lo === 1) break;
      if (g.turn === 'defender') bisectGas.push(Number((await bisect(seq, game, gameId, g.mid, claim(g.mid))).gasUsed));
      else respondGas.push(Number((await respond(challenger, game, gameId, g.mid, g.midState === truth(g.mid))).gasUsed));
    }
    const g = await getGame(deployer, game, gameId);
    // The table answers the one step the honest challenger arrives at: truth(lo) -> truth(lo + 1) ≠ the lie.
    const { stepDataHash } = await getAssertion(deployer, d.rollup, commitId);
    const wallet = deployer.wallet;
    if (wallet === undefined) throw new Error('no deployer key');
    await sendAndWait({
      public: deployer.public,
      context: 'TableOneStepProver.setSteps',
      send: () =>
        wallet.writeContract({ address: prover, abi: tableOneStepProverAbi as Abi, functionName: 'setSteps', args: [stepDataHash, [BigInt(g.lo)], [g.loState], [true], [truth(g.lo + 1)]] } as unknown as Parameters<typeof wallet.writeContract>[0]),
    });
    const resolve: TransactionReceipt = await submitOneStep(challenger, game, gameId, '0x');
    const claimed = await claimGame(challenger, game);
    return {
      transfers,
      steps,
      rounds: bisectGas.length,
      commitGas: Number(commit.gasUsed),
      openGas: Number(open.gasUsed),
      bisectGas,
      respondGas,
      resolveGas: Number(resolve.gasUsed),
      claimGas: Number(claimed.gasUsed),
    };
  } finally {
    await devnet.stop();
  }
}

export async function run(_options: { readonly quick: boolean }): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const transfers of [64, 1024]) {
    log(`dispute: batch of ${transfers} transfers`);
    const s = await one(transfers);
    const params = { transfers: s.transfers, steps: s.steps, rounds: s.rounds, evm: EVM, oneStepProver: 'TableOneStepProver (test-only; add OneStepProver.executeStep gas)' };
    const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
    const total = s.openGas + sum(s.bisectGas) + sum(s.respondGas) + s.resolveGas + s.claimGas;
    out.push(
      { name: 'dispute.totalGas', value: total, unit: 'gas', params: { ...params, includes: 'open + every bisect and respond + one-step resolution with removal + claim' } },
      { name: 'dispute.rounds', value: s.rounds, unit: 'rounds', params, target: { op: '<=', value: Math.ceil(Math.log2(s.steps)) } },
      { name: 'dispute.openGas', value: s.openGas, unit: 'gas', params },
      { name: 'dispute.bisectGas', value: median(s.bisectGas), unit: 'gas', params, samples: s.bisectGas },
      { name: 'dispute.respondGas', value: median(s.respondGas), unit: 'gas', params, samples: s.respondGas },
      { name: 'dispute.oneStepResolveGas', value: s.resolveGas, unit: 'gas', params: { ...params, includes: 'submitOneStep with the table prover, removal of the batch, bond split, burn transfer' } },
      { name: 'dispute.claimGas', value: s.claimGas, unit: 'gas', params },
      { name: 'dispute.commitGas', value: s.commitGas, unit: 'gas', params: { ...params, includes: 'mode-1 commitBatch: calldata of 78-byte records, recordsRoot, stepDataHash, assertion storage' } },
    );
  }
  return out;
}
