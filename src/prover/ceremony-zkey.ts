/**
 * Phase 2 of the development ceremony: the circuit's Groth16 proving key (.zkey, snarkjs's format),
 * computed from the secrets instead of from the ptau's points.
 *
 * snarkjs `zkey new` builds every key point as a sparse combination of Lagrange points, e.g.
 * A_j = Σ_c a_cj·[L_c(τ)]G1 — one variable-base multiplication per nonzero of the R1CS (≈ 2 M for
 * the devnet circuit: > 12 minutes here). Knowing τ, we sum the scalars in the field instead,
 * u_j = Σ_c a_cj·L_c(τ), and make one fixed-base multiplication per point. The result is the same
 * group element, hence the same bytes: the initial key (δ = 1) is byte-identical to `zkey new`'s.
 *
 * The final key carries one phase-2 contribution with a fresh δ, in the record snarkjs's `zkey
 * contribute` writes (δ·G1, s·G1, δ·s·G1, δ·hash-to-G2(transcript), transcript), with the C and H
 * points divided by δ — again computed as fixed-base multiples of scalars / δ.
 *
 * Key layout (iden3 binfile "zkey", v1; points affine LEM; n = domain size, m = nVars, k = nPublic):
 *  1 protocol (u32 1 = groth16)   2 header: n8q ‖ q ‖ n8r ‖ r ‖ m ‖ k ‖ n ‖ α1 ‖ β1 ‖ β2 ‖ γ2 ‖ δ1 ‖ δ2
 *  3 IC: k+1 G1 = (β·u_j + α·v_j + w_j)·G1                     4 coefficients of A and B (see below)
 *  5 A: m G1 = u_j·G1   6 B1: m G1 = v_j·G1   7 B2: m G2 = v_j·G2
 *  8 C: m−k−1 G1 = (β·u_j + α·v_j + w_j)/δ·G1 for the private signals
 *  9 H: n G1 = odd points of the 2n Lagrange block of ptau section 12, / δ
 * 10 MPC: circuit hash (blake2b-512) ‖ u32 count ‖ contributions
 * `zkey new` writes sections in the order 1,2,4,3,9,8,5,6,7,10; `zkey contribute` in 1..10.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { type Bn254Wasm, FR_BYTES, type Group, SIZES } from './ceremony-wasm.ts';
import type { CeremonyJob } from './ceremony-protocol.ts';
import { computeScalars, type ScalarContext } from './ceremony-scalars.ts';
import { SetupError } from './setup-errors.ts';
import { BN254_Q, BN254_R, bigintToLE, G1_BYTES, G2_BYTES, type PreparedPtauLayout } from './setup-ptau.ts';
import type { R1csHeader } from './setup-r1cs.ts';
import type { FfCurve } from './snarkjs-api.ts';
import { hashToG2, readAt, writeAt } from './ceremony-io.ts';

export type DirectZkeyParameters = {
  readonly w: Bn254Wasm;
  readonly ctx: ScalarContext;
  readonly curve: FfCurve;
  readonly header: R1csHeader;
  readonly constraints: Uint8Array;
  /** Power of the ceremony's ptau (the H points come from its section-12 block of size 2n). */
  readonly ptauPower: number;
  readonly zkeyPath: string;
  /** δ (standard form, 32 bytes at this address in `w`), or undefined for the initial key (δ = 1). */
  readonly pDelta: number | undefined;
  readonly contributionName: string;
  readonly randomScalar: () => Uint8Array;
  readonly chunk: Readonly<Record<Group, number>>;
  /** Ids of the plan's jobs start here (they run in one batch with the ptau's). */
  readonly firstId: number;
};

export type DirectZkeyReturnType = {
  readonly path: string;
  readonly bytes: number;
  /** snarkjs's circuit hash (hex). */
  readonly circuitHash: string;
  /** snarkjs's contribution hash (hex), null for the initial key. */
  readonly contributionHash: string | null;
};

/**
 * The key's points as worker jobs, and what to do with them. Planning does all the field work on
 * the main thread (≈ 1-2 s at 2^17, while the workers start); the secret-derived scalars then live
 * only in the jobs, which the workers zero.
 */
