/**
 * `npm run build:circuits [-- <set>...] [-- --force]`: compiles named parameter sets of the batch
 * circuit (src/prover/circuit-params.ts) with circom2 (WASM circom 2.x, `--O2`) into the gitignored
 * `.cache/circuits/<set>/`: `main.circom` (the `component main` line), `main.r1cs`, `main.sym`,
 * `main_js/main.wasm` and `build.json` (parameters, source hash, constraint counts).
 *
 * A set is skipped when the hash of its parameters, every circuits/**\/*.circom, the circomlib
 * sources it can include and the compiler version is unchanged, so tests and benches call
 * `ensureCircuit` freely. Concurrent callers (test files run in parallel) serialise on a lock
 * directory; a build happens in a temporary directory renamed into place when complete.
 *
 * circom2 runs in a WASI sandbox that only sees the current directory, hence every path handed to
 * it is relative to the repository root, which is its working directory.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CIRCUIT_SETS, circuitMainSource, isCircuitSetName, type CircuitParams, type CircuitSetName } from '../src/prover/circuit-params.ts';
import { CircuitError } from '../src/prover/circuit-errors.ts';
import { parseR1cs } from '../src/prover/r1cs.ts';

/** Bump when the output layout changes so caches from an older script are rebuilt. */
const GENERATOR_VERSION = '1';
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CIRCUITS_DIR = 'circuits';
const OUT_ROOT = join('.cache', 'circuits');
/** A lock older than this is a crashed build's leftover. */
const STALE_LOCK_MS = 15 * 60_000;

export type CircuitArtifacts = {
  readonly name: string;
  /** The batch circuit's parameters (undefined for a single-template test harness). */
  readonly params: CircuitParams | undefined;
  readonly dir: string;
  readonly r1csPath: string;
  readonly symPath: string;
  readonly wasmPath: string;
  readonly constraints: number;
  readonly wires: number;
  /** Seconds the compilation took (0 when the cache was used). */
  readonly compileSeconds: number;
  readonly skipped: boolean;
};

type BuildInfo = {
  readonly generator: string;
  readonly hash: string;
  readonly params: CircuitParams | null;
  readonly constraints: number;
  readonly wires: number;
  readonly compileSeconds: number;
};

function listCircom(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listCircom(path, out);
    else if (name.endsWith('.circom')) out.push(path);
  }
  return out;
}

