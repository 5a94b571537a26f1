/**
 * Builds the batch circuit's input (circuits/batch.circom) from what the STF already produced: the
 * `BatchResult` of `applyBatch` (its witness steps: every leaf update with its siblings), the batch's
 * inputs, its header and commitment. Pure: values in, values out.
 *
 * The circuit reads two tree positions per L1 slot and per L2 slot and one per fee entry, whether or
 * not the STF changed them (a no-op deposit still reads its target to prove it is a no-op; an empty
 * slot reads index 0). The STF witness only carries the paths of leaves it changed, so the builder
 * replays the STF's recorded updates over the pre-batch state, checks every recorded sibling and
 * root on the way, and takes the paths of the other reads from the replayed tree. It decides no
 * rule itself: every outcome comes from the STF, every rule is the circuit's to check.
 *
 * Unused slots are padded the one way the circuit accepts: all-zero data, reads of index 0 (always
 * empty), zero signatures.
 */
import { accountLeaf, accountLeafInputs, type Account } from '../core/account.ts';
import {
  type BatchCommitment,
  type BatchHeader,
  commitmentElements,
  elementsCommitment,
  evaluateAt,
  layoutFromConfig,
  packCounters,
  signedBatchFromResult,
  zkBatchFromResult,
} from '../core/batch-commitment.ts';
import { FR_MODULUS, frFromBytesLE, frToBytesLE, type Fr } from '../core/field.ts';
import { poseidon } from '../core/poseidon.ts';
import { SparseMerkleTree, siblingsToFr } from '../core/smt.ts';
import type { StateReader } from '../core/state.ts';
import type { BatchResult, FeeEntry, LeafUpdateWitness, StepWitness, StfConfig } from '../core/stf.ts';
import { domainHash, type L1Op, type L2Tx } from '../core/tx.ts';
import { assertParamsMatchConfig, type CircuitParams } from './circuit-params.ts';
import { CircuitError } from './circuit-errors.ts';
import type { CircuitInput } from './witness-calculator.ts';

type Row6 = readonly [Fr, Fr, Fr, Fr, Fr, Fr];
type Siblings = readonly (readonly [Fr, Fr, Fr])[];

/** The batch circuit's input signals (names as in circuits/batch.circom). */
export type BatchCircuitInput = {
  readonly inputHash: Fr;
  readonly oldRoot: Fr;
  readonly newRoot: Fr;
  readonly exitRoot: Fr;
  readonly batchNum: Fr;
  readonly l1Start: Fr;
  readonly oldNextIndex: Fr;
  readonly newNextIndex: Fr;
  readonly z: Fr;
  readonly domain: Fr;
  readonly l1Active: readonly Fr[];
  readonly l2Active: readonly Fr[];
  readonly l1Kind: readonly (readonly [Fr, Fr, Fr, Fr])[];
  readonly l1Address: readonly Fr[];
  readonly l1TokenId: readonly Fr[];
  readonly l1Amount: readonly Fr[];
  readonly l1FromIdx: readonly Fr[];
  readonly l1ToIdx: readonly Fr[];
  readonly l1Ax: readonly Fr[];
  readonly l1Ay: readonly Fr[];
  readonly l1LeafA: readonly Fr[];
  readonly l1AccountA: readonly Row6[];
  readonly l1SiblingsA: readonly Siblings[];
  readonly l1LeafB: readonly Fr[];
  readonly l1AccountB: readonly Row6[];
  readonly l1SiblingsB: readonly Siblings[];
  readonly feeTokenId: readonly Fr[];
  readonly feeAccountIdx: readonly Fr[];
  readonly feeAmount: readonly Fr[];
  readonly feeLeaf: readonly Fr[];
  readonly feeAccount: readonly Row6[];
  readonly feeSiblings: readonly Siblings[];
  readonly txFrom: readonly Fr[];
  readonly txTo: readonly Fr[];
  readonly txAmountF: readonly Fr[];
  readonly txMaxFeeF: readonly Fr[];
  readonly txR8x: readonly Fr[];
  readonly txR8y: readonly Fr[];
  readonly txS: readonly Fr[];
  readonly txLeafS: readonly Fr[];
  readonly txAccountS: readonly Row6[];
  readonly txSiblingsS: readonly Siblings[];
  readonly txLeafR: readonly Fr[];
  readonly txAccountR: readonly Row6[];
  readonly txSiblingsR: readonly Siblings[];
};

