/** fast-check generators for protocol values, shared by the core's property tests. */
import fc from 'fast-check';
import { FR_MODULUS } from '../../src/core/field.ts';
import { MAX_BALANCE, MAX_NONCE } from '../../src/core/params.ts';
import type { L1Op } from '../../src/core/tx.ts';
import type { Account } from '../../src/core/account.ts';

export const frArb = fc.bigInt({ min: 0n, max: FR_MODULUS - 1n });
export const addressArb = fc.bigInt({ min: 0n, max: (1n << 160n) - 1n });
export const amountArb = fc.bigInt({ min: 0n, max: MAX_BALANCE });
export const tokenArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
export const indexArb = fc.integer({ min: 1, max: 2 ** 32 - 1 });
export const pointArb = fc.tuple(frArb, frArb);

export const accountArb: fc.Arbitrary<Account> = fc.record({
  tokenId: tokenArb,
  balance: amountArb,
  nonce: fc.integer({ min: 0, max: MAX_NONCE }),
  publicKey: pointArb,
  l1Address: addressArb,
});

export const l1OpArb: fc.Arbitrary<L1Op> = fc.oneof(
  fc.record({ kind: fc.constant('createAccount' as const), l1Address: addressArb, tokenId: tokenArb, amount: amountArb, publicKey: pointArb }),
  fc.record({ kind: fc.constant('deposit' as const), l1Address: addressArb, tokenId: tokenArb, amount: amountArb, toIdx: indexArb }),
  fc.record({ kind: fc.constant('forceExit' as const), l1Address: addressArb, fromIdx: indexArb }),
  fc.record({ kind: fc.constant('forceTransfer' as const), l1Address: addressArb, fromIdx: indexArb, toIdx: indexArb, amount: amountArb }),
);
