/**
 * Derivation: rebuilds L2 state from L1 data alone. A committed batch is decoded from the calldata
 * of its `commitBatch` transaction (the queued L1 operations and the batch data) and replayed through
 * the STF; the result must reproduce the roots the batch committed to. Pure apart from its input: the
 * L1 reader fetches the calldata, storage applies the returned changes.
 */
import { decodeBatchData, recordKind, type BatchData } from '../core/batch-data.ts';
import { DecodeError, RampartError } from '../core/errors.ts';
import type { Fr } from '../core/field.ts';
import type { StateReader } from '../core/state.ts';
import { applyPostedBatch, type BatchResult, type StfConfig } from '../core/stf.ts';
import { L1_OP_BYTES, decodeL1Op, type L1Op } from '../core/tx.ts';
import { unpackSignature } from '../core/eddsa.ts';

/** What a `commitBatch` call posted, as read from L1. */
export type PostedBatch = {
  readonly batchNum: number;
  readonly newRoot: Fr;
  readonly exitRoot: Fr;
  readonly newNextIndex: number;
  readonly l1OpsBytes: Uint8Array;
  readonly batchDataBytes: Uint8Array;
};

export type DerivedBatch = {
  readonly l1Ops: readonly L1Op[];
  readonly data: BatchData;
  readonly result: BatchResult;
};

export class DerivationError extends RampartError {
  override readonly name = 'DerivationError';
}

export function decodeL1OpsBytes(bytes: Uint8Array): L1Op[] {
  if (bytes.length % L1_OP_BYTES !== 0) {
    throw new DecodeError(`L1 ops: ${bytes.length} bytes is not a multiple of ${L1_OP_BYTES}`);
  }
  const ops: L1Op[] = [];
  for (let o = 0; o < bytes.length; o += L1_OP_BYTES) ops.push(decodeL1Op(bytes.subarray(o, o + L1_OP_BYTES)));
  return ops;
}

/**
 * Replays one posted batch on `state`. Throws DerivationError (code DERIVED_ROOT_MISMATCH) when the
 * posted roots are not what the data produces — for a proven ZK batch that cannot happen; for an
 * unproven or optimistic batch it is evidence against the batch.
 */
export function deriveBatch(state: StateReader, posted: PostedBatch, config: StfConfig): DerivedBatch {
  const l1Ops = decodeL1OpsBytes(posted.l1OpsBytes);
  const data = decodeBatchData(posted.batchDataBytes);
  const l2Txs =
    data.mode === 'zk'
      ? data.txs.map((r) => ({ kind: recordKind(r), from: r.from, to: r.to, amountF: r.amountF }))
      : data.txs.map((r) => {
          let signature;
          try {
            signature = unpackSignature(r.signature);
          } catch (cause) {
            throw new DerivationError('DERIVED_BAD_SIGNATURE', `batch ${posted.batchNum}: a posted signature does not decode`, { cause });
          }
          // The nonce is not posted: applyPostedBatch takes the sender's nonce as it stands at this
          // transaction (not the pre-batch nonce: a sender may have several transactions in a batch).
          return { kind: recordKind(r), from: r.from, to: r.to, amountF: r.amountF, maxFeeF: r.maxFeeF, signature };
        });
  const result = applyPostedBatch(state, { l1Ops, l2Txs, feeTable: data.feeTable }, config);
  if (result.newRoot !== posted.newRoot || result.exitRoot !== posted.exitRoot || result.newNextIndex !== posted.newNextIndex) {
    throw new DerivationError('DERIVED_ROOT_MISMATCH', `batch ${posted.batchNum}: posted roots differ from what its data produces`, {
      details: {
        batchNum: posted.batchNum,
        postedRoot: posted.newRoot.toString(16),
        derivedRoot: result.newRoot.toString(16),
        postedExitRoot: posted.exitRoot.toString(16),
        derivedExitRoot: result.exitRoot.toString(16),
      },
    });
  }
  return { l1Ops, data, result };
}
