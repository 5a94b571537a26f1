import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { numberToHex } from 'viem';
import { verify } from '../../src/core/eddsa.ts';
import { FLOAT16, FLOAT32, floatDecode } from '../../src/core/float.ts';
import { domainHash, l2TxAmount, l2TxMessage, l2TxMaxFee } from '../../src/core/tx.ts';
import { sendTransactionParams, toL2Tx } from '../../src/node/rpc-schemas.ts';
import { amountToFloat32, feeToFloat16, isRepresentableAmount } from '../../src/sdk/amounts.ts';
import { SdkError } from '../../src/sdk/errors.ts';
import { l2TxToJson, signL2Tx } from '../../src/sdk/signL2Tx.ts';
import { DOMAIN, user } from '../support/rollup.ts';

const isCode = (code: string) => (e: unknown) => e instanceof SdkError && e.code === code;

test('a signed transfer verifies under the sender key over l2TxMessage(tx, domain), and its hash is that message', () => {
  const u = user(7);
  const { tx, hash, message } = signL2Tx({ kind: 'transfer', from: 3, to: 9, amount: 1_500_000_000_000_000_000n, maxFee: 2000n, nonce: 5, privateKey: u.key, domain: DOMAIN });
  assert.equal(message, l2TxMessage(tx, DOMAIN));
  assert.equal(message, l2TxMessage(tx, domainHash(DOMAIN)));
  assert.ok(verify(message, tx.signature, u.publicKey));
  assert.equal(hash, numberToHex(message, { size: 32 }));
  assert.match(hash, /^0x[0-9a-f]{64}$/);
  assert.equal(l2TxAmount(tx), 1_500_000_000_000_000_000n);
  assert.equal(l2TxMaxFee(tx), 2000n);
  assert.deepEqual([tx.kind, tx.from, tx.to, tx.nonce], ['transfer', 3, 9, 5]);
  // Another domain (chain or contract) gives a signature that does not verify there.
  const other = { chainId: DOMAIN.chainId + 1n, rollupAddress: DOMAIN.rollupAddress };
  assert.ok(!verify(l2TxMessage(tx, other), tx.signature, u.publicKey));
  assert.ok(!verify(message, tx.signature, user(8).publicKey));
});

test('a withdraw has to = 0; the wire form passes the node’s own parameter schema and round-trips', () => {
  const u = user(1);
  const { tx } = signL2Tx({ kind: 'withdraw', from: 2, amount: 450n, maxFee: 0n, nonce: 0, privateKey: u.key, domain: DOMAIN });
  assert.equal(tx.to, 0);
  const parsed = sendTransactionParams.safeParse([l2TxToJson(tx)]);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.deepEqual(toL2Tx(parsed.data[0]), tx);
  assert.throws(() => signL2Tx({ kind: 'withdraw', from: 2, to: 5, amount: 1n, maxFee: 0n, nonce: 0, privateKey: u.key, domain: DOMAIN }), isCode('INVALID_ARGUMENT'));
});

test('signing refuses bad indices, nonces, zero amounts and self-transfers with INVALID_ARGUMENT', () => {
  const base = { kind: 'transfer' as const, from: 1, to: 2, amount: 10n, maxFee: 0n, nonce: 0, privateKey: user(0).key, domain: DOMAIN };
  for (const bad of [{ from: 0 }, { from: 2 ** 32 }, { to: 0 }, { to: 1.5 }, { nonce: -1 }, { nonce: 2 ** 40 }, { amount: 0n }, { to: 1 }, { amount: -5n }, { maxFee: -1n }]) {
    assert.throws(() => signL2Tx({ ...base, ...bad }), isCode('INVALID_ARGUMENT'), JSON.stringify(bad, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }
});

test('amounts must be exactly representable: the error names the nearest lower amount', () => {
  assert.equal(floatDecode(FLOAT32, amountToFloat32(134_217_727n)), 134_217_727n); // 2^27 - 1: largest exact mantissa
  assert.equal(floatDecode(FLOAT32, amountToFloat32(10n ** 18n)), 10n ** 18n);
  const err = (() => {
    try {
      amountToFloat32(134_217_729n);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof SdkError && err.code === 'AMOUNT_NOT_REPRESENTABLE');
  assert.equal(err.details['nearestLower'], '134217720');
  assert.throws(() => amountToFloat32(10n ** 18n + 1n), isCode('AMOUNT_NOT_REPRESENTABLE'));
  assert.throws(() => amountToFloat32(1n << 128n), isCode('INVALID_ARGUMENT'));
  assert.throws(() => feeToFloat16(2049n), isCode('AMOUNT_NOT_REPRESENTABLE'));
  assert.equal(floatDecode(FLOAT16, feeToFloat16(2040n)), 2040n);
  assert.throws(
    () => signL2Tx({ kind: 'transfer', from: 1, to: 2, amount: 123_456_789_123n, maxFee: 0n, nonce: 0, privateKey: user(0).key, domain: DOMAIN }),
    isCode('AMOUNT_NOT_REPRESENTABLE'),
  );
});

test('property: an amount is accepted iff it round-trips exactly through Float32', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 30 }), (raw, zeros) => {
      // Mix arbitrary values with "few significant digits and many zeros" ones, which are the representable kind.
      const amount = zeros % 2 === 0 ? raw : (raw % 1_000_000n) * 10n ** BigInt(zeros);
      if (amount > (1n << 128n) - 1n) return;
      let bits: number | undefined;
      try {
        bits = amountToFloat32(amount);
      } catch (e) {
        assert.ok(e instanceof SdkError && e.code === 'AMOUNT_NOT_REPRESENTABLE');
        assert.ok(BigInt(String(e.details['nearestLower'])) < amount);
        assert.equal(isRepresentableAmount(amount), false);
        return;
      }
      assert.equal(floatDecode(FLOAT32, bits), amount);
      assert.equal(isRepresentableAmount(amount), true);
    }),
    { numRuns: 500 },
  );
});