export type DirectZkeyPlan = {
  readonly jobs: readonly CeremonyJob[];
  /** Stores a finished job's points; false when the job is not one of this plan's. */
  readonly accept: (job: CeremonyJob, points: Uint8Array) => Promise<boolean>;
  /** Once every job is accepted and the ptau is written: circuit hash, contribution, header. */
  readonly finish: (ptau: { readonly fh: FileHandle; readonly layout: PreparedPtauLayout }) => Promise<DirectZkeyReturnType>;
  /** Removes the partial file. */
  readonly abort: () => Promise<void>;
};

const ZKEY_MAGIC = [0x7a, 0x6b, 0x65, 0x79];
const HEADER2_SIZE = 4 + 32 + 4 + 32 + 4 + 4 + 4 + G1_BYTES + G1_BYTES + G2_BYTES + G2_BYTES + G1_BYTES + G2_BYTES;
const COEF_SIZE = 12 + FR_BYTES;

type Layout = { readonly sections: ReadonlyMap<number, { offset: number; size: number }>; readonly total: number };

function zkeyLayout(order: readonly number[], sizes: ReadonlyMap<number, number>): Layout {
  const sections = new Map<number, { offset: number; size: number }>();
  let pos = 12;
  for (const id of order) {
    const size = sizes.get(id) ?? 0;
    sections.set(id, { offset: pos + 12, size });
    pos += 12 + size;
  }
  return { sections, total: pos };
}

function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, false);
  return b;
}

function contributionParams(name: string): Uint8Array {
  if (name === '') return new Uint8Array(0);
  const bytes = new TextEncoder().encode(name.slice(0, 64));
  if (bytes.length > 255) throw new SetupError('SETUP_CONFIG', 'contribution name is too long');
  return new Uint8Array([1, bytes.length, ...bytes]);
}

