/** Baby Jubjub engine figures: EdDSA verification core, fixed- and variable-base multiplication. */
import {
  BABYJUB_SUBORDER,
  type Point,
  addPoints,
  eddsaVerifyCore,
  mulBase8,
  mulPoint,
} from '../src/core/wasm/babyjub-wasm.ts';
import { type BenchResult, median, timeRuns } from './util.ts';

async function perCall(reps: number, batch: number, fn: (i: number) => unknown): Promise<number[]> {
  for (let i = 0; i < batch * 2; i++) fn(i);
  let k = 0;
  const samples = await timeRuns(reps, () => {
    for (let i = 0; i < batch; i++) fn(k++);
  });
  return samples.map((ms) => (ms * 1000) / batch);
}

export async function run({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  const reps = quick ? 7 : 25;
  const batch = quick ? 10 : 40;
  const out: BenchResult[] = [];
  // A valid signature built from the curve itself: A = a*B8, R8 = r*B8, S = r + hm*8a mod l.
  const secret = 0x1234567890abcdefn;
  const r = 0xfedcba987654321n;
  const hm = 0xabcdef0123456789abcdefn;
  const A: Point = mulBase8(secret);
  const R8: Point = mulBase8(r);
  const S = (r + hm * 8n * secret) % BABYJUB_SUBORDER;
  if (!eddsaVerifyCore(A, R8, S, hm)) throw new Error('bench setup: signature does not verify');
  const scalar = (i: number): bigint => (BABYJUB_SUBORDER - 1n - BigInt(i) * 0x9e3779b97f4a7c15n) % BABYJUB_SUBORDER;

  const verify = await perCall(reps, batch, () => eddsaVerifyCore(A, R8, S, hm));
  out.push({
    name: 'babyjub.eddsaVerifyCore',
    value: median(verify),
    unit: 'µs',
    params: { goal: 300, note: 'single-threaded; S*B8 (fixed-base table) + hm*(8A) (4-bit windows)' },
    target: { op: '<=', value: 1000 },
    samples: verify,
  });
  const base = await perCall(reps, batch, (i) => mulBase8(scalar(i)));
  out.push({ name: 'babyjub.mulBase8', value: median(base), unit: 'µs', params: { table: '64x16', constantTime: true }, samples: base });
  const varb = await perCall(reps, batch, (i) => mulPoint(A, scalar(i)));
  out.push({ name: 'babyjub.mulPoint', value: median(varb), unit: 'µs', params: { window: 4, constantTime: true }, samples: varb });
  const add = await perCall(reps, batch * 10, () => addPoints(A, R8));
  out.push({ name: 'babyjub.addPoints', value: median(add), unit: 'µs', params: { includes: 'affine in/out (one inversion)' }, samples: add });
  return out;
}
