/**
 * Gas of the optimistic one-step proof (contracts/optimistic/OneStepProver.sol) on the devnet L1
 * (Hardhat EDR, cancun), production tree depths: state tree 32 index bits (16 Poseidon(4) levels),
 * exit tree 16. Figures are eth_estimateGas of executeStep — what a dispute's final move pays for the
 * re-execution itself (21k base and the proof's calldata included; the dispute game's own bookkeeping
 * is not) — medians over distinct steps of one batch:
 *   onestep.gas.l1Deposit   an L1 deposit into an existing account (one path opened and rewritten)
 *   onestep.gas.transfer    a signed L2 transfer paying a fee (two paths + EdDSA)
 *   onestep.gas.withdraw    a signed L2 withdraw (one path + the exit slot + EdDSA)
 *   onestep.gas.feeCredit   the fee step crediting the batch's collected fees (one path; the batch has
 *                           one fee entry, so one sample)
 *   onestep.gas.eddsa       BabyJubjub.verifyPacked alone (decompress R8, Poseidon(5), curve check), via a harness
 * Target: ≤ 5,000,000 gas for the worst step (the optimistic spec).
 */
import { type Abi, type Address, bytesToHex } from 'viem';
import { sha256 } from '@noble/hashes/sha2.js';
import { createPrivateKey, packSignature, publicKeyFromPrivate, sign } from '../src/core/eddsa.ts';
import { FR_MODULUS } from '../src/core/field.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../src/core/float.ts';
import { stepProof, traceBatch } from '../src/core/one-step.ts';
import { MemoryState } from '../src/core/state.ts';
import { applyBatch, createStfConfig, type FeeEntry } from '../src/core/stf.ts';
import { domainHash, encodeL1Op, l2TxMessage, type L1Op, type L2Tx, type L2TxBody } from '../src/core/tx.ts';
import { encodeBatchData } from '../src/core/batch-data.ts';
import { createL1Clients } from '../src/l1/createL1Clients.ts';
import { deployContract } from '../src/l1/deployContract.ts';
import { deployOneStepProver } from '../src/l1/deployOneStepProver.ts';
import { deployRollup } from '../src/l1/deployRollup.ts';
import { startDevnet } from '../src/l1/devnet.ts';
import { estimateExecuteStepGas } from '../src/l1/executeStep.ts';
import { sendAndWait } from '../src/l1/sendAndWait.ts';
import { babyJubjubHarnessAbi, babyJubjubHarnessBytecode } from '../src/l1/generated/BabyJubjubHarness.ts';
import { rollupViewMockAbi, rollupViewMockBytecode } from '../src/l1/generated/RollupViewMock.ts';
import { median, type BenchResult } from './util.ts';

const log = (l: string): void => void process.stderr.write(`${l}\n`);
const TARGET = { op: '<=' as const, value: 5_000_000 };

function keyAt(i: number) {
  return createPrivateKey(sha256(new TextEncoder().encode(`rampart/bench/one-step/${i}`)));
}

