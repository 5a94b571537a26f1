/**
 * Where a prover gets a committed batch's signed transactions: the sequencer's own database when the
 * prover runs in the sequencer's process, or the sequencer's JSON-RPC (`rampart_getBatchInput`) when
 * it runs elsewhere. An answer from the network is validated here; whether it is the right one is
 * checked by the prover service itself (the replayed roots must equal what L1 committed).
 */
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import { readBounded } from './peer-http.ts';
import type { BatchInputSource } from './prover-service.ts';
import type { BatchRecord } from './state-db.ts';

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, '0x-hex');
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, '32-byte hex');
const u = (max: number) => z.number().int().min(0).max(max);

const storedTxSchema = z
  .object({
    hash: hex32.nullable(),
    kind: z.enum(['transfer', 'withdraw']),
    from: u(2 ** 32 - 1),
    to: u(2 ** 32 - 1),
    amountF: u(2 ** 32 - 1),
    maxFeeF: u(0xffff),
    nonce: u(2 ** 40),
    signature: z.object({ r8: z.tuple([hex, hex]), s: hex }).strict().nullable(),
  })
  .strict();

export const batchRecordSchema = z
  .object({
    batchNum: u(2 ** 53 - 1),
    root: hex32,
    exitRoot: hex32,
    nextIndex: u(2 ** 32),
    l1Start: u(2 ** 53 - 1),
    l1Ops: hex,
    txs: z.array(storedTxSchema).max(1 << 20),
    feeTable: z.array(z.object({ tokenId: u(2 ** 32 - 1), accountIdx: u(2 ** 32 - 1), fee: hex }).strict()).max(256),
    exits: z.array(z.object({ slot: u(2 ** 32 - 1), l1Address: hex, tokenId: u(2 ** 32 - 1), amount: hex, leaf: hex32 }).strict()).max(1 << 20),
    commitTx: hex,
    commitBlock: u(2 ** 53 - 1),
    commitBlockHash: hex,
  })
  .strict();

export class BatchSourceError extends RampartError {
  override readonly name = 'BatchSourceError';
}

/**
 * A batch record holds at most maxL2Txs signed transactions (≈ 400 bytes of JSON each) and its L1 ops:
 * 64 MiB bounds any circuit this code base builds many times over, and a peer cannot make the
 * prover buffer more.
 */
export const MAX_BATCH_INPUT_BYTES = 64 << 20;

/** A batch source over a sequencer's JSON-RPC (answers bounded to `maxAnswerBytes`). */
export function rpcBatchSource(url: string, timeoutMs = 30_000, maxAnswerBytes = MAX_BATCH_INPUT_BYTES): BatchInputSource {
  let id = 1;
  return {
    getBatch: async (batchNum: number): Promise<BatchRecord | undefined> => {
      let body: unknown;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'rampart_getBatchInput', params: [batchNum] }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await readBounded(res, maxAnswerBytes);
        if (text === undefined) throw new BatchSourceError('BATCH_SOURCE_INVALID', `batch source ${url}: answer exceeds ${maxAnswerBytes} bytes`);
        body = JSON.parse(text);
      } catch (cause) {
        if (cause instanceof BatchSourceError) throw cause;
        if (cause instanceof SyntaxError) throw new BatchSourceError('BATCH_SOURCE_INVALID', `batch source ${url} answered something that is not JSON`, { cause });
        throw new BatchSourceError('BATCH_SOURCE_UNREACHABLE', `batch source ${url} did not answer`, { cause });
      }
      const envelope = z.object({ result: z.unknown().optional(), error: z.object({ message: z.string() }).passthrough().optional() }).safeParse(body);
      if (!envelope.success) throw new BatchSourceError('BATCH_SOURCE_INVALID', `batch source ${url} answered something that is not JSON-RPC`);
      if (envelope.data.error !== undefined) throw new BatchSourceError('BATCH_SOURCE_ERROR', `batch source ${url}: ${envelope.data.error.message}`);
      if (envelope.data.result === null || envelope.data.result === undefined) return undefined;
      const rec = batchRecordSchema.safeParse(envelope.data.result);
      if (!rec.success || rec.data.batchNum !== batchNum) {
        throw new BatchSourceError('BATCH_SOURCE_INVALID', `batch source ${url}: batch ${batchNum} is malformed (${rec.success ? 'wrong batch number' : rec.error.issues[0]?.message})`);
      }
      return rec.data as BatchRecord;
    },
  };
}
