/**
 * Fee templates compiled alone, for what the `test` shape (one fee entry) cannot show.
 *
 * fee-overflow (docs/PROTOCOL.md §5.2 rule 8) cannot be forced into a `test`-shaped batch: a fee is
 * at most the largest Float16 cap (2047·10^31 < 2^115), so overflowing a 128-bit accumulator takes
 * more than 16,000 paying transactions in one batch. The circuit checks the accumulated total once,
 * in FeeSettle, which is shown to bite at 2^128. FeeTable's checks need more than one entry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { accountLeaf, type Account } from '../../src/core/account.ts';
import { frFromBytesLE, frToBytesLE } from '../../src/core/field.ts';
import { SparseMerkleTree, siblingsToFr } from '../../src/core/smt.ts';
import { firstViolation, parseR1cs } from '../../src/prover/r1cs.ts';
import { loadWitnessCalculator } from '../../src/prover/witness-calculator.ts';
import { ensureCircomMain } from '../../scripts/build-circuits.ts';
import { user } from '../support/rollup.ts';
import { lineOf } from './helpers.ts';

const MAIN = 'pragma circom 2.1.5;\ninclude "../../../circuits/fee.circom";\ncomponent main = FeeSettle(1);\n';

test('FeeSettle rejects a fee total of 2^128 (fee-overflow) and accepts 2^128 - 1', async () => {
  const a = await ensureCircomMain('unit-fee-settle', MAIN);
  const calc = await loadWitnessCalculator(readFileSync(a.wasmPath));
  const r1cs = parseR1cs(readFileSync(a.r1csPath));
  const fee = 2n ** 127n;
  const run = (count: bigint, feeAmount: bigint): { ok: boolean; failures: readonly string[] } => {
    const acc: Account = { tokenId: 0, balance: 0n, nonce: 0, publicKey: user(1).publicKey, l1Address: user(1).l1Address };
    const tree = new SparseMerkleTree(2);
    tree.update(1, frToBytesLE(accountLeaf(acc)));
    const sib = siblingsToFr(tree.siblings(1));
    const input = {
      active: 1n,
      tokenId: 0n,
      accountIdx: 1n,
      fee: feeAmount,
      count,
      rootIn: tree.root(),
      leaf: frFromBytesLE(tree.leafLE(1)),
      account: [0n, 0n, 0n, acc.publicKey[0], acc.publicKey[1], acc.l1Address],
      siblings: [[sib[0] ?? 0n, sib[1] ?? 0n, sib[2] ?? 0n]],
    };
    const { witness, failedAssertions } = calc.calculate(input, { assertions: 'collect' });
    return { ok: firstViolation(r1cs, witness) === -1, failures: failedAssertions };
  };
  assert.deepEqual(run(1n, 2n ** 128n - 1n), { ok: true, failures: [] });
  const over = run(2n, fee);
  assert.equal(over.ok, false);
  const line = lineOf('FeeSettle', 'totalRange.in <== total;');
  assert.ok(over.failures.some((m) => new RegExp(`FeeSettle_\\d+ line: ${line}\\b`).test(m)), over.failures.join('\n'));
});

const TABLE = 'pragma circom 2.1.5;\ninclude "../../../circuits/fee.circom";\ncomponent main = FeeTable(3);\n';

test('FeeTable(3): distinct tokens, active entries first, fee accounts older than the batch', async () => {
  const a = await ensureCircomMain('unit-fee-table', TABLE);
  const calc = await loadWitnessCalculator(readFileSync(a.wasmPath));
  const r1cs = parseR1cs(readFileSync(a.r1csPath));
  const judgeTable = (tokenId: bigint[], accountIdx: bigint[], fee: bigint[], oldNextIndex: bigint): readonly string[] | 'ok' => {
    const { witness, failedAssertions } = calc.calculate({ tokenId, accountIdx, fee, oldNextIndex }, { assertions: 'collect' });
    const violated = firstViolation(r1cs, witness);
    if (violated === -1) {
      assert.deepEqual(failedAssertions, []);
      return 'ok';
    }
    assert.ok(failedAssertions.length > 0);
    return failedAssertions;
  };
  const at = (snippet: string): RegExp => new RegExp(`FeeTable_\\d+ line: ${lineOf('FeeTable', snippet)}\\b`);
  const expectAt = (r: readonly string[] | 'ok', snippet: string): void => {
    assert.notEqual(r, 'ok');
    assert.ok(r !== 'ok' && r.some((m) => at(snippet).test(m)), `${snippet}: ${String(r)}`);
  };
  assert.equal(judgeTable([0n, 1n, 0n], [1n, 2n, 0n], [5n, 7n, 0n], 3n), 'ok');
  assert.equal(judgeTable([0n, 0n, 0n], [0n, 0n, 0n], [0n, 0n, 0n], 1n), 'ok');
  expectAt(judgeTable([4n, 4n, 0n], [1n, 2n, 0n], [5n, 7n, 0n], 3n), '(tokenId[k] - tokenId[k2]) * distinctInv[p] === active[k2];');
  expectAt(judgeTable([4n, 5n, 4n], [1n, 2n, 1n], [5n, 7n, 1n], 3n), '(tokenId[k] - tokenId[k2]) * distinctInv[p] === active[k2];');
  expectAt(judgeTable([0n, 1n, 0n], [0n, 2n, 0n], [0n, 7n, 0n], 3n), 'if (k > 0) active[k] * (1 - active[k - 1]) === 0;');
  expectAt(judgeTable([0n, 1n, 0n], [1n, 3n, 0n], [5n, 7n, 0n], 3n), 'before[k].in <== gap[k];');
  expectAt(judgeTable([0n, 0n, 0n], [0n, 0n, 0n], [9n, 0n, 0n], 3n), '(1 - active[k]) * element[k] === 0;');
  expectAt(judgeTable([2n ** 32n, 0n, 0n], [1n, 0n, 0n], [1n, 0n, 0n], 3n), 'tokenBits[k].in <== tokenId[k];');
  expectAt(judgeTable([0n, 0n, 0n], [1n, 0n, 0n], [2n ** 128n, 0n, 0n], 3n), 'feeBits[k].in <== fee[k];');
});
