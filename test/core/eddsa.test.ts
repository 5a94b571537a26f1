/**
 * EdDSA-Poseidon vs circomlibjs (test-only reference) and the circuit's extra rule.
 *
 * Cross-checks, cheapest first:
 *  - circomlibjs's published vector (test/eddsa.js, "Sign (using Poseidon)", iden3/circomlibjs @
 *    fe43791f413959cbfcb485b8d27bafac5b9a473d);
 *  - 1,024 deterministic keys/messages whose circomlibjs outputs (packed public key ‖ packed
 *    signature, 96 bytes each) are pinned by their SHA-256: circomlibjs needs ~45 ms per item, too slow
 *    for every run, so the digest was produced by circomlibjs with this file's own generator —
 *    rerun it live with RAMPART_CIRCOMLIB_FULL=1 (≈ 75 s; also verifies all 1,024 with circomlibjs);
 *  - random keys and messages compared live with circomlibjs on every run (keys, signature bytes,
 *    verify agreement on valid and tampered signatures).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  BASE8,
  GENERATOR,
  SUBGROUP_ORDER,
  addPoints,
  mulBase8,
  mulPoint,
  packPoint,
  type Point,
} from '../../src/core/babyjub.ts';
import {
  PACKED_SIGNATURE_BYTES,
  createPrivateKey,
  packPublicKey,
  packSignature,
  prv2pub,
  publicKeyFromPrivate,
  sign,
  signPoseidon,
  unpackPublicKey,
  unpackSignature,
  verify,
  verifyBatch,
  verifyPoseidon,
  type PrivateKey,
  type PublicKey,
  type Signature,
  type VerifyBatchItem,
} from '../../src/core/eddsa.ts';
import { DecodeError, InvalidInputError } from '../../src/core/errors.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { poseidon } from '../../src/core/poseidon.ts';

const p = FR_MODULUS;
const l = SUBGROUP_ORDER;

// --- circomlibjs, typed at the edge (it ships no types); test-only ---------------------------

type CF = { e(v: bigint | string): Uint8Array; toObject(a: Uint8Array): bigint };
type CPoint = Uint8Array[];
type CSignature = { R8: CPoint; S: bigint };
type CEddsa = {
  F: CF;
  babyJub: { packPoint(a: CPoint): Uint8Array; inCurve(a: CPoint): boolean };
  prv2pub(prv: Uint8Array): CPoint;
  signPoseidon(prv: Uint8Array, msg: Uint8Array): CSignature;
  verifyPoseidon(msg: Uint8Array, sig: CSignature, a: CPoint): boolean;
  packSignature(sig: CSignature): Uint8Array;
  unpackSignature(buf: Uint8Array): { R8: CPoint | null; S: bigint };
};
type CircomlibModule = { buildEddsa(): Promise<CEddsa> };

let ceddsa: CEddsa;
const toC = (q: Point): CPoint => [ceddsa.F.e(q[0]), ceddsa.F.e(q[1])];
const fromC = (q: CPoint): Point => {
  const [x, y] = q;
  if (x === undefined || y === undefined) throw new TypeError('circomlibjs returned a malformed point');
  return [ceddsa.F.toObject(x), ceddsa.F.toObject(y)];
};
const sigToC = (sig: Signature): CSignature => ({ R8: toC(sig.r8), S: sig.s });
const cVerify = (msg: bigint, sig: Signature, a: Point): boolean =>
  ceddsa.verifyPoseidon(ceddsa.F.e(msg), sigToC(sig), toC(a));

before(async () => {
  const specifier: string = 'circomlibjs';
  const lib = (await import(specifier)) as CircomlibModule;
  ceddsa = await lib.buildEddsa();
});

// --- helpers -----------------------------------------------------------------------------------

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const leToBigInt = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
  return v;
};
const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
};
const T8 = mulPoint(GENERATOR, l); // a point of order 8
const TORSION: Point[] = Array.from({ length: 8 }, (_, k) => mulPoint(T8, BigInt(k)));
const T2: Point = [0n, p - 1n]; // the point of order 2

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => createPrivateKey(b));
const msgArb = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: p - 1n }), weight: 4 },
  { arbitrary: fc.constantFrom(0n, 1n, p - 1n, 1n << 253n, (1n << 64n) - 1n), weight: 1 },
);

/** Signs with a chosen scalar s8 (multiple of 8) and nonce r, binding the hash to `boundKey`. */
function signRaw(s8: bigint, r: bigint, boundKey: Point, msg: bigint): Signature {
  const r8 = mulBase8(r);
  const hm = poseidon([r8[0], r8[1], boundKey[0], boundKey[1], msg]);
  return { r8, s: (r + hm * s8) % l };
}

