/**
 * The powers-of-tau file format as snarkjs 0.7 reads and writes it (iden3 binfile "ptau", v1):
 *
 *   magic "ptau" ‖ u32 version = 1 ‖ u32 nSections, then per section: u32 id ‖ u64 size ‖ data.
 *
 * All integers little-endian. Points are affine, little-endian Montgomery ("LEM"): 64 bytes in G1,
 * 128 in G2; the point at infinity is all zeros. With N = 2^power:
 *
 *  1 header         u32 n8 = 32 ‖ q (32 bytes) ‖ u32 power ‖ u32 ceremonyPower
 *  2 tauG1          τ^i·G1, i < 2N−1            3 tauG2       τ^i·G2, i < N
 *  4 alphaTauG1     α·τ^i·G1, i < N             5 betaTauG1   β·τ^i·G1, i < N
 *  6 betaG2         β·G2                        7 contributions (see ceremony.ts)
 * 12 lagrange tauG1 for p = 0..power+1: L_i(τ)·G1 over 2^p roots (the last block from the 2N−1
 *                   points padded with zero), (4N−1) points in all
 * 13 lagrange tauG2, 14 alphaTauG1, 15 betaTauG1: p = 0..power, (2N−1) points each.
 *
 * A "prepared" file (snarkjs `powersoftau prepare phase2`) has sections 12-15 and declares 11
 * sections in its header; snarkjs writes them in the order 1-7, 12-15.
 */
import { open } from 'node:fs/promises';
import { SetupError } from './setup-errors.ts';

/** BN254 base-field modulus q (the ptau header names the curve by it). */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** BN254 scalar-field modulus r (the r1cs header names the field by it). */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** snarkjs's limit: Fr has 2^28-th roots of unity and section 12 needs power+1 of them. */
export const MAX_PTAU_POWER = 27;

export const G1_BYTES = 64;
export const G2_BYTES = 128;
const SECTION_HEADER = 12;
const FILE_HEADER = 12;
export const PTAU_HEADER_SIZE = 44;
/** Fixed part of one contribution record (points, keys, partial hash, challenge, type, params length). */
export const CONTRIBUTION_FIXED_SIZE = G1_BYTES + G2_BYTES + G1_BYTES + G1_BYTES + G2_BYTES + (6 * G1_BYTES + 3 * G2_BYTES) + 216 + 64 + 4 + 4;

export type SectionLayout = { readonly id: number; readonly dataOffset: number; readonly size: number };

export type PreparedPtauLayout = {
  readonly power: number;
  readonly sections: ReadonlyMap<number, SectionLayout>;
  readonly totalSize: number;
};

/** Bytes of every section of a prepared file of this power. */
export function ptauSectionSizes(power: number, contributionsSize: number): ReadonlyMap<number, number> {
  const n = 2 ** power;
  return new Map([
    [1, PTAU_HEADER_SIZE],
    [2, (2 * n - 1) * G1_BYTES],
    [3, n * G2_BYTES],
    [4, n * G1_BYTES],
    [5, n * G1_BYTES],
    [6, G2_BYTES],
    [7, contributionsSize],
    [12, (4 * n - 1) * G1_BYTES],
    [13, (2 * n - 1) * G2_BYTES],
    [14, (2 * n - 1) * G1_BYTES],
    [15, (2 * n - 1) * G1_BYTES],
  ]);
}

/** Offsets of a prepared ptau written in snarkjs's section order. */
export function preparedPtauLayout(power: number, contributionsSize: number): PreparedPtauLayout {
  const sizes = ptauSectionSizes(power, contributionsSize);
  const sections = new Map<number, SectionLayout>();
  let pos = FILE_HEADER;
  for (const [id, size] of sizes) {
    sections.set(id, { id, dataOffset: pos + SECTION_HEADER, size });
    pos += SECTION_HEADER + size;
  }
  return { power, sections, totalSize: pos };
}

/** File header and every section header of the layout, as (offset, bytes) writes. */
export function ptauHeaderWrites(layout: PreparedPtauLayout): { offset: number; bytes: Uint8Array }[] {
  const out: { offset: number; bytes: Uint8Array }[] = [];
  const head = new Uint8Array(FILE_HEADER);
  head.set([0x70, 0x74, 0x61, 0x75]);
  const hv = new DataView(head.buffer);
  hv.setUint32(4, 1, true);
  hv.setUint32(8, layout.sections.size, true);
  out.push({ offset: 0, bytes: head });
  for (const s of layout.sections.values()) {
    const b = new Uint8Array(SECTION_HEADER);
    const v = new DataView(b.buffer);
    v.setUint32(0, s.id, true);
    v.setBigUint64(4, BigInt(s.size), true);
    out.push({ offset: s.dataOffset - SECTION_HEADER, bytes: b });
  }
  const h = new Uint8Array(PTAU_HEADER_SIZE);
  const v = new DataView(h.buffer);
  v.setUint32(0, 32, true);
  h.set(bigintToLE(BN254_Q, 32), 4);
  v.setUint32(36, layout.power, true);
  v.setUint32(40, layout.power, true);
  const s1 = layout.sections.get(1);
  if (s1 !== undefined) out.push({ offset: s1.dataOffset, bytes: h });
  return out;
}

