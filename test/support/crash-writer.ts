/** Child process for the crash test: applies the deterministic batches to a StateDb until killed. */
import { StateDb } from '../../src/node/state-db.ts';
import { applyBatch } from '../../src/core/stf.ts';
import { CONFIG } from './rollup.ts';
import { crashBatches } from './crash-batches.ts';

const [dir, countArg] = process.argv.slice(2);
if (dir === undefined) process.exit(2);
const batches = crashBatches(Number(countArg ?? '12'));
const db = StateDb.open({ path: dir, treeDepth: CONFIG.treeDepth });
process.stdout.write('started\n');
for (let i = db.batchNum; i < batches.length; i++) {
  const b = batches[i];
  if (b === undefined) break;
  db.applyBatch(i + 1, applyBatch(db, b, CONFIG, { witness: false }).changes);
  process.stdout.write(`applied ${i + 1}\n`);
}
await db.close();
