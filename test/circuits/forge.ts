/**
 * A malicious prover's input builder. It applies L1 ops with the outcome the caller CHOOSES and L2
 * transactions UNCONDITIONALLY, computing every read, new leaf, root, exit and commitment exactly the
 * way the circuit would (field arithmetic, no range or rule checks), so the resulting input is
 * consistent everywhere except where the chosen outcome breaks a protocol rule. The circuit must then
 * reject it — at the rule, not somewhere incidental.
 *
 * Fed the STF's own outcomes it must reproduce `buildBatchWitness` bit for bit (tested), which is
 * what makes its malicious variants meaningful.
 */
import { commitmentElements, challenge, dataHash, elementsCommitment, evaluateAt, layoutFromConfig, packCounters } from '../../src/core/batch-commitment.ts';
import { encodeBatchData } from '../../src/core/batch-data.ts';
import { frFromBytesLE, frMod, frToBytesLE, type Fr } from '../../src/core/field.ts';
import { FLOAT32, floatDecode } from '../../src/core/float.ts';
import { poseidon } from '../../src/core/poseidon.ts';
import { SparseMerkleTree, MemoryNodeStore, siblingsToFr } from '../../src/core/smt.ts';
import type { StateReader } from '../../src/core/state.ts';
import type { FeeEntry } from '../../src/core/stf.ts';
import type { L1Op, L2Tx } from '../../src/core/tx.ts';
import type { BatchCircuitInput } from '../../src/prover/witness.ts';
import { DOMAIN_DIGEST, PARAMS, TEST_CONFIG } from './helpers.ts';

type Row6 = [Fr, Fr, Fr, Fr, Fr, Fr];
type Read = { leaf: Fr; account: Row6; siblings: [Fr, Fr, Fr][] };

export type ForgeL1 = {
  readonly op: L1Op;
  /** The outcome the prover claims. */
  readonly apply: boolean;
  /** Whether it writes a refund exit; default: what the circuit's rule gives for `apply`. */
  readonly refund?: boolean;
};
export type ForgeL2 = {
  readonly tx: L2Tx;
  /** Fee charged; default: the fee table's fee for the sender's token. */
  readonly fee?: bigint;
};
export type ForgeSpec = {
  readonly state: StateReader;
  readonly l1?: readonly ForgeL1[];
  readonly txs?: readonly ForgeL2[];
  readonly feeTable?: readonly FeeEntry[];
  readonly batchNum?: bigint;
  readonly l1Start?: bigint;
};

const ZERO: Row6 = [0n, 0n, 0n, 0n, 0n, 0n];

class Model {
  readonly tree: SparseMerkleTree;
  private readonly rows = new Map<number, Row6>();
  readonly size = 2 ** TEST_CONFIG.treeDepth;
  constructor(private readonly state: StateReader) {
    this.tree = new SparseMerkleTree(TEST_CONFIG.treeDepth, state);
  }
  read(index: number): Read {
    const position = index % this.size;
    const leaf = frFromBytesLE(this.tree.leafLE(position));
    const flat = siblingsToFr(this.tree.siblings(position));
    const siblings: [Fr, Fr, Fr][] = [];
    for (let k = 0; k < flat.length; k += 3) siblings.push([flat[k] ?? 0n, flat[k + 1] ?? 0n, flat[k + 2] ?? 0n]);
    const exists = index !== 0 && index < this.size && leaf !== 0n;
    if (!exists) return { leaf, account: [...ZERO], siblings };
    const row = this.rows.get(position);
    if (row !== undefined) return { leaf, account: [...row], siblings };
    const a = this.state.getAccount(index);
    const account: Row6 = a === undefined ? [...ZERO] : [BigInt(a.tokenId), BigInt(a.nonce), a.balance, a.publicKey[0], a.publicKey[1], a.l1Address];
    return { leaf, account, siblings };
  }
  write(index: number, row: Row6): void {
    const position = index % this.size;
    const leaf = poseidon([frMod(row[0] + row[1] * 2n ** 32n + row[2] * 2n ** 72n), frMod(row[3]), frMod(row[4]), frMod(row[5])]);
    this.tree.update(position, frToBytesLE(leaf));
    this.rows.set(position, row);
  }
}

