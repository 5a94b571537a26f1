/**
 * The native Poseidon engine (src/native) against circomlibjs (test-only reference) and against the
 * WebAssembly engine, byte for byte; its typed refusals; and the parallel sealer with a native
 * worker against `applyBatch` on WebAssembly. The addon is built here if it is not cached (a C
 * compiler and Node's headers are on every machine of this project's kind), so CI tests it for
 * real; `RAMPART_POSEIDON=wasm` skips this file on purpose.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { accountLeaf, type Account } from '../../src/core/account.ts';
import { FR_MODULUS, frFromBytesLE, frToBytesLE } from '../../src/core/field.ts';
import { FLOAT16, FLOAT32, floatEncode } from '../../src/core/float.ts';
import { merklePathLE, poseidon, poseidonLE } from '../../src/core/poseidon.ts';
import { poseidonOptimized } from '../../src/core/poseidon-params.ts';
import { SparseMerkleTree } from '../../src/core/smt.ts';
import { MemoryState } from '../../src/core/state.ts';
import { applyBatch, createStfConfig } from '../../src/core/stf.ts';
import type { L2Tx } from '../../src/core/tx.ts';
import { poseidonBackendName, setPoseidonBackend, WASM_POSEIDON_BACKEND } from '../../src/core/wasm/poseidon-engine.ts';
import { buildNativeAddon, compileNativeAddon, NativeBuildError, nativeAddonPath } from '../../src/native/build.ts';
import { installPoseidonBackend, nativeConstants, poseidonModeFromEnv } from '../../src/native/poseidon-native.ts';
import { createParallelSealer } from '../../src/node/parallel-sealer.ts';
import { assertPoseidonMatchesCircomlib, frArb } from '../support/poseidon-reference.ts';
import { DOMAIN, user } from '../support/rollup.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const P = FR_MODULUS;
const temp = tempDirs('rampart-native-');
after(() => temp.removeAll());
const skip = process.env['RAMPART_POSEIDON'] === 'wasm' ? 'RAMPART_POSEIDON=wasm' : false;

/** Runs `f` with this thread's backend set to native (installed strictly), then back to WebAssembly. */
async function withNative<T>(f: () => T | Promise<T>): Promise<T> {
  const r = installPoseidonBackend({ mode: 'native' });
  assert.equal(r.backend, 'native');
  try {
    return await f();
  } finally {
    setPoseidonBackend(undefined);
  }
}

test('the addon builds on this machine and installs (x86-64 with ADX takes the assembly path)', { skip }, async () => {
  const path = buildNativeAddon();
  assert.match(path, /\.cache\/native\/rampart-poseidon-[0-9a-f]{16}\.node$/);
  const r = installPoseidonBackend({ mode: 'native' });
  try {
    assert.equal(poseidonBackendName(), 'native');
    assert.ok(r.arithmetic === 'x86-64-adx' || r.arithmetic === 'portable-c', String(r.arithmetic));
    if (process.arch === 'x64') assert.equal(r.arithmetic, 'x86-64-adx', 'this machine kind has BMI2 and ADX');
  } finally {
    setPoseidonBackend(undefined);
  }
  assert.equal(poseidonBackendName(), 'wasm');
});

