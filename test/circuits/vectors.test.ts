import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCircuitVectors } from '../../scripts/vectors-circuit.ts';
import { circuitInputFromJson } from '../../src/prover/witness.ts';
import { judge, testCircuit } from './helpers.ts';

const generated = buildCircuitVectors();

test('committed circuit vectors are exactly what the STF produces (run `npm run vectors` after a change)', () => {
  for (const [name, content] of Object.entries(generated)) {
    const committed: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', name), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(content)), name);
  }
});

type VectorFile = { batches: { name: string; inputHash: string; input: unknown }[] };

test('every STF batch of the vectors satisfies the test circuit with exactly the STF inputHash as public input', async () => {
  const { r1cs } = await testCircuit();
  assert.equal(r1cs.nPubIn + r1cs.nPubOut, 1, 'one public signal');
  const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'circuit-test-batches.json'), 'utf8')) as VectorFile;
  assert.ok(file.batches.length >= 30);
  for (const b of file.batches) {
    const input = circuitInputFromJson(b.input);
    const v = await judge(input);
    assert.deepEqual(v.failedAssertions, [], b.name);
    assert.equal(v.violated, -1, b.name);
    // w[1] is the only public signal: the inputHash the L1 contract stores for this batch.
    assert.equal(v.witness[1], BigInt(b.inputHash), b.name);
  }
});
