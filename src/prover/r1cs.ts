/**
 * Reads circom's `.r1cs` (iden3 binary format, version 1) and `.sym` files and checks a witness
 * against the constraints: A·w × B·w = C·w over BN254 Fr for every constraint.
 *
 * The prover uses `checkWitness` as a cheap guard before a proof (a bad witness gives an unusable
 * proof much later); the circuit tests use `WitnessChecker` to test mutated witnesses, which
 * re-evaluates only the constraints a change touches (every other one is unchanged by it).
 */
import { FR_MODULUS, type Fr } from '../core/field.ts';
import { CircuitError } from './circuit-errors.ts';

/** One linear combination: Σ coeffs[t] · w[wires[t]]. */
export type LinearCombination = { readonly wires: Uint32Array; readonly coeffs: readonly Fr[] };
export type Constraint = { readonly a: LinearCombination; readonly b: LinearCombination; readonly c: LinearCombination };

export type R1cs = {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly nLabels: number;
  readonly constraints: readonly Constraint[];
};

function fail(message: string): never {
  throw new CircuitError('CIRCUIT_ARTIFACT', `r1cs: ${message}`);
}

/** Parses an `.r1cs` file. Cost: one pass, one BigInt per coefficient. */
export function parseR1cs(bytes: Uint8Array): R1cs {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < 12 || magic !== 'r1cs') fail('not an r1cs file');
  if (view.getUint32(4, true) !== 1) fail('unsupported version');
  const nSections = view.getUint32(8, true);
  const sections = new Map<number, { start: number; size: number }>();
  let pos = 12;
  for (let s = 0; s < nSections; s++) {
    if (pos + 12 > bytes.length) fail('truncated section header');
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    sections.set(type, { start: pos + 12, size });
    pos += 12 + size;
  }
  const header = sections.get(1) ?? fail('missing header section');
  let p = header.start;
  const n8 = view.getUint32(p, true);
  p += 4;
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(bytes[p + i] ?? 0);
  p += n8;
  if (prime !== FR_MODULUS) fail('not over BN254 Fr');
  const nWires = view.getUint32(p, true);
  const nPubOut = view.getUint32(p + 4, true);
  const nPubIn = view.getUint32(p + 8, true);
  const nPrvIn = view.getUint32(p + 12, true);
  const nLabels = Number(view.getBigUint64(p + 16, true));
  const nConstraints = view.getUint32(p + 24, true);

  const section = sections.get(2) ?? fail('missing constraints section');
  p = section.start;
  const end = section.start + section.size;
  const readLc = (): LinearCombination => {
    if (p + 4 > end) fail('truncated constraint');
    const n = view.getUint32(p, true);
    p += 4;
    const wires = new Uint32Array(n);
    const coeffs: Fr[] = new Array<Fr>(n);
    for (let t = 0; t < n; t++) {
      if (p + 4 + n8 > end) fail('truncated term');
      wires[t] = view.getUint32(p, true);
      let v = 0n;
      for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + 4 + i] ?? 0);
      coeffs[t] = v;
      p += 4 + n8;
    }
    return { wires, coeffs };
  };
  const constraints: Constraint[] = [];
  for (let k = 0; k < nConstraints; k++) constraints.push({ a: readLc(), b: readLc(), c: readLc() });
  return { nWires, nPubOut, nPubIn, nPrvIn, nLabels, constraints };
}

/**
 * Parses a `.sym` file (`labelIdx,wireIdx,componentIdx,name` per line) into name → witness index.
 * Signals the optimiser removed (wireIdx -1) map to -1: they are linear combinations of others.
 */
export function parseSym(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(',');
    const b = line.indexOf(',', a + 1);
    const c = line.indexOf(',', b + 1);
    if (a < 0 || b < 0 || c < 0) fail(`bad sym line: ${line.slice(0, 80)}`);
    out.set(line.slice(c + 1), Number(line.slice(a + 1, b)));
  }
  return out;
}

