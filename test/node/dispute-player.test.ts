/**
 * The honest player's strategy against a model of the contract's bisection rules (the contract itself
 * is exercised in test/l1/dispute-game.test.ts): an honest challenger always narrows a wrong assertion
 * to a step whose pre-state both sides agree on and whose post-state the defender got wrong, within
 * ⌈log2 n⌉ rounds; an honest defender always narrows a griefing challenge to a step it can prove.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { midpoint, nextMove, type GameView, type Trace } from '../../src/node/dispute-player.ts';

const st = (tag: string, j: number): Hex => `0x${Buffer.from(`${tag}:${j}`).toString('hex').padEnd(64, '0').slice(0, 64)}`;

function trace(n: number, stateAt: (j: number) => Hex | undefined): Trace {
  return { steps: n, stateAt };
}

/** Plays one game to the one-step point with the contract's rules; returns lo, hi and rounds. */
function play(n: number, defenderClaim: (j: number) => Hex, challenger: (g: GameView) => boolean | 'honest', honest: Trace) {
  let g: GameView = { open: true, lo: 0, hi: n, turn: n === 1 ? 'challenger' : 'defender', loState: defenderClaim(0), hiState: defenderClaim(n), midState: undefined };
  let rounds = 0;
  while (g.hi - g.lo > 1) {
    const mid = midpoint(g);
    g = { ...g, turn: 'challenger', midState: defenderClaim(mid) };
    const c = challenger(g);
    let agree: boolean;
    if (c === 'honest') {
      const m = nextMove('challenger', g, honest);
      assert.equal(m.kind, 'respond');
      assert.ok(m.kind === 'respond' && m.mid === mid);
      agree = m.kind === 'respond' && m.agree;
    } else agree = c;
    g = agree ? { ...g, lo: mid, loState: g.midState ?? '0x' } : { ...g, hi: mid, hiState: g.midState ?? '0x' };
    g = { ...g, midState: undefined, turn: g.hi - g.lo === 1 ? 'challenger' : 'defender' };
    rounds++;
  }
  return { g, rounds };
}

test('honest challenger vs a wrong assertion: narrowed to the first wrong step in ≤ ⌈log2 n⌉ rounds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 1 << 30 }), fc.boolean(), (n, seed, invalid) => {
      // The defender is right up to step k - 1 and wrong from k on (k ≥ 1: S_0 is fixed on chain).
      const k = 1 + (seed % n);
      const honest = trace(n, (j) => (invalid && j >= k ? undefined : st('honest', j)));
      const claim = (j: number): Hex => (j < k ? st('honest', j) : st('lie', j));
      const { g, rounds } = play(n, claim, () => 'honest', honest);
      assert.ok(rounds <= Math.ceil(Math.log2(n)), `${rounds} rounds for n = ${n}`);
      assert.equal(g.lo, k - 1);
      assert.equal(g.hi, k);
      assert.deepEqual(nextMove('challenger', g, honest), { kind: 'one-step', step: k - 1 });
      // The lying defender has no winning one-step from its own (honest) point of view either.
      assert.equal(nextMove('defender', g, honest).kind, 'wait');
    }),
    { numRuns: 300 },
  );
});

test('honest defender vs a griefing challenger: any answers end at a step the defender proves', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }), (n, answers) => {
      const honest = trace(n, (j) => st('honest', j));
      let i = 0;
      const { g } = play(n, (j) => {
        const m = honest.stateAt(j);
        assert.ok(m !== undefined);
        return m;
      }, () => answers[i++ % answers.length] ?? true, honest);
      // Defender's own moves: it posts exactly its trace.
      const before: GameView = { open: true, lo: 0, hi: Math.max(n, 2), turn: 'defender', loState: st('honest', 0), hiState: st('honest', Math.max(n, 2)), midState: undefined };
      const m = nextMove('defender', before, trace(Math.max(n, 2), (j) => st('honest', j)));
      assert.deepEqual(m, { kind: 'bisect', mid: midpoint(before), state: st('honest', midpoint(before)) });
      assert.deepEqual(nextMove('defender', g, honest), { kind: 'one-step', step: g.lo });
      // An honest challenger would not prove it (it would lose).
      assert.equal(nextMove('challenger', g, honest).kind, 'wait');
    }),
    { numRuns: 300 },
  );
});

test('a defender cannot defend past an invalid transaction; players wait on the other side’s turn', () => {
  const broken = trace(8, (j) => (j > 3 ? undefined : st('honest', j)));
  const g: GameView = { open: true, lo: 0, hi: 8, turn: 'defender', loState: st('honest', 0), hiState: st('x', 8), midState: undefined };
  assert.equal(nextMove('defender', g, broken).kind, 'wait');
  assert.equal(nextMove('challenger', g, broken).kind, 'wait');
  assert.equal(nextMove('defender', { ...g, turn: 'challenger', midState: st('honest', 4) }, broken).kind, 'wait');
  assert.equal(nextMove('challenger', { ...g, open: false }, broken).kind, 'wait');
  // A mid past the invalid step is disputed.
  assert.deepEqual(nextMove('challenger', { ...g, turn: 'challenger', midState: st('honest', 4) }, broken), { kind: 'respond', mid: 4, agree: false });
});
