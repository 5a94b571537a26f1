import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { StateDb, StorageError } from '../../src/node/state-db.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch } from '../../src/core/stf.ts';
import { CONFIG, user } from '../support/rollup.ts';
import { crashBatches } from '../support/crash-batches.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'rampart-statedb-'));
}

test('StateDb: the STF runs on it, roots match the in-memory state, and a reopen restores everything', async () => {
  const dir = tmp();
  try {
    const batches = crashBatches(3);
    const mem = new MemoryState();
    let db = StateDb.open({ path: dir, treeDepth: CONFIG.treeDepth });
    for (const [i, b] of batches.entries()) {
      const r1 = applyBatch(mem, b, CONFIG, { witness: false });
      mem.apply(r1.changes);
      const r2 = applyBatch(db, b, CONFIG, { witness: false });
      db.applyBatch(i + 1, r2.changes);
      assert.equal(r2.newRoot, r1.newRoot);
      assert.equal(db.root(), r1.newRoot);
    }
    await db.close();
    db = StateDb.open({ path: dir, treeDepth: CONFIG.treeDepth });
    assert.equal(db.batchNum, 3);
    assert.equal(db.nextIndex, mem.nextIndex);
    assert.equal(db.root(), applyBatch(mem, { l1Ops: [], l2Txs: [], feeTable: [] }, CONFIG).newRoot);
    assert.deepEqual([...db.allAccounts()], [...mem.entries()].sort((a, b) => a[0] - b[0]));
    assert.throws(() => db.applyBatch(5, { nodes: new Map(), accounts: new Map(), nextIndex: 1 }), StorageError);
    assert.throws(() => db.applyBatch(3, { nodes: new Map(), accounts: new Map(), nextIndex: 1 }), /not the next batch/);
    await db.close();
    assert.throws(() => StateDb.open({ path: dir, treeDepth: 16 }), /tree depth 32/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('StateDb: kill -9 at random moments leaves exactly the state after a whole batch', async () => {
  const batches = crashBatches(12);
  // Expected root after each batch count, from the in-memory reference.
  const mem = new MemoryState();
  const roots = [applyBatch(mem, { l1Ops: [], l2Txs: [], feeTable: [] }, CONFIG).newRoot];
  for (const b of batches) {
    const r = applyBatch(mem, b, CONFIG, { witness: false });
    mem.apply(r.changes);
    roots.push(r.newRoot);
  }
  const seen = new Set<number>();
  for (let attempt = 0; attempt < 6; attempt++) {
    const dir = tmp();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'support', 'crash-writer.ts'), dir, '12'], { stdio: ['ignore', 'pipe', 'inherit'] });
      // Listen for the exit now: a fast writer may finish all batches before the kill below.
      const exited = new Promise((r) => child.once('exit', r));
      // Wait until the writer has applied a varying number of batches (it reports each), then kill it
      // a moment later: inside or between batches, at different heights however loaded the machine is.
      const target = attempt * 2;
      await new Promise<void>((resolve) => {
        let out = '';
        const onData = (chunk: Buffer): void => {
          out += chunk.toString();
          const done = [...out.matchAll(/applied (\d+)/g)].length;
          if (out.includes('started') && done >= target) {
            child.stdout.off('data', onData);
            child.stdout.resume();
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.once('exit', () => resolve());
      });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 20)));
      child.kill('SIGKILL');
      await exited;
      const db = StateDb.open({ path: dir, treeDepth: CONFIG.treeDepth });
      const n = db.batchNum;
      assert.ok(n >= 0 && n <= 12);
      assert.equal(db.root(), roots[n], `state after kill is exactly batch ${n}`);
      seen.add(n);
      // Recovery continues from the next batch; nothing is applied twice.
      for (let i = n; i < batches.length; i++) {
        const b = batches[i];
        if (b === undefined) break;
        db.applyBatch(i + 1, applyBatch(db, b, CONFIG, { witness: false }).changes);
      }
      assert.equal(db.root(), roots[12]);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.ok(seen.size >= 2, `kills landed at different batches: ${[...seen].join(',')}`);
});

test('StateDb: accounts are found by owner (and token) and by key through an index; a rolled-back batch leaves no entries', async () => {
  const dir = tmp();
  try {
    const db = StateDb.open({ path: dir, treeDepth: CONFIG.treeDepth });
    const op = (u: number, tokenId: number, owner = u) => ({ kind: 'createAccount' as const, l1Address: user(owner).l1Address, tokenId, amount: 5n, publicKey: user(u).publicKey });
    const r1 = applyBatch(db, { l1Ops: [op(0, 0), op(1, 0), op(1, 1)], l2Txs: [], feeTable: [] }, CONFIG, { witness: false });
    db.applyBatch(1, r1.changes);
    assert.deepEqual(db.findAccounts({ l1Address: user(1).l1Address }), [2, 3]);
    assert.deepEqual(db.findAccounts({ l1Address: user(1).l1Address, tokenId: 1 }), [3]);
    assert.deepEqual(db.findAccounts({ publicKey: user(0).publicKey }), [1]);
    assert.deepEqual(db.findAccounts({ publicKey: user(1).publicKey, tokenId: 0 }), [2]);
    assert.deepEqual(db.findAccounts({ l1Address: user(7).l1Address }), []);
    // A later batch creates one more account (key of user 0, owned by user 1), then is rolled back.
    const r2 = applyBatch(db, { l1Ops: [op(0, 0, 1)], l2Txs: [], feeTable: [] }, CONFIG, { witness: false });
    db.applyBatch(2, r2.changes);
    assert.deepEqual(db.findAccounts({ l1Address: user(1).l1Address, tokenId: 0 }), [2, 4]);
    assert.deepEqual(db.findAccounts({ publicKey: user(0).publicKey }), [1, 4]);
    db.revertLastBatch();
    assert.deepEqual(db.findAccounts({ l1Address: user(1).l1Address, tokenId: 0 }), [2]);
    assert.deepEqual(db.findAccounts({ publicKey: user(0).publicKey }), [1]);
    assert.throws(() => db.findAccounts({}), StorageError);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('StateDb.stateAfter: every earlier state, read through the undo log, re-executes the next batch exactly', async () => {
  const dir = tmp();
  try {
    const batches = crashBatches(5);
    const db = StateDb.open({ path: dir, treeDepth: CONFIG.treeDepth, undoDepth: 3 });
    const roots: bigint[] = [db.root()];
    const nextIndices: number[] = [db.nextIndex];
    for (const [i, b] of batches.entries()) {
      const r = applyBatch(db, b, CONFIG, { witness: false });
      db.applyBatch(i + 1, r.changes);
      roots.push(r.newRoot);
      nextIndices.push(r.newNextIndex);
    }
    // The undo log covers the last 3 batches: states after batches 2..5.
    for (let k = 2; k <= 5; k++) {
      const view = db.stateAfter(k);
      assert.equal(view.nextIndex, nextIndices[k]);
      const empty = applyBatch(view, { l1Ops: [], l2Txs: [], feeTable: [] }, CONFIG, { witness: false });
      assert.equal(empty.newRoot, roots[k], `root after batch ${k}`);
      const next = batches[k];
      if (next !== undefined) assert.equal(applyBatch(view, next, CONFIG, { witness: false }).newRoot, roots[k + 1], `batch ${k + 1} replayed on the view`);
      // Accounts created later do not exist in the view.
      assert.equal(view.getAccount(nextIndices[k] ?? 0), undefined);
    }
    assert.throws(() => db.stateAfter(1), (e: unknown) => e instanceof StorageError && e.code === 'STATE_DB_UNDO');
    assert.throws(() => db.stateAfter(6), (e: unknown) => e instanceof StorageError && e.code === 'STATE_DB_ORDER');
    assert.throws(() => db.stateAfter(-1), StorageError);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
