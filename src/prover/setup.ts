/**
 * Groth16 setup of a circuit, cached: powers of tau (a development ceremony, or an imported public
 * ptau), snarkjs `zkey new`, one phase-2 contribution with fresh entropy, the verification key and
 * the Solidity verifier, with SHA-256 hashes of every artifact in a manifest.
 *
 * Cache: `<cacheDir>/<sha256 of the r1cs>/` holds `manifest.json`, `circuit.zkey`,
 * `verification_key.json`, `Groth16Verifier.sol` and the ptau used (`dev.ptau`, or `prepared.ptau`
 * when an imported file had to be prepared; an imported prepared file is referenced, not copied).
 * A run finds a matching manifest and returns at once, so tests and the devnet set up once. A
 * setup is built in a temporary folder and renamed into place; concurrent runs for the same circuit
 * serialise on a lock folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { runDevCeremony } from './ceremony.ts';
import { SetupError } from './setup-errors.ts';
import { defaultSetupOptions, type SetupOptions } from './setup-options.ts';
import { type ProgressFactory, silentProgress } from './setup-progress.ts';
import { type PtauInfo, readPtauInfo } from './setup-ptau.ts';
import { type R1csHeader, readR1csHeader } from './setup-r1cs.ts';
import { openSnarkjsWorker, type SnarkjsLogLine, type SnarkjsWorker } from './setup-tasks.ts';
import { groth16VerifierTemplatePath } from './snarkjs-api.ts';

export const MANIFEST_VERSION = 1;

export type SetupManifest = {
  readonly version: number;
  /** Label given by the caller (e.g. the circuit set name), for people reading the cache. */
  readonly circuit: string | null;
  readonly createdAt: string;
  readonly r1cs: {
    readonly path: string;
    readonly sha256: string;
    readonly constraints: number;
    readonly wires: number;
    readonly publicSignals: number;
    readonly domainPower: number;
  };
  readonly ptau: {
    readonly source: 'development-ceremony' | 'imported';
    /** File used for phase 2: relative to the setup folder, or absolute for an imported prepared file. */
    readonly file: string;
    readonly sha256: string;
    readonly power: number;
    readonly ceremonyPower: number;
    readonly contributions: number;
    /** The file the user imported (absolute) and its hash, when source = imported. */
    readonly importedFrom: string | null;
    readonly importedSha256: string | null;
    /** blake2b-512 transcript hashes of the development ceremony (null for imports). */
    readonly transcript: { readonly firstChallenge: string; readonly response: string; readonly nextChallenge: string } | null;
  };
  readonly zkey: {
    readonly file: string;
    readonly sha256: string;
    /** snarkjs's circuit hash (blake2b of the initial key), as `zkey verify` prints it. */
    readonly circuitHash: string;
    readonly contributions: readonly { readonly name: string; readonly hash: string }[];
  };
  readonly verificationKey: { readonly file: string; readonly sha256: string };
  readonly verifier: { readonly file: string; readonly sha256: string };
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly tools: { readonly snarkjs: string; readonly node: string };
};

export type SetupCircuitParameters = Partial<SetupOptions> & {
  readonly r1csPath: string;
  /** A public powers-of-tau file (e.g. Hermez's powersOfTau28_hez_final_17.ptau); default: dev ceremony. */
  readonly ptauPath?: string;
  /** A label stored in the manifest (e.g. 'devnet'). */
  readonly circuit?: string;
};

export type SetupCircuitDeps = {
  readonly progress: ProgressFactory;
  /** Human-readable notes (warnings, cache hits). */
  readonly log: (line: string) => void;
};

export const defaultSetupCircuitDeps: SetupCircuitDeps = {
  progress: silentProgress,
  log: () => {},
};

export type SetupCircuitReturnType = {
  readonly dir: string;
  readonly manifest: SetupManifest;
  readonly zkeyPath: string;
  readonly verificationKeyPath: string;
  readonly verifierSourcePath: string;
  readonly ptauPath: string;
  /** True when the cache already held this setup (no step ran). */
  readonly cached: boolean;
};

