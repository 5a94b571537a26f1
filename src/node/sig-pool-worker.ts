/** Worker side of SigPool: rebuilds each signed message and verifies it (see sig-pool.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { poseidon } from '../core/poseidon.ts';
import { installWorkerPoseidon } from '../native/poseidon-native.ts';
import { eddsaVerifier } from '../core/stf.ts';
import { decodeVerifyJobs } from './sig-pool-codec.ts';

installWorkerPoseidon(workerData);

parentPort?.on('message', (msg: { id: number; payload: Uint8Array }) => {
  try {
    const { domainDigest, items } = decodeVerifyJobs(msg.payload);
    const results = new Uint8Array(items.length);
    items.forEach((it, i) => {
      if (it.key === undefined) return;
      // Same message as l2TxMessage: Poseidon([domain, packedBody]).
      const m = poseidon([domainDigest, it.packedBody]);
      results[i] = eddsaVerifier(m, { r8: it.r8, s: it.s }, it.key) ? 1 : 0;
    });
    parentPort?.postMessage({ id: msg.id, results }, [results.buffer as ArrayBuffer]);
  } catch (cause) {
    parentPort?.postMessage({ id: msg.id, results: new Uint8Array(), error: cause instanceof Error ? cause.message : String(cause) });
  }
});
