import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ContractBuildError, bindingName, buildContracts } from '../../scripts/build-contracts.ts';

const root = mkdtempSync(join(tmpdir(), 'rampart-build-'));
after(() => rmSync(root, { recursive: true, force: true }));
const quiet = { root, log: () => undefined };

test('binding names follow viem style', () => {
  assert.equal(bindingName('Adjudicator'), 'adjudicator');
  assert.equal(bindingName('TestToken'), 'testToken');
  assert.equal(bindingName('ERC20Mock'), 'erc20Mock');
});

test('compiles, writes typed bindings and artifacts, then skips while sources are unchanged', () => {
  mkdirSync(join(root, 'contracts', 'sub'), { recursive: true });
  writeFileSync(join(root, 'contracts', 'sub', 'Counter.sol'), 'pragma solidity ^0.8.28; contract Counter { uint256 public n; function inc() external { n += 1; } }\n');
  const first = buildContracts(quiet);
  assert.equal(first.skipped, false);
  assert.deepEqual(first.contracts, ['Counter']);
  const ts = readFileSync(join(root, 'src', 'l1', 'generated', 'Counter.ts'), 'utf8');
  assert.match(ts, /export const counterAbi = \[/);
  assert.match(ts, /as const;/);
  assert.match(ts, /export const counterBytecode: `0x\$\{string\}` = '0x6080/);
  const artifact = JSON.parse(readFileSync(join(root, 'src', 'l1', 'generated', 'artifacts', 'Counter.json'), 'utf8')) as { settings: { evmVersion: string; optimizer: { enabled: boolean } } };
  assert.equal(artifact.settings.evmVersion, 'cancun');
  assert.equal(artifact.settings.optimizer.enabled, true);
  const second = buildContracts(quiet);
  assert.equal(second.skipped, true);
  assert.equal(second.hash, first.hash);
  writeFileSync(join(root, 'contracts', 'sub', 'Counter.sol'), 'pragma solidity ^0.8.28; contract Counter { uint256 public n; function inc() external { n += 2; } }\n');
  assert.equal(buildContracts(quiet).skipped, false, 'a source change rebuilds');
});

test('a compile error is a typed error with solc’s message; imports cannot escape the repository', () => {
  writeFileSync(join(root, 'contracts', 'Broken.sol'), 'pragma solidity ^0.8.28; contract Broken { function f( }\n');
  assert.throws(() => buildContracts(quiet), (e: unknown) => e instanceof ContractBuildError && e.code === 'CONTRACT_BUILD_FAILED' && /ParserError/.test(e.message));
  writeFileSync(join(root, 'contracts', 'Broken.sol'), 'pragma solidity ^0.8.28; import "../../../../etc/hostname"; contract Broken {}\n');
  assert.throws(() => buildContracts(quiet), (e: unknown) => e instanceof ContractBuildError);
});
