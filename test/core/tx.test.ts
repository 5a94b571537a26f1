import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { L1_OP_BYTES, decodeL1Op, encodeL1Op, packL2TxBody, l2TxMessage, domainHash, type L2TxBody } from '../../src/core/tx.ts';
import { DecodeError, InvalidInputError } from '../../src/core/errors.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { l1OpArb } from '../support/arbitraries.ts';

test('L1 op: decode(encode(op)) == op and the encoding is 113 bytes', () => {
  fc.assert(
    fc.property(l1OpArb, (op) => {
      const bytes = encodeL1Op(op);
      assert.equal(bytes.length, L1_OP_BYTES);
      assert.deepEqual(decodeL1Op(bytes), structuredClone(op));
    }),
    { numRuns: 2000 },
  );
});

test('L1 op decoder rejects every malformed input with DecodeError', () => {
  const op = encodeL1Op({ kind: 'deposit', l1Address: 5n, tokenId: 1, amount: 10n, toIdx: 3 });
  assert.throws(() => decodeL1Op(op.slice(0, 112)), DecodeError, 'truncated');
  assert.throws(() => decodeL1Op(new Uint8Array([...op, 0])), DecodeError, 'trailing');
  const badType = op.slice();
  badType[0] = 9;
  assert.throws(() => decodeL1Op(badType), /unknown type 9/);
  const junkKey = op.slice();
  junkKey[100] = 1; // a deposit carries no public key
  assert.throws(() => decodeL1Op(junkKey), /Ax|Ay/);
  const zeroTo = encodeL1Op({ kind: 'forceExit', l1Address: 1n, fromIdx: 1 });
  zeroTo[44] = 0; // fromIdx low byte -> 0, reserved
  assert.throws(() => decodeL1Op(zeroTo), /reserved/);
  const create = encodeL1Op({ kind: 'createAccount', l1Address: 1n, tokenId: 0, amount: 1n, publicKey: [1n, 2n] });
  create.fill(0xff, 49, 81); // Ax = 2^256 - 1, not a field element
  assert.throws(() => decodeL1Op(create), DecodeError);
});

test('L1 op encoder validates fields', () => {
  assert.throws(() => encodeL1Op({ kind: 'deposit', l1Address: 1n << 160n, tokenId: 0, amount: 1n, toIdx: 1 }), InvalidInputError);
  assert.throws(() => encodeL1Op({ kind: 'deposit', l1Address: 1n, tokenId: 0, amount: 1n << 128n, toIdx: 1 }), InvalidInputError);
  assert.throws(() => encodeL1Op({ kind: 'deposit', l1Address: 1n, tokenId: 0, amount: 1n, toIdx: 0 }), InvalidInputError);
  assert.throws(() => encodeL1Op({ kind: 'createAccount', l1Address: 1n, tokenId: 0, amount: 1n, publicKey: [FR_MODULUS, 0n] }), InvalidInputError);
});

test('L2 tx message binds every field, the tx type, the chain and the contract', () => {
  const tx: L2TxBody = { kind: 'transfer', from: 7, to: 9, amountF: 1000, maxFeeF: 5, nonce: 3 };
  const domain = { chainId: 1n, rollupAddress: 0xabcdefn };
  const base = l2TxMessage(tx, domain);
  const variants: L2TxBody[] = [
    { ...tx, from: 8 },
    { ...tx, to: 10 },
    { ...tx, amountF: 1001 },
    { ...tx, maxFeeF: 6 },
    { ...tx, nonce: 4 },
    { ...tx, kind: 'withdraw', to: 0 },
  ];
  const seen = new Set([base]);
  for (const v of variants) seen.add(l2TxMessage(v, domain));
  seen.add(l2TxMessage(tx, { chainId: 2n, rollupAddress: 0xabcdefn }));
  seen.add(l2TxMessage(tx, { chainId: 1n, rollupAddress: 0xabcdeen }));
  assert.equal(seen.size, variants.length + 3);
  assert.equal(l2TxMessage(tx, domainHash(domain)), base);
});

test('L2 tx body packing is injective over field ranges', () => {
  fc.assert(
    fc.property(
      fc.record({ from: fc.integer({ min: 1, max: 2 ** 32 - 1 }), to: fc.integer({ min: 1, max: 2 ** 32 - 1 }), amountF: fc.integer({ min: 0, max: 2 ** 32 - 1 }), maxFeeF: fc.integer({ min: 0, max: 0xffff }), nonce: fc.integer({ min: 0, max: 2 ** 40 - 1 }) }),
      (f) => {
        const packed = packL2TxBody({ kind: 'transfer', ...f });
        assert.ok(packed < 1n << 160n);
        assert.equal(Number((packed >> 8n) & 0xffffffffn), f.from);
        assert.equal(Number((packed >> 40n) & 0xffffffffn), f.to);
        assert.equal(Number((packed >> 72n) & 0xffffffffffn), f.nonce);
        assert.equal(Number((packed >> 112n) & 0xffffffffn), f.amountF);
        assert.equal(Number(packed >> 144n), f.maxFeeF);
      },
    ),
  );
});
