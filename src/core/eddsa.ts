/**
 * EdDSA-Poseidon over Baby Jubjub, byte-identical to circomlibjs `eddsa` (prv2pub, signPoseidon,
 * verifyPoseidon, packSignature / unpackSignature) and accepted by circomlib's EdDSAPoseidonVerifier.
 *
 *   key:     h = BLAKE-512(privateKey);  s = LE(prune(h[0..32]));  A = (s >> 3)·BASE8
 *   sign:    r = LE(BLAKE-512(h[32..64] ‖ LE32(msg))) mod l;  R8 = r·BASE8
 *            hm = Poseidon(R8.x, R8.y, A.x, A.y, msg);  S = (r + hm·s) mod l
 *   verify:  see `verify` — circomlibjs's checks ∩ the circuit's checks.
 *
 * The message is one field element. Domain separation (chain id, contract, tx type) is the caller's
 * job: the transaction layer hashes those into `msg`.
 */
import { blake512 } from '@noble/hashes/blake1.js';
import {
  PACKED_POINT_BYTES,
  SUBGROUP_ORDER,
  assertPoint,
  assertPointCoordinates,
  eddsaVerifyCore as eddsaVerifyCoreReference,
  isLowOrder,
  isOnCurve,
  mulBase8 as mulBase8Reference,
  packPoint,
  unpackPoint,
  type Point,
} from './babyjub.ts';
import { DecodeError, InvalidInputError } from './errors.ts';
import { assertFr, frToBytesLE } from './field.ts';
import { poseidon } from './poseidon.ts';
import { eddsaVerifyCore as eddsaVerifyCoreWasm, mulBase8 as mulBase8Wasm } from './wasm/babyjub-wasm.ts';

// ---------------------------------------------------------------------------------------------
// Curve engine: the single switch point between the BigInt reference and a faster engine.

/**
 * The curve work signing and verification delegate to: the WebAssembly engine
 * (src/core/wasm/babyjub-wasm.ts, ~5x faster), whose `mulBase8` and `eddsaVerifyCore` have the same
 * contracts as the BigInt reference in babyjub.ts and are tested against it on random and edge
 * inputs (test/core/babyjub.test.ts, "WebAssembly engine vs BigInt reference"). To fall back to the
 * reference (e.g. to rule the engine out while debugging), point both fields at
 * `mulBase8Reference` / `eddsaVerifyCoreReference`.
 */
const engine: {
  /** k·BASE8, 0 <= k < 2^256. */
  readonly mulBase8: (k: bigint) => Point;
  /** S·BASE8 == R8 + (8·hm)·A, for on-curve A and R8, S < l, hm < p. */
  readonly verifyCore: (a: Point, r8: Point, s: bigint, hm: bigint) => boolean;
} = {
  mulBase8: mulBase8Wasm,
  verifyCore: eddsaVerifyCoreWasm,
};

// ---------------------------------------------------------------------------------------------
// Types

declare const privateKeyBrand: unique symbol;

/** 32 secret bytes, checked by `createPrivateKey`. The brand keeps arbitrary byte arrays out. */
export type PrivateKey = Uint8Array & { readonly [privateKeyBrand]: true };

/** A Baby Jubjub point [x, y] (circomlibjs `pubKey`). */
export type PublicKey = readonly [bigint, bigint];

/** circomlibjs `{ R8, S }`: the nonce point and the scalar. */
export type Signature = { readonly r8: readonly [bigint, bigint]; readonly s: bigint };

export type VerifyBatchItem = {
  readonly msg: bigint;
  readonly signature: Signature;
  readonly publicKey: PublicKey;
};

export const PRIVATE_KEY_BYTES = 32;
export const PACKED_PUBLIC_KEY_BYTES = PACKED_POINT_BYTES;
export const PACKED_SIGNATURE_BYTES = 64;

// ---------------------------------------------------------------------------------------------
// Boundary checks

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidInputError(`${name} must be a Uint8Array`, { details: { name } });
  }
}

/** Checks the shape of a signature: R8 a pair of canonical field elements, S a non-negative bigint. */
function assertSignatureShape(value: unknown, name: string): asserts value is Signature {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidInputError(`${name} must be an object { r8, s }`, { details: { name } });
  }
  const { r8, s } = value as { r8?: unknown; s?: unknown };
  assertPointCoordinates(r8, `${name}.r8`);
  if (typeof s !== 'bigint' || s < 0n) {
    throw new InvalidInputError(`${name}.s must be a non-negative bigint`, { details: { name, s: String(s) } });
  }
}

