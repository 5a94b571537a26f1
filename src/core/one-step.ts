/**
 * Optimistic settlement: the step states of a posted batch and the one-step proofs L1 re-executes
 * (docs/PROTOCOL.md §14.3; contracts/optimistic/OneStepProver.sol is the on-chain half and must agree
 * byte for byte).
 *
 *   steps      n = l1Count + txCount + feeCount: L1 op j, then record i, then fee entry k
 *   state      S = keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc[0..feeCount)))  (uint256 words)
 *   S_0        (previous root, empty exit root, previous nextIndex, 0…0)
 *   S_n        (header.newRoot, header.exitRoot, header.newNextIndex, 0…0)
 *   data       recordsRoot = binary keccak tree over keccak(record_i) (width a power of two, empty = 0)
 *              stepDataHash = keccak256(header ‖ recordsRoot)
 *
 * The rules are the STF's: `traceBatch` runs `applyPostedBatch` (with witnesses) and only reads its
 * per-step roots, leaf updates and exits; the sole extra bookkeeping is the fee steps (the STF credits
 * only non-zero accumulators; here every fee entry is a step that zeroes its accumulator) and the
 * read-only witnesses a no-op or a rejection needs, taken from a mirror of the tree.
 * Keccak is @noble/hashes' (the core does not import viem).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { recordsTree, stepState } from './assertion.ts';
import { concatBytes } from '@noble/hashes/utils.js';
import type { Account } from './account.ts';
import { DecodeError, RampartError, InvalidInputError } from './errors.ts';
import { frToBytesBE, frToBytesLE, type Fr } from './field.ts';
import { BATCH_DATA_VERSION, FEE_ENTRY_BYTES, OPTIMISTIC_RECORD_BYTES, recordKind } from './batch-data.ts';
import { unpackSignature } from './eddsa.ts';
import { SUBGROUP_ORDER } from './babyjub.ts';
import { SparseMerkleTree, MemoryNodeStore, siblingsToFr } from './smt.ts';
import type { StateReader } from './state.ts';
import {
  applyPostedBatch,
  InvalidBatchTxError,
  type ApplyPostedParameters,
  type BatchResult,
  type FeeEntry,
  type L2RejectReason,
  type StepWitness,
  type StfConfig,
} from './stf.ts';
import { encodeL1Op, type EddsaSignature, type L1Op } from './tx.ts';

/** A one-step trace could not be built (the batch is malformed beyond what the game can prove). */
export class OneStepError extends RampartError {
  override readonly name = 'OneStepError';
}

// ---------------------------------------------------------------------------------------------
// Batch data binding

type RawOptimistic = {
  readonly header: Uint8Array;
  readonly records: Uint8Array[];
  /**
   * Header content the data decoder refuses although the layout is sound (version ≠ 1, a duplicate fee
   * token, fee account index 0): the batch is invalid as a whole, and OneStepProver says so at its
   * first L2 or fee step.
   */
  readonly defect: boolean;
};

/**
 * Splits optimistic batch data by layout only — header = batchData[0 : 3 + 24·feeCount + 4] (version,
 * mode, feeCount, fee entries, txCount), then txCount 78-byte records — so committed data whose
 * header content is defective can still be hashed and traced. The mode byte must be 1 and the length
 * exact (what a commit in optimistic mode checks).
 */
