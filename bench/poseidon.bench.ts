/**
 * Poseidon engine figures: µs per hash for 1..6 inputs (byte API), the bigint API for 2 inputs, a
 * depth-32 Merkle path, and one Fr Montgomery product (ns, measured inside WebAssembly so no
 * call overhead is included). Each engine is measured: the WebAssembly one (`poseidon.*`) and, where
 * it builds, the native one (`poseidon.native.*`), whichever backend the run installed.
 */
import { FR_MODULUS, frToBytesLE } from '../src/core/field.ts';
import { hash2LE, merklePathLE, poseidon, poseidonLE } from '../src/core/poseidon.ts';
import { FunctionBuilder, ModuleBuilder, op } from '../src/core/wasm/emitter.ts';
import { addFrFuncs } from '../src/core/wasm/fr-funcs.ts';
import { exportedFunction, instantiateBytes } from '../src/core/wasm/instantiate.ts';
import { poseidonBackendName } from '../src/core/wasm/poseidon-engine.ts';
import { installPoseidonBackend } from '../src/native/poseidon-native.ts';
import { type BenchResult, median, timeRuns } from './util.ts';

/** Median over `reps` samples; each sample is the mean of `batch` calls, in microseconds. */
async function perCall(reps: number, batch: number, fn: (i: number) => unknown): Promise<number[]> {
  for (let i = 0; i < batch * 3; i++) fn(i); // warm-up: lets V8 tier the WebAssembly up
  let k = 0;
  const samples = await timeRuns(reps, () => {
    for (let i = 0; i < batch; i++) fn(k++);
  });
  return samples.map((ms) => (ms * 1000) / batch);
}

function result(
  name: string,
  samples: number[],
  unit: string,
  params: Record<string, string | number | boolean>,
  target?: BenchResult['target'],
): BenchResult {
  const r = { name, value: median(samples), unit, params, samples };
  return target === undefined ? r : { ...r, target };
}

/** A module whose loop runs n dependent-free Montgomery products, to time one product. */
function frMulLoop(): (n: number) => void {
  const mb = new ModuleBuilder(1);
  const fr = addFrFuncs(mb);
  const loop = new FunctionBuilder({ params: ['i32'], results: [] });
  loop.emit(op.block(), op.loop(), op.localGet(0), op.i32Eqz, op.brIf(1));
  for (let c = 0; c < 4; c++) {
    loop.emit(op.i32Const(1024 + 128 * c), op.i32Const(1024 + 128 * c), op.i32Const(2048), op.call(fr.mul));
  }
  loop.emit(op.localGet(0), op.i32Const(1), op.i32Sub, op.localSet(0), op.br(0), op.end, op.end);
  mb.addFunction(loop, 'loop');
  const run = exportedFunction<(n: number) => void>(instantiateBytes(mb.encode()), 'loop');
  return (n) => run(Math.ceil(n / 4));
}

/** The hash figures on this thread's current backend; names prefixed with `prefix`. */
async function hashFigures(reps: number, quick: boolean, prefix: string, engine: string): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const elem = (i: number): bigint => (BigInt(i + 1) ** 37n) % FR_MODULUS;

  for (let n = 1; n <= 6; n++) {
    const inputs = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) frToBytesLE(elem(i), inputs, 32 * i);
    const dst = new Uint8Array(32);
    const samples = await perCall(reps, quick ? 100 : 400, () => poseidonLE(inputs, n, dst));
    out.push(
      result(`${prefix}.hash${n}`, samples, 'µs/hash', { inputs: n, api: 'poseidonLE', engine }, n === 2 ? { op: '<=', value: 20 } : undefined),
    );
  }
  {
    const l = frToBytesLE(elem(1));
    const r = frToBytesLE(elem(2));
    const dst = new Uint8Array(32);
    const samples = await perCall(reps, quick ? 100 : 400, () => hash2LE(l, r, dst));
    out.push(result(`${prefix}.hash2LE`, samples, 'µs/hash', { inputs: 2, api: 'hash2LE', engine }, { op: '<=', value: 20 }));
  }
  {
    const samples = await perCall(reps, quick ? 100 : 400, (i) => poseidon([BigInt(i), 2n]));
    out.push(result(`${prefix}.bigint2`, samples, 'µs/hash', { inputs: 2, api: 'poseidon(bigint[])', engine }));
  }
  {
    const depth = 32;
    const siblings = new Uint8Array(32 * depth);
    for (let k = 0; k < depth; k++) frToBytesLE(elem(k + 10), siblings, 32 * k);
    const leaf = frToBytesLE(elem(99));
    const nodes = new Uint8Array(32 * (depth + 1));
    const samples = await perCall(reps, quick ? 5 : 20, (i) => merklePathLE(leaf, siblings, (i * 2654435761) >>> 0, depth, nodes));
    out.push(result(`${prefix}.merklePath32`, samples, 'µs/path', { depth, hashes: depth, nodesOut: true, engine }));
  }
  return out;
}

export async function run({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  const reps = quick ? 7 : 25;
  const installed = poseidonBackendName();
  const out: BenchResult[] = [];
  try {
    installPoseidonBackend({ mode: 'wasm' });
    out.push(...(await hashFigures(reps, quick, 'poseidon', 'wasm')));
    const native = installPoseidonBackend({ mode: 'auto' });
    if (native.backend === 'native') out.push(...(await hashFigures(reps, quick, 'poseidon.native', `native ${native.arithmetic ?? ''}`.trim())));
    else process.stderr.write(`  poseidon: no native figures (${native.reason ?? 'not available'})\n`);
  } finally {
    installPoseidonBackend({ mode: installed === 'native' ? 'native' : 'wasm' });
  }
  {
    const loop = frMulLoop();
    const batch = quick ? 100_000 : 400_000;
    const samples = await perCall(reps, 1, () => loop(batch));
    out.push(result('fr.mul', samples.map((us) => (us * 1000) / batch), 'ns', { limbs: '9x29', independentChains: 4 }));
  }
  return out;
}
