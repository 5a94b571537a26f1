/** Worker thread running snarkjs tasks for setup-tasks.ts (loaded through src/node/ts-worker.mjs). */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { SetupError } from './setup-errors.ts';
import type { SnarkjsLogLine, SnarkjsTask, WorkerRequest, WorkerResponse } from './setup-tasks.ts';
import { loadSnarkjs, type SnarkjsLogger } from './snarkjs-api.ts';

const port = parentPort;
if (port === null) throw new SetupError('SETUP_FAILED', 'setup-worker must run in a worker thread');

function post(msg: WorkerResponse): void {
  port?.postMessage(msg);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

async function run(task: SnarkjsTask, logger: SnarkjsLogger): Promise<unknown> {
  const snarkjs = await loadSnarkjs();
  switch (task.op) {
    case 'warmup':
      return null;
    case 'newZKey': {
      const r = await snarkjs.zKey.newZKey(task.r1cs, task.ptau, task.zkey, logger);
      if (typeof r === 'number') throw new SetupError('SETUP_FAILED', 'snarkjs refused to create the zkey (see errors)');
      return hex(r);
    }
    case 'contribute':
      return hex(await snarkjs.zKey.contribute(task.oldZkey, task.newZkey, task.name, task.entropy, logger));
    case 'exportVerificationKey':
      return await snarkjs.zKey.exportVerificationKey(task.zkey, logger);
    case 'exportSolidityVerifier':
      return await snarkjs.zKey.exportSolidityVerifier(task.zkey, { groth16: readFileSync(task.template, 'utf8') }, logger);
    case 'preparePhase2':
      await snarkjs.powersOfTau.preparePhase2(task.ptau, task.out, logger);
      return null;
    case 'newAccumulator': {
      const curve = await snarkjs.curves.getCurveFromName('bn128');
      await snarkjs.powersOfTau.newAccumulator(curve, task.power, task.out, logger);
      return null;
    }
    case 'contributePtau':
      await snarkjs.powersOfTau.contribute(task.ptau, task.out, task.name, task.entropy, logger);
      return null;
    case 'verifyPtau':
      return await snarkjs.powersOfTau.verify(task.ptau, logger);
    case 'verifyZkey':
      return await snarkjs.zKey.verifyFromR1cs(task.r1cs, task.ptau, task.zkey, logger);
    case 'verifyProof':
      return await snarkjs.groth16.verify(task.vk, task.publicSignals, task.proof, logger);
  }
}

port.on('message', (msg: WorkerRequest) => {
  const errors: string[] = [];
  const log =
    (level: SnarkjsLogLine['level']) =>
    (m: string): void => {
      if (level === 'error') errors.push(String(m));
      post({ type: 'log', line: { level, msg: String(m) } });
    };
  const logger: SnarkjsLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  run(msg.task, logger).then(
    (result) => post({ type: 'done', id: msg.id, result }),
    (err: unknown) => post({ type: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err), errors }),
  );
});
