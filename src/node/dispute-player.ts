/**
 * How an honest party plays the bisection game (docs/PROTOCOL.md §14.2), as a pure function of the
 * game's on-chain state and the party's own trace of the batch. No storage: everything a player needs
 * after a restart is on L1 (the game) or recomputable from L1 (the trace), which is what makes the
 * challenger and the defender restart-safe in the middle of a game.
 *
 * The honest trace is S_0..S_k: the step states the STF produces for the batch's posted data, where
 * k = n (all steps valid) or k = invalidAt (step invalidAt is a posted transaction the STF rejects, so no
 * state exists after it). A claimed state at j > k is wrong by definition.
 */
import type { Hex } from 'viem';

export type Role = 'challenger' | 'defender';

/** The part of DisputeGame.getGame a player decides on. */
export type GameView = {
  readonly open: boolean;
  readonly lo: number;
  readonly hi: number;
  readonly turn: Role;
  readonly loState: Hex;
  readonly hiState: Hex;
  /** The defender's claim at mid while the challenger is to answer; undefined otherwise. */
  readonly midState: Hex | undefined;
};

export type Trace = {
  /** n: the batch's steps (l1Count + txCount + feeCount). */
  readonly steps: number;
  /** The honest S_j, or undefined when j is past the first invalid transaction. */
  readonly stateAt: (j: number) => Hex | undefined;
};

export type Move =
  | { readonly kind: 'bisect'; readonly mid: number; readonly state: Hex }
  | { readonly kind: 'respond'; readonly mid: number; readonly agree: boolean }
  | { readonly kind: 'one-step'; readonly step: number }
  /** Nothing to do now (the other side's turn, or a move that would only lose). */
  | { readonly kind: 'wait'; readonly why: string };

const same = (a: Hex | undefined, b: Hex | undefined): boolean => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** The midpoint the contract expects: (lo + hi) / 2, rounded down. */
export function midpoint(game: Pick<GameView, 'lo' | 'hi'>): number {
  return Math.floor((game.lo + game.hi) / 2);
}

export function nextMove(role: Role, game: GameView, trace: Trace): Move {
  if (!game.open) return { kind: 'wait', why: 'game over' };
  const atOneStep = game.hi - game.lo === 1;
  if (role === 'defender') {
    if (game.turn === 'defender') {
      const mid = midpoint(game);
      const state = trace.stateAt(mid);
      // An honest defender's trace covers every step: its assertion has no invalid transaction.
      if (state === undefined) return { kind: 'wait', why: `no honest state at step ${mid}: this assertion cannot be defended` };
      return { kind: 'bisect', mid, state };
    }
    // At one step the challenger must prove; a defender whose claim at hi is right may settle it at once.
    if (atOneStep && same(trace.stateAt(game.hi), game.hiState) && same(trace.stateAt(game.lo), game.loState)) {
      return { kind: 'one-step', step: game.lo };
    }
    return { kind: 'wait', why: 'challenger to move' };
  }
  if (game.turn !== 'challenger') return { kind: 'wait', why: 'defender to move' };
  if (atOneStep) {
    // The honest challenger keeps lo agreed and hi disputed, so re-executing step lo proves it right.
    if (same(trace.stateAt(game.hi), game.hiState)) return { kind: 'wait', why: 'the claim at hi is right: proving the step would lose' };
    return { kind: 'one-step', step: game.lo };
  }
  const mid = midpoint(game);
  if (game.midState === undefined) return { kind: 'wait', why: 'no mid state posted' };
  return { kind: 'respond', mid, agree: same(trace.stateAt(mid), game.midState) };
}
