/**
 * EIP-170: a contract's runtime code may be at most 24,576 bytes, or mainnet refuses to deploy it (the
 * devnet and some test chains do not enforce it, so only this test would notice). Checked for every
 * production contract the build writes — everything outside contracts/test/ that has code (interfaces
 * have none). Rollup carries the settlement modes and is the one closest to the limit.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { buildContracts } from '../../scripts/build-contracts.ts';

const EIP170_LIMIT = 24_576;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('every deployed production contract fits EIP-170 (runtime code ≤ 24,576 bytes)', (t) => {
  const { contracts } = buildContracts({ root, log: () => undefined });
  const dir = join(root, 'src', 'l1', 'generated', 'artifacts');
  const sizes: Record<string, number> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const a = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { contractName: string; sourceName: string; deployedBytecode: string };
    if (a.sourceName.startsWith('contracts/test/')) continue;
    const bytes = (a.deployedBytecode.length - 2) / 2;
    if (bytes === 0) continue;
    sizes[a.contractName] = bytes;
  }
  // The contracts this repository deploys in production must all be measured here.
  for (const name of ['Rollup', 'DisputeGame', 'Adjudicator', 'PoseidonT3', 'PoseidonT4', 'PoseidonT5']) {
    assert.ok(contracts.includes(name) && sizes[name] !== undefined, `${name} was built and measured`);
  }
  t.diagnostic(JSON.stringify(sizes));
  for (const [name, bytes] of Object.entries(sizes)) assert.ok(bytes <= EIP170_LIMIT, `${name}: ${bytes} bytes > ${EIP170_LIMIT}`);
});