export type BuildBatchWitnessParameters = {
  readonly params: CircuitParams;
  readonly config: StfConfig;
  /** The state the batch was applied to (before it). */
  readonly state: StateReader;
  /** `applyBatch(state, { l1Ops, l2Txs, feeTable }, config)` with its witness. */
  readonly result: BatchResult;
  readonly l1Ops: readonly L1Op[];
  /** The included transactions with their signatures, in batch order (`result.included`). */
  readonly txs: readonly L2Tx[];
  readonly feeTable: readonly FeeEntry[];
  readonly header: BatchHeader;
  readonly commitment: BatchCommitment;
  /** The deployment's domain digest (`domainHash(config.domain)`). */
  readonly domain: Fr;
};

function inconsistent(message: string, details: Record<string, unknown> = {}): never {
  throw new CircuitError('WITNESS_INCONSISTENT', message, { details });
}

/** The header a batch result implies (batch number and L1 queue start come from the L1 contract). */
type Read = { readonly leaf: Fr; readonly account: Row6; readonly siblings: Siblings };

const ZERO_ROW: Row6 = [0n, 0n, 0n, 0n, 0n, 0n];

/** The replayed state: the tree over the pre-batch state plus the accounts the batch wrote. */
class Replay {
  readonly tree: SparseMerkleTree;
  private readonly written = new Map<number, Account>();

  constructor(private readonly state: StateReader, private readonly depth: number) {
    this.tree = new SparseMerkleTree(depth, state);
  }

  /** What the circuit reads at `index`: the leaf at its path position, the preimage when it exists. */
  read(index: number): Read {
    const size = 2 ** this.depth;
    const position = index % size;
    const leaf = frFromBytesLE(this.tree.leafLE(position));
    const siblingsFlat = siblingsToFr(this.tree.siblings(position));
    const siblings: (readonly [Fr, Fr, Fr])[] = [];
    for (let k = 0; k + 3 <= siblingsFlat.length; k += 3) {
      siblings.push([siblingsFlat[k] ?? 0n, siblingsFlat[k + 1] ?? 0n, siblingsFlat[k + 2] ?? 0n]);
    }
    // The circuit's existence rule: a non-zero leaf at an index in 1..2^D-1.
    const exists = index !== 0 && index < size && leaf !== 0n;
    if (!exists) return { leaf, account: ZERO_ROW, siblings };
    const account = this.written.get(index) ?? this.state.getAccount(index);
    if (account === undefined) inconsistent(`state has a leaf but no account at index ${index}`, { index });
    if (accountLeaf(account) !== leaf) inconsistent(`account ${index} does not hash to its leaf`, { index });
    const [, ax, ay, l1Address] = accountLeafInputs(account);
    return { leaf, account: [BigInt(account.tokenId), BigInt(account.nonce), account.balance, ax, ay, l1Address], siblings };
  }

  /** Applies one recorded STF update after checking it against the replayed tree. */
  apply(u: LeafUpdateWitness, expectedIndex: number, what: string): void {
    if (u.index !== expectedIndex) inconsistent(`${what}: STF updated index ${u.index}, expected ${expectedIndex}`, { index: u.index, expectedIndex });
    const old = frFromBytesLE(this.tree.leafLE(u.index));
    if (old !== u.oldLeaf) inconsistent(`${what}: recorded old leaf differs from the state`, { index: u.index });
    const siblings = this.tree.siblings(u.index);
    if (siblings.length !== u.siblings.length || siblings.some((b, i) => b !== u.siblings[i])) {
      inconsistent(`${what}: recorded siblings differ from the state`, { index: u.index });
    }
    this.tree.update(u.index, frToBytesLE(u.newLeaf));
    this.written.set(u.index, u.after);
  }