function splitOptimistic(batchData: Uint8Array): RawOptimistic {
  if (!(batchData instanceof Uint8Array) || batchData.length < 7) throw new DecodeError('optimistic batch data: too short');
  if (batchData[1] !== 1) throw new InvalidInputError('one-step proofs need optimistic batch data (mode 1)');
  const view = new DataView(batchData.buffer, batchData.byteOffset, batchData.byteLength);
  const feeCount = batchData[2] ?? 0;
  const headerLength = 3 + feeCount * FEE_ENTRY_BYTES + 4;
  const txCount = batchData.length >= headerLength ? view.getUint32(headerLength - 4) : -1;
  if (txCount < 0 || batchData.length !== headerLength + txCount * OPTIMISTIC_RECORD_BYTES) {
    throw new DecodeError(`optimistic batch data: length ${batchData.length} does not match its header`, { details: { feeCount, txCount } });
  }
  const records: Uint8Array[] = [];
  for (let o = headerLength; o < batchData.length; o += OPTIMISTIC_RECORD_BYTES) records.push(batchData.slice(o, o + OPTIMISTIC_RECORD_BYTES));
  const tokens = new Set<number>();
  // feeCount itself is bounded by the commit (≤ maxFeeTokens), as OneStepProver assumes.
  let defect = batchData[0] !== BATCH_DATA_VERSION;
  for (let k = 0; k < feeCount; k++) {
    const token = view.getUint32(3 + k * FEE_ENTRY_BYTES);
    if (view.getUint32(7 + k * FEE_ENTRY_BYTES) === 0 || tokens.has(token)) defect = true;
    tokens.add(token);
  }
  return { header: batchData.slice(0, headerLength), records, defect };
}

// The data binding (records tree, recordsRoot, stepDataHash) and the step-state hash are the commit's
// own, computed once in ./assertion.ts for both the Rollup's commit and the one-step proofs.
export { recordsRoot, stepDataHash } from './assertion.ts';

// ---------------------------------------------------------------------------------------------
// Step states

export type StepState = {
  readonly stateRoot: Fr;
  readonly exitRoot: Fr;
  readonly nextIndex: number;
  /** Fee accumulators, one per fee-table entry. */
  readonly acc: readonly bigint[];
};

function stateWords(s: StepState): bigint[] {
  return [s.stateRoot, s.exitRoot, BigInt(s.nextIndex), ...s.acc];
}

/** keccak256(abi.encode(stateRoot, exitRoot, nextIndex, acc...)), all uint256 words (assertion.ts). */
export function stepStateHash(s: StepState): Uint8Array {
  return stepState(s.stateRoot, s.exitRoot, s.nextIndex, s.acc);
}

const emptyRootCache = new Map<number, Fr>();
/** Root of an exit tree (4-ary Poseidon) of `exitTreeDepth` index bits with every slot empty. */
export function emptyExitRoot(exitTreeDepth: number): Fr {
  let root = emptyRootCache.get(exitTreeDepth);
  if (root === undefined) {
    root = new SparseMerkleTree(exitTreeDepth, new MemoryNodeStore()).root();
    emptyRootCache.set(exitTreeDepth, root);
  }
  return root;
}

/** S_0 of a batch on top of the state with `stateRoot` and `nextIndex`. */
export function initialStepState(stateRoot: Fr, nextIndex: number, exitTreeDepth: number, feeCount: number): StepState {
  return { stateRoot, exitRoot: emptyExitRoot(exitTreeDepth), nextIndex, acc: new Array<bigint>(feeCount).fill(0n) };
}

/** S_n of a batch whose header commits `newRoot`, `exitRoot`, `newNextIndex`. */
export function finalStepState(newRoot: Fr, exitRoot: Fr, newNextIndex: number, feeCount: number): StepState {
  return { stateRoot: newRoot, exitRoot, nextIndex: newNextIndex, acc: new Array<bigint>(feeCount).fill(0n) };
}

// ---------------------------------------------------------------------------------------------
// Trace

/** An account witness: the account (undefined = empty slot) and its 4-ary siblings. */
type AccountWitness = { readonly account: Account | undefined; readonly siblings: readonly Fr[] };

/** Everything `stepProof` encodes for one step (docs/PROTOCOL.md §14.3, StepProof). */
export type StepProofInput = {
  readonly kind: 'l1' | 'l2' | 'fee';
  readonly pre: StepState;
  readonly item: Uint8Array;
  readonly header: Uint8Array;
  readonly recordsRoot: Uint8Array;
  readonly recordPath: readonly Uint8Array[];
  readonly accounts: readonly AccountWitness[];
  readonly exitSiblings: readonly Fr[];
};

/** Why a step is invalid: the STF's rejection of a record, or a defect of the committed header/fee table. */
export type InvalidStepReason = L2RejectReason | 'bad-header' | 'bad-fee-account';

