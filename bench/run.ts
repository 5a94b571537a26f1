/**
 * `npm run bench [-- --quick] [-- name-filter]`: runs every bench/*.bench.ts and prints one JSON document
 * ({ machine, results: BenchResult[] }) on stdout. Progress goes to stderr so stdout stays parseable.
 * Poseidon runs on the backend `RAMPART_POSEIDON` selects (default: native where it builds), as in a node.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installPoseidonBackend } from '../src/native/poseidon-native.ts';
import type { BenchModule, BenchResult } from './util.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

// The backend a node would use (RAMPART_POSEIDON, default auto: native where it builds).
const poseidon = installPoseidonBackend();
process.stderr.write(`bench: Poseidon backend ${poseidon.backend}${poseidon.arithmetic === undefined ? '' : ` (${poseidon.arithmetic})`}${poseidon.reason === undefined ? '' : `: ${poseidon.reason}`}\n`);

const results: BenchResult[] = [];
for (const file of files) {
  process.stderr.write(`bench: ${file}\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  results.push(...(await mod.run({ quick })));
}
const cpu = cpus()[0];
process.stdout.write(
  `${JSON.stringify(
    { machine: { cpus: cpus().length, model: cpu?.model ?? 'unknown', node: process.version, poseidon }, quick, results },
    null,
    2,
  )}\n`,
);
process.exit(0);