export async function run({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  const reps = quick ? 3 : 7;
  const devnet = await startDevnet({ accounts: 2 });
  try {
    const c = await createL1Clients({ url: devnet.url, privateKey: devnet.accounts[0]?.privateKey ?? '0x', chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
    const self = c.wallet?.account.address ?? '0x0000000000000000000000000000000000000000';
    const params = { treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 64 } as const;
    // The Rollup supplies the Poseidon contracts; a view mock holds the queue the bench fills directly.
    const rollup = await deployRollup(c, { verifier: self, sequencer: self, governance: self, ...params, maxFeeTokens: 1, maxL2Txs: 64 });
    const config = createStfConfig({ domain: { chainId: BigInt(devnet.chainId), rollupAddress: 0xbe4cn }, ...params, maxL2Txs: 64, maxFeeTokens: 1 });
    const view = (
      await deployContract({
        clients: c,
        abi: rollupViewMockAbi as Abi,
        bytecode: rollupViewMockBytecode,
        name: 'RollupViewMock',
        args: [rollup.poseidon2, rollup.poseidon3, rollup.poseidon4, params.treeDepth, params.exitTreeDepth, params.maxL1Ops, domainHash(config.domain)],
      })
    ).address;
    const { prover, poseidon5 } = await deployOneStepProver(c, { rollup: view });
    const harness = (await deployContract({ clients: c, abi: babyJubjubHarnessAbi as Abi, bytecode: babyJubjubHarnessBytecode, name: 'BabyJubjubHarness', args: [poseidon5] })).address;
    const enqueue = async (ops: readonly L1Op[]): Promise<void> => {
      const wallet = c.wallet;
      if (wallet === undefined) return;
      await sendAndWait({ public: c.public, context: 'enqueue', send: () => wallet.writeContract({ address: view as Address, abi: rollupViewMockAbi, functionName: 'enqueue', args: [ops.map((op) => bytesToHex(encodeL1Op(op)))] }) });
    };

    // Genesis: 2·reps accounts (token 0).
    const users = Array.from({ length: 2 * reps }, (_, i) => ({ key: keyAt(i), publicKey: publicKeyFromPrivate(keyAt(i)), l1Address: 0x1000n + BigInt(i) }));
    const state = new MemoryState();
    const genesis: L1Op[] = users.map((u) => ({ kind: 'createAccount', l1Address: u.l1Address, tokenId: 0, amount: 10n ** 15n, publicKey: u.publicKey }));
    state.apply(applyBatch(state, { l1Ops: genesis, l2Txs: [], feeTable: [] }, config).changes);
    await enqueue(genesis);

    // The measured batch: reps deposits, then reps transfers and reps withdraws, one fee entry.
    const deposits: L1Op[] = users.slice(0, reps).map((u, i) => ({ kind: 'deposit', l1Address: u.l1Address, tokenId: 0, amount: 1000n, toIdx: 1 + i }));
    const feeTable: FeeEntry[] = [{ tokenId: 0, accountIdx: 1, fee: 10n }];
    const signTx = (i: number, body: L2TxBody): L2Tx => ({ ...body, signature: sign(users[i]?.key ?? keyAt(0), l2TxMessage(body, config.domain)) });
    const maxFeeF = floatEncode(FLOAT16, 100n);
    const l2Txs: L2Tx[] = [
      ...Array.from({ length: reps }, (_, i) => signTx(i, { kind: 'transfer', from: 1 + i, to: 1 + reps + i, amountF: floatEncode(FLOAT32, 12345n), maxFeeF, nonce: 0 })),
      ...Array.from({ length: reps }, (_, i) => signTx(reps + i, { kind: 'withdraw', from: 1 + reps + i, to: 0, amountF: floatEncode(FLOAT32, 777n), maxFeeF, nonce: 0 })),
    ];
    const result = applyBatch(state, { l1Ops: deposits, l2Txs, feeTable }, config);
    if (result.included.length !== l2Txs.length) throw new Error('bench batch: every transaction must apply');
    const batchData = encodeBatchData({ mode: 'optimistic', feeTable, txs: result.included.map((t) => ({ from: t.from, to: t.to, amountF: t.amountF, maxFeeF: t.maxFeeF, signature: packSignature(t.signature) })) });
    await enqueue(deposits);
    const trace = traceBatch({ state, l1Ops: deposits, batchData, config });
    const ctx = { l1Start: BigInt(genesis.length), startNextIndex: trace.states[0]?.nextIndex ?? 0, l1Count: trace.l1Count, txCount: trace.txCount, feeCount: trace.feeCount, stepDataHash: bytesToHex(trace.stepDataHash) };
    const gasOf = async (step: number): Promise<number> =>
      Number(await estimateExecuteStepGas(c, { prover, ctx, step, preState: trace.stateHashes[step] ?? new Uint8Array(32), proof: stepProof(trace, step) }));
    const measure = async (from: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < reps; i++) out.push(await gasOf(from + i));
      return out;
    };
    log('bench: one-step: deposits');
    const deposit = await measure(0);
    log('bench: one-step: transfers');
    const transfer = await measure(reps);
    log('bench: one-step: withdraws');
    const withdraw = await measure(2 * reps);
    log('bench: one-step: fee credit');
    const feeCredit = [await gasOf(3 * reps)];

    const eddsa: number[] = [];
    for (let i = 0; i < reps; i++) {
      const key = keyAt(1000 + i);
      const msg = (BigInt(i) * 0x9e3779b97f4a7c15f39cc0605cedc834n + 7n) % FR_MODULUS;
      const a = publicKeyFromPrivate(key);
      const sig = packSignature(sign(key, msg));
      eddsa.push(Number(await c.public.estimateContractGas({ address: harness, abi: babyJubjubHarnessAbi, functionName: 'verifyPacked', args: [bytesToHex(sig), a[0], a[1], msg] })));
    }
    const p = { treeDepth: 32, exitTreeDepth: 16, evm: 'cancun (hardhat EDR 2.29)', includes: '21k base + calldata (eth_estimateGas)' };
    return [
      { name: 'onestep.gas.l1Deposit', value: median(deposit), unit: 'gas', params: p, target: TARGET, samples: deposit },
      { name: 'onestep.gas.transfer', value: median(transfer), unit: 'gas', params: p, target: TARGET, samples: transfer },
      { name: 'onestep.gas.withdraw', value: median(withdraw), unit: 'gas', params: p, target: TARGET, samples: withdraw },
      { name: 'onestep.gas.feeCredit', value: median(feeCredit), unit: 'gas', params: p, target: TARGET, samples: feeCredit },
      { name: 'onestep.gas.eddsa', value: median(eddsa), unit: 'gas', params: { evm: p.evm, includes: p.includes, what: 'BabyJubjubHarness.verifyPacked' }, samples: eddsa },
    ];
  } finally {
    await devnet.stop();
  }
}