function evalLc(lc: LinearCombination, w: readonly Fr[]): Fr {
  let acc = 0n;
  for (let t = 0; t < lc.wires.length; t++) acc += (lc.coeffs[t] ?? 0n) * (w[lc.wires[t] ?? 0] ?? 0n);
  return acc % FR_MODULUS;
}

function coeffOf(lc: LinearCombination, wire: number): Fr {
  for (let t = 0; t < lc.wires.length; t++) if (lc.wires[t] === wire) return lc.coeffs[t] ?? 0n;
  return 0n;
}

/** Index of the first violated constraint, or -1 when the witness satisfies all of them. */
export function firstViolation(r1cs: R1cs, witness: readonly Fr[]): number {
  if (witness.length !== r1cs.nWires) fail(`witness has ${witness.length} values, circuit ${r1cs.nWires} wires`);
  if (witness[0] !== 1n) return -2;
  for (let k = 0; k < r1cs.constraints.length; k++) {
    const con = r1cs.constraints[k];
    if (con === undefined) continue;
    const a = evalLc(con.a, witness);
    const b = evalLc(con.b, witness);
    if ((a * b - evalLc(con.c, witness)) % FR_MODULUS !== 0n) return k;
  }
  return -1;
}

/** Throws WITNESS_REJECTED unless the witness satisfies every constraint. */
export function checkWitness(r1cs: R1cs, witness: readonly Fr[]): void {
  const k = firstViolation(r1cs, witness);
  if (k !== -1) throw new CircuitError('WITNESS_REJECTED', k === -2 ? 'witness[0] must be 1' : `witness violates constraint ${k}`, { details: { constraint: k } });
}

/**
 * Checks many variations of one base witness cheaply. The A, B, C values of every constraint are
 * computed once; a change of some wires then only re-evaluates the constraints containing them,
 * through their coefficients (exact: the other constraints see the same values as before).
 */
export class WitnessChecker {
  private readonly a: Fr[];
  private readonly b: Fr[];
  private readonly c: Fr[];
  /** wire → constraints that mention it. */
  private readonly uses: number[][];

  constructor(readonly r1cs: R1cs, readonly base: readonly Fr[]) {
    const n = r1cs.constraints.length;
    this.a = new Array<Fr>(n);
    this.b = new Array<Fr>(n);
    this.c = new Array<Fr>(n);
    this.uses = Array.from({ length: r1cs.nWires }, () => []);
    r1cs.constraints.forEach((con, k) => {
      this.a[k] = evalLc(con.a, base);
      this.b[k] = evalLc(con.b, base);
      this.c[k] = evalLc(con.c, base);
      const seen = new Set<number>();
      for (const lc of [con.a, con.b, con.c]) for (const wire of lc.wires) seen.add(wire);
      for (const wire of seen) this.uses[wire]?.push(k);
    });
  }

  /** Whether the base witness satisfies every constraint. */
  baseSatisfied(): boolean {
    return this.violated(new Map()).length === 0 && this.a.every((a, k) => (a * (this.b[k] ?? 0n) - (this.c[k] ?? 0n)) % FR_MODULUS === 0n);
  }

  /** Constraints the mutated witness (base with `changes`: wire → new value) violates. */
  violated(changes: ReadonlyMap<number, Fr>): number[] {
    const touched = new Set<number>();
    for (const wire of changes.keys()) for (const k of this.uses[wire] ?? []) touched.add(k);
    const out: number[] = [];
    for (const k of touched) {
      const con = this.r1cs.constraints[k];
      if (con === undefined) continue;
      let a = this.a[k] ?? 0n;
      let b = this.b[k] ?? 0n;
      let c = this.c[k] ?? 0n;
      for (const [wire, value] of changes) {
        const delta = value - (this.base[wire] ?? 0n);
        a += coeffOf(con.a, wire) * delta;
        b += coeffOf(con.b, wire) * delta;
        c += coeffOf(con.c, wire) * delta;
      }
      if ((a * b - c) % FR_MODULUS !== 0n) out.push(k);
    }
    return out;
  }

  /** Constraints that mention a wire (for reporting). */
  usesOf(wire: number): readonly number[] {
    return this.uses[wire] ?? [];
  }
}
