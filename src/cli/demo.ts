/**
 * `npm start` until the devnet lands: an honest, in-process demo of the protocol core — no L1, no
 * network, no proofs. It creates accounts through L1 deposit operations, sends signed transfers and
 * a withdraw through the real STF over a depth-32 tree, shows receipts (including rejected
 * transactions) and roots, and replays the batch from its posted data to show derivation agrees.
 */
import { encodeBatchData } from '../core/batch-data.ts';
import { createPrivateKey, publicKeyFromPrivate, sign, type PrivateKey } from '../core/eddsa.ts';
import { FLOAT16, FLOAT32, floatDecode, floatEncode } from '../core/float.ts';
import { MemoryState } from '../core/state.ts';
import { applyBatch, applyPostedBatch, createStfConfig, type StfConfig } from '../core/stf.ts';
import { domainHash, l2TxMessage, type L1Op, type L2Tx, type L2TxBody } from '../core/tx.ts';

const config: StfConfig = createStfConfig({
  domain: { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n },
});
const domain = domainHash(config.domain);
const hex = (v: bigint): string => `0x${v.toString(16).padStart(64, '0')}`;
const ETH = 10n ** 18n;
const fmt = (wei: bigint): string => `${Number(wei) / 1e18} ETH`;

type Wallet = { name: string; key: PrivateKey; publicKey: readonly [bigint, bigint]; l1Address: bigint };
function wallet(name: string, seed: number): Wallet {
  const key = createPrivateKey(new Uint8Array(32).map((_, i) => (seed * 37 + i * 11) & 0xff));
  return { name, key, publicKey: publicKeyFromPrivate(key), l1Address: 0xa0000n + BigInt(seed) };
}

function signed(w: Wallet, body: L2TxBody): L2Tx {
  return { ...body, signature: sign(w.key, l2TxMessage(body, domain)) };
}

function main(): void {
  const log = (s = ''): void => void process.stdout.write(`${s}\n`);
  log('Rampart core demo — the state-transition function alone (no L1, no proofs yet; see README).');
  log(`tree depth ${config.treeDepth}, chain ${config.domain.chainId}, domain ${hex(domain)}`);
  const [alice, bob, carol] = [wallet('alice', 1), wallet('bob', 2), wallet('carol', 3)];
  const state = new MemoryState();
  log(`\nempty state root          ${hex(applyBatch(state, { l1Ops: [], l2Txs: [], feeTable: [] }, config).newRoot)}`);

  const deposits: L1Op[] = [alice, bob, carol].map((w, i) => ({
    kind: 'createAccount',
    l1Address: w.l1Address,
    tokenId: 0,
    amount: BigInt(3 - i) * ETH,
    publicKey: w.publicKey,
  }));
  const b1 = applyBatch(state, { l1Ops: deposits, l2Txs: [], feeTable: [] }, config);
  state.apply(b1.changes);
  log(`batch 1: 3 L1 deposits    ${hex(b1.newRoot)}`);
  for (const i of [1, 2, 3]) {
    const a = state.getAccount(i);
    log(`  account ${i}: ${fmt(a?.balance ?? 0n)}, nonce ${a?.nonce}`);
  }

  const maxFeeF = floatEncode(FLOAT16, 10n ** 15n);
  const feeTable = [{ tokenId: 0, accountIdx: 3, fee: 10n ** 14n }];
  const txs: L2Tx[] = [
    signed(alice, { kind: 'transfer', from: 1, to: 2, amountF: floatEncode(FLOAT32, ETH / 2n), maxFeeF, nonce: 0 }),
    signed(bob, { kind: 'transfer', from: 2, to: 1, amountF: floatEncode(FLOAT32, ETH / 4n), maxFeeF, nonce: 0 }),
    signed(bob, { kind: 'transfer', from: 2, to: 3, amountF: floatEncode(FLOAT32, 50n * ETH), maxFeeF, nonce: 1 }),
    // carol signs a transfer out of alice's account: rejected, the key does not match the account.
    signed(carol, { kind: 'transfer', from: 1, to: 3, amountF: floatEncode(FLOAT32, ETH), maxFeeF, nonce: 1 }),
    signed(alice, { kind: 'withdraw', from: 1, to: 0, amountF: floatEncode(FLOAT32, ETH / 10n), maxFeeF, nonce: 1 }),
  ];
  const t0 = performance.now();
  const b2 = applyBatch(state, { l1Ops: [], l2Txs: txs, feeTable }, config);
  const ms = performance.now() - t0;
  log(`\nbatch 2: 5 signed L2 transactions (fee ${fmt(feeTable[0]?.fee ?? 0n)} per tx to account 3), sealed in ${ms.toFixed(1)} ms`);
  b2.l2Receipts.forEach((r, i) => {
    const tx = txs[i];
    const what = tx === undefined ? '' : `${tx.kind} ${tx.from}→${tx.to} ${fmt(floatDecode(FLOAT32, tx.amountF))}`;
    log(`  tx ${i}: ${what.padEnd(34)} ${r.status === 'included' ? `included in slot ${r.slot}` : `REJECTED: ${r.reason}`}`);
  });
  log(`  new state root          ${hex(b2.newRoot)}`);
  log(`  exit root               ${hex(b2.exitRoot)} (${b2.exits.length} exit: ${b2.exits.map((e) => fmt(e.amount)).join(', ')})`);
  log(`  witness                 ${b2.witness.length} steps, ${b2.witness.reduce((n, s) => n + s.updates.length, 0)} leaf updates with depth-${config.treeDepth} paths`);
  const data = encodeBatchData({ mode: 'zk', feeTable, txs: b2.included.map(({ from, to, amountF }) => ({ from, to, amountF })) });
  log(`  ZK-mode batch data      ${data.length} bytes for ${b2.included.length} transactions (12 bytes each + header)`);

  const replay = applyPostedBatch(state, { l1Ops: [], l2Txs: b2.included.map(({ kind, from, to, amountF }) => ({ kind, from, to, amountF })), feeTable }, config);
  log(`  replayed from data      ${hex(replay.newRoot)} ${replay.newRoot === b2.newRoot ? '(matches)' : '(MISMATCH)'}`);
  state.apply(b2.changes);
  for (const i of [1, 2, 3]) {
    const a = state.getAccount(i);
    log(`  account ${i}: ${fmt(a?.balance ?? 0n)}, nonce ${a?.nonce}`);
  }
  if (replay.newRoot !== b2.newRoot) process.exitCode = 1;
}

main();
