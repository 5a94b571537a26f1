import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVectors } from '../scripts/vectors.ts';

test('committed test vectors are exactly what the STF produces (run `npm run vectors` after a protocol change)', () => {
  for (const [name, content] of Object.entries(buildVectors())) {
    const committed: unknown = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', name), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(content)), name);
  }
});
