/** `npm run vectors`: writes test/vectors/*.json from the TypeScript STF (see scripts/vectors.ts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVectors } from './vectors.ts';

const dir = join(import.meta.dirname, '..', 'test', 'vectors');
mkdirSync(dir, { recursive: true });
for (const [name, content] of Object.entries(buildVectors())) {
  writeFileSync(join(dir, name), `${JSON.stringify(content, null, 1)}\n`);
  process.stdout.write(`wrote test/vectors/${name}\n`);
}