/** The circuit input a prover would submit for the chosen outcomes. */
export function forgeBatch(spec: ForgeSpec): BatchCircuitInput {
  const l1 = spec.l1 ?? [];
  const txs = spec.txs ?? [];
  const feeTable = spec.feeTable ?? [];
  const m = new Model(spec.state);
  const oldRoot = m.tree.root();
  let nextIndex = spec.state.nextIndex;
  const oldNextIndex = nextIndex;
  const exits = new SparseMerkleTree(TEST_CONFIG.exitTreeDepth, new MemoryNodeStore());
  const exit = (slot: number, addr: Fr, token: Fr, amount: Fr): void => {
    exits.update(slot, frToBytesLE(poseidon([frMod(addr), frMod(token), frMod(amount)])));
  };

  const l1Rows: { fields: { kind: [Fr, Fr, Fr, Fr]; addr: Fr; token: Fr; amount: Fr; from: Fr; to: Fr; ax: Fr; ay: Fr }; a: Read; b: Read }[] = [];
  for (let i = 0; i < PARAMS.maxL1Ops; i++) {
    const item = l1[i];
    if (item === undefined) {
      l1Rows.push({ fields: { kind: [0n, 0n, 0n, 0n], addr: 0n, token: 0n, amount: 0n, from: 0n, to: 0n, ax: 0n, ay: 0n }, a: m.read(0), b: m.read(0) });
      continue;
    }
    const { op, apply } = item;
    const kind: [Fr, Fr, Fr, Fr] = [op.kind === 'createAccount' ? 1n : 0n, op.kind === 'deposit' ? 1n : 0n, op.kind === 'forceExit' ? 1n : 0n, op.kind === 'forceTransfer' ? 1n : 0n];
    const token = op.kind === 'createAccount' || op.kind === 'deposit' ? BigInt(op.tokenId) : 0n;
    const amount = op.kind === 'forceExit' ? 0n : op.amount;
    const from = op.kind === 'forceExit' || op.kind === 'forceTransfer' ? op.fromIdx : 0;
    const to = op.kind === 'deposit' || op.kind === 'forceTransfer' ? op.toIdx : 0;
    const [ax, ay] = op.kind === 'createAccount' ? op.publicKey : [0n, 0n];
    const idxA = op.kind === 'createAccount' ? nextIndex : op.kind === 'deposit' ? to : from;
    const a = m.read(idxA);
    if (apply) {
      const [t, n, bal, x, y, addr] = a.account;
      if (op.kind === 'createAccount') m.write(idxA, [token, 0n, amount, ax, ay, op.l1Address]);
      else if (op.kind === 'deposit') m.write(idxA, [t, n, bal + amount, x, y, addr]);
      else if (op.kind === 'forceExit') m.write(idxA, [t, n, 0n, x, y, addr]);
      else m.write(idxA, [t, n, bal - amount, x, y, addr]);
    }
    const b = m.read(to);
    if (apply && op.kind === 'forceTransfer') {
      const [t, n, bal, x, y, addr] = b.account;
      m.write(to, [t, n, bal + amount, x, y, addr]);
    }
    if (apply && op.kind === 'createAccount') nextIndex++;
    if (apply && op.kind === 'forceExit') exit(i, op.l1Address, a.account[0], a.account[2]);
    const refund = item.refund ?? ((op.kind === 'createAccount' || op.kind === 'deposit') && !apply && amount > 0n);
    if (refund) exit(i, op.l1Address, token, amount);
    l1Rows.push({ fields: { kind, addr: op.l1Address, token, amount, from: BigInt(from), to: BigInt(to), ax, ay }, a, b });
  }

  const counts = feeTable.map(() => 0n);
  const l2Rows: { tx: L2Tx | undefined; s: Read; r: Read }[] = [];
  for (let j = 0; j < PARAMS.maxL2Txs; j++) {
    const item = txs[j];
    if (item === undefined) {
      l2Rows.push({ tx: undefined, s: m.read(0), r: m.read(0) });
      continue;
    }
    const { tx } = item;
    const amount = floatDecode(FLOAT32, tx.amountF);
    const s = m.read(tx.from);
    const [t, n, bal, x, y, addr] = s.account;
    const k = feeTable.findIndex((e) => BigInt(e.tokenId) === t);
    const fee = item.fee ?? (k >= 0 ? (feeTable[k]?.fee ?? 0n) : 0n);
    if (k >= 0) counts[k] = (counts[k] ?? 0n) + 1n;
    m.write(tx.from, [t, n + 1n, bal - amount - fee, x, y, addr]);
    const r = m.read(tx.to);
    if (tx.to !== 0) {
      const [rt, rn, rbal, rx, ry, raddr] = r.account;
      m.write(tx.to, [rt, rn, rbal + amount, rx, ry, raddr]);
    } else {
      exit(PARAMS.maxL1Ops + j, addr, t, amount);
    }
    l2Rows.push({ tx, s, r });
  }

  const feeRows: { entry: FeeEntry | undefined; read: Read }[] = [];
  for (let k = 0; k < PARAMS.maxFeeTokens; k++) {
    const entry = feeTable[k];
    if (entry === undefined) {
      feeRows.push({ entry, read: m.read(0) });
      continue;
    }
    const read = m.read(entry.accountIdx);
    const [t, n, bal, x, y, addr] = read.account;
    m.write(entry.accountIdx, [t, n, bal + entry.fee * (counts[k] ?? 0n), x, y, addr]);
    feeRows.push({ entry, read });
  }

  const l1Ops = l1.map((x) => x.op);
  const records = txs.map(({ tx }) => ({ from: tx.from, to: tx.to, amountF: tx.amountF }));
  const header = {
    batchNum: spec.batchNum ?? 1n,
    oldRoot,
    newRoot: m.tree.root(),
    oldNextIndex,
    newNextIndex: nextIndex,
    l1Start: spec.l1Start ?? 0n,
    l1Count: l1.length,
    txCount: txs.length,
    exitRoot: exits.root(),
  };
  const elements = commitmentElements(layoutFromConfig(TEST_CONFIG, PARAMS.maxL2Txs), { l1Ops, feeTable, txs: records });
  const c = elementsCommitment(elements);
  const z = challenge(c, dataHash(l1Ops, encodeBatchData({ mode: 'zk', feeTable, txs: records })));
  const f = evaluateAt(elements, z);
  const inputHash = poseidon([poseidon([header.oldRoot, header.newRoot, packCounters(header), header.exitRoot]), poseidon([c, z, f, DOMAIN_DIGEST])]);
  const active = (n: number, max: number): Fr[] => Array.from({ length: max }, (_, i) => (i < n ? 1n : 0n));
  return {
    inputHash,
    oldRoot: header.oldRoot,
    newRoot: header.newRoot,
    exitRoot: header.exitRoot,
    batchNum: header.batchNum,
    l1Start: header.l1Start,
    oldNextIndex: BigInt(header.oldNextIndex),
    newNextIndex: BigInt(header.newNextIndex),
    z,
    domain: DOMAIN_DIGEST,
    l1Active: active(l1.length, PARAMS.maxL1Ops),
    l2Active: active(txs.length, PARAMS.maxL2Txs),
    l1Kind: l1Rows.map((x) => x.fields.kind),
    l1Address: l1Rows.map((x) => x.fields.addr),
    l1TokenId: l1Rows.map((x) => x.fields.token),
    l1Amount: l1Rows.map((x) => x.fields.amount),
    l1FromIdx: l1Rows.map((x) => x.fields.from),
    l1ToIdx: l1Rows.map((x) => x.fields.to),
    l1Ax: l1Rows.map((x) => x.fields.ax),
    l1Ay: l1Rows.map((x) => x.fields.ay),
    l1LeafA: l1Rows.map((x) => x.a.leaf),
    l1AccountA: l1Rows.map((x) => x.a.account),
    l1SiblingsA: l1Rows.map((x) => x.a.siblings),
    l1LeafB: l1Rows.map((x) => x.b.leaf),
    l1AccountB: l1Rows.map((x) => x.b.account),
    l1SiblingsB: l1Rows.map((x) => x.b.siblings),
    feeTokenId: feeRows.map((x) => BigInt(x.entry?.tokenId ?? 0)),
    feeAccountIdx: feeRows.map((x) => BigInt(x.entry?.accountIdx ?? 0)),
    feeAmount: feeRows.map((x) => x.entry?.fee ?? 0n),
    feeLeaf: feeRows.map((x) => x.read.leaf),
    feeAccount: feeRows.map((x) => x.read.account),
    feeSiblings: feeRows.map((x) => x.read.siblings),
    txFrom: l2Rows.map((x) => BigInt(x.tx?.from ?? 0)),
    txTo: l2Rows.map((x) => BigInt(x.tx?.to ?? 0)),
    txAmountF: l2Rows.map((x) => BigInt(x.tx?.amountF ?? 0)),
    txMaxFeeF: l2Rows.map((x) => BigInt(x.tx?.maxFeeF ?? 0)),
    txR8x: l2Rows.map((x) => x.tx?.signature.r8[0] ?? 0n),
    txR8y: l2Rows.map((x) => x.tx?.signature.r8[1] ?? 0n),
    txS: l2Rows.map((x) => x.tx?.signature.s ?? 0n),
    txLeafS: l2Rows.map((x) => x.s.leaf),
    txAccountS: l2Rows.map((x) => x.s.account),
    txSiblingsS: l2Rows.map((x) => x.s.siblings),
    txLeafR: l2Rows.map((x) => x.r.leaf),
    txAccountR: l2Rows.map((x) => x.r.account),
    txSiblingsR: l2Rows.map((x) => x.r.siblings),
  };
}

