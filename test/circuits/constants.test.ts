import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createPrivateKey, publicKeyFromPrivate, sign, verify } from '../../src/core/eddsa.ts';
import { frFromBytesLE } from '../../src/core/field.ts';
import { emptySubtree } from '../../src/core/smt.ts';

const source = readFileSync(join(import.meta.dirname, '..', '..', 'circuits', 'lib', 'constants.circom'), 'utf8');

function numbersIn(fn: string): bigint[] {
  const start = source.indexOf(`function ${fn}(`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/\b\d{1,80}\b(?![\]\w])/g)].map((m) => BigInt(m[0]));
}

test('circuit constants: Z[k] of the 4-ary tree equal src/core emptySubtree for k = 0..16', () => {
  const z = numbersIn('emptySubtree').filter((v) => v > 17n || v === 0n);
  assert.equal(z.length, 17);
  z.forEach((v, k) => assert.equal(v, frFromBytesLE(emptySubtree(k)), `Z[${k}]`));
});

test('circuit constants: the padding signature is a valid EdDSA-Poseidon signature of message 0', () => {
  const [ax, ay, r8x, r8y, s, m] = numbersIn('dummySignature').filter((v) => v > 6n || v === 0n);
  const key = createPrivateKey(new Uint8Array(32).fill(0x42));
  assert.deepEqual(publicKeyFromPrivate(key), [ax, ay]);
  assert.equal(m, 0n);
  assert.deepEqual(sign(key, 0n), { r8: [r8x, r8y], s });
  assert.equal(verify(0n, { r8: [r8x ?? 0n, r8y ?? 0n], s: s ?? 0n }, [ax ?? 0n, ay ?? 0n]), true);
});