  root(): Fr {
    return this.tree.root();
  }
}

type L1Fields = { kind: [Fr, Fr, Fr, Fr]; l1Address: Fr; tokenId: Fr; amount: Fr; fromIdx: Fr; toIdx: Fr; ax: Fr; ay: Fr };

function l1Fields(op: L1Op | undefined): L1Fields {
  if (op === undefined) return { kind: [0n, 0n, 0n, 0n], l1Address: 0n, tokenId: 0n, amount: 0n, fromIdx: 0n, toIdx: 0n, ax: 0n, ay: 0n };
  const base = { l1Address: op.l1Address, tokenId: 0n, amount: 0n, fromIdx: 0n, toIdx: 0n, ax: 0n, ay: 0n };
  switch (op.kind) {
    case 'createAccount':
      return { ...base, kind: [1n, 0n, 0n, 0n], tokenId: BigInt(op.tokenId), amount: op.amount, ax: op.publicKey[0], ay: op.publicKey[1] };
    case 'deposit':
      return { ...base, kind: [0n, 1n, 0n, 0n], tokenId: BigInt(op.tokenId), amount: op.amount, toIdx: BigInt(op.toIdx) };
    case 'forceExit':
      return { ...base, kind: [0n, 0n, 1n, 0n], fromIdx: BigInt(op.fromIdx) };
    case 'forceTransfer':
      return { ...base, kind: [0n, 0n, 0n, 1n], amount: op.amount, fromIdx: BigInt(op.fromIdx), toIdx: BigInt(op.toIdx) };
  }
}

function checkStep(step: StepWitness | undefined, kind: StepWitness['kind'], slot: number | undefined, replay: Replay, nextIndex: number, what: string): StepWitness {
  if (step === undefined) inconsistent(`${what}: the STF witness has no step for it`);
  if (step.kind !== kind || step.slot !== slot) inconsistent(`${what}: STF step is ${step.kind} slot ${String(step.slot)}`, { kind: step.kind, slot: step.slot });
  if (step.preRoot !== replay.root()) inconsistent(`${what}: STF pre-root differs from the replayed root`);
  if (step.preNextIndex !== nextIndex) inconsistent(`${what}: STF nextIndex ${step.preNextIndex}, replay ${nextIndex}`);
  return step;
}

function finishStep(step: StepWitness, replay: Replay, what: string): void {
  if (step.postRoot !== replay.root()) inconsistent(`${what}: STF post-root differs from the replayed root`);
}

/**
 * The circuit input for one batch. Throws WITNESS_INCONSISTENT (with what disagrees) when the
 * result, inputs, header, commitment and parameters do not describe one and the same batch.
 * Cost: ≈ 2 Merkle proofs and up to 2 path updates per slot (`levels` Poseidon each) plus the
 * commitment's recomputation (N/3 + N field operations).
 */