// --- published vector --------------------------------------------------------------------------

describe('circomlibjs test/eddsa.js "Sign (using Poseidon)" vector', () => {
  const prv = createPrivateKey(fromHex('0001020304050607080900010203040506070809000102030405060708090001'));
  const msg = leToBigInt(fromHex('000102030405060708090000'));

  test('public key, R8, S, packed signature, verify', () => {
    const pub = publicKeyFromPrivate(prv);
    assert.deepEqual(pub, [
      13277427435165878497778222415993513565335242147425444199013288855685581939618n,
      13622229784656158136036771217484571176836296686641868549125388198837476602820n,
    ]);
    const sig = sign(prv, msg);
    assert.deepEqual(sig.r8, [
      11384336176656855268977457483345535180380036354188103142384839473266348197733n,
      15383486972088797283337779941324724402501462225528836549661220478783371668959n,
    ]);
    assert.equal(sig.s, 1672775540645840396591609181675628451599263765380031905495115170613215233181n);
    const packed = packSignature(sig);
    assert.equal(
      hex(packed),
      'dfedb4315d3f2eb4de2d3c510d7a987dcab67089c8ace06308827bf5bcbe02a2' +
        '9d043ece562a8f82bfc0adb640c0107a7d3a27c1c7c1a6179a0da73de5c1b203',
    );
    assert.deepEqual(unpackSignature(packed), sig);
    assert.ok(verify(msg, unpackSignature(packed), pub));
    // The circomlibjs-named aliases are the same functions.
    assert.deepEqual(prv2pub(prv), pub);
    assert.deepEqual(signPoseidon(prv, msg), sig);
    assert.ok(verifyPoseidon(msg, sig, pub));
  });
});

// --- 1,024 deterministic vectors pinned to circomlibjs ---------------------------------------------

const VECTOR_COUNT = 1024;
/** SHA-256 of circomlibjs's packPoint(prv2pub(key_i)) ‖ packSignature(signPoseidon(key_i, msg_i)), i < 1024. */
const CIRCOMLIB_VECTOR_DIGEST = '8c715bcc3992b320de2ba1bc5001c67630e7e57caabb591437d36a472ab91cc8';

function vectorInput(i: number): { readonly key: PrivateKey; readonly msg: bigint } {
  const key = createPrivateKey(sha256(utf8(`rampart/eddsa-vectors/key/${i}`)));
  const special = [0n, 1n, p - 1n, 1n << 253n];
  const msg = special[i] ?? leToBigInt(sha256(utf8(`rampart/eddsa-vectors/msg/${i}`))) % p;
  return { key, msg };
}

describe('1,024 deterministic keys and messages: byte-identical to circomlibjs', () => {
  test('sign/prv2pub outputs hash to circomlibjs\'s pinned digest; every signature verifies', () => {
    const ours: Uint8Array[] = [];
    const items: VerifyBatchItem[] = [];
    for (let i = 0; i < VECTOR_COUNT; i++) {
      const { key, msg } = vectorInput(i);
      const publicKey = publicKeyFromPrivate(key);
      const signature = sign(key, msg);
      ours.push(packPublicKey(publicKey), packSignature(signature));
      items.push({ msg, signature, publicKey });
    }
    assert.equal(hex(sha256(concat(ours))), CIRCOMLIB_VECTOR_DIGEST);
    assert.ok(verifyBatch(items).every((ok) => ok));
  });

  test('live circomlibjs run of the same 1,024 (RAMPART_CIRCOMLIB_FULL=1)', { skip: process.env['RAMPART_CIRCOMLIB_FULL'] !== '1' }, () => {
    const theirs: Uint8Array[] = [];
    for (let i = 0; i < VECTOR_COUNT; i++) {
      const { key, msg } = vectorInput(i);
      const a = ceddsa.prv2pub(key);
      const sig = ceddsa.signPoseidon(key, ceddsa.F.e(msg));
      const pubBytes = ceddsa.babyJub.packPoint(a);
      const sigBytes = ceddsa.packSignature(sig);
      assert.equal(hex(pubBytes), hex(packPublicKey(publicKeyFromPrivate(key))), `public key ${i}`);
      assert.equal(hex(sigBytes), hex(packSignature(sign(key, msg))), `signature ${i}`);
      assert.ok(ceddsa.verifyPoseidon(ceddsa.F.e(msg), sig, a), `circomlibjs verify ${i}`);
      theirs.push(pubBytes, sigBytes);
    }
    const digest = hex(sha256(concat(theirs)));
    process.stderr.write(`circomlibjs vector digest: ${digest}\n`);
    assert.equal(digest, CIRCOMLIB_VECTOR_DIGEST);
  });
});

