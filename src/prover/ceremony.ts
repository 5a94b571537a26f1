/**
 * A one-party development powers-of-tau ceremony that writes a *prepared* ptau file (sections 1-7
 * and 12-15) in exactly the bytes snarkjs would produce from `new` + one `contribute` +
 * `prepare phase2` with the same secrets — minutes of snarkjs work done in seconds:
 *
 * - τ, α, β are drawn from node:crypto; every point is c·s·G for a scalar s computed from them
 *   (ceremony-scalars.ts), by fixed-base multiplication on worker threads (ceremony-wasm.ts).
 *   The Lagrange sections are evaluated directly as L_i(τ)·G instead of by group FFTs, which is
 *   where snarkjs spends most of its time (one scalar multiplication per butterfly).
 * - Section 7 carries one contribution record as snarkjs's `contribute` writes it: the new points,
 *   the proof-of-knowledge keys (s·G1, s·x·G1 and x·H(challenge, ...) in G2 for x = τ, α, β), the
 *   partial blake2b state of the response hash, and the next challenge hash. `snarkjs
 *   powersoftau verify` therefore accepts the file, and later contributions can build on it.
 * - With a circuit, the same run writes its proving key (ceremony-zkey.ts): the key's points are
 *   computed from τ, α, β and a fresh δ the same way, byte-for-byte what snarkjs `zkey new` +
 *   one `zkey contribute` would write (snarkjs's `zkey new` alone takes > 12 minutes for the
 *   devnet circuit here). Ptau and key points run as one batch on the workers.
 * - The secrets are overwritten in every thread's memory once the points are written.
 *
 * Measured on the project's 2-core box (bench/prover.bench.ts): devnet circuit (≈ 90k constraints,
 * 2^17) ≈ 49 s for ptau + key, against ≈ 23 minutes for snarkjs's ptau steps at 2^16 alone.
 *
 * This is a development ceremony: whoever ran it could forge proofs. Production uses a public
 * ptau (setup.ts imports one) and real phase-2 contributions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { Bn254Wasm, type Bn254WasmCode, FR_BYTES, type Group, SIZES } from './ceremony-wasm.ts';
import type { CeremonyJob } from './ceremony-protocol.ts';
import { CeremonyPool } from './ceremony-pool.ts';
import { readAt, writeAt, hashToG2 } from './ceremony-io.ts';
import { type DirectZkeyPlan, planDirectZkey } from './ceremony-zkey.ts';
import { readR1csConstraints } from './setup-r1cs.ts';
import { createScalarContext, type ScalarKind, type ScalarMult } from './ceremony-scalars.ts';
import { SetupError } from './setup-errors.ts';
import { type CeremonyOptions, chooseWindow, defaultCeremonyOptions } from './setup-options.ts';
import { type ProgressFactory, silentProgress } from './setup-progress.ts';
import {
  BN254_R,
  bigintToLE,
  CONTRIBUTION_FIXED_SIZE,
  G1_BYTES,
  G2_BYTES,
  MAX_PTAU_POWER,
  type PreparedPtauLayout,
  preparedPtauLayout,
  ptauHeaderWrites,
} from './setup-ptau.ts';
import { type Blake2bState, type FfCurve, loadBlake2b1, loadSnarkjs } from './snarkjs-api.ts';

export type CreateDevPtauParameters = Partial<CeremonyOptions> & {
  /** log2 of the largest circuit domain the file serves (snarkjs: constraints + public inputs + 1 ≤ 2^power). */
  readonly power: number;
  /** Output file; written to `<path>.tmp-<pid>` and renamed into place when complete. */
  readonly path: string;
};

export type CreateDevPtauDeps = {
  readonly progress: ProgressFactory;
  /** Randomness for the secrets and keys (node:crypto by default; tests may not override it). */
  readonly randomBytes: (n: number) => Uint8Array;
};

export const defaultCreateDevPtauDeps: CreateDevPtauDeps = {
  progress: silentProgress,
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
};

