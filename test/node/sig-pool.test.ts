import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigPool } from '../../src/node/sig-pool.ts';
import { eddsaVerifier } from '../../src/core/stf.ts';
import { domainHash, l2TxMessage, type L2Tx } from '../../src/core/tx.ts';
import { FR_MODULUS } from '../../src/core/field.ts';
import { DOMAIN, signTx, user } from '../support/rollup.ts';

test('SigPool gives exactly eddsaVerifier’s verdicts, across threads, for valid and invalid signatures', async () => {
  const domain = domainHash(DOMAIN);
  const txs: L2Tx[] = [];
  const keys: (readonly [bigint, bigint] | undefined)[] = [];
  for (let i = 0; i < 40; i++) {
    const tx = signTx(user(i % 3), { kind: 'transfer', from: 1 + (i % 3), to: 9, amountF: 100 + i, maxFeeF: 1, nonce: i });
    const variant = i % 5;
    if (variant === 1) txs.push({ ...tx, amountF: tx.amountF + 1 });
    else if (variant === 2) txs.push({ ...tx, signature: { ...tx.signature, s: tx.signature.s + FR_MODULUS } });
    else if (variant === 3) txs.push({ ...tx, signature: { ...tx.signature, s: 1n << 300n } });
    else txs.push(tx);
    keys.push(variant === 4 && i % 2 === 0 ? undefined : user(i % 3).publicKey);
  }
  const pool = new SigPool({ threads: 2, minChunk: 8 });
  try {
    const got = await pool.verify(txs, keys, domain);
    const expected = txs.map((tx, i) => {
      const key = keys[i];
      return key !== undefined && eddsaVerifier(l2TxMessage(tx, domain), tx.signature, key);
    });
    assert.deepEqual(got, expected);
    assert.ok(got.filter(Boolean).length >= 10 && got.filter((x) => !x).length >= 10, 'both verdicts exercised');
    await assert.rejects(pool.verify(txs, [], domain), /one public key per transaction/);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.verify([], [], domain), /closed/);
});