// --- random keys and messages, live against circomlibjs -------------------------------------------

describe('random keys and messages against circomlibjs (live)', () => {
  test('public keys, signature bytes, verify agreement on valid and tampered signatures', () => {
    fc.assert(
      fc.property(keyArb, msgArb, (key, msg) => {
        const a = publicKeyFromPrivate(key);
        const ca = ceddsa.prv2pub(key);
        assert.deepEqual(a, fromC(ca));
        assert.equal(hex(packPublicKey(a)), hex(ceddsa.babyJub.packPoint(ca)));

        const sig = sign(key, msg);
        const csig = ceddsa.signPoseidon(key, ceddsa.F.e(msg));
        assert.equal(hex(packSignature(sig)), hex(ceddsa.packSignature(csig)));
        const cUnpacked = ceddsa.unpackSignature(packSignature(sig));
        assert.deepEqual({ r8: fromC(cUnpacked.R8 ?? []), s: cUnpacked.S }, sig);

        assert.equal(verify(msg, sig, a), true);
        assert.equal(cVerify(msg, sig, a), true);
        const other = (msg + 1n) % p;
        assert.equal(verify(other, sig, a), false);
        assert.equal(cVerify(other, sig, a), false);
      }),
      { numRuns: 60 },
    );
  });

  test('every rejection rule agrees with circomlibjs (except low-order keys: see below)', () => {
    const key = createPrivateKey(sha256(utf8('rampart/eddsa-tests/rejections')));
    const msg = 123456789n;
    const a = publicKeyFromPrivate(key);
    const sig = sign(key, msg);
    const otherKey = publicKeyFromPrivate(createPrivateKey(sha256(utf8('rampart/eddsa-tests/other'))));
    const cases: { readonly name: string; readonly msg: bigint; readonly sig: Signature; readonly a: Point }[] = [
      { name: 'tampered msg', msg: msg + 1n, sig, a },
      { name: 'tampered S', msg, sig: { r8: sig.r8, s: (sig.s + 1n) % l }, a },
      { name: 'S + l (same point, S >= l)', msg, sig: { r8: sig.r8, s: sig.s + l }, a },
      { name: 'S = 2^256 - 1', msg, sig: { r8: sig.r8, s: (1n << 256n) - 1n }, a },
      { name: 'R8 + BASE8', msg, sig: { r8: addPoints(sig.r8, BASE8), s: sig.s }, a },
      { name: 'R8 + torsion', msg, sig: { r8: addPoints(sig.r8, T8), s: sig.s }, a },
      { name: 'R8 negated', msg, sig: { r8: [p - sig.r8[0], sig.r8[1]], s: sig.s }, a },
      { name: 'R8 off curve', msg, sig: { r8: [sig.r8[0], (sig.r8[1] + 1n) % p], s: sig.s }, a },
      { name: 'A off curve', msg, sig, a: [a[0], (a[1] + 1n) % p] },
      { name: 'A of another key', msg, sig, a: otherKey },
      { name: 'A + torsion (hash binds A)', msg, sig, a: addPoints(a, T2) },
      { name: 'signature for another message', msg, sig: sign(key, msg + 7n), a },
    ];
    for (const c of cases) {
      assert.equal(verify(c.msg, c.sig, c.a), false, c.name);
      assert.equal(cVerify(c.msg, c.sig, c.a), false, `circomlibjs: ${c.name}`);
    }
    assert.equal(verify(msg, sig, a), true);
    assert.equal(cVerify(msg, sig, a), true);
  });

  test('low-order public keys: circomlibjs accepts forgeries, the circuit and verify reject them', () => {
    // With 8·A = identity the equation degenerates to S·B8 == R8: anyone "signs" anything.
    for (const t of TORSION) {
      const s = 987654321n;
      const forged: Signature = { r8: mulBase8(s), s };
      assert.equal(cVerify(42n, forged, t), true, 'circomlibjs accepts the forgery');
      assert.equal(verify(42n, forged, t), false, 'verify rejects it (circuit rule: x(8·A) != 0)');
    }
  });

  test('a key with a torsion component (not low-order) is accepted, as by circomlibjs and the circuit', () => {
    // Neither reference requires A in the prime subgroup; diverging would make provable txs invalid.
    const s8 = 8n * 31337n;
    const a = addPoints(mulBase8(31337n), T2);
    const sig = signRaw(s8, 4242n, a, 99n);
    assert.equal(cVerify(99n, sig, a), true);
    assert.equal(verify(99n, sig, a), true);
  });
});