function assertPrivateKey(value: unknown): asserts value is PrivateKey {
  assertBytes(value, 'private key');
  if (value.length !== PRIVATE_KEY_BYTES) {
    throw new InvalidInputError(`private key must be ${PRIVATE_KEY_BYTES} bytes, got ${value.length}`, {
      details: { length: value.length },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

/** Wraps 32 secret bytes (e.g. from a CSPRNG or a KDF) as a private key; copies them. */
export function createPrivateKey(bytes: Uint8Array): PrivateKey {
  assertPrivateKey(bytes);
  return Uint8Array.from(bytes) as PrivateKey;
}

function leToBigInt(bytes: Uint8Array, from: number, to: number): bigint {
  let v = 0n;
  for (let i = to - 1; i >= from; i--) v = (v << 8n) | BigInt(bytes[i] ?? 0);
  return v;
}

/**
 * BLAKE-512 of the key, first half pruned (clear the 3 low bits, clear bit 255, set bit 254) into
 * the signing scalar s; second half is the nonce prefix. s is a multiple of 8, so A = (s/8)·BASE8
 * satisfies 8·A = s·BASE8: that is what makes S·BASE8 = R8 + (8·hm)·A hold for S = r + hm·s.
 */
function expandPrivateKey(privateKey: PrivateKey): { readonly s: bigint; readonly prefix: Uint8Array } {
  const h = blake512(privateKey);
  h[0] = (h[0] ?? 0) & 0xf8;
  h[31] = ((h[31] ?? 0) & 0x7f) | 0x40;
  return { s: leToBigInt(h, 0, 32), prefix: h.subarray(32, 64) };
}

/** circomlibjs `prv2pub`: A = (s >> 3)·BASE8. */
export function publicKeyFromPrivate(privateKey: PrivateKey): PublicKey {
  assertPrivateKey(privateKey);
  return engine.mulBase8(expandPrivateKey(privateKey).s >> 3n);
}

// ---------------------------------------------------------------------------------------------
// Sign / verify

/** hm = Poseidon(R8.x, R8.y, A.x, A.y, msg): the challenge, a full field element (not reduced mod l). */
function challenge(r8: Point, a: Point, msg: bigint): bigint {
  return poseidon([r8[0], r8[1], a[0], a[1], msg]);
}

/**
 * circomlibjs `signPoseidon`: deterministic (the nonce is derived from the key and the message),
 * so the same key and message always give the same signature. msg must be a canonical field element.
 */
export function sign(privateKey: PrivateKey, msg: bigint): Signature {
  assertPrivateKey(privateKey);
  assertFr(msg, 'msg');
  const { s, prefix } = expandPrivateKey(privateKey);
  const nonceInput = new Uint8Array(64);
  nonceInput.set(prefix, 0);
  frToBytesLE(msg, nonceInput, 32);
  const r = leToBigInt(blake512(nonceInput), 0, 64) % SUBGROUP_ORDER;
  const r8 = engine.mulBase8(r);
  const a = engine.mulBase8(s >> 3n);
  const hm = challenge(r8, a, msg);
  return { r8, s: (r + hm * s) % SUBGROUP_ORDER };
}

/**
 * True iff `signature` is a valid EdDSA-Poseidon signature of `msg` under `publicKey`, i.e. iff both
 * circomlibjs `verifyPoseidon` and circomlib's `EdDSAPoseidonVerifier` (enabled = 1) accept it:
 *   1. R8 is on the curve                                   (circomlibjs)
 *   2. A is on the curve                                    (circomlibjs)
 *   3. S < l                                                (both)
 *   4. 8·A ≠ identity, i.e. A is not one of the 8 low-order points   (circuit: x of 8·A ≠ 0)
 *   5. S·BASE8 == R8 + (8·hm)·A, hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)   (both)
 * Accepting only what both accept means every signature the node accepts can also be proven in the
 * circuit and checked by circomlibjs. The only signatures circomlibjs accepts and this rejects are
 * those under low-order keys, where the equation degenerates to S·BASE8 == R8 and anyone can forge.
 * Returns false for any signature failing a rule; throws InvalidInputError only for values that are
 * not of the right type (msg or coordinates not canonical field elements, S not a non-negative bigint).
 */
export function verify(msg: bigint, signature: Signature, publicKey: PublicKey): boolean {
  assertFr(msg, 'msg');
  assertSignatureShape(signature, 'signature');
  assertPointCoordinates(publicKey, 'public key');
  return verifyChecked(msg, signature, publicKey);
}

function verifyChecked(msg: bigint, signature: Signature, a: PublicKey): boolean {
  const { r8, s } = signature;
  if (!isOnCurve(r8) || !isOnCurve(a)) return false;
  if (s >= SUBGROUP_ORDER) return false;
  // Costs 3 projective doublings; the circuit's IsZero(x of 8·A) in BigInt form.
  if (isLowOrder(a)) return false;
  return engine.verifyCore(a, r8, s, challenge(r8, a, msg));
}

/**
 * `verify` for many items; result[i] === verify(items[i].msg, items[i].signature, items[i].publicKey).
 * Each item is checked on its own. A random-linear-combination shortcut would need randomness (the
 * core has none) and a subgroup check on every R8 — a torsion component on one R8 can cancel in a
 * combined equation — so it could not return exactly the per-item answers for less work. Parallelism
 * across threads belongs to the node layer (src/node/sig-pool.ts).
 */
export function verifyBatch(items: readonly VerifyBatchItem[]): boolean[] {
  if (!Array.isArray(items)) throw new InvalidInputError('verifyBatch takes an array of items');
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) {
      throw new InvalidInputError(`verifyBatch item ${i} must be an object { msg, signature, publicKey }`);
    }
    assertFr(item.msg, `items[${i}].msg`);
    assertSignatureShape(item.signature, `items[${i}].signature`);
    assertPointCoordinates(item.publicKey, `items[${i}].publicKey`);
  });
  return items.map((item) => verifyChecked(item.msg, item.signature, item.publicKey));
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** 32 bytes: packPoint(A), as circomlibjs `babyJub.packPoint(pubKey)`. */
export function packPublicKey(publicKey: PublicKey): Uint8Array {
  assertPoint(publicKey, 'public key');
  return packPoint(publicKey);
}

/**
 * Decodes a packed public key; accepts every canonical point encoding (see `unpackPoint`). Low-order
 * keys decode (so decoding agrees with the circuit's and the contract's view of stored keys) but no
 * signature ever verifies under them.
 */
export function unpackPublicKey(bytes: Uint8Array): PublicKey {
  return unpackPoint(bytes);
}

/** 64 bytes: packPoint(R8) ‖ S as 32 bytes little-endian (circomlibjs `packSignature`). */
export function packSignature(signature: Signature): Uint8Array {
  assertSignatureShape(signature, 'signature');
  assertPoint(signature.r8, 'signature.r8');
  if (signature.s >= SUBGROUP_ORDER) {
    throw new InvalidInputError('signature.s must be < l (the subgroup order)', {
      details: { s: signature.s.toString() },
    });
  }
  const out = new Uint8Array(PACKED_SIGNATURE_BYTES);
  out.set(packPoint(signature.r8), 0);
  frToBytesLE(signature.s, out, 32);
  return out;
}

/**
 * Decodes a packed signature: R8 must be a canonical point encoding and S < l (a larger S can never
 * verify, and rejecting it keeps each signature's encoding unique). Errors are DecodeErrors.
 */
export function unpackSignature(bytes: Uint8Array): Signature {
  assertBytes(bytes, 'packed signature');
  if (bytes.length !== PACKED_SIGNATURE_BYTES) {
    throw new DecodeError(`packed signature must be ${PACKED_SIGNATURE_BYTES} bytes, got ${bytes.length}`, {
      details: { length: bytes.length },
    });
  }
  let r8: Point;
  try {
    r8 = unpackPoint(bytes.subarray(0, 32));
  } catch (cause) {
    throw new DecodeError(`packed signature: invalid R8 (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
  }
  const s = leToBigInt(bytes, 32, 64);
  if (s >= SUBGROUP_ORDER) {
    throw new DecodeError('packed signature: S is not below the subgroup order l', { details: { s: s.toString() } });
  }
  return { r8, s };
}

// ---------------------------------------------------------------------------------------------
// circomlibjs names, for readers mapping code or vectors across

/** circomlibjs `prv2pub`. */
export const prv2pub: (privateKey: PrivateKey) => PublicKey = publicKeyFromPrivate;
/** circomlibjs `signPoseidon`. */
export const signPoseidon: (privateKey: PrivateKey, msg: bigint) => Signature = sign;
/** circomlibjs `verifyPoseidon`. */
export const verifyPoseidon: (msg: bigint, signature: Signature, publicKey: PublicKey) => boolean = verify;