test('published vectors and circomlibjs on random inputs (1..6 inputs: 1,000 cases each; 7..16: 100)', { skip }, async () => {
  await withNative(async () => {
    assert.equal(poseidon([1n, 2n]), 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
    assert.equal(poseidon([1n, 2n, 3n, 4n]), 0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465n);
    await assertPoseidonMatchesCircomlib();
  });
});

test('native and WebAssembly engines agree on 20,000 random 2- and 4-input hashes and on Merkle paths', { skip }, async () => {
  const wasm3 = WASM_POSEIDON_BACKEND.create(3);
  const wasm5 = WASM_POSEIDON_BACKEND.create(5);
  await withNative(() => {
    let x = 0x9e3779b97f4a7c15n;
    const next = (): bigint => {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 256n) - 1n);
      return x % P;
    };
    for (let i = 0; i < 10_000; i++) {
      for (const [n, wasm] of [[2, wasm3], [4, wasm5]] as const) {
        const bytes = new Uint8Array(32 * n);
        for (let j = 0; j < n; j++) frToBytesLE(next(), bytes, 32 * j);
        wasm.mem.set(bytes, 0);
        wasm.hash();
        assert.deepEqual(poseidonLE(bytes, n), wasm.mem.slice(1600, 1632));
      }
    }
    for (const [depth, index] of [[32, 2 ** 32 - 1], [32, 0], [20, 0x5a5a5], [1, 1]] as const) {
      const sibs = new Uint8Array(32 * depth);
      for (let k = 0; k < depth; k++) frToBytesLE(next(), sibs, 32 * k);
      const leaf = frToBytesLE(next());
      const nodes = new Uint8Array(32 * (depth + 1));
      const root = merklePathLE(leaf, sibs, index, depth, nodes);
      wasm3.mem.set(sibs, 0);
      wasm3.mem.set(leaf, 1536);
      wasm3.merkle?.(index | 0, depth, 1);
      assert.deepEqual(root, wasm3.mem.slice(1600, 1632), `root depth ${depth}`);
      assert.deepEqual(nodes, wasm3.mem.slice(2048, 2048 + 32 * (depth + 1)), `nodes depth ${depth}`);
    }
  });
});

test('the portable C arithmetic (CPUs without BMI2/ADX) gives the same hashes', { skip: skip || (process.arch !== 'x64' ? 'x86-64 only' : false) }, () => {
  const path = join(temp.tmp(), 'portable.node');
  compileNativeAddon(path, ['-march=x86-64', '-mtune=generic']);
  const addon = createRequire(import.meta.url)(path) as {
    create: (t: number, rp: number, c: Uint8Array, mem: number) => { mem: ArrayBuffer; hash: () => void };
    arithmetic: string;
  };
  assert.equal(addon.arithmetic, 'portable-c');
  for (const t of [3, 5, 6]) {
    const e = addon.create(t, poseidonOptimized(t).partialRounds, nativeConstants(t), 4096);
    const mem = new Uint8Array(e.mem);
    fc.assert(
      fc.property(fc.array(frArb, { minLength: t - 1, maxLength: t - 1 }), (xs) => {
        xs.forEach((x, i) => frToBytesLE(x, mem, 32 * i));
        e.hash();
        assert.equal(frFromBytesLE(mem, 1600), poseidon(xs));
      }),
      { numRuns: 500 },
    );
  }
});