// --- properties (ours only; cheap) -----------------------------------------------------------------

describe('properties', () => {
  test('sign then verify; deterministic; any change to msg, S, R8 or A fails', () => {
    fc.assert(
      fc.property(keyArb, keyArb, msgArb, msgArb, (key, key2, msg, msg2) => {
        const a = publicKeyFromPrivate(key);
        const sig = sign(key, msg);
        assert.deepEqual(sign(key, msg), sig);
        assert.equal(verify(msg, sig, a), true);
        if (msg2 !== msg) assert.equal(verify(msg2, sig, a), false);
        const a2 = publicKeyFromPrivate(key2);
        if (a2[0] !== a[0] || a2[1] !== a[1]) assert.equal(verify(msg, sig, a2), false);
        assert.equal(verify(msg, { r8: sig.r8, s: (sig.s + 1n) % l }, a), false);
        assert.equal(verify(msg, { r8: addPoints(sig.r8, BASE8), s: sig.s }, a), false);
      }),
      { numRuns: 150 },
    );
  });

  test('verifyBatch returns exactly what verify returns, item by item', () => {
    const key = createPrivateKey(sha256(utf8('rampart/eddsa-tests/batch')));
    const a = publicKeyFromPrivate(key);
    const valid = (m: bigint): VerifyBatchItem => ({ msg: m, signature: sign(key, m), publicKey: a });
    const base = valid(5n);
    const items: VerifyBatchItem[] = [
      base,
      valid(6n),
      { ...base, msg: 7n },
      { ...base, signature: { r8: base.signature.r8, s: base.signature.s + l } },
      { ...base, signature: { r8: addPoints(base.signature.r8, T8), s: base.signature.s } },
      { ...base, publicKey: [a[0], (a[1] + 1n) % p] },
      { msg: 1n, signature: { r8: mulBase8(3n), s: 3n }, publicKey: TORSION[2] ?? T2 },
      valid(p - 1n),
    ];
    const expected = items.map((it) => verify(it.msg, it.signature, it.publicKey));
    assert.deepEqual(expected, [true, true, false, false, false, false, false, true]);
    assert.deepEqual(verifyBatch(items), expected);
    assert.deepEqual(verifyBatch([]), []);
  });

  test('signature and public key pack/unpack round trip', () => {
    fc.assert(
      fc.property(keyArb, msgArb, (key, msg) => {
        const a = publicKeyFromPrivate(key);
        const sig = sign(key, msg);
        const packed = packSignature(sig);
        assert.equal(packed.length, PACKED_SIGNATURE_BYTES);
        assert.deepEqual(unpackSignature(packed), sig);
        assert.deepEqual(unpackPublicKey(packPublicKey(a)), a);
      }),
      { numRuns: 50 },
    );
  });
});

// --- malformed input: typed errors ------------------------------------------------------------------

