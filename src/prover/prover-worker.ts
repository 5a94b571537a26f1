/**
 * Worker thread of the prover pool (loaded through src/node/ts-worker.mjs): keeps the circuit's
 * witness calculator and proving key in memory and turns inputs into checked Groth16 proofs.
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { RampartError } from '../core/errors.ts';
import { ProvingError } from './prover-errors.ts';
import type { ProofPoints, ProverInput, ProverWorkerInit, ProverWorkerRequest, ProverWorkerResponse } from './prover-protocol.ts';
import { loadSnarkjs, type Snarkjs, type VerificationKeyJson } from './snarkjs-api.ts';
import { loadWitnessCalculator, type WitnessCalculator } from './witness-calculator.ts';

const port = parentPort;
if (port === null) throw new ProvingError('PROVER_CONFIG', 'prover-worker must run in a worker thread');

type State = {
  readonly init: ProverWorkerInit;
  readonly snarkjs: Snarkjs;
  readonly calc: WitnessCalculator;
  readonly zkey: Uint8Array;
  readonly vk: VerificationKeyJson;
};
let state: State | undefined;
// Jobs run one at a time: a worker is one proving lane.
let queue: Promise<void> = Promise.resolve();

function post(msg: ProverWorkerResponse): void {
  port?.postMessage(msg);
}

const FR_BYTES = 32;
const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** snarkjs's .wtns (binfile "wtns" v2): header (n8, prime, count), then the values little-endian. */
function encodeWtns(witness: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(12 + 12 + 4 + FR_BYTES + 4 + 12 + witness.length * FR_BYTES);
  const v = new DataView(out.buffer);
  out.set([0x77, 0x74, 0x6e, 0x73]);
  v.setUint32(4, 2, true);
  v.setUint32(8, 2, true);
  let o = 12;
  v.setUint32(o, 1, true);
  v.setBigUint64(o + 4, BigInt(4 + FR_BYTES + 4), true);
  o += 12;
  v.setUint32(o, FR_BYTES, true);
  o += 4;
  let r = BN254_R;
  for (let i = 0; i < 4; i++, r >>= 64n) v.setBigUint64(o + 8 * i, r & 0xffffffffffffffffn, true);
  o += FR_BYTES;
  v.setUint32(o, witness.length, true);
  o += 4;
  v.setUint32(o, 2, true);
  v.setBigUint64(o + 4, BigInt(witness.length * FR_BYTES), true);
  o += 12;
  // Cost: 4 BigInt word extractions per signal (≈ 0.3 µs).
  for (const x of witness) {
    let y = x;
    for (let i = 0; i < 4; i++, y >>= 64n) v.setBigUint64(o + 8 * i, y & 0xffffffffffffffffn, true);
    o += FR_BYTES;
  }
  return out;
}

function toPoints(proof: { pi_a: readonly string[]; pi_b: readonly (readonly string[])[]; pi_c: readonly string[] }): ProofPoints {
  const n = (v: string | undefined): bigint => {
    if (v === undefined) throw new ProvingError('PROVE_FAILED', 'snarkjs returned a malformed proof');
    return BigInt(v);
  };
  const b0 = proof.pi_b[0] ?? [];
  const b1 = proof.pi_b[1] ?? [];
  // snarkjs writes G2 coordinates as [c0, c1]; the EVM pairing precompile (and the generated
  // verifier's calldata) takes [c1, c0].
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(b0[1]), n(b0[0])],
      [n(b1[1]), n(b1[0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}

async function init(msg: ProverWorkerInit): Promise<void> {
  let wasm: Uint8Array;
  let zkey: Uint8Array;
  try {
    [wasm, zkey] = await Promise.all([readFile(msg.wasmPath), readFile(msg.zkeyPath)]);
  } catch (cause) {
    throw new ProvingError('PROVER_CONFIG', `cannot read the circuit's wasm or zkey: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const snarkjs = await loadSnarkjs();
  const calc = await loadWitnessCalculator(wasm);
  let vk: VerificationKeyJson;
  try {
    vk = await snarkjs.zKey.exportVerificationKey({ type: 'mem', data: zkey });
  } catch (cause) {
    throw new ProvingError('PROVER_CONFIG', `${msg.zkeyPath} is not a Groth16 zkey: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  if (vk.protocol !== 'groth16') throw new ProvingError('PROVER_CONFIG', `${msg.zkeyPath} is a ${vk.protocol} key, not groth16`);
  state = { init: msg, snarkjs, calc, zkey, vk };
  post({ type: 'ready', nPublic: vk.nPublic, witnessSize: calc.witnessSize });
}

async function prove(id: number, input: ProverInput): Promise<void> {
  const s = state;
  if (s === undefined) throw new ProvingError('PROVER_CONFIG', 'prover worker used before init');
  const t0 = performance.now();
  let witness: readonly bigint[];
  try {
    witness = s.calc.calculate(input).witness;
  } catch (cause) {
    const code = cause instanceof RampartError ? cause.code : 'UNKNOWN';
    const message = cause instanceof Error ? cause.message : String(cause);
    post({ type: 'error', id, code: 'WITNESS_FAILED', message: `witness generation failed (${code}): ${message}` });
    return;
  }
  const t1 = performance.now();
  const { proof, publicSignals } = await s.snarkjs.groth16.prove({ type: 'mem', data: s.zkey }, { type: 'mem', data: encodeWtns(witness) }, undefined, {
    singleThread: s.init.singleThread,
  });
  const t2 = performance.now();
  if (s.init.verify && !(await s.snarkjs.groth16.verify(s.vk, publicSignals, proof))) {
    post({ type: 'error', id, code: 'PROVE_FAILED', message: 'the proof snarkjs made does not verify against the key' });
    return;
  }
  const t3 = performance.now();
  post({
    type: 'proof',
    id,
    proof: toPoints(proof),
    publicSignals: publicSignals.map((x) => BigInt(x)),
    witnessMs: t1 - t0,
    proveMs: t2 - t1,
    verifyMs: t3 - t2,
  });
}

port.on('message', (msg: ProverWorkerRequest) => {
  queue = queue.then(async () => {
    try {
      if (msg.type === 'init') await init(msg);
      else await prove(msg.id, msg.input);
    } catch (err) {
      const code = err instanceof ProvingError ? err.code : 'PROVE_FAILED';
      post({ type: 'error', id: msg.type === 'init' ? -1 : msg.id, code, message: err instanceof Error ? err.message : String(err) });
    }
  });
});