function packageVersion(name: string): string {
  const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** Hash of everything the compiled circuit depends on. */
export function circuitSourceHash(params: CircuitParams | undefined): string {
  const h = createHash('sha256');
  h.update(`generator ${GENERATOR_VERSION}\ncircom2 ${packageVersion('circom2')}\ncircomlib ${packageVersion('circomlib')}\n`);
  h.update(JSON.stringify(params ?? null));
  for (const file of [...listCircom(join(ROOT, CIRCUITS_DIR)), ...listCircom(join(ROOT, 'node_modules', 'circomlib', 'circuits'))]) {
    h.update(`\n${relative(ROOT, file)}\n`);
    h.update(readFileSync(file));
  }
  return h.digest('hex');
}

function readInfo(dir: string): BuildInfo | undefined {
  let info: unknown;
  try {
    info = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8'));
  } catch {
    return undefined;
  }
  // Our own cache file; a malformed one (e.g. from an interrupted older script) is just stale.
  const ok = (v: unknown): v is BuildInfo =>
    typeof v === 'object' && v !== null && 'hash' in v && typeof v.hash === 'string' && 'constraints' in v && typeof v.constraints === 'number' && 'wires' in v && typeof v.wires === 'number';
  return ok(info) ? info : undefined;
}

function artifacts(name: string, params: CircuitParams | undefined, dirRel: string, info: BuildInfo, skipped: boolean): CircuitArtifacts {
  const dir = join(ROOT, dirRel);
  return {
    name,
    params,
    dir,
    r1csPath: join(dir, 'main.r1cs'),
    symPath: join(dir, 'main.sym'),
    wasmPath: join(dir, 'main_js', 'main.wasm'),
    constraints: info.constraints,
    wires: info.wires,
    compileSeconds: skipped ? 0 : info.compileSeconds,
    skipped,
  };
}

function runCircom(mainRel: string, outRel: string): Promise<string> {
  const cli = join(ROOT, 'node_modules', 'circom2', 'cli.js');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, mainRel, '--r1cs', '--wasm', '--sym', '--O2', '-l', 'node_modules', '-o', outRel], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (cause) => reject(new CircuitError('CIRCUIT_ARTIFACT', 'could not start circom2', { cause })));
    child.on('close', (code) => {
      const clean = output.replace(/\u001b\[[0-9;]*m/g, '');
      if (code === 0 && /Everything went okay/.test(clean)) resolvePromise(clean);
      else reject(new CircuitError('CIRCUIT_ARTIFACT', `circom2 failed on ${mainRel} (exit ${String(code)}):\n${clean.slice(-4000)}`));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > STALE_LOCK_MS) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // The holder released it between our attempts.
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export type EnsureCircuitOptions = {
  readonly force?: boolean;
  readonly log?: (line: string) => void;
};

/**
 * Compiles the named parameter set unless an up-to-date build is cached; returns its artifacts.
 * Cost: ≈ 11 s for the `test` set, ≈ 40 s for depth-32 sets, on this project's 2-core machine.
 */
export function ensureCircuit(name: CircuitSetName, options: EnsureCircuitOptions = {}): Promise<CircuitArtifacts> {
  const params: CircuitParams = CIRCUIT_SETS[name];
  return ensureCircomMain(name, circuitMainSource(params, '../../../circuits/batch.circom'), options, params);
}

/**
 * Compiles an arbitrary `main` over the circuits/ sources (tests use it for single templates) into
 * .cache/circuits/<name>/ with the same caching and locking. `mainSource` must include files by paths
 * relative to .cache/circuits/<name>/ (i.e. "../../../circuits/...").
 */
export async function ensureCircomMain(name: string, mainSource: string, options: EnsureCircuitOptions = {}, params?: CircuitParams): Promise<CircuitArtifacts> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new CircuitError('CIRCUIT_PARAMS', `circuit build name must be [a-z0-9-]+, got ${name}`);
  const log = options.log ?? ((): void => {});
  const hash = createHash('sha256').update(circuitSourceHash(params)).update(mainSource).digest('hex');
  const dirRel = join(OUT_ROOT, name);
  const fresh = (): BuildInfo | undefined => {
    const info = readInfo(join(ROOT, dirRel));
    const complete = info !== undefined && ['main.r1cs', 'main.sym', join('main_js', 'main.wasm')].every((f) => existsSync(join(ROOT, dirRel, f)));
    return complete && info.hash === hash && info.generator === GENERATOR_VERSION ? info : undefined;
  };
  const cached = options.force === true ? undefined : fresh();
  if (cached !== undefined) return artifacts(name, params, dirRel, cached, true);

  mkdirSync(join(ROOT, OUT_ROOT), { recursive: true });
  return withLock(join(ROOT, OUT_ROOT, `${name}.lock`), async () => {
    // Another process may have built it while we waited for the lock.
    const built = options.force === true ? undefined : fresh();
    if (built !== undefined) return artifacts(name, params, dirRel, built, true);
    const tmpRel = join(OUT_ROOT, `${name}.tmp-${process.pid}`);
    rmSync(join(ROOT, tmpRel), { recursive: true, force: true });
    mkdirSync(join(ROOT, tmpRel), { recursive: true });
    // main.circom sits three levels below the root in both the temporary and the final folder.
    writeFileSync(join(ROOT, tmpRel, 'main.circom'), mainSource);
    log(`circuits: compiling ${name}${params === undefined ? '' : ` ${JSON.stringify(params)}`}`);
    const t0 = process.hrtime.bigint();
    try {
      await runCircom(join(tmpRel, 'main.circom'), tmpRel);
    } catch (cause) {
      rmSync(join(ROOT, tmpRel), { recursive: true, force: true });
      throw cause;
    }
    const compileSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const r1cs = parseR1cs(readFileSync(join(ROOT, tmpRel, 'main.r1cs')));
    const info: BuildInfo = { generator: GENERATOR_VERSION, hash, params: params ?? null, constraints: r1cs.constraints.length, wires: r1cs.nWires, compileSeconds };
    writeFileSync(join(ROOT, tmpRel, 'build.json'), `${JSON.stringify(info, null, 1)}\n`);
    rmSync(join(ROOT, dirRel), { recursive: true, force: true });
    renameSync(join(ROOT, tmpRel), join(ROOT, dirRel));
    return artifacts(name, params, dirRel, info, false);
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const names = args.filter((a) => !a.startsWith('--'));
  const sets = names.length > 0 ? names : ['test', 'devnet'];
  for (const name of sets) {
    if (!isCircuitSetName(name)) {
      process.stderr.write(`build-circuits: unknown parameter set ${name} (known: ${Object.keys(CIRCUIT_SETS).join(', ')})\n`);
      process.exit(2);
    }
    const a = await ensureCircuit(name, { force, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(
      `${name}: ${a.constraints} constraints, ${a.wires} wires ${JSON.stringify(a.params)} ${a.skipped ? '(cached)' : `(compiled in ${a.compileSeconds.toFixed(1)} s)`} -> ${relative(ROOT, a.dir)}\n`,
    );
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
