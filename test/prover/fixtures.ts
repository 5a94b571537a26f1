/**
 * Test helper: the prover tests' own circuit (fixtures/chain.circom, about n constraints, one public
 * input), compiled once per size into .cache/prover-fixtures/chain-<n>/ with circom2, and inputs
 * for it. Concurrent test files serialise on a lock folder; a build is renamed into place whole.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FR_MODULUS } from '../../src/core/field.ts';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TEMPLATE = join(ROOT, 'test', 'prover', 'fixtures', 'chain.circom');

export type ChainCircuit = {
  readonly n: number;
  readonly dir: string;
  readonly r1csPath: string;
  readonly wasmPath: string;
};

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Compiles Chain(n) unless an up-to-date build exists. */
export function ensureChainCircuit(n: number): ChainCircuit {
  const dir = join(ROOT, '.cache', 'prover-fixtures', `chain-${n}`);
  const out: ChainCircuit = { n, dir, r1csPath: join(dir, 'main.r1cs'), wasmPath: join(dir, 'main_js', 'main.wasm') };
  const hash = createHash('sha256').update(readFileSync(TEMPLATE)).update(String(n)).digest('hex');
  const stamp = join(dir, 'source.sha256');
  const fresh = (): boolean => existsSync(out.wasmPath) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (fresh()) return out;
  const lock = `${dir}.lock`;
  mkdirSync(join(ROOT, '.cache', 'prover-fixtures'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      // A lock older than any compile is a crashed run's leftover.
      if (Date.now() - since > 120_000) rmSync(lock, { recursive: true, force: true });
      sleep(100);
      if (fresh()) return out;
    }
  }
  try {
    if (fresh()) return out;
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    // circom2 (WASI) sees only the working folder: every path is relative to the repository root.
    const include = relative(tmp, TEMPLATE);
    writeFileSync(join(tmp, 'main.circom'), `pragma circom 2.1.5;\ninclude "${include}";\ncomponent main {public [pub]} = Chain(${n});\n`);
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'circom2'), [relative(ROOT, join(tmp, 'main.circom')), '--r1cs', '--wasm', '--O2', '-l', 'node_modules', '-o', relative(ROOT, tmp)], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`circom2 failed for chain-${n}: ${r.stderr}${r.stdout}`);
    writeFileSync(join(tmp, 'source.sha256'), hash);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return out;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The chain's result for private inputs x, k: the value the public input must equal. */
export function chainResult(n: number, x: bigint, k: bigint): bigint {
  let a = x;
  for (let i = 0; i < n; i++) a = (a * (a + 3n) + k * 7n + BigInt(i)) % FR_MODULUS;
  return a;
}

export function chainInput(n: number, x: bigint, k: bigint): { pub: bigint; x: bigint; k: bigint } {
  return { pub: chainResult(n, x, k), x, k };
}