export function buildBatchWitness(p: BuildBatchWitnessParameters): BatchCircuitInput {
  const { params, config, state, result, l1Ops, txs, feeTable, header, commitment, domain } = p;
  assertParamsMatchConfig(params, config);
  if (domainHash(config.domain) !== domain) inconsistent('domain digest does not match the STF config');
  if (l1Ops.length > params.maxL1Ops) inconsistent(`${l1Ops.length} L1 ops exceed maxL1Ops ${params.maxL1Ops}`);
  if (txs.length > params.maxL2Txs) inconsistent(`${txs.length} transactions exceed maxL2Txs ${params.maxL2Txs}`);
  if (feeTable.length > params.maxFeeTokens) inconsistent(`${feeTable.length} fee entries exceed maxFeeTokens ${params.maxFeeTokens}`);
  if (result.l1Receipts.length !== l1Ops.length) inconsistent('result has a different number of L1 receipts than L1 ops');
  if (result.included.length !== txs.length) inconsistent('result includes a different number of transactions');
  txs.forEach((tx, j) => {
    const inc = result.included[j];
    if (inc === undefined || inc.from !== tx.from || inc.to !== tx.to || inc.amountF !== tx.amountF || inc.kind !== tx.kind || inc.nonce !== tx.nonce || inc.maxFeeF !== tx.maxFeeF) {
      inconsistent(`transaction ${j} is not the STF's included transaction ${j}`, { position: j });
    }
  });
  if (result.feeTotals.length !== feeTable.length) inconsistent('result has fee totals for a different fee table');
  if (result.witness.length === 0 && (l1Ops.length > 0 || txs.length > 0)) inconsistent('the result carries no witness (applyBatch with witness: false?)');

  // Header and commitment describe this result.
  const h = header;
  if (h.oldRoot !== result.oldRoot || h.newRoot !== result.newRoot || h.exitRoot !== result.exitRoot) inconsistent('header roots differ from the result');
  if (h.oldNextIndex !== result.oldNextIndex || h.newNextIndex !== result.newNextIndex) inconsistent('header nextIndex differs from the result');
  if (h.l1Count !== l1Ops.length || h.txCount !== txs.length) inconsistent('header counts differ from the batch');
  if (state.nextIndex !== result.oldNextIndex) inconsistent('state nextIndex differs from the result (not the pre-batch state?)');
  const layout = layoutFromConfig(config, params.maxL2Txs);
  const elements = commitmentElements(layout, { l1Ops, feeTable, txs: txs.map(({ from, to, amountF }) => ({ from, to, amountF })) });
  if (elements.length !== commitment.elements.length || elements.some((e, i) => e !== commitment.elements[i])) {
    inconsistent('commitment elements are not this batch’s data in the circuit layout');
  }
  const c = elementsCommitment(elements);
  if (c !== commitment.c) inconsistent('commitment c does not match the elements');
  if (commitment.z < 0n || commitment.z >= FR_MODULUS) inconsistent('commitment z is not a field element');
  if (evaluateAt(elements, commitment.z) !== commitment.f) inconsistent('commitment f does not match the elements at z');
  const counters = packCounters(h);
  if (counters !== commitment.counters) inconsistent('commitment counters do not match the header');
  const inputHash = poseidon([poseidon([h.oldRoot, h.newRoot, counters, h.exitRoot]), poseidon([c, commitment.z, commitment.f, domain])]);
  if (inputHash !== commitment.inputHash) inconsistent('commitment inputHash does not match (different domain?)');

  const replay = new Replay(state, config.treeDepth);
  if (replay.root() !== result.oldRoot) inconsistent('state root differs from the result oldRoot (not the pre-batch state?)');
  let nextIndex = state.nextIndex;
  const steps = result.witness;
  let s = 0;

  // L1 slots.
  const l1: { fields: L1Fields; a: Read; b: Read }[] = [];
  for (let i = 0; i < params.maxL1Ops; i++) {
    const op = l1Ops[i];
    const fields = l1Fields(op);
    if (op === undefined) {
      l1.push({ fields, a: replay.read(0), b: replay.read(0) });
      continue;
    }
    const what = `L1 op ${i} (${op.kind})`;
    const step = checkStep(steps[s++], 'l1', i, replay, nextIndex, what);
    const idxA = op.kind === 'createAccount' ? nextIndex : op.kind === 'deposit' ? op.toIdx : op.fromIdx;
    const toIdx = Number(fields.toIdx);
    if (step.updates.length > (op.kind === 'forceTransfer' ? 2 : 1)) inconsistent(`${what}: STF recorded ${step.updates.length} updates`);
    const a = replay.read(idxA);
    const [first, second] = step.updates;
    if (first !== undefined) replay.apply(first, idxA, what);
    const b = replay.read(toIdx);
    if (second !== undefined) replay.apply(second, toIdx, what);
    nextIndex = step.postNextIndex;
    finishStep(step, replay, what);
    l1.push({ fields, a, b });
  }

  // L2 slots.
  const l2: { tx: L2Tx | undefined; s: Read; r: Read }[] = [];
  for (let j = 0; j < params.maxL2Txs; j++) {
    const tx = txs[j];
    if (tx === undefined) {
      l2.push({ tx, s: replay.read(0), r: replay.read(0) });
      continue;
    }
    const what = `L2 tx ${j}`;
    const step = checkStep(steps[s++], 'l2', params.maxL1Ops + j, replay, nextIndex, what);
    const expected = tx.kind === 'transfer' ? 2 : 1;
    if (step.updates.length !== expected) inconsistent(`${what}: STF recorded ${step.updates.length} updates, expected ${expected}`);
    const sender = replay.read(tx.from);
    const [first, second] = step.updates;
    if (first !== undefined) replay.apply(first, tx.from, what);
    const recipient = replay.read(tx.to);
    if (second !== undefined) replay.apply(second, tx.to, what);
    finishStep(step, replay, what);
    l2.push({ tx, s: sender, r: recipient });
  }

  // Fee settlement, in table order; the STF records a step only for a non-zero total.
  const fees: { entry: FeeEntry | undefined; read: Read }[] = [];
  for (let k = 0; k < params.maxFeeTokens; k++) {
    const entry = feeTable[k];
    if (entry === undefined) {
      fees.push({ entry, read: replay.read(0) });
      continue;
    }
    const read = replay.read(entry.accountIdx);
    if ((result.feeTotals[k] ?? 0n) > 0n) {
      const what = `fee entry ${k}`;
      const step = checkStep(steps[s++], 'fee', undefined, replay, nextIndex, what);
      const [u] = step.updates;
      if (u === undefined || step.updates.length !== 1) inconsistent(`${what}: STF recorded ${step.updates.length} updates`);
      replay.apply(u, entry.accountIdx, what);
      finishStep(step, replay, what);
    }
    fees.push({ entry, read });
  }
  if (s !== steps.length) inconsistent(`the STF witness has ${steps.length - s} steps this batch does not explain`);
  if (replay.root() !== result.newRoot) inconsistent('replayed root differs from the result newRoot');

  const active = (n: number, max: number): Fr[] => Array.from({ length: max }, (_, i) => (i < n ? 1n : 0n));
  return {
    inputHash,
    oldRoot: h.oldRoot,
    newRoot: h.newRoot,
    exitRoot: h.exitRoot,
    batchNum: h.batchNum,
    l1Start: h.l1Start,
    oldNextIndex: BigInt(h.oldNextIndex),
    newNextIndex: BigInt(h.newNextIndex),
    z: commitment.z,
    domain,
    l1Active: active(l1Ops.length, params.maxL1Ops),
    l2Active: active(txs.length, params.maxL2Txs),
    l1Kind: l1.map((x) => x.fields.kind),
    l1Address: l1.map((x) => x.fields.l1Address),
    l1TokenId: l1.map((x) => x.fields.tokenId),
    l1Amount: l1.map((x) => x.fields.amount),
    l1FromIdx: l1.map((x) => x.fields.fromIdx),
    l1ToIdx: l1.map((x) => x.fields.toIdx),
    l1Ax: l1.map((x) => x.fields.ax),
    l1Ay: l1.map((x) => x.fields.ay),
    l1LeafA: l1.map((x) => x.a.leaf),
    l1AccountA: l1.map((x) => x.a.account),
    l1SiblingsA: l1.map((x) => x.a.siblings),
    l1LeafB: l1.map((x) => x.b.leaf),
    l1AccountB: l1.map((x) => x.b.account),
    l1SiblingsB: l1.map((x) => x.b.siblings),
    feeTokenId: fees.map((x) => BigInt(x.entry?.tokenId ?? 0)),
    feeAccountIdx: fees.map((x) => BigInt(x.entry?.accountIdx ?? 0)),
    feeAmount: fees.map((x) => x.entry?.fee ?? 0n),
    feeLeaf: fees.map((x) => x.read.leaf),
    feeAccount: fees.map((x) => x.read.account),
    feeSiblings: fees.map((x) => x.read.siblings),
    txFrom: l2.map((x) => BigInt(x.tx?.from ?? 0)),
    txTo: l2.map((x) => BigInt(x.tx?.to ?? 0)),
    txAmountF: l2.map((x) => BigInt(x.tx?.amountF ?? 0)),
    txMaxFeeF: l2.map((x) => BigInt(x.tx?.maxFeeF ?? 0)),
    txR8x: l2.map((x) => x.tx?.signature.r8[0] ?? 0n),
    txR8y: l2.map((x) => x.tx?.signature.r8[1] ?? 0n),
    txS: l2.map((x) => x.tx?.signature.s ?? 0n),
    txLeafS: l2.map((x) => x.s.leaf),
    txAccountS: l2.map((x) => x.s.account),
    txSiblingsS: l2.map((x) => x.s.siblings),
    txLeafR: l2.map((x) => x.r.leaf),
    txAccountR: l2.map((x) => x.r.account),
    txSiblingsR: l2.map((x) => x.r.siblings),
  };
}

