/**
 * The ZK batch commitment: what binds a Groth16 proof to one batch on L1 (docs/PROTOCOL.md §9).
 *
 * The data a batch consumed (its L1 operations and its posted batch data) is cheap to hash on L1 with
 * keccak but ruinous to hash in a circuit (~150k constraints per 136 bytes), and Poseidon is cheap in
 * a circuit but costs ~340 gas per byte on L1. The commitment uses both where each is cheap:
 *
 *   elements  e_0..e_{N-1}  a fixed layout of field elements (L1 ops, fee table, tx records)
 *   c         Poseidon chain over the elements             — computed by the sequencer and the circuit
 *   dataHash  keccak256(l1OpsBytes ‖ batchDataBytes)        — computed by the L1 contract
 *   z         keccak256(c ‖ dataHash) mod p                 — L1; the circuit takes it as given
 *   f         Σ e_j · z^j mod p                              — L1 (≈ 40 gas per element) and circuit
 *                                                             (1 constraint per element)
 *
 * If the circuit's elements d' differ from the posted ones d, then f = P_d(z) = P_{d'}(z) holds only
 * if z is a root of the nonzero polynomial P_d − P_{d'}; z is a hash of c = Poseidon(d') and of d,
 * fixed only after both are, so this happens with probability ≤ N/p (Schwartz–Zippel). The single
 * public input is then
 *   inputHash = Poseidon([ Poseidon([oldRoot, newRoot, counters, exitRoot]), Poseidon([c, z, f, domain]) ])
 * where `domain` is the deployment's domain digest (chain id + rollup address, as signatures bind),
 * so one circuit and proving key serve every deployment and no proof is valid on two of them.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToBigIntBE } from './bytes.ts';
import { InvalidInputError } from './errors.ts';
import { FR_MODULUS, type Fr } from './field.ts';
import { poseidon } from './poseidon.ts';
import type { BatchResult, FeeEntry, StfConfig } from './stf.ts';
import { L1_OP_TYPE, domainHash, encodeL1Ops, type L1Op } from './tx.ts';
import { encodeBatchData, type SignedTxRecord, type TxRecord } from './batch-data.ts';
import { packSignature } from './eddsa.ts';

/** Shape of a circuit instance: how many of each item its element layout reserves. */
export type CommitmentLayout = {
  readonly maxL1Ops: number;
  readonly maxFeeTokens: number;
  readonly maxL2Txs: number;
};

export const ELEMENTS_PER_L1_OP = 4;

export function layoutFromConfig(config: Pick<StfConfig, 'maxL1Ops' | 'maxFeeTokens'>, maxL2Txs: number): CommitmentLayout {
  return { maxL1Ops: config.maxL1Ops, maxFeeTokens: config.maxFeeTokens, maxL2Txs };
}

export function elementCount(layout: CommitmentLayout): number {
  return ELEMENTS_PER_L1_OP * layout.maxL1Ops + layout.maxFeeTokens + layout.maxL2Txs;
}

/**
 * An L1 op as 4 field-aligned elements (no field straddles two elements, so a circuit needs no bit
 * decomposition to rebuild them):
 *   e0 = type | l1Address·2⁸ | tokenId·2¹⁶⁸      e1 = amount | fromIdx·2¹²⁸ | toIdx·2¹⁶⁰
 *   e2 = Ax                                      e3 = Ay
 */
export function l1OpElements(op: L1Op): [Fr, Fr, Fr, Fr] {
  const tokenId = op.kind === 'createAccount' || op.kind === 'deposit' ? BigInt(op.tokenId) : 0n;
  const amount = op.kind === 'forceExit' ? 0n : op.amount;
  const fromIdx = op.kind === 'forceExit' || op.kind === 'forceTransfer' ? BigInt(op.fromIdx) : 0n;
  const toIdx = op.kind === 'deposit' || op.kind === 'forceTransfer' ? BigInt(op.toIdx) : 0n;
  const [ax, ay] = op.kind === 'createAccount' ? op.publicKey : [0n, 0n];
  return [
    BigInt(L1_OP_TYPE[op.kind]) | (op.l1Address << 8n) | (tokenId << 168n),
    amount | (fromIdx << 128n) | (toIdx << 160n),
    ax,
    ay,
  ];
}

/** tokenId·2¹⁶⁰ | accountIdx·2¹²⁸ | fee — the 24-byte fee entry read as a big-endian integer. */
export function feeEntryElement(e: FeeEntry): Fr {
  return (BigInt(e.tokenId) << 160n) | (BigInt(e.accountIdx) << 128n) | e.fee;
}

