/**
 * `rampart node --config`: the sequencer's proving reward (`sequencer.proverRewardWei`, decimal wei as a
 * string) and the sequencer registry settings (`sequencer.registry`) reach the node options exactly,
 * and malformed values are refused with the field's path.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNodeConfig } from '../../src/cli/node.ts';
import { InvalidInputError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-node-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(proverRewardWei: unknown): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  const sequencer = { key: { privateKey: `0x${'11'.repeat(32)}` }, ...(proverRewardWei === undefined ? {} : { proverRewardWei }) };
  writeFileSync(path, JSON.stringify({ l1: { rpc: 'http://127.0.0.1:8545' }, rollup: { address: `0x${'22'.repeat(20)}`, deployBlock: 1, circuit: 'test' }, dataDir: './data', sequencer }));
  return path;
}

test('sequencer.proverRewardWei: a decimal string of wei, exact beyond 2^53; absent = not set', () => {
  assert.equal(loadNodeConfig(config('123456789012345678901'), {}, () => {}).sequencer?.proverRewardWei, 123456789012345678901n);
  assert.equal(loadNodeConfig(config('0'), {}, () => {}).sequencer?.proverRewardWei, 0n);
  assert.equal(loadNodeConfig(config(undefined), {}, () => {}).sequencer?.proverRewardWei, undefined);
});

test('sequencer.proverRewardWei: numbers, fractions, negatives, leading zeros and 2^96 are refused', () => {
  for (const bad of [1000, '1.5', '-1', '01', '0x10', (2n ** 96n).toString()]) {
    assert.throws(() => loadNodeConfig(config(bad), {}, () => {}), (e: unknown) => e instanceof InvalidInputError && /sequencer\.proverRewardWei/.test(e.message), String(bad));
  }
});

function registryConfig(registry: unknown): string {
  const path = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  const sequencer = { key: { privateKey: `0x${'11'.repeat(32)}` }, registry };
  writeFileSync(path, JSON.stringify({ l1: { rpc: 'http://127.0.0.1:8545' }, rollup: { address: `0x${'22'.repeat(20)}`, deployBlock: 1, circuit: 'test' }, dataDir: './data', sequencer }));
  return path;
}

test('sequencer.registry: URL, stake and forwarding bounds reach the node options exactly', () => {
  const o = loadNodeConfig(registryConfig({ url: 'https://seq.example.org/rpc', stakeWei: '1000000000000000000', forward: { timeoutMs: 1500, retryMs: 250 } }), {}, () => {});
  assert.deepEqual(o.sequencer?.registry, { url: 'https://seq.example.org/rpc', stakeWei: 10n ** 18n, forward: { timeoutMs: 1500, retryMs: 250 } });
  assert.deepEqual(loadNodeConfig(registryConfig({}), {}, () => {}).sequencer?.registry, {});
});

test('sequencer.registry: bad URLs, stakes and unknown keys are refused with the field path', () => {
  const bad: [unknown, RegExp][] = [
    [{ url: 'ftp://seq.example.org' }, /sequencer\.registry\.url/],
    [{ url: 'not a url' }, /sequencer\.registry\.url/],
    [{ url: `http://${'a'.repeat(260)}.org` }, /sequencer\.registry\.url/],
    [{ stakeWei: '0' }, /sequencer\.registry\.stakeWei/],
    [{ stakeWei: 1 }, /sequencer\.registry\.stakeWei/],
    [{ stakeWei: (2n ** 96n).toString() }, /sequencer\.registry\.stakeWei/],
    [{ forward: { timeoutMs: 0 } }, /sequencer\.registry\.forward\.timeoutMs/],
    [{ forward: { retries: 3 } }, /sequencer\.registry\.forward/],
    [{ slot: 1 }, /sequencer\.registry/],
  ];
  for (const [registry, where] of bad) {
    assert.throws(() => loadNodeConfig(registryConfig(registry), {}, () => {}), (e: unknown) => e instanceof InvalidInputError && where.test(e.message), JSON.stringify(registry));
  }
});

function rawConfig(extra: Record<string, unknown>): string {
  const path = join(dir, `o${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ l1: { rpc: 'http://127.0.0.1:8545' }, rollup: { address: `0x${'22'.repeat(20)}`, deployBlock: 1, circuit: 'test' }, dataDir: './data', ...extra }));
  return path;
}

test('optimistic roles: challenger key and sequencer.defend reach the node options; bad values are refused with their path', () => {
  const key = `0x${'33'.repeat(32)}`;
  const o = loadNodeConfig(rawConfig({ challenger: { key: { privateKey: key } }, sequencer: { key: { privateKey: `0x${'11'.repeat(32)}` }, defend: false } }), {}, () => {});
  assert.equal(o.challenger?.privateKey, key);
  assert.equal(o.sequencer?.defend, false);
  assert.equal(loadNodeConfig(rawConfig({}), {}, () => {}).challenger, undefined);
  for (const [extra, path] of [
    [{ challenger: { key: { privateKey: key }, bond: 1 } }, /challenger/],
    [{ challenger: {} }, /challenger\.key/],
    [{ sequencer: { key: { privateKey: key }, defend: 'yes' } }, /sequencer\.defend/],
  ] as const) {
    assert.throws(() => loadNodeConfig(rawConfig(extra), {}, () => {}), (e: unknown) => e instanceof InvalidInputError && path.test(e.message), JSON.stringify(extra));
  }
  assert.throws(() => loadNodeConfig(rawConfig({ challenger: { key: { privateKey: '0x12' } } }), {}, () => {}), InvalidInputError);
});
