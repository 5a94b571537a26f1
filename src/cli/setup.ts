/**
 * `rampart setup`: Groth16 keys for a circuit — a development ceremony (or an imported public ptau),
 * the proving key with one phase-2 contribution, the verification key, and the Solidity verifier
 * compiled with solc — cached under .cache/setup/<sha256 of the r1cs>/. Progress bars go to stderr;
 * stdout gets one JSON line describing the result.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SetupError } from '../prover/setup-errors.ts';
import { defaultSetupOptions } from '../prover/setup-options.ts';
import { createProgressFactory } from '../prover/setup-progress.ts';
import { setupCircuit } from '../prover/setup.ts';
import { loadVerifierArtifact, matchesRollupInterface } from '../prover/verifier.ts';
import { emit, parseInteger, runCommand } from './channelShared.ts';

type SetupCommandOptions = {
  circuit: string;
  r1cs?: string;
  ptau?: string;
  force?: boolean;
  cacheDir: string;
  threads?: string;
  phase2: string;
  circuitsDir: string;
};

/** The r1cs of a compiled circuit set: `<dir>/<name>/main.r1cs` (scripts/build-circuits.ts) or `<name>.r1cs`. */
export function resolveCircuitR1cs(circuitsDir: string, name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new SetupError('SETUP_CONFIG', `not a circuit name: ${name}`);
  const candidates = [join(circuitsDir, name, 'main.r1cs'), join(circuitsDir, name, `${name}.r1cs`)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new SetupError('SETUP_CIRCUIT_MISSING', `circuit "${name}" is not compiled (looked for ${candidates.join(', ')}); run: npm run build:circuits -- ${name}`, {
      details: { circuit: name },
    });
  }
  return found;
}

export function registerSetupCommands(program: Command): void {
  program
    .command('setup')
    .description('trusted setup of a circuit: dev ceremony or imported ptau, proving key, verification key, Solidity verifier (cached)')
    .option('--circuit <name>', 'compiled circuit set under --circuits-dir', 'devnet')
    .option('--r1cs <file>', 'any circom .r1cs instead of a named circuit')
    .option('--ptau <file>', 'a public powers-of-tau file (e.g. powersOfTau28_hez_final_17.ptau) instead of a development ceremony')
    .option('--force', 'redo every step even if the cache holds this setup')
    .option('--cache-dir <dir>', 'setup cache', defaultSetupOptions.cacheDir)
    .option('--circuits-dir <dir>', 'where compiled circuit sets live', join('.cache', 'circuits'))
    .option('--threads <n>', 'ceremony worker threads (default: all cores)')
    .option('--phase2 <mode>', "dev ceremony proving key: 'direct' (seconds) or 'snarkjs' (zkey new + contribute; slow)", defaultSetupOptions.phase2)
    .action((o: SetupCommandOptions) =>
      runCommand(async () => {
        if (o.phase2 !== 'direct' && o.phase2 !== 'snarkjs') throw new SetupError('SETUP_CONFIG', `--phase2 must be direct or snarkjs, got ${o.phase2}`);
        const r1csPath = o.r1cs !== undefined ? resolve(o.r1cs) : resolveCircuitR1cs(resolve(o.circuitsDir), o.circuit);
        const threads = o.threads === undefined ? undefined : parseInteger(o.threads, '--threads');
        const r = await setupCircuit(
          {
            r1csPath,
            circuit: o.r1cs !== undefined ? r1csPath : o.circuit,
            cacheDir: o.cacheDir,
            force: o.force === true,
            phase2: o.phase2,
            ...(o.ptau === undefined ? {} : { ptauPath: o.ptau }),
            ...(threads === undefined ? {} : { ceremony: { ...defaultSetupOptions.ceremony, threads } }),
          },
          { progress: createProgressFactory(process.stderr), log: (line) => process.stderr.write(`${line}\n`) },
        );
        const artifact = await loadVerifierArtifact(r.verifierSourcePath);
        const m = r.manifest;
        emit({
          event: 'setup',
          cached: r.cached,
          circuit: m.circuit,
          dir: r.dir,
          constraints: m.r1cs.constraints,
          domainPower: m.r1cs.domainPower,
          ptau: { source: m.ptau.source, power: m.ptau.power, sha256: m.ptau.sha256, path: r.ptauPath },
          zkey: { path: r.zkeyPath, sha256: m.zkey.sha256, circuitHash: m.zkey.circuitHash, contributions: m.zkey.contributions },
          verificationKey: r.verificationKeyPath,
          verifier: { source: r.verifierSourcePath, artifact: join(r.dir, 'Groth16Verifier.json'), nPublic: artifact.nPublic, rollupInterface: matchesRollupInterface(artifact) },
          timingsMs: Object.fromEntries(Object.entries(m.timingsMs).map(([k, v]) => [k, Math.round(v)])),
        });
      }),
    );
}