/** from·2⁶⁴ | to·2³² | amountF — the 12-byte ZK record read as a big-endian integer. */
export function txRecordElement(r: TxRecord): Fr {
  return (BigInt(r.from) << 64n) | (BigInt(r.to) << 32n) | BigInt(r.amountF);
}

export type CommitmentInput = {
  readonly l1Ops: readonly L1Op[];
  readonly feeTable: readonly FeeEntry[];
  readonly txs: readonly TxRecord[];
};

/** The fixed-layout element vector: L1 ops at 4i, fee entries after all L1 slots, then tx records. */
export function commitmentElements(layout: CommitmentLayout, input: CommitmentInput): Fr[] {
  if (input.l1Ops.length > layout.maxL1Ops || input.feeTable.length > layout.maxFeeTokens || input.txs.length > layout.maxL2Txs) {
    throw new InvalidInputError('batch exceeds the commitment layout', {
      details: { l1Ops: input.l1Ops.length, fees: input.feeTable.length, txs: input.txs.length, ...layout },
    });
  }
  const out: Fr[] = new Array<Fr>(elementCount(layout)).fill(0n);
  input.l1Ops.forEach((op, i) => l1OpElements(op).forEach((e, k) => (out[ELEMENTS_PER_L1_OP * i + k] = e)));
  const feeBase = ELEMENTS_PER_L1_OP * layout.maxL1Ops;
  input.feeTable.forEach((e, k) => (out[feeBase + k] = feeEntryElement(e)));
  const txBase = feeBase + layout.maxFeeTokens;
  input.txs.forEach((r, j) => (out[txBase + j] = txRecordElement(r)));
  return out;
}

/** c = chain of Poseidon(4): c ← Poseidon([c, e_3k, e_3k+1, e_3k+2]) from c = 0, zero-padded. Cost N/3 hashes. */
export function elementsCommitment(elements: readonly Fr[]): Fr {
  let c = 0n;
  for (let i = 0; i < elements.length; i += 3) c = poseidon([c, elements[i] ?? 0n, elements[i + 1] ?? 0n, elements[i + 2] ?? 0n]);
  return c;
}

/** keccak256 of the L1 op encodings (113 bytes each, in order) followed by the batch data bytes. */
export function dataHash(l1Ops: readonly L1Op[], batchData: Uint8Array): Uint8Array {
  const ops = encodeL1Ops(l1Ops);
  const all = new Uint8Array(ops.length + batchData.length);
  all.set(ops, 0);
  all.set(batchData, ops.length);
  return keccak_256(all);
}