type Json = string | readonly Json[] | { readonly [k: string]: Json };

/** JSON form (0x-hex field elements, nested arrays), as the vectors and snarkjs's `input.json` use. */
export function circuitInputToJson(input: CircuitInput): Record<string, Json> {
  const conv = (v: CircuitInput[string]): Json => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v.map(conv));
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(input)) out[k] = conv(v);
  return out;
}

/** Parses `circuitInputToJson` output back (0x-hex or decimal strings); anything else is WITNESS_INCONSISTENT. */
export function circuitInputFromJson(json: unknown): CircuitInput {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) inconsistent('circuit input JSON must be an object');
  const conv = (v: unknown, path: string): CircuitInput[string] => {
    if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) {
      const x = BigInt(v);
      if (x >= FR_MODULUS) inconsistent(`${path} is not a field element`);
      return x;
    }
    if (Array.isArray(v)) return v.map((x: unknown, i) => conv(x, `${path}[${i}]`));
    return inconsistent(`${path} must be a number string or an array`);
  };
  const out: Record<string, CircuitInput[string]> = {};
  for (const [k, v] of Object.entries(json)) out[k] = conv(v, k);
  return out;
}

export type BatchWitnessFromResultParameters = Omit<BuildBatchWitnessParameters, 'txs' | 'header' | 'commitment' | 'domain'> & {
  readonly batchNum: bigint;
  readonly l1Start: bigint;
  /**
   * The posted data's form: 'zk' (12-byte records, default) or 'multi' (multi-proof mode: the 78-byte
   * signed records of docs/PROTOCOL.md §14.1; same circuit, z over the signed bytes).
   */
  readonly mode?: 'zk' | 'multi';
};

/**
 * Header, ZK batch data, commitment (`batchCommitment`) and circuit input of an `applyBatch` result
 * in one call — what a prover holding the batch's inputs needs. The commitment is recomputed from the
 * data exactly as the sequencer posts it and the L1 contract derives z and f from it.
 */
export function batchWitnessFromResult(p: BatchWitnessFromResultParameters): {
  readonly header: BatchHeader;
  readonly batchData: Uint8Array;
  readonly commitment: BatchCommitment;
  readonly input: BatchCircuitInput;
} {
  const { params, config, result, l1Ops, feeTable } = p;
  assertParamsMatchConfig(params, config);
  if (result.included.length > params.maxL2Txs) inconsistent(`${result.included.length} transactions exceed maxL2Txs ${params.maxL2Txs}`);
  const batchParams = { config, maxL2Txs: params.maxL2Txs, result, l1Ops, feeTable, batchNum: p.batchNum, l1Start: p.l1Start };
  const { header, batchData, commitment } = p.mode === 'multi' ? signedBatchFromResult(batchParams) : zkBatchFromResult(batchParams);
  const input = buildBatchWitness({ ...p, txs: result.included, header, commitment, domain: domainHash(config.domain) });
  return { header, batchData, commitment, input };
}
