/**
 * Random batches through the STF and the circuit: whatever the STF makes of random L1 ops (valid or
 * no-ops) and random L2 transactions (included or rejected), the circuit accepts the STF's batch with
 * exactly the STF's inputHash. Seeded, so a failure replays.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { MAX_BALANCE } from '../../src/core/params.ts';
import { MemoryState, overlayState, type StateReader } from '../../src/core/state.ts';
import type { FeeEntry } from '../../src/core/stf.ts';
import type { L1Op, L2Tx } from '../../src/core/tx.ts';
import { signTx, user } from '../support/rollup.ts';
import { judge, runBatch } from './helpers.ts';

function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

test('random STF batches (every op kind, rejected and included transactions) are accepted with the STF inputHash', async (t) => {
  const r = rng(0x5eed);
  const pick = <T>(xs: readonly T[]): T => {
    const x = xs[r(xs.length)];
    assert.ok(x !== undefined);
    return x;
  };
  let state: StateReader = new MemoryState();
  const amounts = [0n, 5n, 100n, 1_000n, 5_000n, 10n ** 20n, MAX_BALANCE - 3n];
  const index = (): number => pick([0, 1, 2, 3, 4, 5, 6, 9, 15, 17, 18]);
  let included = 0;
  let rejected = 0;
  let noops = 0;
  const reasons = new Map<string, number>();
  for (let n = 0; n < 24; n++) {
    const u = n < 7 ? n : r(8);
    const l1Ops: L1Op[] = [];
    switch (n < 7 ? 0 : r(5)) {
      case 0:
        l1Ops.push({ kind: 'createAccount', l1Address: user(u).l1Address, tokenId: r(5) === 0 ? 1 : 0, amount: n < 7 ? 10n ** 21n : pick(amounts), publicKey: user(u).publicKey });
        break;
      case 1:
        l1Ops.push({ kind: 'deposit', l1Address: 0xd0n, tokenId: r(2), amount: pick(amounts), toIdx: index() || 1 });
        break;
      case 2:
        l1Ops.push({ kind: 'forceExit', l1Address: user(u).l1Address, fromIdx: index() || 1 });
        break;
      case 3:
        l1Ops.push({ kind: 'forceTransfer', l1Address: user(u).l1Address, fromIdx: index() || 1, toIdx: index() || 2, amount: pick(amounts) });
        break;
      default:
        break;
    }
    // Transactions signed by the key of the account they name, or not, with right or wrong nonces.
    const l2Txs: L2Tx[] = [];
    const nonces = new Map<number, number>();
    const existing = (): number => 1 + r(Math.max(1, state.nextIndex - 1));
    for (let t = r(4); t > 0; t--) {
      const from = r(4) === 0 ? index() || 1 : existing();
      const to = r(3) === 0 ? 0 : r(4) === 0 ? index() : existing();
      const acc = state.getAccount(from);
      const owner = [0, 1, 2, 3, 4, 5, 6, 7].find((i) => acc !== undefined && user(i).publicKey[0] === acc.publicKey[0]) ?? 0;
      const signer = r(6) === 0 ? r(8) : owner;
      const current = nonces.get(from) ?? acc?.nonce ?? 0;
      const nonce = current + (r(8) === 0 ? 1 : 0);
      const amount = pick([0n, 1n, 7n, 50n, 3_000n, 10n ** 18n]);
      const body = { kind: to === 0 ? ('withdraw' as const) : ('transfer' as const), from, to, amountF: floatEncode(FLOAT32, amount), maxFeeF: floatEncode(FLOAT16, pick([0n, 10n, 10n])), nonce };
      l2Txs.push(signTx(user(signer), body));
      // Later transactions of this sender assume this one goes in (if it does not, theirs are bad-nonce).
      nonces.set(from, current + 1);
    }
    const feeAcc = state.getAccount(1);
    const feeTable: FeeEntry[] = feeAcc !== undefined && r(2) === 0 ? [{ tokenId: feeAcc.tokenId, accountIdx: 1, fee: BigInt(r(3)) }] : [];
    // The circuit has two L2 slots: offer transactions until two are in.
    let run = runBatch(state, { l1Ops, l2Txs, feeTable }, BigInt(n + 1));
    while (run.result.included.length > 2) {
      l2Txs.pop();
      run = runBatch(state, { l1Ops, l2Txs, feeTable }, BigInt(n + 1));
    }
    included += run.result.included.length;
    for (const x of run.result.l2Receipts) {
      if (x.status === 'rejected') {
        rejected++;
        reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
      }
    }
    noops += run.result.l1Receipts.filter((x) => x.status === 'noop').length;
    const v = await judge(run.input);
    assert.deepEqual(v.failedAssertions, [], `batch ${n}`);
    assert.equal(v.violated, -1, `batch ${n}`);
    assert.equal(v.witness[1], run.commitment.inputHash, `batch ${n}`);
    state = overlayState(state, run.result.changes);
  }
  t.diagnostic(`coverage: ${included} included, ${rejected} rejected (${JSON.stringify([...reasons])}), ${noops} L1 no-ops`);
  assert.ok(included >= 8 && rejected >= 8 && noops >= 4, `coverage: ${included} included, ${rejected} rejected (${JSON.stringify([...reasons])}), ${noops} L1 no-ops`);
});