export type CreateDevPtauReturnType = {
  readonly path: string;
  readonly power: number;
  readonly bytes: number;
  /** blake2b-512 hashes of the ceremony transcript, hex (as `snarkjs powersoftau verify` prints them). */
  readonly firstChallengeHash: string;
  readonly responseHash: string;
  readonly nextChallengeHash: string;
  readonly timings: {
    /** Secrets, keys, engine code, the proving key's scalars (main thread), worker start. */
    readonly prepareMs: number;
    /** Every point of the ptau and the key, on the workers (includes their table builds). */
    readonly pointsMs: number;
    /** Response and next-challenge hashes over sections 2-6. */
    readonly hashMs: number;
    readonly totalMs: number;
  };
  readonly threads: number;
  readonly windows: Readonly<Record<Group, number>>;
};

type Section = {
  readonly id: number;
  readonly group: Group;
  readonly mult: ScalarMult;
  readonly blocks: readonly { readonly kind: ScalarKind; readonly p: number; readonly count: number }[];
};

/** What each section holds, in the order its points are laid out. */
function sectionPlan(power: number): Section[] {
  const n = 2 ** power;
  const lagrange = (upTo: number): { kind: ScalarKind; p: number; count: number }[] =>
    Array.from({ length: upTo + 1 }, (_, p) => ({ kind: 'lagrange' as const, p, count: 2 ** p }));
  return [
    { id: 2, group: 'G1', mult: 0, blocks: [{ kind: 'powers', p: 0, count: 2 * n - 1 }] },
    { id: 3, group: 'G2', mult: 0, blocks: [{ kind: 'powers', p: 0, count: n }] },
    { id: 4, group: 'G1', mult: 1, blocks: [{ kind: 'powers', p: 0, count: n }] },
    { id: 5, group: 'G1', mult: 2, blocks: [{ kind: 'powers', p: 0, count: n }] },
    { id: 6, group: 'G2', mult: 2, blocks: [{ kind: 'powers', p: 0, count: 1 }] },
    { id: 12, group: 'G1', mult: 0, blocks: [...lagrange(power), { kind: 'lagrangeTrunc', p: power + 1, count: 2 * n }] },
    { id: 13, group: 'G2', mult: 0, blocks: lagrange(power) },
    { id: 14, group: 'G1', mult: 1, blocks: lagrange(power) },
    { id: 15, group: 'G1', mult: 2, blocks: lagrange(power) },
  ];
}

type PlannedJob = CeremonyJob & { readonly offset: number };

function planJobs(power: number, layout: PreparedPtauLayout, chunk: Readonly<Record<Group, number>>): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  for (const sec of sectionPlan(power)) {
    const s = layout.sections.get(sec.id);
    if (s === undefined) throw new SetupError('SETUP_FAILED', `layout lacks section ${sec.id}`);
    const size = SIZES[sec.group].affine;
    let index = 0;
    for (const b of sec.blocks) {
      for (let start = 0; start < b.count; start += chunk[sec.group]) {
        const count = Math.min(chunk[sec.group], b.count - start);
        jobs.push({ id: jobs.length, group: sec.group, mult: sec.mult, kind: b.kind, p: b.p, start, count, offset: s.dataOffset + (index + start) * size });
      }
      index += b.count;
    }
  }
  return jobs;
}

/** A uniformly random nonzero scalar < r, as 32 little-endian bytes (rejection sampling, no bigint). */
function randomScalar(rand: (n: number) => Uint8Array): Uint8Array {
  const r = bigintToLE(BN254_R, 32);
  for (;;) {
    const b = rand(32);
    b[31] = (b[31] ?? 0) & 0x3f;
    let lt = false;
    for (let i = 31; i >= 0; i--) {
      const x = b[i] ?? 0;
      const y = r[i] ?? 0;
      if (x !== y) {
        lt = x < y;
        break;
      }
    }
    if (lt && b.some((x) => x !== 0)) return b;
  }
}

