import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FLOAT16, FLOAT32, floatDecode, floatEncode, floatEncodeFloor, floatTryEncode } from '../../src/core/float.ts';
import { InvalidInputError } from '../../src/core/errors.ts';

for (const format of [FLOAT32, FLOAT16]) {
  const width = format.mantissaBits + format.exponentBits;
  test(`${format.name}: decode(encode(x)) == x for every exactly representable x`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** width - 1 }), (bits) => {
        const value = floatDecode(format, bits);
        const canonical = floatEncode(format, value);
        assert.equal(floatDecode(format, canonical), value);
        // The encoder picks the smallest exponent, so re-encoding is stable.
        assert.equal(floatEncode(format, floatDecode(format, canonical)), canonical);
      }),
      { numRuns: 5000 },
    );
  });

  test(`${format.name}: floor encoding never rounds up and is the largest representable below`, () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 140n }), (amount) => {
        const bits = floatEncodeFloor(format, amount);
        const down = floatDecode(format, bits);
        assert.ok(down <= amount);
        if (down < amount && floatTryEncode(format, amount) !== undefined) assert.fail('exact value missed');
      }),
      { numRuns: 3000 },
    );
  });

  test(`${format.name}: rejects out-of-range bits and inexact amounts with typed errors`, () => {
    assert.throws(() => floatDecode(format, 2 ** width), InvalidInputError);
    assert.throws(() => floatDecode(format, -1), InvalidInputError);
    assert.throws(() => floatDecode(format, 1.5), InvalidInputError);
    const inexact = (1n << BigInt(format.mantissaBits)) + 1n; // needs one more mantissa bit
    assert.equal(floatTryEncode(format, inexact), undefined);
    assert.throws(() => floatEncode(format, inexact), InvalidInputError);
    assert.throws(() => floatEncodeFloor(format, -1n), InvalidInputError);
  });
}

test('Float32 known values', () => {
  assert.equal(floatDecode(FLOAT32, 0), 0n);
  assert.equal(floatDecode(FLOAT32, 1), 1n);
  // 1.5 ETH in wei: smallest exponent whose mantissa fits 27 bits is 11 (15,000,000 * 10^11).
  const bits = floatEncode(FLOAT32, 1_500_000_000_000_000_000n);
  assert.equal(bits, 11 * 2 ** 27 + 15_000_000);
  // Largest: (2^27 - 1) * 10^31 exceeds 2^128; the STF rejects such amounts as too large.
  assert.equal(floatDecode(FLOAT32, 2 ** 32 - 1), (2n ** 27n - 1n) * 10n ** 31n);
});
