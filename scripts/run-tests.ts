// Runs every test file under the given folders (default: test/) with node:test.
// Node 20's test runner does not expand globs or pick up .ts files by itself, hence this script.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
}

const roots = process.argv.slice(2);
const files: string[] = [];
for (const root of roots.length > 0 ? roots : ['test']) {
  if (statSync(root).isDirectory()) collect(root, files);
  else files.push(root);
}
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const reporter = process.env['CI'] ? 'spec' : 'spec';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