/** Recomputes inputHash after the caller edited the roots, counters, z, domain or data fields. */
export function rehash(input: BatchCircuitInput, overrides: Partial<{ c: Fr; f: Fr }> = {}): BatchCircuitInput {
  const l1Count = input.l1Active.filter((x) => x === 1n).length;
  const txCount = input.l2Active.filter((x) => x === 1n).length;
  const counters = frMod(input.batchNum + input.oldNextIndex * 2n ** 64n + input.newNextIndex * 2n ** 96n + input.l1Start * 2n ** 128n + BigInt(l1Count) * 2n ** 192n + BigInt(txCount) * 2n ** 208n);
  const elements = circuitElements(input);
  const c = overrides.c ?? elementsCommitment(elements);
  const f = overrides.f ?? evaluateAt(elements, input.z);
  const inputHash = poseidon([poseidon([input.oldRoot, input.newRoot, counters, input.exitRoot]), poseidon([c, input.z, f, input.domain])]);
  return { ...input, inputHash };
}

/** The commitment elements as the circuit forms them from its input fields (§8 layout). */
export function circuitElements(input: BatchCircuitInput): Fr[] {
  const out: Fr[] = [];
  input.l1Kind.forEach((kind, i) => {
    const type = kind[0] + 2n * kind[1] + 3n * kind[2] + 4n * kind[3];
    out.push(frMod(type + (input.l1Address[i] ?? 0n) * 2n ** 8n + (input.l1TokenId[i] ?? 0n) * 2n ** 168n));
    out.push(frMod((input.l1Amount[i] ?? 0n) + (input.l1FromIdx[i] ?? 0n) * 2n ** 128n + (input.l1ToIdx[i] ?? 0n) * 2n ** 160n));
    out.push(frMod(input.l1Ax[i] ?? 0n), frMod(input.l1Ay[i] ?? 0n));
  });
  input.feeTokenId.forEach((t, k) => out.push(frMod(t * 2n ** 160n + (input.feeAccountIdx[k] ?? 0n) * 2n ** 128n + (input.feeAmount[k] ?? 0n))));
  input.txFrom.forEach((from, j) => out.push(frMod(from * 2n ** 64n + (input.txTo[j] ?? 0n) * 2n ** 32n + (input.txAmountF[j] ?? 0n))));
  return out;
}