/** Plans the circuit's zkey; the pool's workers hold τ, α, β and compute the points. */
export async function planDirectZkey(p: DirectZkeyParameters): Promise<DirectZkeyPlan> {
  const { w, ctx, header } = p;
  const ex = w.ex;
  const nVars = header.nWires;
  const nPub = header.nPublic;
  const nC = header.nConstraints;
  const domainPower = header.domainPower;
  const n = 2 ** domainPower;
  const ptauPower = p.ptauPower;
  if (domainPower > ptauPower) {
    throw new SetupError('SETUP_PTAU_TOO_SMALL', `the circuit needs power ${domainPower}, the ceremony has ${ptauPower}`);
  }
  if (nC + nPub + 1 > n) throw new SetupError('SETUP_R1CS_INVALID', 'constraints and public signals exceed the domain');
  const final = p.pDelta !== undefined;

  // Pass 1: validate the constraints section and count the A/B coefficients snarkjs records.
  const cs = p.constraints;
  const dv = new DataView(cs.buffer, cs.byteOffset, cs.byteLength);
  let nCoefs = 0;
  {
    let q = 0;
    for (let c = 0; c < nC; c++) {
      for (let m = 0; m < 3; m++) {
        if (q + 4 > cs.length) throw new SetupError('SETUP_R1CS_INVALID', 'r1cs constraints section is truncated');
        const ne = dv.getUint32(q, true);
        q += 4;
        if (q + ne * 36 > cs.length) throw new SetupError('SETUP_R1CS_INVALID', 'r1cs constraints section is truncated');
        for (let e = 0; e < ne; e++) {
          if (dv.getUint32(q, true) >= nVars) throw new SetupError('SETUP_R1CS_INVALID', `r1cs constraint ${c} names signal ${dv.getUint32(q, true)} ≥ ${nVars}`);
          q += 36;
        }
        if (m < 2) nCoefs += ne;
      }
    }
    if (q !== cs.length) throw new SetupError('SETUP_R1CS_INVALID', 'r1cs constraints section has trailing bytes');
  }
  nCoefs += nPub + 1;

  // Pass 2 (in the engine): L_c(τ), u/v/w per signal, and the coefficients section.
  const mark = w.mark();
  const pCs = w.alloc(cs.length);
  w.write(pCs, cs);
  const L = w.alloc(n * FR_BYTES);
  let scratch = w.alloc(3 * 2 * n * FR_BYTES);
  computeScalars(ctx, { kind: 'lagrange', mult: 0, p: domainPower, start: 0, count: n }, L, scratch, true);
  const acc = w.alloc(3 * nVars * FR_BYTES);
  w.u8.fill(0, acc, acc + 3 * nVars * FR_BYTES);
  const pCoefs = w.alloc(4 + nCoefs * COEF_SIZE);
  w.u32[pCoefs >>> 2] = nCoefs;
  const tmp = w.alloc(FR_BYTES);
  let co = pCoefs + 4;
  {
    // Cost: ≈ 4 engine calls per R1CS nonzero (≈ 0.5 µs).
    let q = pCs;
    const u32 = w.u32;
    for (let c = 0; c < nC; c++) {
      const lc = L + c * FR_BYTES;
      for (let m = 0; m < 3; m++) {
        const ne = u32[q >>> 2] ?? 0;
        q += 4;
        const base = acc + m * nVars * FR_BYTES;
        for (let e = 0; e < ne; e++) {
          const s = u32[q >>> 2] ?? 0;
          ex.frm_toMontgomery(q + 4, tmp);
          if (m < 2) {
            // snarkjs stores coef·R² (Montgomery form, once more in Montgomery form).
            u32[co >>> 2] = m;
            u32[(co + 4) >>> 2] = c;
            u32[(co + 8) >>> 2] = s;
            ex.frm_toMontgomery(tmp, co + 12);
            co += COEF_SIZE;
          }
          ex.frm_mul(tmp, lc, tmp);
          ex.frm_add(base + s * FR_BYTES, tmp, base + s * FR_BYTES);
          q += 36;
        }
      }
    }
    // Each public signal (and the constant 1) gets one more A row, so IC binds it.
    ex.frm_one(tmp);
    ex.frm_toMontgomery(tmp, tmp);
    for (let s = 0; s <= nPub; s++) {
      u32[co >>> 2] = 0;
      u32[(co + 4) >>> 2] = nC + s;
      u32[(co + 8) >>> 2] = s;
      w.u8.copyWithin(co + 12, tmp, tmp + FR_BYTES);
      co += COEF_SIZE;
      ex.frm_add(acc + s * FR_BYTES, L + (nC + s) * FR_BYTES, acc + s * FR_BYTES);
    }
  }
  const coefBytes = w.read(pCoefs, 4 + nCoefs * COEF_SIZE);
  const U = acc;
  const V = acc + nVars * FR_BYTES;
  const W = acc + 2 * nVars * FR_BYTES;
  // K_j = β·u_j + α·v_j + w_j, into W.
  const [, pAlpha, pBeta] = ctx.pMult;
  for (let s = 0; s < nVars; s++) {
    const o = s * FR_BYTES;
    ex.frm_mul(U + o, pBeta, tmp);
    ex.frm_add(W + o, tmp, W + o);
    ex.frm_mul(V + o, pAlpha, tmp);
    ex.frm_add(W + o, tmp, W + o);
  }
  const K = W;
  // H: the odd points of the 2n block of section 12 (truncated when the domain is the ptau's).
  const H = w.alloc(2 * n * FR_BYTES);
  computeScalars(ctx, { kind: domainPower === ptauPower ? 'lagrangeTrunc' : 'lagrange', mult: 0, p: domainPower + 1, start: 0, count: 2 * n }, H, scratch, true);
  scratch = 0;
  const invDelta = w.alloc(FR_BYTES);
  if (p.pDelta !== undefined) {
    ex.frm_toMontgomery(p.pDelta, invDelta);
    ex.frm_inverse(invDelta, invDelta);
  } else ex.frm_one(invDelta);

  /** Standard-form copies of `count` Montgomery scalars at `src` (stride in elements), each × factor. */
  const out = w.alloc(Math.max(p.chunk.G1, p.chunk.G2) * FR_BYTES);
  const scalars = (src: number, stride: number, count: number, factor: number | undefined): Uint8Array => {
    for (let i = 0; i < count; i++) {
      const e = src + i * stride * FR_BYTES;
      if (factor === undefined) ex.frm_fromMontgomery(e, out + i * FR_BYTES);
      else {
        ex.frm_mul(e, factor, tmp);
        ex.frm_fromMontgomery(tmp, out + i * FR_BYTES);
      }
    }
    const b = w.read(out, count * FR_BYTES);
    w.u8.fill(0, out, out + count * FR_BYTES);
    return b;
  };

  // File layout.
  const params10 = final ? contributionParams(p.contributionName) : new Uint8Array(0);
  const sizes = new Map<number, number>([
    [1, 4],
    [2, HEADER2_SIZE],
    [3, (nPub + 1) * G1_BYTES],
    [4, coefBytes.length],
    [5, nVars * G1_BYTES],
    [6, nVars * G1_BYTES],
    [7, nVars * G2_BYTES],
    [8, (nVars - nPub - 1) * G1_BYTES],
    [9, n * G1_BYTES],
    [10, 64 + 4 + (final ? 3 * G1_BYTES + G2_BYTES + 64 + 4 + 4 + params10.length : 0)],
  ]);
  const layout = zkeyLayout(final ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [1, 2, 4, 3, 9, 8, 5, 6, 7, 10], sizes);
  const sec = (id: number): number => {
    const s = layout.sections.get(id);
    if (s === undefined) throw new SetupError('SETUP_FAILED', `zkey layout lacks section ${id}`);
    return s.offset;
  };

  // Jobs: destination is a file offset, or a memory buffer for points only hashed (initial C).
  type Dest = { readonly file: number } | { readonly mem: Uint8Array; readonly at: number };
  const jobs: (CeremonyJob & { dest: Dest })[] = [];
  const cInit = final ? new Uint8Array((nVars - nPub - 1) * G1_BYTES) : undefined;
  const ic = new Uint8Array((nPub + 1) * G1_BYTES);
  const add = (group: Group, src: number, stride: number, count: number, factor: number | undefined, dest: (i: number) => Dest): void => {
    const chunk = p.chunk[group];
    for (let i = 0; i < count; i += chunk) {
      const k = Math.min(chunk, count - i);
      jobs.push({ id: p.firstId + jobs.length, group, count: k, kind: 'explicit', scalars: scalars(src + i * stride * FR_BYTES, stride, k, factor), dest: dest(i) });
    }
  };
  add('G1', U, 1, nVars, undefined, (i) => ({ file: sec(5) + i * G1_BYTES }));
  add('G1', V, 1, nVars, undefined, (i) => ({ file: sec(6) + i * G1_BYTES }));
  add('G2', V, 1, nVars, undefined, (i) => ({ file: sec(7) + i * G2_BYTES }));
  add('G1', K, 1, nPub + 1, undefined, (i) => ({ mem: ic, at: i * G1_BYTES }));
  const kPriv = K + (nPub + 1) * FR_BYTES;
  add('G1', kPriv, 1, nVars - nPub - 1, final ? invDelta : undefined, (i) => ({ file: sec(8) + i * G1_BYTES }));
  if (cInit !== undefined) add('G1', kPriv, 1, nVars - nPub - 1, undefined, (i) => ({ mem: cInit, at: i * G1_BYTES }));
  add('G1', H + FR_BYTES, 2, n, final ? invDelta : undefined, (i) => ({ file: sec(9) + i * G1_BYTES }));
  // Every secret-derived scalar now lives only in the job messages (zeroed by the workers).
  w.u8.fill(0, mark, w.mark());
  w.reset(mark);

  const tmpPath = `${p.zkeyPath}.tmp-${process.pid}`;
  const fh = await open(tmpPath, 'w+');
  const abort = async (): Promise<void> => {
    await fh.close().catch(() => {});
    await rm(tmpPath, { force: true });
  };
  try {
    await fh.truncate(layout.total);
    const head = new Uint8Array(12);
    head.set(ZKEY_MAGIC);
    new DataView(head.buffer).setUint32(4, 1, true);
    new DataView(head.buffer).setUint32(8, 10, true);
    await writeAt(fh, 0, head);
    for (const [id, s] of layout.sections) {
      const b = new Uint8Array(12);
      const v = new DataView(b.buffer);
      v.setUint32(0, id, true);
      v.setBigUint64(4, BigInt(s.size), true);
      await writeAt(fh, s.offset - 12, b);
    }
    await writeAt(fh, sec(1), u32le(1));
    await writeAt(fh, sec(4), coefBytes);
  } catch (err) {
    await abort();
    throw err;
  }
  const byId = new Map(jobs.map((j) => [j.id, j.dest]));
  const accept = async (job: CeremonyJob, points: Uint8Array): Promise<boolean> => {
    const dest = byId.get(job.id);
    if (dest === undefined) return false;
    if ('file' in dest) await writeAt(fh, dest.file, points);
    else dest.mem.set(points, dest.at);
    return true;
  };
  const finish = async (ptau: { readonly fh: FileHandle; readonly layout: PreparedPtauLayout }): Promise<DirectZkeyReturnType> => {
    await writeAt(fh, sec(3), ic);

    // Header points from the ptau: α1 = α·G1, β1 = β·G1, β2 = β·G2.
    const pSec = (id: number): number => {
      const s = ptau.layout.sections.get(id);
      if (s === undefined) throw new SetupError('SETUP_FAILED', `ptau layout lacks section ${id}`);
      return s.dataOffset;
    };
    const alpha1 = await readAt(ptau.fh, pSec(4), G1_BYTES);
    const beta1 = await readAt(ptau.fh, pSec(5), G1_BYTES);
    const beta2 = await readAt(ptau.fh, pSec(6), G2_BYTES);
    const g1 = w.read(w.pG1gen, G1_BYTES);
    const g2 = w.read(w.pG2gen, G2_BYTES);

    // Circuit hash: blake2b-512 over the initial key's points, uncompressed, in zkey_new's order.
    const cs2 = createHash('blake2b512');
    const m2 = w.mark();
    const pIn = w.alloc(16384 * G2_BYTES);
    const pJac = w.alloc(16384 * SIZES.G1.jacobian);
    const pU = w.alloc(16384 * G2_BYTES);
    const hashPoints = (group: Group, bytes: Uint8Array): void => {
      const size = SIZES[group].affine;
      for (let i = 0; i < bytes.length; i += 16384 * size) {
        const part = bytes.subarray(i, Math.min(bytes.length, i + 16384 * size));
        w.write(pIn, part);
        (group === 'G1' ? ex.g1m_batchLEMtoU : ex.g2m_batchLEMtoU)(pIn, part.length / size, pU);
        cs2.update(w.u8.subarray(pU, pU + part.length));
      }
    };
    const hashFileSection = async (id: number, group: Group): Promise<void> => {
      const s = layout.sections.get(id);
      if (s === undefined) return;
      cs2.update(u32be(s.size / SIZES[group].affine));
      for (let i = 0; i < s.size; i += 16384 * SIZES[group].affine) {
        hashPoints(group, await readAt(fh, s.offset + i, Math.min(s.size - i, 16384 * SIZES[group].affine)));
      }
    };
    hashPoints('G1', alpha1);
    hashPoints('G1', beta1);
    hashPoints('G2', beta2);
    hashPoints('G2', g2); // γ2
    hashPoints('G1', g1); // δ1 before any contribution
    hashPoints('G2', g2); // δ2
    cs2.update(u32be(nPub + 1));
    hashPoints('G1', ic);
    // zkey_new hashes [τ^(i+n) − τ^i]·G1 for i < n−1 (the H query before its Lagrange form).
    cs2.update(u32be(n - 1));
    for (let i = 0; i < n - 1; i += 16384) {
      const k = Math.min(16384, n - 1 - i);
      const hi = await readAt(ptau.fh, pSec(2) + (i + n) * G1_BYTES, k * G1_BYTES);
      const lo = await readAt(ptau.fh, pSec(2) + i * G1_BYTES, k * G1_BYTES);
      w.write(pIn, hi);
      w.write(pU, lo);
      for (let j = 0; j < k; j++) ex.g1m_subAffine(pIn + j * G1_BYTES, pU + j * G1_BYTES, pJac + j * SIZES.G1.jacobian);
      ex.g1m_batchToAffine(pJac, k, pIn);
      ex.g1m_batchLEMtoU(pIn, k, pU);
      cs2.update(w.u8.subarray(pU, pU + k * G1_BYTES));
    }
    if (cInit !== undefined) {
      cs2.update(u32be(nVars - nPub - 1));
      hashPoints('G1', cInit);
    } else await hashFileSection(8, 'G1');
    await hashFileSection(5, 'G1');
    await hashFileSection(6, 'G1');
    await hashFileSection(7, 'G2');
    const circuitHash = new Uint8Array(cs2.digest());
    w.reset(m2);

    // δ and the contribution record.
    let delta1 = g1;
    let delta2 = g2;
    const mpc: Uint8Array[] = [circuitHash];
    let contributionHash: string | null = null;
    if (p.pDelta !== undefined) {
      const pd = p.pDelta;
      const m3 = w.mark();
      const jac = w.alloc(SIZES.G2.jacobian);
      const a1 = w.alloc(G1_BYTES);
      const a2 = w.alloc(G2_BYTES);
      const pS = w.alloc(FR_BYTES);
      const u = w.alloc(G2_BYTES);
      const g1Mul = (pPoint: number, pScalar: number): Uint8Array => {
        ex.g1m_timesScalarAffine(pPoint, pScalar, FR_BYTES, jac);
        ex.g1m_toAffine(jac, a1);
        return w.read(a1, G1_BYTES);
      };
      const uncompressed = (group: Group, bytes: Uint8Array): Uint8Array => {
        w.write(a2, bytes);
        (group === 'G1' ? ex.g1m_batchLEMtoU : ex.g2m_batchLEMtoU)(a2, 1, u);
        return w.read(u, bytes.length);
      };
      delta1 = g1Mul(w.pG1gen, pd);
      ex.g2m_timesScalarAffine(w.pG2gen, pd, FR_BYTES, jac);
      ex.g2m_toAffine(jac, a2);
      delta2 = w.read(a2, G2_BYTES);
      const s = p.randomScalar();
      w.write(pS, s);
      s.fill(0);
      const g1s = g1Mul(w.pG1gen, pS);
      w.write(a1, g1s);
      const pG1s = w.alloc(G1_BYTES);
      w.write(pG1s, g1s);
      const g1sx = g1Mul(pG1s, pd);
      const transcript = new Uint8Array(
        createHash('blake2b512').update(circuitHash).update(uncompressed('G1', g1s)).update(uncompressed('G1', g1sx)).digest(),
      );
      const sp = await hashToG2(p.curve, transcript);
      w.write(a2, sp);
      ex.g2m_timesScalarAffine(a2, pd, FR_BYTES, jac);
      ex.g2m_toAffine(jac, a2);
      const g2spx = w.read(a2, G2_BYTES);
      contributionHash = createHash('blake2b512')
        .update(uncompressed('G1', delta1))
        .update(uncompressed('G1', g1s))
        .update(uncompressed('G1', g1sx))
        .update(uncompressed('G2', g2spx))
        .update(transcript)
        .digest('hex');
      w.u8.fill(0, pS, pS + FR_BYTES);
      w.reset(m3);
      mpc.push(u32le(1), delta1, g1s, g1sx, g2spx, transcript, u32le(0), u32le(params10.length), params10);
    } else mpc.push(u32le(0));
    let pos = sec(10);
    for (const part of mpc) {
      await writeAt(fh, pos, part);
      pos += part.length;
    }

    const h2 = new Uint8Array(HEADER2_SIZE);
    const v2 = new DataView(h2.buffer);
    let o = 0;
    const put = (b: Uint8Array): void => {
      h2.set(b, o);
      o += b.length;
    };
    v2.setUint32(o, 32, true);
    o += 4;
    put(bigintToLE(BN254_Q, 32));
    v2.setUint32(o, 32, true);
    o += 4;
    put(bigintToLE(BN254_R, 32));
    v2.setUint32(o, nVars, true);
    v2.setUint32(o + 4, nPub, true);
    v2.setUint32(o + 8, n, true);
    o += 12;
    for (const b of [alpha1, beta1, beta2, g2, delta1, delta2]) put(b);
    await writeAt(fh, sec(2), h2);
    await fh.sync();
    await fh.close();
    await rename(tmpPath, p.zkeyPath);
    return { path: p.zkeyPath, bytes: layout.total, circuitHash: Buffer.from(circuitHash).toString('hex'), contributionHash };
  };
  return {
    jobs: jobs.map(({ dest: _dest, ...job }) => job),
    accept,
    finish: async (ptau) => {
      try {
        return await finish(ptau);
      } catch (err) {
        await abort();
        throw err;
      }
    },
    abort,
  };
}