export type InvalidStep =
  | { readonly step: number; readonly record: number; readonly reason: InvalidStepReason }
  | { readonly step: number; readonly feeEntry: number; readonly reason: 'bad-header' | 'bad-fee-account' };

export type BatchTrace = {
  readonly l1Count: number;
  readonly txCount: number;
  readonly feeCount: number;
  /** n = l1Count + txCount + feeCount. */
  readonly steps: number;
  /** S_0..S_k: k = n for a valid batch, else the index of the invalid step. */
  readonly states: readonly StepState[];
  readonly stateHashes: readonly Uint8Array[];
  /** The first step OneStepProver finds invalid (valid = false), if any. */
  readonly invalidAt: InvalidStep | undefined;
  readonly recordsRoot: Uint8Array;
  readonly stepDataHash: Uint8Array;
  /** Proof inputs for steps 0..k−1, and for step k when the batch is invalid. */
  readonly proofs: readonly StepProofInput[];
  /** The STF's result for a valid batch (undefined when the batch is invalid). */
  readonly result: BatchResult | undefined;
};

export type TraceBatchParameters = {
  /** The state before the batch. */
  readonly state: StateReader;
  /** The batch's L1 ops (queue items l1Start .. l1Start + l1Count − 1), in order. */
  readonly l1Ops: readonly L1Op[];
  /** The posted optimistic batch data (mode 1, exact length; see splitOptimistic). */
  readonly batchData: Uint8Array;
  readonly config: StfConfig;
};

/** A signature that cannot verify (R8 off the curve, S = l): an undecodable posted signature. */
const UNDECODABLE_SIGNATURE: EddsaSignature = { r8: [0n, 0n], s: SUBGROUP_ORDER };

type RawRecord = { readonly from: number; readonly to: number; readonly amountF: number; readonly maxFeeF: number; readonly signature: Uint8Array };

/** Records by layout only: `from = 0` is kept (the STF calls it malformed; the decoder would throw). */
function rawRecord(r: Uint8Array): RawRecord {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return { from: v.getUint32(0), to: v.getUint32(4), amountF: v.getUint32(8), maxFeeF: v.getUint16(12), signature: r.subarray(14, 78) };
}

function rawFeeTable(header: Uint8Array): FeeEntry[] {
  const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return Array.from({ length: header[2] ?? 0 }, (_, k) => {
    const o = 3 + k * FEE_ENTRY_BYTES;
    return { tokenId: v.getUint32(o), accountIdx: v.getUint32(o + 4), fee: (v.getBigUint64(o + 8) << 64n) | v.getBigUint64(o + 16) };
  });
}

/**
 * S_0..S_k of a posted optimistic batch and the proof inputs of every step up to the first invalid one
 * (included). Invalid steps: a record the STF rejects; the first L2 or fee step of a batch whose
 * committed header the decoder refuses; a fee credit to an account that did not exist before the
 * batch (missing, or created by the batch itself) or holds another token. Throws OneStepError
 * ONE_STEP_UNPROVABLE for an invalid batch no step can show invalid on L1 (a defective header in a
 * batch without L2 or fee steps), the STF's BatchError for a batch too large, and
 * DecodeError/InvalidInputError for bytes that are not optimistic batch data.
 * Cost: one `applyPostedBatch` with witnesses (two when a record is invalid) plus one tree mirror.
 */