/** snarkjs's misc.toPartialHash: the internal state of an @noble/hashes 1.x blake2b (216 bytes). */
function toPartialHash(h: Blake2bState): Uint8Array {
  const st = h as unknown as Record<string, unknown>;
  const num = (k: string): number => {
    const v = st[k];
    if (typeof v !== 'number') throw new SetupError('SETUP_FAILED', `blake2b state has no numeric ${k}: @noble/hashes changed`);
    return v;
  };
  const buffer = st['buffer'];
  if (!(buffer instanceof Uint8Array) || buffer.length !== 128) throw new SetupError('SETUP_FAILED', 'blake2b state buffer is not 128 bytes');
  const res = new Uint8Array(216);
  res.set(buffer);
  const r32 = new Uint32Array(res.buffer, 128, 22);
  const names = ['v0l', 'v0h', 'v1l', 'v1h', 'v2l', 'v2h', 'v3l', 'v3h', 'v4l', 'v4h', 'v5l', 'v5h', 'v6l', 'v6h', 'v7l', 'v7h'];
  names.forEach((n, i) => {
    r32[i] = num(n) >>> 0;
  });
  r32[18] = num('pos');
  r32[16] = num('length') - num('pos');
  return res;
}

type Key = { readonly g1s: Uint8Array; readonly g1sx: Uint8Array; readonly g2spx: Uint8Array };

/**
 * The contribution's proof-of-knowledge of x (snarkjs keypair.createPTauKey with our own x):
 * s·G1, x·s·G1, and x·H2 where H2 = hash-to-G2(blake2b(personalization ‖ challenge ‖ s·G1 ‖ x·s·G1)).
 */
async function makeKey(
  w: Bn254Wasm,
  curve: FfCurve,
  personalization: number,
  challenge: Uint8Array,
  pSecret: number,
  rand: (n: number) => Uint8Array,
): Promise<Key> {
  const ex = w.ex;
  const mark = w.mark();
  const pS = w.alloc(FR_BYTES);
  const jac = w.alloc(SIZES.G2.jacobian);
  const g1s = w.alloc(G1_BYTES);
  const g1sx = w.alloc(G1_BYTES);
  const u = w.alloc(2 * G1_BYTES);
  const g2sp = w.alloc(G2_BYTES);
  const g2spx = w.alloc(G2_BYTES);
  const s = randomScalar(rand);
  w.write(pS, s);
  s.fill(0);
  ex.g1m_timesScalarAffine(w.pG1gen, pS, FR_BYTES, jac);
  ex.g1m_toAffine(jac, g1s);
  ex.g1m_timesScalarAffine(g1s, pSecret, FR_BYTES, jac);
  ex.g1m_toAffine(jac, g1sx);
  ex.g1m_batchLEMtoU(g1s, 1, u);
  ex.g1m_batchLEMtoU(g1sx, 1, u + G1_BYTES);
  const hash = createHash('blake2b512')
    .update(new Uint8Array([personalization]))
    .update(challenge)
    .update(w.read(u, 2 * G1_BYTES))
    .digest();
  const spBytes = await hashToG2(curve, new Uint8Array(hash));
  w.write(g2sp, spBytes);
  ex.g2m_timesScalarAffine(g2sp, pSecret, FR_BYTES, jac);
  ex.g2m_toAffine(jac, g2spx);
  const key = { g1s: w.read(g1s, G1_BYTES), g1sx: w.read(g1sx, G1_BYTES), g2spx: w.read(g2spx, G2_BYTES) };
  w.u8.fill(0, pS, pS + FR_BYTES);
  w.reset(mark);
  return key;
}