/** z = keccak256(c as uint256 ‖ dataHash) mod p. */
export function challenge(c: Fr, hash: Uint8Array): Fr {
  const buf = new Uint8Array(64);
  let v = c;
  for (let i = 31; i >= 0; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  buf.set(hash, 32);
  return bytesToBigIntBE(keccak_256(buf)) % FR_MODULUS;
}

/** f = Σ e_j z^j mod p (Horner from the top). */
export function evaluateAt(elements: readonly Fr[], z: Fr): Fr {
  let acc = 0n;
  for (let j = elements.length - 1; j >= 0; j--) acc = (acc * z + (elements[j] ?? 0n)) % FR_MODULUS;
  return acc;
}

export type BatchHeader = {
  readonly batchNum: bigint;
  readonly oldRoot: Fr;
  readonly newRoot: Fr;
  readonly oldNextIndex: number;
  readonly newNextIndex: number;
  readonly l1Start: bigint;
  readonly l1Count: number;
  readonly txCount: number;
  readonly exitRoot: Fr;
};

/** batchNum (64) | oldNextIndex·2⁶⁴ (32) | newNextIndex·2⁹⁶ (32) | l1Start·2¹²⁸ (64) | l1Count·2¹⁹² (16) | txCount·2²⁰⁸ (32). */
export function packCounters(h: BatchHeader): Fr {
  const fits = (v: bigint, bits: number): boolean => v >= 0n && v < 1n << BigInt(bits);
  if (!fits(h.batchNum, 64) || !fits(BigInt(h.oldNextIndex), 32) || !fits(BigInt(h.newNextIndex), 32) || !fits(h.l1Start, 64) || !fits(BigInt(h.l1Count), 16) || !fits(BigInt(h.txCount), 32)) {
    throw new InvalidInputError('batch header counter out of range');
  }
  return h.batchNum | (BigInt(h.oldNextIndex) << 64n) | (BigInt(h.newNextIndex) << 96n) | (h.l1Start << 128n) | (BigInt(h.l1Count) << 192n) | (BigInt(h.txCount) << 208n);
}

export type BatchCommitment = {
  readonly elements: readonly Fr[];
  readonly c: Fr;
  readonly dataHash: Uint8Array;
  readonly z: Fr;
  readonly f: Fr;
  readonly counters: Fr;
  readonly inputHash: Fr;
};

/** Everything the sequencer posts, the contract recomputes and the circuit proves, for one batch. */
export function batchCommitment(
  layout: CommitmentLayout,
  header: BatchHeader,
  input: CommitmentInput,
  batchData: Uint8Array,
  domainDigest: Fr,
): BatchCommitment {
  const elements = commitmentElements(layout, input);
  const c = elementsCommitment(elements);
  const hash = dataHash(input.l1Ops, batchData);
  const z = challenge(c, hash);
  const f = evaluateAt(elements, z);
  const counters = packCounters(header);
  const inputHash = poseidon([poseidon([header.oldRoot, header.newRoot, counters, header.exitRoot]), poseidon([c, z, f, domainDigest])]);
  return { elements, c, dataHash: hash, z, f, counters, inputHash };
}

/** The header a batch result commits to on L1. */
export function batchHeaderFromResult(result: BatchResult, batchNum: bigint, l1Start: bigint): BatchHeader {
  return {
    batchNum,
    oldRoot: result.oldRoot,
    newRoot: result.newRoot,
    oldNextIndex: result.oldNextIndex,
    newNextIndex: result.newNextIndex,
    l1Start,
    l1Count: result.l1Receipts.length,
    txCount: result.included.length,
    exitRoot: result.exitRoot,
  };
}

export type ZkBatch = {
  readonly header: BatchHeader;
  readonly records: readonly TxRecord[];
  readonly batchData: Uint8Array;
  readonly commitment: BatchCommitment;
};

/**
 * What a sequenced batch posts in ZK mode and what its proof must bind: header, batch data and
 * commitment, derived once from the STF result (the sequencer posts it, the prover proves it).
 */
export function zkBatchFromResult(p: {
  readonly config: StfConfig;
  readonly maxL2Txs: number;
  readonly result: BatchResult;
  readonly l1Ops: readonly L1Op[];
  readonly feeTable: readonly FeeEntry[];
  readonly batchNum: bigint;
  readonly l1Start: bigint;
}): ZkBatch {
  const records = p.result.included.map(({ from, to, amountF }) => ({ from, to, amountF }));
  const header = batchHeaderFromResult(p.result, p.batchNum, p.l1Start);
  const batchData = encodeBatchData({ mode: 'zk', feeTable: p.feeTable, txs: records });
  const commitment = batchCommitment(layoutFromConfig(p.config, p.maxL2Txs), header, { l1Ops: p.l1Ops, feeTable: p.feeTable, txs: records }, batchData, domainHash(p.config.domain));
  return { header, records, batchData, commitment };
}

export type SignedBatch = ZkBatch & {
  /** The posted records with fee cap and packed signature (78 bytes each on the wire). */
  readonly signedRecords: readonly SignedTxRecord[];
};

/**
 * What a sequenced batch posts in optimistic and multi-proof modes (docs/PROTOCOL.md §14.1): batch data
 * with mode byte 1 and 78-byte signed records. The commitment is the ZK one over the same elements — each
 * record's element is its 12-byte prefix (from | to | amountF), exactly the ZK record — while z binds
 * every posted byte, signatures included (dataHash is over the signed data). So in multi mode the batch
 * circuit proves it unchanged, and the Rollup's fingerprint (stride 78) agrees with this one.
 */
export function signedBatchFromResult(p: Parameters<typeof zkBatchFromResult>[0]): SignedBatch {
  const records = p.result.included.map(({ from, to, amountF }) => ({ from, to, amountF }));
  const signedRecords = p.result.included.map(({ from, to, amountF, maxFeeF, signature }) => ({ from, to, amountF, maxFeeF, signature: packSignature(signature) }));
  const header = batchHeaderFromResult(p.result, p.batchNum, p.l1Start);
  const batchData = encodeBatchData({ mode: 'optimistic', feeTable: p.feeTable, txs: signedRecords });
  const commitment = batchCommitment(layoutFromConfig(p.config, p.maxL2Txs), header, { l1Ops: p.l1Ops, feeTable: p.feeTable, txs: records }, batchData, domainHash(p.config.domain));
  return { header, records, signedRecords, batchData, commitment };
}
