/**
 * EdDSA-Poseidon figures (µs, medians over repetitions):
 *   eddsa.verify        one verify call
 *   eddsa.verifyBatch   verifyBatch of N signatures, divided by N
 *   eddsa.sign          one sign call
 *   eddsa.prv2pub       one publicKeyFromPrivate call
 * Keys and messages are derived deterministically so runs are comparable.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  createPrivateKey,
  publicKeyFromPrivate,
  sign,
  verify,
  verifyBatch,
  type PrivateKey,
  type VerifyBatchItem,
} from '../src/core/eddsa.ts';
import { FR_MODULUS } from '../src/core/field.ts';
import { median, timeRuns, type BenchResult } from './util.ts';

function keyAt(i: number): PrivateKey {
  return createPrivateKey(sha256(new TextEncoder().encode(`rampart/bench/eddsa/${i}`)));
}

function msgAt(i: number): bigint {
  return (BigInt(i) * 0x9e3779b97f4a7c15f39cc0605cedc834n + 12345n) % FR_MODULUS;
}

/** Times `fn` over `inner` calls per repetition and reports µs per call. */
async function perCallMicros(reps: number, inner: number, fn: (i: number) => unknown): Promise<number[]> {
  let i = 0;
  const ms = await timeRuns(reps, () => {
    for (let k = 0; k < inner; k++) fn(i++);
  });
  return ms.map((v) => (v * 1000) / inner);
}

export async function run({ quick }: { readonly quick: boolean }): Promise<BenchResult[]> {
  const reps = quick ? 5 : 15;
  const inner = quick ? 10 : 40;
  const batchSize = quick ? 64 : 256;
  const pool = Math.max(inner, batchSize);

  const keys = Array.from({ length: pool }, (_, i) => keyAt(i));
  const items: VerifyBatchItem[] = keys.map((key, i) => {
    const msg = msgAt(i);
    return { msg, signature: sign(key, msg), publicKey: publicKeyFromPrivate(key) };
  });
  // Warm-up: JIT, the fixed-base table, and any engine initialisation.
  for (const it of items.slice(0, 8)) verify(it.msg, it.signature, it.publicKey);

  const params = { engine: 'wasm', quick } as const;
  const results: BenchResult[] = [];

  const verifySamples = await perCallMicros(reps, inner, (i) => {
    const it = items[i % items.length];
    if (it !== undefined && !verify(it.msg, it.signature, it.publicKey)) throw new RangeError('bench: verify failed');
  });
  results.push({
    name: 'eddsa.verify',
    value: median(verifySamples),
    unit: 'us',
    params,
    target: { op: '<=', value: 1000 },
    samples: verifySamples,
  });

  const batch = items.slice(0, batchSize);
  const batchMs = await timeRuns(reps, () => {
    if (!verifyBatch(batch).every((ok) => ok)) throw new RangeError('bench: verifyBatch failed');
  });
  const batchSamples = batchMs.map((v) => (v * 1000) / batchSize);
  results.push({
    name: 'eddsa.verifyBatch',
    value: median(batchSamples),
    unit: 'us/signature',
    params: { ...params, batchSize },
    target: { op: '<=', value: 300 },
    samples: batchSamples,
  });

  const signSamples = await perCallMicros(reps, inner, (i) => sign(keys[i % keys.length] ?? keyAt(0), msgAt(i)));
  results.push({ name: 'eddsa.sign', value: median(signSamples), unit: 'us', params, samples: signSamples });

  const pubSamples = await perCallMicros(reps, inner, (i) => publicKeyFromPrivate(keys[i % keys.length] ?? keyAt(0)));
  results.push({ name: 'eddsa.prv2pub', value: median(pubSamples), unit: 'us', params, samples: pubSamples });

  return results;
}
