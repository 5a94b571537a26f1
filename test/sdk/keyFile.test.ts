import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { publicKeyFromPrivate, sign, verify } from '../../src/core/eddsa.ts';
import { SdkError } from '../../src/sdk/errors.ts';
import { generateBabyJubKey, readKeyFile, writeKeyFile } from '../../src/sdk/keyFile.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-keyfile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const isCode = (code: string) => (e: unknown) => e instanceof SdkError && e.code === code;

test('a new key file is mode 0600, reads back to the same key, and signs', () => {
  const path = join(dir, 'a.json');
  const key = generateBabyJubKey();
  writeKeyFile(path, key);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const back = readKeyFile(path);
  assert.deepEqual(back.publicKey, key.publicKey);
  assert.deepEqual(publicKeyFromPrivate(back.privateKey), key.publicKey);
  assert.ok(verify(42n, sign(back.privateKey, 42n), key.publicKey));
  const json = JSON.parse(readFileSync(path, 'utf8')) as { version: number; type: string };
  assert.equal(json.version, 1);
  assert.equal(json.type, 'rampart-babyjubjub');
  assert.notDeepEqual(generateBabyJubKey().publicKey, key.publicKey);
});

test('an existing file is never overwritten; an unwritable path is KEY_FILE_INVALID', () => {
  const path = join(dir, 'b.json');
  writeKeyFile(path, generateBabyJubKey());
  const before = readFileSync(path, 'utf8');
  assert.throws(() => writeKeyFile(path, generateBabyJubKey()), isCode('KEY_FILE_EXISTS'));
  assert.equal(readFileSync(path, 'utf8'), before);
  writeFileSync(join(dir, 'other'), 'not a key');
  assert.throws(() => writeKeyFile(join(dir, 'other'), generateBabyJubKey()), isCode('KEY_FILE_EXISTS'));
  assert.throws(() => writeKeyFile(join(dir, 'no-such-dir', 'k.json'), generateBabyJubKey()), isCode('KEY_FILE_INVALID'));
});

test('a key file readable by group or others is refused', () => {
  const path = join(dir, 'c.json');
  writeKeyFile(path, generateBabyJubKey());
  chmodSync(path, 0o644);
  assert.throws(() => readKeyFile(path), isCode('KEY_FILE_PERMISSIONS'));
  chmodSync(path, 0o600);
  readKeyFile(path);
});

test('malformed, edited or missing key files are KEY_FILE_INVALID', () => {
  const put = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const good = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Record<string, unknown>;
  const cases: [string, string][] = [
    ['notjson', 'hello'],
    ['array', '[]'],
    ['version', JSON.stringify({ ...good, version: 2 })],
    ['type', JSON.stringify({ ...good, type: 'ethereum' })],
    ['short', JSON.stringify({ ...good, privateKey: '0x1234' })],
    ['pub', JSON.stringify({ ...good, publicKey: ['0x1', '0x2'] })],
    ['pubshape', JSON.stringify({ ...good, publicKey: 'x' })],
  ];
  for (const [name, text] of cases) assert.throws(() => readKeyFile(put(name, text)), isCode('KEY_FILE_INVALID'), name);
  assert.throws(() => readKeyFile(join(dir, 'missing.json')), isCode('KEY_FILE_INVALID'));
  assert.throws(() => readKeyFile(dir), isCode('KEY_FILE_INVALID'));
});