/** snarkjs calculateFirstChallengeHash: the hash of a fresh accumulator (every point a generator). */
function firstChallengeHash(w: Bn254Wasm, power: number): Uint8Array {
  const mark = w.mark();
  const g1u = w.alloc(G1_BYTES);
  const g2u = w.alloc(G2_BYTES);
  w.ex.g1m_batchLEMtoU(w.pG1gen, 1, g1u);
  w.ex.g2m_batchLEMtoU(w.pG2gen, 1, g2u);
  const v1 = w.read(g1u, G1_BYTES);
  const v2 = w.read(g2u, G2_BYTES);
  w.reset(mark);
  const h = createHash('blake2b512');
  h.update(createHash('blake2b512').digest());
  const block = (v: Uint8Array, n: number): void => {
    const reps = 4096;
    const big = new Uint8Array(v.length * reps);
    for (let i = 0; i < reps; i++) big.set(v, i * v.length);
    let left = n;
    for (; left >= reps; left -= reps) h.update(big);
    if (left > 0) h.update(big.subarray(0, left * v.length));
  };
  const n = 2 ** power;
  block(v1, 2 * n - 1);
  block(v2, n);
  block(v1, n);
  block(v1, n);
  h.update(v2);
  return new Uint8Array(h.digest());
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function contributionParams(name: string): Uint8Array {
  if (!/^[\x20-\x7e]{0,64}$/.test(name)) {
    throw new SetupError('SETUP_CONFIG', 'contribution name must be printable ASCII, at most 64 characters', { details: { name } });
  }
  if (name === '') return new Uint8Array(0);
  const bytes = new TextEncoder().encode(name);
  return new Uint8Array([1, bytes.length, ...bytes]);
}

/** Hashes sections 2-6 in file order, compressed (response hash) or uncompressed (next challenge). */
async function hashSections(
  fh: FileHandle,
  w: Bn254Wasm,
  layout: PreparedPtauLayout,
  form: 'compressed' | 'uncompressed',
  update: (b: Uint8Array) => void,
  tick: (n: number) => void,
): Promise<void> {
  const groups: [number, Group][] = [
    [2, 'G1'],
    [3, 'G2'],
    [4, 'G1'],
    [5, 'G1'],
    [6, 'G2'],
  ];
  const chunk = 1 << 14;
  for (const [id, group] of groups) {
    const s = layout.sections.get(id);
    if (s === undefined) throw new SetupError('SETUP_FAILED', `layout lacks section ${id}`);
    const size = SIZES[group];
    const outSize = form === 'compressed' ? size.compressed : size.uncompressed;
    const total = s.size / size.affine;
    const mark = w.mark();
    const pIn = w.alloc(chunk * size.affine);
    const pOut = w.alloc(chunk * size.uncompressed);
    for (let i = 0; i < total; i += chunk) {
      const n = Math.min(chunk, total - i);
      w.write(pIn, await readAt(fh, s.dataOffset + i * size.affine, n * size.affine));
      const convert = form === 'compressed' ? (group === 'G1' ? w.ex.g1m_batchLEMtoC : w.ex.g2m_batchLEMtoC) : group === 'G1' ? w.ex.g1m_batchLEMtoU : w.ex.g2m_batchLEMtoU;
      convert(pIn, n, pOut);
      update(w.u8.subarray(pOut, pOut + n * outSize));
      tick(n);
    }
    w.reset(mark);
  }
}

export type DevCeremonyCircuit = {
  readonly r1csPath: string;
  readonly zkeyPath: string;
  /** Write the initial key (δ = 1, no contribution), byte-identical to `snarkjs zkey new`; for tests. */
  readonly initialOnly?: boolean;
  /** Name of the phase-2 contribution (ASCII, ≤ 64 characters). */
  readonly contributionName?: string;
};

export type RunDevCeremonyParameters = CreateDevPtauParameters & {
  /** Also write the circuit's proving key, from the same secrets (plus δ), before they are dropped. */
  readonly circuit?: DevCeremonyCircuit;
};

export type RunDevCeremonyReturnType = CreateDevPtauReturnType & {
  readonly zkey:
    | {
        readonly path: string;
        readonly bytes: number;
        readonly circuitHash: string;
        readonly contributionHash: string | null;
        readonly contributionName: string | null;
        /** Circuit hash, contribution and header after the points (the points are in pointsMs). */
        readonly finishMs: number;
      }
    | undefined;
};

/** Writes a prepared, verifiable development ptau of the given power. */
export async function createDevPtau(params: CreateDevPtauParameters, deps: Partial<CreateDevPtauDeps> = {}): Promise<CreateDevPtauReturnType> {
  const { zkey: _zkey, ...ptau } = await runDevCeremony(params, deps);
  return ptau;
}

/**
 * The development ceremony: a prepared ptau of `power` and, with `circuit`, the circuit's final
 * proving key (one phase-2 contribution), all from secrets that exist only while this runs.
 */
export async function runDevCeremony(params: RunDevCeremonyParameters, deps: Partial<CreateDevPtauDeps> = {}): Promise<RunDevCeremonyReturnType> {
  const d: CreateDevPtauDeps = { ...defaultCreateDevPtauDeps, ...deps };
  const opts: CeremonyOptions = { ...defaultCeremonyOptions, ...params };
  const { power } = params;
  if (!Number.isInteger(power) || power < 1 || power > MAX_PTAU_POWER) {
    throw new SetupError('SETUP_CONFIG', `ceremony power must be an integer in 1..${MAX_PTAU_POWER}, got ${power}`, { details: { power } });
  }
  if (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > 64) {
    throw new SetupError('SETUP_CONFIG', `threads must be 1..64, got ${opts.threads}`);
  }
  for (const [name, v] of [['chunkG1', opts.chunkG1], ['chunkG2', opts.chunkG2]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1 << 16) throw new SetupError('SETUP_CONFIG', `${name} must be 1..65536, got ${v}`);
  }
  const t0 = performance.now();
  const n = 2 ** power;
  const params7 = contributionParams(opts.contributionName);
  const zkeyName = params.circuit?.contributionName ?? 'rampart development phase-2 contribution';
  contributionParams(zkeyName);
  const layout = preparedPtauLayout(power, 4 + CONTRIBUTION_FIXED_SIZE + params7.length);
  const circuit = params.circuit === undefined ? undefined : await readR1csConstraints(params.circuit.r1csPath);
  if (circuit !== undefined && circuit.header.domainPower > power) {
    throw new SetupError('SETUP_PTAU_TOO_SMALL', `the circuit needs power ${circuit.header.domainPower}, the ceremony has ${power}`);
  }

  const snarkjs = await loadSnarkjs();
  // A single-threaded engine of our own: its code seeds the workers, its memory is ours to wipe.
  const curve = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  const codeBytes = curve.tm.code;
  if (codeBytes === undefined) throw new SetupError('SETUP_FAILED', 'ffjavascript did not expose its engine code');
  const code: Bn254WasmCode = { code: codeBytes, pG1gen: curve.tm.pG1gen, pG2gen: curve.tm.pG2gen };
  const roots = new Uint8Array(29 * FR_BYTES);
  for (let p = 0; p <= 28; p++) {
    const root = curve.Fr.w[p];
    if (root === undefined) throw new SetupError('SETUP_FAILED', `ffjavascript has no 2^${p}-th root of unity`);
    roots.set(root, p * FR_BYTES);
  }
  const w = await Bn254Wasm.create(code);

  // Secrets τ, α, β (and δ for phase 2). τ must not be a 2^(power+1)-th root of unity: the
  // Lagrange formulas divide by τ − ω^i.
  const secrets = new Uint8Array(3 * FR_BYTES);
  const pSecrets = w.alloc(4 * FR_BYTES);
  let pool: CeremonyPool | undefined;
  let zkeyPlan: DirectZkeyPlan | undefined;
  const tmp = `${params.path}.tmp-${process.pid}`;
  let fh: FileHandle | undefined;
  let ok = false;
  try {
    for (;;) {
      for (let k = 0; k < 3; k++) {
        const s = randomScalar(d.randomBytes);
        secrets.set(s, k * FR_BYTES);
        s.fill(0);
      }
      const pT = w.alloc(FR_BYTES);
      const pE = w.alloc(FR_BYTES);
      const pOne = w.alloc(FR_BYTES);
      w.write(pT, secrets.subarray(0, FR_BYTES));
      w.ex.frm_toMontgomery(pT, pT);
      w.u8.fill(0, pE, pE + FR_BYTES);
      w.u32[pE >>> 2] = 2 * n;
      w.ex.frm_exp(pT, pE, 4, pT);
      w.ex.frm_one(pOne);
      const bad = w.ex.frm_eq(pT, pOne) !== 0;
      w.u8.fill(0, pT, pT + FR_BYTES);
      if (!bad) break;
    }
    w.write(pSecrets, secrets);
    const pDelta = circuit !== undefined && params.circuit?.initialOnly !== true ? pSecrets + 3 * FR_BYTES : undefined;
    if (pDelta !== undefined) {
      const delta = randomScalar(d.randomBytes);
      w.write(pDelta, delta);
      delta.fill(0);
    }
    const ctx = createScalarContext(w, secrets, roots);

    const challenge = firstChallengeHash(w, power);
    const keys: Key[] = [];
    for (let k = 0; k < 3; k++) keys.push(await makeKey(w, curve, k, challenge, pSecrets + k * FR_BYTES, d.randomBytes));

    // Below 2^10 points a second worker costs more to start (≈ 0.5-1 s) than it saves.
    const threads = power <= 10 ? 1 : opts.threads;
    // Points per group (ptau, plus the zkey's A, B1, C twice, H in G1 and B2 in G2), per worker.
    const nVars = circuit?.header.nWires ?? 0;
    const domain = circuit === undefined ? 0 : 2 ** circuit.header.domainPower;
    const g1Points = 12 * n + 4 * nVars + domain;
    const g2Points = 3 * n + nVars;
    const g1Workers = threads === 1 ? 1 : Math.floor(threads / 2);
    const g2Workers = threads === 1 ? 1 : Math.ceil(threads / 2);
    const windows = {
      G1: opts.windowG1 ?? chooseWindow('G1', g1Points / g1Workers),
      G2: opts.windowG2 ?? chooseWindow('G2', g2Points / g2Workers),
    };
    // Workers boot (≈ 1 s) while the main thread plans the proving key.
    const starting = CeremonyPool.start(threads, { code, roots, windows }, secrets);
    starting.catch(() => undefined);
    const jobs = planJobs(power, layout, { G1: opts.chunkG1, G2: opts.chunkG2 });
    if (circuit !== undefined && params.circuit !== undefined) {
      zkeyPlan = await planDirectZkey({
        w,
        ctx,
        curve,
        header: circuit.header,
        constraints: circuit.constraints,
        ptauPower: power,
        zkeyPath: params.circuit.zkeyPath,
        pDelta,
        contributionName: zkeyName,
        randomScalar: () => randomScalar(d.randomBytes),
        chunk: { G1: opts.chunkG1, G2: opts.chunkG2 },
        firstId: jobs.length,
      });
    }
    pool = await starting;
    secrets.fill(0);
    const prepareMs = performance.now() - t0;

    fh = await open(tmp, 'w+');
    const file = fh;
    await file.truncate(layout.totalSize);
    for (const wr of ptauHeaderWrites(layout)) await writeAt(file, wr.offset, wr.bytes);

    // One batch for the ptau's and the key's points keeps both workers busy to the end.
    const all: CeremonyJob[] = [...jobs, ...(zkeyPlan?.jobs ?? [])];
    const weight = (j: CeremonyJob): number => j.count * (j.group === 'G2' ? 4 : 1);
    const label = zkeyPlan === undefined ? `ptau 2^${power}: points` : `ptau 2^${power} + zkey (${circuit?.header.nConstraints ?? 0} constraints): points`;
    const bar = d.progress(label, all.reduce((a, j) => a + weight(j), 0));
    const offsets = new Map(jobs.map((j) => [j.id, j.offset]));
    const plan = zkeyPlan;
    await pool.run(all, async (job, points) => {
      const offset = offsets.get(job.id);
      if (offset !== undefined) await writeAt(file, offset, points);
      else if (plan === undefined || !(await plan.accept(job, points))) throw new SetupError('SETUP_FAILED', `unknown ceremony job ${job.id}`);
      bar.tick(weight(job));
    });
    const pointsMs = bar.done();

    const hashBar = d.progress(`ptau 2^${power}: transcript hashes`, 2 * (5 * n));
    const blake2b = loadBlake2b1();
    const response = blake2b.create({ dkLen: 64 });
    response.update(challenge);
    await hashSections(file, w, layout, 'compressed', (b) => response.update(b), (k) => hashBar.tick(k));
    const partial = toPartialHash(response);
    const keyU = new Uint8Array(6 * G1_BYTES + 3 * G2_BYTES);
    const keyM = new Uint8Array(6 * G1_BYTES + 3 * G2_BYTES);
    {
      const mark = w.mark();
      const pIn = w.alloc(G2_BYTES);
      const pOut = w.alloc(G2_BYTES);
      let pos = 0;
      const put = (bytes: Uint8Array, group: Group): void => {
        keyM.set(bytes, pos);
        w.write(pIn, bytes);
        (group === 'G1' ? w.ex.g1m_batchLEMtoU : w.ex.g2m_batchLEMtoU)(pIn, 1, pOut);
        keyU.set(w.read(pOut, bytes.length), pos);
        pos += bytes.length;
      };
      for (const k of keys) {
        put(k.g1s, 'G1');
        put(k.g1sx, 'G1');
      }
      for (const k of keys) put(k.g2spx, 'G2');
      w.reset(mark);
    }
    response.update(keyU);
    const responseHash = response.digest();
    const next = createHash('blake2b512');
    next.update(responseHash);
    await hashSections(file, w, layout, 'uncompressed', (b) => next.update(b), (k) => hashBar.tick(k));
    const nextChallenge = new Uint8Array(next.digest());
    const hashMs = hashBar.done();

    // Section 7: one contribution, the record snarkjs's `contribute` writes.
    const s = (id: number): number => {
      const sec = layout.sections.get(id);
      if (sec === undefined) throw new SetupError('SETUP_FAILED', `layout lacks section ${id}`);
      return sec.dataOffset;
    };
    const record = new Uint8Array(4 + CONTRIBUTION_FIXED_SIZE + params7.length);
    const rv = new DataView(record.buffer);
    let pos = 0;
    rv.setUint32(pos, 1, true);
    pos += 4;
    const copy = async (offset: number, len: number): Promise<void> => {
      record.set(await readAt(file, offset, len), pos);
      pos += len;
    };
    await copy(s(2) + G1_BYTES, G1_BYTES); // τ·G1
    await copy(s(3) + G2_BYTES, G2_BYTES); // τ·G2
    await copy(s(4), G1_BYTES); // α·G1
    await copy(s(5), G1_BYTES); // β·G1
    await copy(s(6), G2_BYTES); // β·G2
    record.set(keyM, pos);
    pos += keyM.length;
    record.set(partial, pos);
    pos += partial.length;
    record.set(nextChallenge, pos);
    pos += nextChallenge.length;
    rv.setUint32(pos, 0, true); // type 0: a contribution, not a beacon
    pos += 4;
    rv.setUint32(pos, params7.length, true);
    pos += 4;
    record.set(params7, pos);
    await writeAt(file, s(7), record);
    await file.sync();

    let zkey: RunDevCeremonyReturnType['zkey'];
    if (zkeyPlan !== undefined) {
      const tz = performance.now();
      const z = await zkeyPlan.finish({ fh: file, layout });
      zkeyPlan = undefined;
      zkey = {
        path: z.path,
        bytes: z.bytes,
        circuitHash: z.circuitHash,
        contributionHash: z.contributionHash,
        contributionName: pDelta === undefined ? null : zkeyName,
        finishMs: performance.now() - tz,
      };
    }
    await file.close();
    fh = undefined;
    await rename(tmp, params.path);
    ok = true;
    return {
      path: params.path,
      power,
      bytes: layout.totalSize,
      firstChallengeHash: hex(challenge),
      responseHash: hex(responseHash),
      nextChallengeHash: hex(nextChallenge),
      timings: { prepareMs, pointsMs, hashMs, totalMs: performance.now() - t0 },
      threads,
      windows,
      zkey,
    };
  } finally {
    secrets.fill(0);
    w.wipe();
    if (pool !== undefined) await pool.close();
    if (zkeyPlan !== undefined) await zkeyPlan.abort();
    if (fh !== undefined) await fh.close().catch(() => {});
    if (!ok) await rm(tmp, { force: true });
  }
}