const ZKEY = 'circuit.zkey';
const VKEY = 'verification_key.json';
const VERIFIER = 'Groth16Verifier.sol';
const MANIFEST = 'manifest.json';
/** A lock older than this is a crashed run's leftover (a 2^17 setup takes minutes, not hours). */
const STALE_LOCK_MS = 30 * 60_000;

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function snarkjsVersion(): string {
  try {
    // The verifier template sits in snarkjs's package folder: templates/ beside package.json.
    const pkg: unknown = JSON.parse(readFileSync(join(dirname(groth16VerifierTemplatePath()), '..', 'package.json'), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function isManifest(v: unknown): v is SetupManifest {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Partial<SetupManifest>;
  return (
    m.version === MANIFEST_VERSION &&
    typeof m.r1cs?.sha256 === 'string' &&
    typeof m.zkey?.sha256 === 'string' &&
    typeof m.ptau?.sha256 === 'string' &&
    typeof m.verificationKey?.file === 'string' &&
    typeof m.verifier?.file === 'string'
  );
}

async function readManifest(dir: string): Promise<SetupManifest | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
    return isManifest(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function ptauPathOf(dir: string, m: SetupManifest): string {
  return isAbsolute(m.ptau.file) ? m.ptau.file : join(dir, m.ptau.file);
}

/** A cached setup is usable when its files exist, the zkey is intact and the ptau source matches. */
async function cachedSetup(dir: string, importedSha256: string | undefined): Promise<SetupManifest | undefined> {
  const m = await readManifest(dir);
  if (m === undefined) return undefined;
  if (importedSha256 !== undefined && m.ptau.importedSha256 !== importedSha256) return undefined;
  for (const f of [m.zkey.file, m.verificationKey.file, m.verifier.file]) if (!existsSync(join(dir, f))) return undefined;
  if ((await sha256File(join(dir, m.zkey.file))) !== m.zkey.sha256) return undefined;
  return m;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** The pid written into a lock folder, or undefined when unreadable. */
async function lockOwner(lock: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(lock, 'pid'), 'utf8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One setup per circuit at a time, across processes: a lock folder holding the owner's pid. A lock
 * whose owner is gone (killed mid-setup) or that is older than STALE_LOCK_MS is taken over.
 */
async function acquireLock(lock: string, log: (line: string) => void): Promise<() => Promise<void>> {
  let warned = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), `${process.pid}\n`);
      return async () => {
        await rm(lock, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw new SetupError('SETUP_FAILED', `cannot create lock ${lock}`, { cause: err });
      const age = await stat(lock).then(
        (st) => Date.now() - st.mtimeMs,
        () => 0,
      );
      const owner = await lockOwner(lock);
      // A lock without a pid may be one being created right now: only its age can retire it.
      if (age > STALE_LOCK_MS || (owner !== undefined && owner !== process.pid && !pidAlive(owner)) || (owner === undefined && age > 5_000)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!warned) log(`setup: waiting for another setup of this circuit (${lock})`);
      warned = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Removes `<dir>.tmp-<pid>` folders left by setups that were killed. */
async function sweepAbandoned(cacheRoot: string, hash: string): Promise<void> {
  const prefix = `${hash}.tmp-`;
  for (const name of await readdir(cacheRoot)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isSafeInteger(pid) && pid !== process.pid && !pidAlive(pid)) await rm(join(cacheRoot, name), { recursive: true, force: true });
  }
}

/** Maps snarkjs's debug lines ("...: 1234/5678") to a bar's progress. */
function snarkjsProgress(progress: ProgressFactory, label: string): { onLog: (l: SnarkjsLogLine) => void; done: (note?: string) => number; warnings: string[] } {
  const bar = progress(label, 0);
  const warnings: string[] = [];
  return {
    onLog: (l) => {
      if (l.level === 'warn' || l.level === 'error') warnings.push(l.msg);
      bar.tick();
    },
    done: (note) => bar.done(note),
    warnings,
  };
}

/** Sets up (or finds in the cache) the Groth16 keys of a circuit. */
export async function setupCircuit(params: SetupCircuitParameters, deps: Partial<SetupCircuitDeps> = {}): Promise<SetupCircuitReturnType> {
  const d: SetupCircuitDeps = { ...defaultSetupCircuitDeps, ...deps };
  const opts: SetupOptions = { ...defaultSetupOptions, ...params, ceremony: { ...defaultSetupOptions.ceremony, ...params.ceremony } };
  const r1csPath = resolve(params.r1csPath);
  const timings: Record<string, number> = {};
  const t0 = performance.now();

  const header: R1csHeader = await readR1csHeader(r1csPath);
  const r1csSha256 = await sha256File(r1csPath);
  let imported: PtauInfo | undefined;
  let importedSha256: string | undefined;
  if (params.ptauPath !== undefined) {
    imported = await readPtauInfo(resolve(params.ptauPath));
    if (imported.power < header.domainPower) {
      throw new SetupError(
        'SETUP_PTAU_TOO_SMALL',
        `${params.ptauPath} has power ${imported.power}, the circuit needs ${header.domainPower} (${header.nConstraints} constraints + ${header.nPublic} public signals + 1 ≤ 2^${header.domainPower})`,
        { details: { ptauPower: imported.power, needed: header.domainPower } },
      );
    }
    importedSha256 = await sha256File(imported.path);
  }
  timings['hashInputs'] = performance.now() - t0;

  const cacheRoot = resolve(opts.cacheDir);
  const dir = join(cacheRoot, r1csSha256);
  await mkdir(cacheRoot, { recursive: true });
  const result = (m: SetupManifest, cached: boolean): SetupCircuitReturnType => ({
    dir,
    manifest: m,
    zkeyPath: join(dir, m.zkey.file),
    verificationKeyPath: join(dir, m.verificationKey.file),
    verifierSourcePath: join(dir, m.verifier.file),
    ptauPath: ptauPathOf(dir, m),
    cached,
  });

  if (!opts.force) {
    const hit = await cachedSetup(dir, importedSha256);
    if (hit !== undefined) return result(hit, true);
  }
  const unlock = await acquireLock(`${dir}.lock`, d.log);
  let tmp: string | undefined;
  let snark: SnarkjsWorker | undefined;
  try {
    // Another run may have finished it while we waited.
    if (!opts.force) {
      const hit = await cachedSetup(dir, importedSha256);
      if (hit !== undefined) return result(hit, true);
    }
    await sweepAbandoned(cacheRoot, r1csSha256);
    tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    snark = openSnarkjsWorker();
    // snarkjs loads on the worker while the ceremony runs.
    const warm = snark.run({ op: 'warmup' });
    warm.catch(() => undefined);

    // 1. Powers of tau and, for a development ceremony, the proving key from the same secrets.
    const name = opts.zkeyContributionName;
    let ptauForZkey: string;
    let ptauManifest: SetupManifest['ptau'];
    let zkeyHashes: { circuitHash: string; contributionHash: string } | undefined;
    if (imported === undefined || importedSha256 === undefined) {
      const power = header.domainPower;
      const t = performance.now();
      const direct = opts.phase2 === 'direct';
      const dev = await runDevCeremony(
        {
          ...opts.ceremony,
          power,
          path: join(tmp, 'dev.ptau'),
          ...(direct ? { circuit: { r1csPath, zkeyPath: join(tmp, ZKEY), contributionName: name } } : {}),
        },
        { progress: d.progress },
      );
      timings['ceremony'] = performance.now() - t;
      timings['ceremony.prepare'] = dev.timings.prepareMs;
      timings['ceremony.points'] = dev.timings.pointsMs;
      timings['ceremony.ptauHashes'] = dev.timings.hashMs;
      if (dev.zkey !== undefined) {
        timings['ceremony.zkeyFinish'] = dev.zkey.finishMs;
        if (dev.zkey.contributionHash === null) throw new SetupError('SETUP_FAILED', 'the ceremony made no phase-2 contribution');
        zkeyHashes = { circuitHash: dev.zkey.circuitHash, contributionHash: dev.zkey.contributionHash };
      }
      ptauForZkey = dev.path;
      ptauManifest = {
        source: 'development-ceremony',
        file: 'dev.ptau',
        sha256: await sha256File(dev.path),
        power,
        ceremonyPower: power,
        contributions: 1,
        importedFrom: null,
        importedSha256: null,
        transcript: { firstChallenge: dev.firstChallengeHash, response: dev.responseHash, nextChallenge: dev.nextChallengeHash },
      };
    } else if (imported.prepared) {
      ptauForZkey = imported.path;
      ptauManifest = {
        source: 'imported',
        file: imported.path,
        sha256: importedSha256,
        power: imported.power,
        ceremonyPower: imported.ceremonyPower,
        contributions: imported.contributions,
        importedFrom: imported.path,
        importedSha256,
        transcript: null,
      };
    } else {
      d.log(
        `setup: ${basename(imported.path)} is not prepared for phase 2; running snarkjs "powersoftau prepare phase2" (slow: group FFTs, minutes at 2^16 and beyond). Import a prepared file (Hermez's *_final_NN.ptau are) to skip this.`,
      );
      const bar = snarkjsProgress(d.progress, `prepare phase2 (2^${imported.power})`);
      const out = join(tmp, 'prepared.ptau');
      await snark.run({ op: 'preparePhase2', ptau: imported.path, out }, bar.onLog);
      timings['preparePhase2'] = bar.done();
      ptauForZkey = out;
      ptauManifest = {
        source: 'imported',
        file: 'prepared.ptau',
        sha256: await sha256File(out),
        power: imported.power,
        ceremonyPower: imported.ceremonyPower,
        contributions: imported.contributions,
        importedFrom: imported.path,
        importedSha256,
        transcript: null,
      };
    }

    // 2. Otherwise snarkjs's phase 2: the circuit-specific key, then one contribution with fresh entropy.
    if (zkeyHashes === undefined) {
      const zkey0 = join(tmp, 'circuit_0000.zkey');
      let bar = snarkjsProgress(d.progress, `zkey new (${header.nConstraints} constraints; snarkjs, slow)`);
      const circuitHash = await snark.run({ op: 'newZKey', r1cs: r1csPath, ptau: ptauForZkey, zkey: zkey0 }, bar.onLog);
      timings['zkeyNew'] = bar.done();
      bar = snarkjsProgress(d.progress, 'zkey contribute (snarkjs)');
      const contributionHash = await snark.run(
        { op: 'contribute', oldZkey: zkey0, newZkey: join(tmp, ZKEY), name, entropy: randomBytes(32).toString('hex') },
        bar.onLog,
      );
      timings['zkeyContribute'] = bar.done();
      await rm(zkey0, { force: true });
      zkeyHashes = { circuitHash, contributionHash };
    }
    const { circuitHash, contributionHash } = zkeyHashes;

    await warm;
    // 3. Verification key and Solidity verifier.
    const bar = snarkjsProgress(d.progress, 'export verification key + verifier');
    let t = performance.now();
    const vk = await snark.run({ op: 'exportVerificationKey', zkey: join(tmp, ZKEY) }, bar.onLog);
    await writeFile(join(tmp, VKEY), `${JSON.stringify(vk, null, 1)}\n`);
    timings['exportVerificationKey'] = performance.now() - t;
    t = performance.now();
    const sol = await snark.run({ op: 'exportSolidityVerifier', zkey: join(tmp, ZKEY), template: groth16VerifierTemplatePath() }, bar.onLog);
    await writeFile(join(tmp, VERIFIER), sol);
    timings['exportVerifier'] = performance.now() - t;
    bar.done();
    await snark.close();
    snark = undefined;

    t = performance.now();
    const manifest: SetupManifest = {
      version: MANIFEST_VERSION,
      circuit: params.circuit ?? null,
      createdAt: new Date().toISOString(),
      r1cs: {
        path: r1csPath,
        sha256: r1csSha256,
        constraints: header.nConstraints,
        wires: header.nWires,
        publicSignals: header.nPublic,
        domainPower: header.domainPower,
      },
      ptau: ptauManifest,
      zkey: { file: ZKEY, sha256: await sha256File(join(tmp, ZKEY)), circuitHash, contributions: [{ name, hash: contributionHash }] },
      verificationKey: { file: VKEY, sha256: await sha256File(join(tmp, VKEY)) },
      verifier: { file: VERIFIER, sha256: await sha256File(join(tmp, VERIFIER)) },
      timingsMs: timings,
      tools: { snarkjs: snarkjsVersion(), node: process.version },
    };
    timings['hashOutputs'] = performance.now() - t;
    timings['total'] = performance.now() - t0;
    await writeFile(join(tmp, MANIFEST), `${JSON.stringify({ ...manifest, timingsMs: timings }, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    tmp = undefined;
    return result({ ...manifest, timingsMs: timings }, false);
  } finally {
    if (snark !== undefined) await snark.close().catch(() => {});
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    await unlock();
  }
}
