/**
 * `npm run bench:large [-- --quick]`: the figures too slow for `npm run bench` — the 8-slot depth-32
 * batch circuit (depth32-tx8, ≈ 250k constraints): compile, constraints per transfer averaged over
 * six slots, witness time, first-time development setup, proving time, and L1 gas per transfer with
 * real proofs. Each bench module's `runLarge` provides them; the output has the same JSON shape as
 * bench/run.ts ({ machine, quick, results }). About 15 minutes on the project's 2-core machine the
 * first time (compile ≈ 5 min under load; the setup is cached in .cache/setup for the L1 gas part).
 */
import { cpus } from 'node:os';
import type { BenchResult } from './util.ts';

type LargeModule = { readonly runLarge: (options: { readonly quick: boolean }) => Promise<BenchResult[]> };

const quick = process.argv.slice(2).includes('--quick');
const modules: readonly [string, () => Promise<LargeModule>][] = [
  ['circuit', () => import('./circuit.bench.ts')],
  ['prover', () => import('./prover.bench.ts')],
  ['l1gas', () => import('./l1gas.bench.ts')],
];

const results: BenchResult[] = [];
for (const [name, load] of modules) {
  process.stderr.write(`bench:large: ${name}\n`);
  results.push(...(await (await load()).runLarge({ quick })));
}
const cpu = cpus()[0];
process.stdout.write(
  `${JSON.stringify({ machine: { cpus: cpus().length, model: cpu?.model ?? 'unknown', node: process.version }, quick, results }, null, 2)}\n`,
);
process.exit(0);
