/**
 * The prover's remote batch source (src/node/batch-source.ts) against a scripted peer: answers are
 * bounded in size, must be JSON-RPC, and a record must pass the schema and name the batch asked for;
 * every failure is a typed BatchSourceError.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchSourceError, rpcBatchSource } from '../../src/node/batch-source.ts';

let server: Server;
let url: string;
let answer: () => string = () => '';

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const h32 = `0x${'ab'.repeat(32)}`;
const record = (batchNum: number) => ({ batchNum, root: h32, exitRoot: h32, nextIndex: 3, l1Start: 0, l1Ops: '0x', txs: [], feeTable: [], exits: [], commitTx: '0x', commitBlock: 1, commitBlockHash: '0x' });
const rpcAnswer = (result: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, result });
const code = (c: string) => (e: unknown) => e instanceof BatchSourceError && e.code === c;

test('a remote batch source checks size, envelope, schema and batch number', async () => {
  const src = rpcBatchSource(url, 2_000, 4_096);
  answer = () => rpcAnswer(record(5));
  assert.equal((await src.getBatch(5))?.batchNum, 5);
  answer = () => rpcAnswer(null);
  assert.equal(await src.getBatch(5), undefined);
  answer = () => rpcAnswer({ ...record(5), txs: Array.from({ length: 100 }, () => ({ pad: 'x'.repeat(100) })) });
  await assert.rejects(async () => src.getBatch(5), code('BATCH_SOURCE_INVALID'), 'over 4 KiB: abandoned');
  answer = () => 'not json';
  await assert.rejects(async () => src.getBatch(5), code('BATCH_SOURCE_INVALID'));
  answer = () => JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'nope' } });
  await assert.rejects(async () => src.getBatch(5), code('BATCH_SOURCE_ERROR'));
  answer = () => rpcAnswer(record(6));
  await assert.rejects(async () => src.getBatch(5), code('BATCH_SOURCE_INVALID'), 'another batch');
  answer = () => rpcAnswer({ ...record(5), root: '0x12' });
  await assert.rejects(async () => src.getBatch(5), code('BATCH_SOURCE_INVALID'), 'malformed');
  await assert.rejects(async () => rpcBatchSource('http://127.0.0.1:1', 500).getBatch(5), code('BATCH_SOURCE_UNREACHABLE'));
});