export function bigintToLE(v: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = v;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function leToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i] ?? 0);
  return x;
}

export type PtauInfo = {
  readonly path: string;
  readonly power: number;
  /** Power of the ceremony the file was cut from (Hermez files: 28 with smaller `power`). */
  readonly ceremonyPower: number;
  /** Sections 12-15 (Lagrange bases) are present: usable for Groth16 phase 2 as is. */
  readonly prepared: boolean;
  readonly contributions: number;
  readonly bytes: number;
};

/**
 * Reads and checks a ptau file's structure without loading its points: magic, version, BN254
 * header, every section once with the size its power implies, and at least one contribution.
 */
export async function readPtauInfo(path: string): Promise<PtauInfo> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (cause) {
    throw new SetupError('SETUP_PTAU_INVALID', `cannot open powers-of-tau file ${path}`, { cause, details: { path } });
  }
  try {
    const size = (await fh.stat()).size;
    const bad = (why: string, details: Record<string, unknown> = {}): SetupError =>
      new SetupError('SETUP_PTAU_INVALID', `${path} is not a usable powers-of-tau file: ${why}`, { details: { path, ...details } });
    const read = async (pos: number, len: number): Promise<Uint8Array> => {
      if (pos + len > size) throw bad('truncated', { pos, len, size });
      const b = new Uint8Array(len);
      await fh.read(b, 0, len, pos);
      return b;
    };
    const head = await read(0, FILE_HEADER);
    const hv = new DataView(head.buffer);
    if (String.fromCharCode(...head.subarray(0, 4)) !== 'ptau') throw bad('magic is not "ptau"');
    if (hv.getUint32(4, true) !== 1) throw bad(`unsupported version ${hv.getUint32(4, true)}`);
    const nSections = hv.getUint32(8, true);
    if (nSections < 1 || nSections > 64) throw bad(`implausible section count ${nSections}`);
    const sections = new Map<number, { offset: number; size: number }>();
    let pos = FILE_HEADER;
    for (let i = 0; i < nSections; i++) {
      const sh = await read(pos, SECTION_HEADER);
      const sv = new DataView(sh.buffer);
      const id = sv.getUint32(0, true);
      const len = Number(sv.getBigUint64(4, true));
      if (sections.has(id)) throw bad(`section ${id} appears twice`);
      sections.set(id, { offset: pos + SECTION_HEADER, size: len });
      pos += SECTION_HEADER + len;
      if (pos > size) throw bad(`section ${id} runs past the end of the file`, { id });
    }
    const s1 = sections.get(1);
    if (s1 === undefined || s1.size !== PTAU_HEADER_SIZE) throw bad('missing or malformed header section');
    const h = await read(s1.offset, PTAU_HEADER_SIZE);
    const v = new DataView(h.buffer);
    if (v.getUint32(0, true) !== 32 || leToBigint(h.subarray(4, 36)) !== BN254_Q) throw bad('curve is not BN254 (bn128)');
    const power = v.getUint32(36, true);
    const ceremonyPower = v.getUint32(40, true);
    if (power < 1 || power > MAX_PTAU_POWER + 1 || ceremonyPower < power) throw bad(`implausible power ${power} / ${ceremonyPower}`);
    const expected = ptauSectionSizes(power, 0);
    for (const id of [2, 3, 4, 5, 6]) {
      const s = sections.get(id);
      if (s === undefined) throw bad(`missing section ${id}`);
      if (s.size !== expected.get(id)) throw bad(`section ${id} has ${s.size} bytes, expected ${expected.get(id)} for power ${power}`, { id });
    }
    const s7 = sections.get(7);
    if (s7 === undefined || s7.size < 4) throw bad('missing contributions section');
    const contributions = new DataView((await read(s7.offset, 4)).buffer).getUint32(0, true);
    if (contributions === 0) throw bad('it has no contribution (all points are the generator): never usable');
    const lagrange = [12, 13, 14, 15].filter((id) => sections.has(id));
    if (lagrange.length !== 0 && lagrange.length !== 4) throw bad('only some of the prepared sections 12-15 are present');
    for (const id of lagrange) {
      const s = sections.get(id);
      if (s?.size !== expected.get(id)) throw bad(`section ${id} has ${s?.size} bytes, expected ${expected.get(id)}`, { id });
    }
    return { path, power, ceremonyPower, prepared: lagrange.length === 4, contributions, bytes: size };
  } finally {
    await fh.close();
  }
}
