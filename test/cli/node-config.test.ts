/**
 * `rampart node --config`: the sequencer's proving reward (`sequencer.proverRewardWei`, decimal wei as a
 * string) reaches the node options exactly, and malformed values are refused with the field's path.
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