describe('malformed input is rejected with typed errors', () => {
  const key = createPrivateKey(sha256(utf8('rampart/eddsa-tests/malformed')));
  const a = publicKeyFromPrivate(key);
  const sig = sign(key, 1n);
  const packed = packSignature(sig);
  const invalidInput = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (err: unknown) => err instanceof InvalidInputError && err.code === 'INVALID_INPUT' && pattern.test(err.message));
  };
  const decodeError = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (err: unknown) => err instanceof DecodeError && err.code === 'DECODE_ERROR' && pattern.test(err.message));
  };
  const withS = (s: bigint): Uint8Array => {
    const out = Uint8Array.from(packed);
    let v = s;
    for (let i = 32; i < 64; i++) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  };

  test('private keys: 32 bytes exactly, copied', () => {
    for (const n of [0, 16, 31, 33, 64]) invalidInput(() => createPrivateKey(new Uint8Array(n)), /32 bytes/);
    invalidInput(() => createPrivateKey('00'.repeat(32) as unknown as Uint8Array), /Uint8Array/);
    invalidInput(() => createPrivateKey(new Array<number>(32).fill(0) as unknown as Uint8Array), /Uint8Array/);
    invalidInput(() => publicKeyFromPrivate(new Uint8Array(31) as PrivateKey), /32 bytes/);
    invalidInput(() => sign(new Uint8Array(33) as PrivateKey, 1n), /32 bytes/);
    const source = new Uint8Array(32).fill(7);
    const k = createPrivateKey(source);
    source.fill(0);
    assert.equal(k[0], 7);
  });

  test('messages must be canonical field elements', () => {
    for (const m of [p, p + 5n, -1n]) {
      invalidInput(() => sign(key, m), /msg/);
      invalidInput(() => verify(m, sig, a), /msg/);
    }
    invalidInput(() => sign(key, 1 as unknown as bigint), /msg/);
  });

  test('verify: malformed signature or key shapes throw; invalid values return false', () => {
    invalidInput(() => verify(1n, null as unknown as Signature, a), /signature/);
    invalidInput(() => verify(1n, { r8: [1n], s: 1n } as unknown as Signature, a), /signature\.r8/);
    invalidInput(() => verify(1n, { r8: [p, 1n], s: 1n }, a), /signature\.r8/);
    invalidInput(() => verify(1n, { r8: sig.r8, s: -1n }, a), /signature\.s/);
    invalidInput(() => verify(1n, { r8: sig.r8, s: 1 } as unknown as Signature, a), /signature\.s/);
    invalidInput(() => verify(1n, sig, [a[0], a[1] + p]), /public key/);
    invalidInput(() => verify(1n, sig, 'key' as unknown as PublicKey), /public key/);
    assert.equal(verify(1n, { r8: [1n, 1n], s: 1n }, a), false);
    invalidInput(() => verifyBatch('x' as unknown as VerifyBatchItem[]), /array/);
    invalidInput(() => verifyBatch([{ msg: 1n, signature: sig, publicKey: a }, null as unknown as VerifyBatchItem]), /item 1/);
    invalidInput(() => verifyBatch([{ msg: p, signature: sig, publicKey: a }]), /items\[0\]\.msg/);
  });

  test('unpackSignature: lengths, S >= l, bad R8 encodings', () => {
    for (const n of [0, 32, 63, 65, 96]) decodeError(() => unpackSignature(new Uint8Array(n)), /64 bytes/);
    invalidInput(() => unpackSignature(Array.from(packed) as unknown as Uint8Array), /Uint8Array/);
    decodeError(() => unpackSignature(withS(l)), /S is not below/);
    decodeError(() => unpackSignature(withS(sig.s + l)), /S is not below/);
    decodeError(() => unpackSignature(withS((1n << 256n) - 1n)), /S is not below/);
    assert.deepEqual(unpackSignature(withS(l - 1n)).s, l - 1n);
    const badY = Uint8Array.from(packed);
    badY.fill(0xff, 0, 31);
    badY[31] = 0x7f; // y = 2^255 - 1 >= p
    decodeError(() => unpackSignature(badY), /invalid R8.*y >= p/);
    const signOnZero = Uint8Array.from(packed);
    signOnZero.set(packPoint([0n, 1n]), 0);
    signOnZero[31] = (signOnZero[31] ?? 0) | 0x80;
    decodeError(() => unpackSignature(signOnZero), /invalid R8.*sign bit/);
    const err = captureError(() => unpackSignature(badY));
    assert.ok(err instanceof DecodeError && err.cause instanceof DecodeError, 'the point error is chained as cause');
  });

  test('packSignature / packPublicKey refuse values that would not round-trip', () => {
    invalidInput(() => packSignature({ r8: sig.r8, s: l }), /< l/);
    invalidInput(() => packSignature({ r8: [1n, 1n], s: 1n }), /not on the Baby Jubjub curve/);
    invalidInput(() => packPublicKey([a[0], (a[1] + 1n) % p]), /not on the Baby Jubjub curve/);
    decodeError(() => unpackPublicKey(new Uint8Array(31)), /32 bytes/);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