export function traceBatch(params: TraceBatchParameters): BatchTrace {
  const { state, l1Ops, batchData, config } = params;
  const { header, records, defect } = splitOptimistic(batchData);
  const tree = recordsTree(batchData);
  const rRoot = tree[tree.length - 1]?.[0] ?? new Uint8Array(32);
  const feeTable = rawFeeTable(header);
  const txs = records.map(rawRecord);
  const l1Count = l1Ops.length;
  const txCount = txs.length;
  const feeCount = feeTable.length;
  const zeros = new Array<bigint>(feeCount).fill(0n);

  let invalid: InvalidStep | undefined;
  let run: BatchResult;
  if (defect) {
    // Only the L1 steps run; the first L2 or fee step is invalid whatever it holds.
    if (txCount + feeCount === 0) throw new OneStepError('ONE_STEP_UNPROVABLE', 'defective header in a batch without L2 or fee steps');
    invalid = txCount > 0 ? { step: l1Count, record: 0, reason: 'bad-header' } : { step: l1Count, feeEntry: 0, reason: 'bad-header' };
    run = applyPostedBatch(state, { l1Ops, l2Txs: [], feeTable: [] }, config, { witness: true });
  } else {
    // The nonce is not posted: it is the sender's nonce when its record runs. L1 ops never change a
    // nonce (created accounts start at 0) and every earlier record was valid, so it is the pre-batch
    // nonce plus the sender's earlier records.
    const sent = new Map<number, number>();
    const l2Txs: ApplyPostedParameters['l2Txs'] = txs.map((r) => {
      const nonce = (state.getAccount(r.from)?.nonce ?? 0) + (sent.get(r.from) ?? 0);
      sent.set(r.from, (sent.get(r.from) ?? 0) + 1);
      let signature: EddsaSignature;
      try {
        signature = unpackSignature(r.signature);
      } catch {
        // Undecodable (R8 not a point, S ≥ l): invalid exactly where a bad signature would be (last check).
        signature = UNDECODABLE_SIGNATURE;
      }
      return { kind: recordKind(r), from: r.from, to: r.to, amountF: r.amountF, maxFeeF: r.maxFeeF, nonce, signature };
    });
    // Unusable fee accounts are judged below, at their own step, as OneStepProver does.
    const options = { witness: true, allowUnusableFeeAccounts: true } as const;
    try {
      run = applyPostedBatch(state, { l1Ops, l2Txs, feeTable }, config, options);
    } catch (cause) {
      if (!(cause instanceof InvalidBatchTxError)) throw cause;
      invalid = { step: l1Count + cause.position, record: cause.position, reason: cause.reason };
      run = applyPostedBatch(state, { l1Ops, l2Txs: l2Txs.slice(0, cause.position), feeTable }, config, options);
    }
  }

  const mirror = new Mirror(state, config.treeDepth);
  const states: StepState[] = [initialStepState(run.oldRoot, state.nextIndex, config.exitTreeDepth, feeCount)];
  const proofs: StepProofInput[] = [];
  const last = (): StepState => states[states.length - 1] as StepState;
  const witness = run.witness;
  const l2End = invalid === undefined ? l1Count + txCount : invalid.step;

  for (let j = 0; j < l2End; j++) {
    const w = witness[j];
    if (w === undefined) throw new OneStepError('ONE_STEP_INTERNAL', `no STF witness for step ${j}`);
    const pre = last();
    if (j < l1Count) {
      const op = l1Ops[j] as L1Op;
      proofs.push({ ...blank('l1', pre), item: encodeL1Op(op), accounts: mirror.l1Witnesses(op, pre.nextIndex, w), exitSiblings: exitSiblings(w) });
    } else {
      const i = j - l1Count;
      proofs.push(l2Proof(pre, i, records, header, tree, mirror.l2Witnesses(txs[i] as RawRecord, pre.nextIndex, w), exitSiblings(w)));
    }
    mirror.apply(w);
    // A run without the fee table (defective header) reports no accumulators: they are all 0.
    const acc = w.feesAfter.length === feeCount ? w.feesAfter : zeros;
    states.push({ stateRoot: w.postRoot, exitRoot: w.exit?.postRoot ?? pre.exitRoot, nextIndex: w.postNextIndex, acc });
  }

  if (invalid !== undefined) {
    const pre = last();
    if ('record' in invalid) {
      // A defective header is refused before any account is read: no witnesses.
      const accounts = invalid.reason === 'bad-header' ? [] : mirror.l2Witnesses(txs[invalid.record] as RawRecord, pre.nextIndex, undefined);
      proofs.push(l2Proof(pre, invalid.record, records, header, tree, accounts, []));
    } else {
      proofs.push({ ...blank('fee', pre), header, recordsRoot: rRoot });
    }
  } else {
    // The STF witnesses a fee credit only when its accumulator is non-zero; every entry is a step here.
    // The STF wants each fee account as it is before the batch (BatchContext.startNextIndex on L1): an
    // index created by this batch is refused before any account is read, so its proof has no witness.
    // An account's token never changes, so "existed before with this token" is the index bound plus
    // the token now — OneStepProver's test exactly.
    let next = l2End;
    for (const [k, entry] of feeTable.entries()) {
      const pre = last();
      const accounts = entry.accountIdx < state.nextIndex ? mirror.read([entry.accountIdx], pre.nextIndex) : [];
      proofs.push({ ...blank('fee', pre), header, recordsRoot: rRoot, accounts });
      if (accounts[0]?.account?.tokenId !== entry.tokenId) {
        invalid = { step: l1Count + txCount + k, feeEntry: k, reason: 'bad-fee-account' };
        break;
      }
      const credited = (pre.acc[k] ?? 0n) > 0n ? witness[next++] : undefined;
      if (credited !== undefined) mirror.apply(credited);
      states.push({ ...pre, stateRoot: credited?.postRoot ?? pre.stateRoot, acc: pre.acc.map((a, m) => (m === k ? 0n : a)) });
    }
    const end = last();
    if (invalid === undefined && (end.stateRoot !== run.newRoot || end.exitRoot !== run.exitRoot || end.nextIndex !== run.newNextIndex)) {
      throw new OneStepError('ONE_STEP_INTERNAL', 'trace end state differs from the STF result');
    }
  }

  return {
    l1Count,
    txCount,
    feeCount,
    steps: l1Count + txCount + feeCount,
    states,
    stateHashes: states.map(stepStateHash),
    invalidAt: invalid,
    recordsRoot: rRoot,
    stepDataHash: keccak_256(concatBytes(header, rRoot)),
    proofs,
    result: invalid === undefined ? run : undefined,
  };
}

