/**
 * Compiles the native Poseidon engine (src/native/poseidon.c) into a Node-API addon with the
 * machine's C compiler, on the machine that runs it: `-march=native`, so the x86-64 BMI2/ADX path is
 * used where the CPU has it. Nothing is downloaded: the compiler is the system's (`CC`, else `cc`) and
 * the Node-API headers are Node's own (`<nodedir>/include/node`, from npm's `nodedir` setting or the
 * installation `node` runs from).
 *
 * The addon is cached under `.cache/native/` (or `RAMPART_NATIVE_CACHE`) by a key over the source, flags, compiler, Node ABI,
 * platform and CPU model, so a change to any of them builds a new one. Writes go to a temporary file
 * renamed into place, so processes building at once never load a half-written file.
 *
 * CLI: `npm run build:native` (`tsx src/native/build.ts [--force] [--quiet]`). Exit 0 when the addon
 * is ready; exit 0 with a warning when it cannot be built (no compiler or headers: Rampart then uses
 * its WebAssembly engine), unless `--require` is given.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RampartError } from '../core/errors.ts';

export class NativeBuildError extends RampartError {
  override readonly name = 'NativeBuildError';
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const NATIVE_SOURCE = join(HERE, 'poseidon.c');
const REPO_ROOT = resolve(HERE, '..', '..');
/** Default home of built addons; `RAMPART_NATIVE_CACHE` moves it (e.g. for a read-only checkout). */
export const NATIVE_CACHE_DIR = join(REPO_ROOT, '.cache', 'native');

export function nativeCacheDir(): string {
  const dir = process.env['RAMPART_NATIVE_CACHE'];
  return dir !== undefined && dir !== '' ? resolve(dir) : NATIVE_CACHE_DIR;
}

const FLAGS = ['-O3', '-march=native', '-std=gnu11', '-shared', '-fPIC', '-Wall', '-Wextra', '-Werror'];

/** Node's own Node-API headers: npm's `nodedir` first, then the prefix `node` runs from. */
export function nodeIncludeDir(): string | undefined {
  const candidates = [
    process.env['npm_config_nodedir'],
    resolve(dirname(process.execPath), '..'),
  ].filter((d): d is string => d !== undefined && d !== '');
  for (const dir of candidates) {
    const inc = join(dir, 'include', 'node');
    if (existsSync(join(inc, 'node_api.h'))) return inc;
  }
  return undefined;
}

function compiler(): string {
  const cc = process.env['CC'];
  return cc !== undefined && cc.trim() !== '' ? cc.trim() : 'cc';
}

/** Where this machine's addon lives (whether or not it is built yet). */
export function nativeAddonPath(): string {
  const key = createHash('sha256')
    .update(readFileSync(NATIVE_SOURCE))
    .update(JSON.stringify([FLAGS, compiler(), process.versions.modules, process.platform, process.arch, cpus()[0]?.model ?? '']))
    .digest('hex')
    .slice(0, 16);
  return join(nativeCacheDir(), `rampart-poseidon-${key}.node`);
}

/**
 * Returns the addon's path, compiling it first if it is not cached (about 3 s). Throws
 * NativeBuildError (NATIVE_NO_HEADERS, NATIVE_COMPILE_FAILED) with the compiler's output.
 */
export function buildNativeAddon(options: { readonly force?: boolean } = {}): string {
  const out = nativeAddonPath();
  if (options.force !== true && existsSync(out)) return out;
  compileNativeAddon(out);
  return out;
}

/**
 * Compiles the addon to `out` (through a temporary file renamed into place). `extraFlags` come after
 * the standard ones, so e.g. `-march=x86-64` builds the portable-C arithmetic (tests use it to check
 * that path on a machine whose CPU takes the assembly one).
 */
export function compileNativeAddon(out: string, extraFlags: readonly string[] = []): void {
  const include = nodeIncludeDir();
  if (include === undefined) {
    throw new NativeBuildError('NATIVE_NO_HEADERS', "Node-API headers (include/node/node_api.h) not found beside this Node.js or npm's nodedir");
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  const args = [...FLAGS, ...extraFlags, ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []), '-I', include, '-o', tmp, NATIVE_SOURCE];
  try {
    execFileSync(compiler(), args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (cause) {
    rmSync(tmp, { force: true });
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new NativeBuildError('NATIVE_COMPILE_FAILED', `${compiler()} could not build the native Poseidon engine: ${stderr.trim() || String(cause)}`, { cause });
  }
  renameSync(tmp, out);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  const quiet = args.has('--quiet');
  try {
    const path = buildNativeAddon({ force: args.has('--force') });
    if (!quiet) process.stdout.write(`native Poseidon engine: ${path}\n`);
  } catch (e) {
    process.stderr.write(`warning: ${e instanceof Error ? e.message : String(e)}\n  Rampart will hash with its WebAssembly engine instead.\n`);
    if (args.has('--require')) process.exitCode = 1;
  }
}
