/**
 * Under-constraint tests: take valid witnesses and change what a malicious prover controls, with the
 * public input held fixed, and check the R1CS (not just the witness generator) rejects every change.
 *
 * 1. Every wire, one at a time: the only wires that may change alone are inverse hints of zero
 *    (IsZero's `inv`, our `…Inv` non-zero proofs) — they multiply a zero and feed nothing else.
 * 2. The signals the brief names — balances, preimages, siblings, path positions, amounts, fees,
 *    signature parts, exit leaves, nextIndex, L1 no-op flags, padding contents — one by one and in
 *    coordinated pairs (re-packing a leaf, swapping siblings, swapping op kinds).
 * 3. Every input value, changed by one, with the whole witness recomputed by the circuit's own code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SUBGROUP_ORDER } from '../../src/core/babyjub.ts';
import { FR_MODULUS, frMod, type Fr } from '../../src/core/field.ts';
import { WitnessChecker } from '../../src/prover/r1cs.ts';
import type { CircuitInput, CircuitInputValue } from '../../src/prover/witness-calculator.ts';
import { circuitScenario, type ScenarioBatch } from '../../scripts/vectors-circuit.ts';
import { judge, testCircuit } from './helpers.ts';

const SCENARIO = circuitScenario();
function batch(name: string): ScenarioBatch {
  const b = SCENARIO.find((x) => x.name.startsWith(name));
  assert.ok(b !== undefined, name);
  return b;
}
const RICH = 'deposit + two transfers'; // every slot active: deposit, two transfers, fee settlement
const WITHDRAW = 'forceExit applied + withdraw'; // exits in L1 slot 0 and L2 slot 0, L2 slot 1 empty
const PADDED = 'deposit to an unknown account: refund; one padding L2 slot';
const BASES = [RICH, WITHDRAW, PADDED, 'forceTransfer applied', 'create into a full tree: refund', 'create alice', 'forceTransfer overflowing'];

async function checker(name: string): Promise<{ ch: WitnessChecker; w: readonly Fr[]; wire: (signal: string) => number }> {
  const { calc, r1cs, sym } = await testCircuit();
  const { witness } = calc.calculate(batch(name).input);
  const ch = new WitnessChecker(r1cs, witness);
  const wire = (signal: string): number => {
    const i = sym.get(`main.${signal}`);
    assert.ok(i !== undefined, `no signal main.${signal}`);
    assert.ok(i > 0, `main.${signal} is not a witness wire (folded by the optimiser); mutate what it is built from`);
    return i;
  };
  return { ch, w: witness, wire };
}

test('every wire changed alone breaks a constraint, except inverse hints of zero', async () => {
  const { sym } = await testCircuit();
  const names = new Map<number, string>();
  for (const [n, i] of sym) if (i >= 0 && !names.has(i)) names.set(i, n);
  for (const base of BASES) {
    const { ch, w } = await checker(base);
    assert.ok(ch.baseSatisfied(), base);
    const free: string[] = [];
    for (let i = 1; i < w.length; i++) {
      const v = w[i] ?? 0n;
      for (const delta of [1n, 0x1234567890abcdefn]) {
        if (ch.violated(new Map([[i, frMod(v + delta)]])).length === 0) {
          free.push(names.get(i) ?? `#${i}`);
          break;
        }
      }
    }
    const unexpected = free.filter((n) => !/(\.inv|Inv)$/.test(n));
    assert.deepEqual(unexpected, [], `${base}: wires a prover could change alone`);
  }
});

type Mutation = { readonly what: string; readonly base: string; readonly set: readonly (readonly [string, (v: Fr, w: (s: string) => Fr) => Fr])[] };
const plus = (d: bigint) => (v: Fr): Fr => frMod(v + d);
const flip = (v: Fr): Fr => 1n - v;
const one = (what: string, base: string, signal: string, f: (v: Fr, w: (s: string) => Fr) => Fr = plus(1n)): Mutation => ({ what, base, set: [[signal, f]] });

const MUTATIONS: Mutation[] = [
  // balances and leaf preimages
  ...['txAccountS[0]', 'txAccountR[0]', 'l1AccountA[0]', 'l1AccountB[0]', 'feeAccount[0]'].flatMap((acc) =>
    [0, 1, 2, 3, 4, 5].map((f) => one(`preimage ${acc}[${f}]`, RICH, `${acc}[${f}]`)),
  ),
  { what: 're-packed leaf: tokenId + 2^32, nonce - 1', base: RICH, set: [['txAccountS[0][0]', plus(2n ** 32n)], ['txAccountS[0][1]', plus(-1n)]] },
  { what: 're-packed leaf: nonce + 2^40, balance - 1', base: RICH, set: [['txAccountS[0][1]', plus(2n ** 40n)], ['txAccountS[0][2]', plus(-1n)]] },
  { what: 'negative balance: balance - 2^128 ... as p - x', base: RICH, set: [['txAccountR[0][2]', (v) => frMod(v - FR_MODULUS - 1n)]] },
  ...['txLeafS[0]', 'txLeafR[0]', 'txLeafS[1]', 'l1LeafA[0]', 'l1LeafB[0]', 'feeLeaf[0]'].map((s) => one(`leaf ${s}`, RICH, s)),
  // siblings and path positions
  ...['txSiblingsS[0]', 'txSiblingsR[1]', 'l1SiblingsA[0]', 'l1SiblingsB[0]', 'feeSiblings[0]'].flatMap((s) =>
    [0, 1].flatMap((k) => [0, 1, 2].map((c) => one(`sibling ${s}[${k}][${c}]`, RICH, `${s}[${k}][${c}]`))),
  ),
  { what: 'siblings of a level swapped', base: RICH, set: [['txSiblingsS[0][0][0]', (_v, w) => w('txSiblingsS[0][0][1]')], ['txSiblingsS[0][0][1]', (_v, w) => w('txSiblingsS[0][0][0]')]] },
  one('path position: sender index', RICH, 'txFrom[0]'),
  one('path position: recipient index', RICH, 'txTo[1]', plus(-1n)),
  one('path position: deposit target', RICH, 'l1ToIdx[0]'),
  one('path position: fee account', RICH, 'feeAccountIdx[0]', plus(-1n)),
  // amounts and fees
  one('amountF', RICH, 'txAmountF[0]'),
  one('decoded amount', RICH, 'l2[0].amount'),
  one('L1 amount', RICH, 'l1Amount[0]'),
  one('fee amount', RICH, 'feeAmount[0]'),
  one('fee charged', RICH, 'l2[0].feePart[0]'),
  one('fee entry matched', RICH, 'l2[1].feeMatch[0]', flip),
  one('fee total', RICH, 'settle[0].total'),
  one('fee cap', RICH, 'txMaxFeeF[0]', plus(-1n)),
  // signature parts
  one('R8.x', RICH, 'txR8x[0]'),
  one('R8.y', RICH, 'txR8y[1]'),
  one('S', RICH, 'txS[0]'),
  one('S + l', RICH, 'txS[1]', plus(SUBGROUP_ORDER)),
  // exit leaves
  ...[0, 1, 2].map((s) => one(`exit leaf of slot ${s} (+1)`, WITHDRAW, `exits.leaves[${s}]`)),
  one('exit leaf of the forced exit erased', WITHDRAW, 'exits.leaves[0]', () => 0n),
  one('exit leaf of the withdraw erased', WITHDRAW, 'exits.leaves[1]', () => 0n),
  one('refund exit erased', PADDED, 'exits.leaves[0]', () => 0n),
  one('exit root', WITHDRAW, 'exitRoot'),
  // nextIndex
  one('oldNextIndex', RICH, 'oldNextIndex'),
  one('newNextIndex', 'create bob', 'newNextIndex'),
  one('newNextIndex unchanged by a create', 'create bob', 'newNextIndex', plus(-1n)),
  // L1 outcome flags
  one('deposit applied -> not', RICH, 'l1[0].depositApplied', flip),
  one('deposit no-op -> applied', PADDED, 'l1[0].depositApplied', flip),
  one('refund dropped', PADDED, 'l1[0].refund', flip),
  one('refund added', RICH, 'l1[0].refund', flip),
  one('account exists -> not', RICH, 'l1[0].readA.exists', flip),
  one('account missing -> exists', PADDED, 'l1[0].readA.exists', flip),
  one('balance overflow flag', RICH, 'l1[0].overflow', flip),
  one('sufficient balance flag', 'forceTransfer applied', 'l1[0].sufficient', flip),
  one('forceTransfer applied -> not', 'forceTransfer applied', 'l1[0].forceTransferApplied', flip),
  one('forceTransfer no-op -> applied', 'forceTransfer overflowing', 'l1[0].forceTransferApplied', flip),
  one('forceExit applied -> not', WITHDRAW, 'l1[0].forceExitApplied', flip),
  one('tree full -> not', 'create into a full tree: refund', 'l1[0].full', flip),
  one('tree not full -> full', 'create alice', 'l1[0].full', flip),
  one('op kind flag', RICH, 'l1Kind[0][1]', flip),
  { what: 'op kind deposit -> create', base: RICH, set: [['l1Kind[0][0]', () => 1n], ['l1Kind[0][1]', () => 0n]] },
  one('slot activity', RICH, 'l1Active[0]', flip),
  // padding slot contents
  ...['txFrom[1]', 'txTo[1]', 'txAmountF[1]', 'txMaxFeeF[1]', 'txR8x[1]', 'txR8y[1]', 'txS[1]', 'txLeafS[1]', 'txLeafR[1]'].map((s) => one(`padding ${s}`, PADDED, s)),
  ...[0, 1, 2, 3, 4, 5].map((f) => one(`padding preimage txAccountS[1][${f}]`, PADDED, `txAccountS[1][${f}]`)),
  one('padding exit leaf', PADDED, 'exits.leaves[2]'),
  one('padding slot activity', PADDED, 'l2Active[1]', flip),
  ...['l1Address[0]', 'l1TokenId[0]', 'l1Amount[0]', 'l1FromIdx[0]', 'l1ToIdx[0]', 'l1Ax[0]', 'l1Ay[0]', 'l1Kind[0][0]', 'l1LeafA[0]'].map((s) => one(`empty L1 slot ${s}`, 'empty batch', s)),
  ...['feeTokenId[0]', 'feeAccountIdx[0]', 'feeAmount[0]', 'feeLeaf[0]'].map((s) => one(`empty fee entry ${s}`, 'create alice', s)),
];

test(`named mutations of a valid witness are rejected by the R1CS (${MUTATIONS.length} cases)`, async () => {
  const cache = new Map<string, Awaited<ReturnType<typeof checker>>>();
  for (const m of MUTATIONS) {
    let c = cache.get(m.base);
    if (c === undefined) {
      c = await checker(m.base);
      cache.set(m.base, c);
    }
    const { ch, w, wire } = c;
    const value = (s: string): Fr => w[wire(s)] ?? 0n;
    const changes = new Map<number, Fr>();
    for (const [signal, f] of m.set) changes.set(wire(signal), frMod(f(value(signal), value)));
    assert.ok([...changes].some(([i, v]) => v !== w[i]), `${m.what}: the mutation changes nothing`);
    assert.ok(ch.violated(changes).length > 0, `${m.what}: accepted by the R1CS`);
  }
});

function mutateInputs(input: CircuitInput): { path: string; input: CircuitInput }[] {
  const out: { path: string; input: CircuitInput }[] = [];
  const walk = (value: CircuitInputValue, path: string, replace: (v: CircuitInputValue) => CircuitInput): void => {
    if (typeof value === 'bigint') {
      out.push({ path, input: replace(frMod(value + 1n)) });
      return;
    }
    value.forEach((v, i) => walk(v, `${path}[${i}]`, (nv) => replace(value.map((x, j) => (j === i ? nv : x)))));
  };
  for (const [k, v] of Object.entries(input)) {
    if (k === 'inputHash') continue; // the public input is what stays fixed
    walk(v, k, (nv) => ({ ...input, [k]: nv }));
  }
  return out;
}

test('every input value + 1, with the whole witness recomputed, violates the R1CS (public input fixed)', async () => {
  for (const base of [RICH, 'create alice']) {
    const cases = mutateInputs(batch(base).input);
    assert.ok(cases.length > 100);
    for (const c of cases) {
      const v = await judge(c.input);
      assert.notEqual(v.violated, -1, `${base}: ${c.path} + 1 is accepted`);
    }
  }
});