test('a cached addon that does not load is rebuilt once (RAMPART_NATIVE_CACHE moves the cache)', { skip }, () => {
  const saved = process.env['RAMPART_NATIVE_CACHE'];
  const dir = temp.tmp();
  process.env['RAMPART_NATIVE_CACHE'] = dir;
  try {
    const path = nativeAddonPath();
    assert.ok(path.startsWith(dir));
    writeFileSync(path, 'not a shared object');
    // Without building (a worker thread's way) the broken file is a typed error in mode native...
    assert.throws(() => installPoseidonBackend({ mode: 'native', build: false }), (e: unknown) => e instanceof NativeBuildError && e.code === 'NATIVE_LOAD_FAILED');
    // ...and with building allowed it is replaced by a working build.
    assert.equal(installPoseidonBackend({ mode: 'native' }).backend, 'native');
    assert.equal(poseidon([1n, 2n]), 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
    assert.ok(statSync(path).size > 10_000);
  } finally {
    setPoseidonBackend(undefined);
    if (saved === undefined) delete process.env['RAMPART_NATIVE_CACHE'];
    else process.env['RAMPART_NATIVE_CACHE'] = saved;
  }
});

test('the addon refuses malformed engines with typed errors, and RAMPART_POSEIDON is checked', { skip }, () => {
  const addon = createRequire(import.meta.url)(buildNativeAddon()) as {
    create: (t: number, rp: number, c: Uint8Array, mem: number) => unknown;
  };
  const good = nativeConstants(5);
  const rp = poseidonOptimized(5).partialRounds;
  const refused = (f: () => unknown, message: RegExp): void => assert.throws(f, (e: Error & { code?: string }) => e.code === 'RAMPART_NATIVE' && message.test(e.message));
  refused(() => addon.create(5, rp, good.subarray(32), 4096), /wrong length/);
  refused(() => addon.create(5, rp + 1, good, 4096), /wrong length/);
  refused(() => addon.create(1, rp, good, 4096), /t must be/);
  refused(() => addon.create(18, rp, good, 4096), /t must be/);
  refused(() => addon.create(5, rp, good, 1024), /memBytes/);
  refused(() => addon.create(5, rp, new Uint16Array(good.length / 2) as unknown as Uint8Array, 4096), /Uint8Array/);
  const otherField = good.slice();
  otherField[0] = (otherField[0] ?? 0) ^ 2;
  refused(() => addon.create(5, rp, otherField, 4096), /BN254/);
  refused(() => (addon.create as (...args: unknown[]) => unknown)(5), /4 arguments/);

  assert.equal(poseidonModeFromEnv({}), 'auto');
  assert.equal(poseidonModeFromEnv({ RAMPART_POSEIDON: 'wasm' }), 'wasm');
  assert.throws(() => poseidonModeFromEnv({ RAMPART_POSEIDON: 'fast' }), (e: unknown) => e instanceof NativeBuildError && e.code === 'NATIVE_BAD_MODE');
  assert.equal(installPoseidonBackend({ mode: 'wasm' }).backend, 'wasm');
  assert.equal(poseidonBackendName(), 'wasm');
});

test('a parallel sealer whose worker hashes natively equals applyBatch on WebAssembly (depth 32)', { skip }, async () => {
  const config = createStfConfig({ domain: DOMAIN, treeDepth: 32, exitTreeDepth: 8, maxL1Ops: 16, maxL2Txs: 200 });
  const state = new MemoryState();
  const tree = new SparseMerkleTree(config.treeDepth, state);
  const accounts = new Map<number, Account>();
  const leaves: [number, Uint8Array][] = [];
  for (let i = 1; i <= 500; i++) {
    const a: Account = { tokenId: 0, balance: 10n ** 9n, nonce: 0, publicKey: user(i % 3).publicKey, l1Address: BigInt(i) };
    accounts.set(i, a);
    leaves.push([i, frToBytesLE(accountLeaf(a))]);
  }
  tree.updateMany(leaves);
  state.apply({ nodes: tree.changes, accounts, nextIndex: 501 });
  const txs: L2Tx[] = [];
  const nonces = new Map<number, number>();
  for (let i = 0; i < 200; i++) {
    const from = 1 + ((i * 7919) % 500);
    const to = 1 + ((i * 104729 + 13) % 500);
    const nonce = nonces.get(from) ?? 0;
    nonces.set(from, nonce + 1);
    txs.push({ kind: 'transfer', from, to: to === from ? (to % 500) + 1 : to, amountF: floatEncode(FLOAT32, 100n + BigInt(i)), maxFeeF: floatEncode(FLOAT16, 10n), nonce, signature: { r8: [0n, 1n], s: 0n } });
  }
  const params = { l1Ops: [], l2Txs: txs, feeTable: [{ tokenId: 0, accountIdx: 1, fee: 1n }] };
  const verified = txs.map(() => true);
  const expected = applyBatch(state, params, config, { verified });
  assert.equal(expected.included.length, 200);
  await withNative(async () => {
    const sealer = createParallelSealer({ splitLevel: 4.5 });
    try {
      assert.deepStrictEqual(await sealer.seal(state, params, config, { verified }), expected);
      assert.deepEqual(sealer.stats?.poseidon, { main: 'native', worker: 'native' });
    } finally {
      await sealer.close();
    }
  });
});