function blank(kind: StepProofInput['kind'], pre: StepState): StepProofInput {
  return { kind, pre, item: new Uint8Array(0), header: new Uint8Array(0), recordsRoot: new Uint8Array(32), recordPath: [], accounts: [], exitSiblings: [] };
}

function exitSiblings(w: StepWitness): readonly Fr[] {
  return w.exit === undefined ? [] : siblingsToFr(w.exit.siblings);
}

function l2Proof(
  pre: StepState,
  i: number,
  records: readonly Uint8Array[],
  header: Uint8Array,
  tree: readonly Uint8Array[][],
  accounts: readonly AccountWitness[],
  exitSibs: readonly Fr[],
): StepProofInput {
  // Sibling at level k of leaf i: node (i >> k) ^ 1 of that level; the root level has none.
  const recordPath = tree.slice(0, -1).map((level, k) => level[(i >> k) ^ 1] ?? new Uint8Array(32));
  return { ...blank('l2', pre), item: records[i] ?? new Uint8Array(0), header, recordPath, accounts, exitSiblings: exitSibs };
}

/**
 * The state tree and accounts as they are before each step, for read witnesses (siblings of accounts a
 * no-op or rejection looked at). Updates replay the STF's witness, so roots agree by construction.
 */
class Mirror {
  private readonly tree: SparseMerkleTree;
  private readonly accounts = new Map<number, Account>();
  private readonly depth: number;
  constructor(private readonly base: StateReader, depth: number) {
    this.tree = new SparseMerkleTree(depth, base);
    this.depth = depth;
  }
  private get(index: number): Account | undefined {
    return this.accounts.get(index) ?? this.base.getAccount(index);
  }
  /** Witnesses at positions 0, 1 for the given indices as they are now (stops at the first absent one). */
  read(indices: readonly number[], nextIndex: number): AccountWitness[] {
    const out: AccountWitness[] = [];
    for (const index of indices) {
      if (!(Number.isInteger(index) && index >= 1 && index < nextIndex)) break;
      out.push({ account: this.get(index), siblings: siblingsToFr(this.tree.siblings(index)) });
    }
    return out;
  }
  /** Witness 1 of an applied two-update step is taken after the first update: the STF's own siblings. */
  private pair(from: number, to: number, nextIndex: number, w: StepWitness | undefined): AccountWitness[] {
    const out = this.read(from === to ? [from] : [from, to], nextIndex);
    const second = w?.updates[1];
    if (out.length === 2 && second !== undefined) out[1] = { account: this.get(to), siblings: siblingsToFr(second.siblings) };
    return out;
  }
  l1Witnesses(op: L1Op, nextIndex: number, w: StepWitness): AccountWitness[] {
    switch (op.kind) {
      case 'createAccount':
        // The empty slot the account would take; none when the tree is full.
        return nextIndex < 2 ** this.depth ? [{ account: undefined, siblings: siblingsToFr(this.tree.siblings(nextIndex)) }] : [];
      case 'deposit':
        return this.read([op.toIdx], nextIndex);
      case 'forceExit':
        return this.read([op.fromIdx], nextIndex);
      case 'forceTransfer':
        return this.pair(op.fromIdx, op.toIdx, nextIndex, w);
    }
  }
  l2Witnesses(r: { readonly from: number; readonly to: number }, nextIndex: number, w: StepWitness | undefined): AccountWitness[] {
    return r.to === 0 ? this.read([r.from], nextIndex) : this.pair(r.from, r.to, nextIndex, w);
  }
  apply(w: StepWitness): void {
    for (const u of w.updates) {
      this.tree.update(u.index, frToBytesLE(u.newLeaf));
      this.accounts.set(u.index, u.after);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Proof encoding: abi.encode(StepProof) with
//   StepProof = (uint256[] pre, bytes item, bytes header, bytes32 recordsRoot, bytes32[] recordPath,
//                uint256[6][] accounts, uint256[] siblings, uint256[] exitSiblings)

/** The proof bytes for step `j` of `trace` (what OneStepProver.executeStep takes as `proof`). */
export function stepProof(trace: BatchTrace, j: number): Uint8Array {
  const input = trace.proofs[j];
  if (!Number.isInteger(j) || input === undefined) {
    throw new InvalidInputError(`step ${j} has no proof in this trace (0..${trace.proofs.length - 1})`, { details: { step: j } });
  }
  return encodeStepProof(input);
}

export function encodeStepProof(input: StepProofInput): Uint8Array {
  const accountWords = input.accounts.flatMap((a) => {
    const acc = a.account;
    return acc === undefined
      ? [0n, 0n, 0n, 0n, 0n, 0n]
      : [BigInt(acc.tokenId), BigInt(acc.nonce), acc.balance, acc.publicKey[0], acc.publicKey[1], acc.l1Address];
  });
  const parts: AbiPart[] = [
    { dynamic: wordArray(stateWords(input.pre)) },
    { dynamic: abiBytes(input.item) },
    { dynamic: abiBytes(input.header) },
    { static: input.recordsRoot },
    { dynamic: concatBytes(word(BigInt(input.recordPath.length)), ...input.recordPath) },
    { dynamic: concatBytes(word(BigInt(input.accounts.length)), wordsBytes(accountWords)) },
    { dynamic: wordArray(input.accounts.flatMap((a) => a.siblings)) },
    { dynamic: wordArray(input.exitSiblings) },
  ];
  // abi.encode of one dynamic tuple: its offset (0x20), then the tuple.
  return concatBytes(word(32n), abiTuple(parts));
}

type AbiPart = { readonly static: Uint8Array } | { readonly dynamic: Uint8Array };

function abiTuple(parts: readonly AbiPart[]): Uint8Array {
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let offset = parts.length * 32;
  for (const part of parts) {
    if ('static' in part) {
      heads.push(part.static);
    } else {
      heads.push(word(BigInt(offset)));
      tails.push(part.dynamic);
      offset += part.dynamic.length;
    }
  }
  return concatBytes(...heads, ...tails);
}

/** One ABI word: a uint256, 32 bytes big-endian. */
function word(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new InvalidInputError('ABI word out of uint256 range');
  return frToBytesBE(v);
}

function wordsBytes(words: readonly bigint[]): Uint8Array {
  return concatBytes(...words.map(word));
}

function wordArray(words: readonly bigint[]): Uint8Array {
  return concatBytes(word(BigInt(words.length)), wordsBytes(words));
}

function abiBytes(b: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(b.length / 32) * 32);
  padded.set(b);
  return concatBytes(word(BigInt(b.length)), padded);
}
