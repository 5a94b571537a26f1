/**
 * Multi-proof mode (docs/PROTOCOL.md §14.1) posts 78-byte signed records, yet must be provable by the
 * unchanged batch circuit: the commitment's elements are the records' 12-byte prefixes, z binds every
 * posted byte. Here the prover's multi-mode witness for a batch with transfers and a fee satisfies the
 * `test` circuit's R1CS, its public input differs from the zk-mode one (z moved with the signatures),
 * and a zk-mode commitment cannot be passed off for multi-mode data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedBatchFromResult } from '../../src/core/batch-commitment.ts';
import { decodeBatchData } from '../../src/core/batch-data.ts';
import { batchWitnessFromResult, buildBatchWitness } from '../../src/prover/witness.ts';
import { circuitScenario } from '../../scripts/vectors-circuit.ts';
import { DOMAIN_DIGEST, PARAMS, TEST_CONFIG, judge } from './helpers.ts';

const SCENARIO = circuitScenario();
const RICH = SCENARIO.find((b) => b.name.startsWith('deposit + two transfers'));
assert.ok(RICH !== undefined);

test('a multi-mode batch (78-byte signed records) is proven by the unchanged circuit', async () => {
  const p = { params: PARAMS, config: TEST_CONFIG, state: RICH.state, result: RICH.result, l1Ops: RICH.l1Ops, feeTable: RICH.feeTable, batchNum: RICH.header.batchNum, l1Start: RICH.header.l1Start };
  const zk = batchWitnessFromResult(p);
  const multi = batchWitnessFromResult({ ...p, mode: 'multi' });
  assert.equal(decodeBatchData(multi.batchData).mode, 'optimistic');
  assert.ok(RICH.result.included.length > 0, 'the batch has records');
  assert.equal(multi.batchData.length - zk.batchData.length, RICH.result.included.length * 66, '66 more bytes per record: fee cap and signature');
  assert.notEqual(multi.input.inputHash, zk.input.inputHash, 'z binds the signed bytes');
  assert.equal(multi.commitment.c, zk.commitment.c);
  const verdict = await judge(multi.input);
  assert.deepEqual(verdict.failedAssertions, []);
  assert.equal(verdict.ok, true, 'the circuit accepts the multi-mode witness');
  assert.equal(verdict.witness[1], multi.input.inputHash, 'its single public input is the multi-mode input hash');
  // The builder refuses a commitment whose z was not derived from the posted (signed) data shape it claims.
  const signed = signedBatchFromResult({ config: TEST_CONFIG, maxL2Txs: PARAMS.maxL2Txs, result: RICH.result, l1Ops: RICH.l1Ops, feeTable: RICH.feeTable, batchNum: RICH.header.batchNum, l1Start: RICH.header.l1Start });
  assert.equal(signed.commitment.inputHash, multi.input.inputHash);
  assert.throws(() =>
    buildBatchWitness({ params: PARAMS, config: TEST_CONFIG, state: RICH.state, result: RICH.result, l1Ops: RICH.l1Ops, txs: RICH.result.included, feeTable: RICH.feeTable, header: RICH.header, commitment: { ...signed.commitment, f: zk.commitment.f }, domain: DOMAIN_DIGEST }),
  );
});
