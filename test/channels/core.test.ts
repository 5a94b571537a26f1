/** Pure parts: EIP-712 hashing and signing against viem, the fast verifier, validation rules, codecs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type Hex, hashTypedData, recoverAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { decodeOrThrow, signedStateSchema } from '../../src/channels/codec.ts';
import { computeChannelId } from '../../src/channels/computeChannelId.ts';
import { createSignatureVerifier, recoverDigestSigner } from '../../src/channels/createSignatureVerifier.ts';
import { ChannelError } from '../../src/channels/errors.ts';
import { DOMAIN_NAME, DOMAIN_VERSION, domainSeparator, hashState } from '../../src/channels/hashState.ts';
import { privateKeyBytes, signDigest } from '../../src/channels/signDigest.ts';
import { MAX_UINT256, type ChannelDomain, type State, ZERO_ADDRESS } from '../../src/channels/types.ts';
import { validateState } from '../../src/channels/validateState.ts';
import { validateTransition } from '../../src/channels/validateTransition.ts';

const domain: ChannelDomain = { chainId: 31337, adjudicator: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
const types = {
  State: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'version', type: 'uint64' },
    { name: 'balanceA', type: 'uint256' },
    { name: 'balanceB', type: 'uint256' },
    { name: 'isFinal', type: 'bool' },
  ],
} as const;
const viemDomain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: domain.chainId, verifyingContract: domain.adjudicator };
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;
const code = (c: string) => (e: unknown) => e instanceof ChannelError && e.code === c;

const stateArb = fc.record({
  channelId: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hex(b)),
  version: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  balanceA: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
  balanceB: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
  isFinal: fc.boolean(),
});

describe('EIP-712', () => {
  test('hashState equals viem hashTypedData (property)', () => {
    const sep = domainSeparator(domain);
    fc.assert(
      fc.property(stateArb, (s) => hex(hashState(sep, s)) === hashTypedData({ domain: viemDomain, types, primaryType: 'State', message: s })),
      { numRuns: 200 },
    );
  });

  test('signDigest produces the signature a wallet produces for the typed data', async () => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const s: State = { channelId: `0x${'12'.repeat(32)}`, version: 9n, balanceA: 5n, balanceB: 7n, isFinal: false };
    const ours = signDigest(privateKeyBytes(key), hashState(domainSeparator(domain), s));
    assert.equal(ours, await account.signTypedData({ domain: viemDomain, types, primaryType: 'State', message: s }));
  });
});

describe('fast verifier', () => {
  const key = generatePrivateKey();
  const other = generatePrivateKey();
  const address = privateKeyToAccount(key).address;

  test('agrees with ecrecover semantics on random digests and signers (property)', async () => {
    const verifier = createSignatureVerifier(address);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), async (digest, mine) => {
        const sig = signDigest(privateKeyBytes(mine ? key : other), digest);
        const recovered = await recoverAddress({ hash: hex(digest), signature: sig });
        return verifier.verify(digest, sig) === (recovered === address) && recoverDigestSigner(digest, sig) === recovered;
      }),
      { numRuns: 60 },
    );
  });

  test('refuses tampered, malleated and malformed signatures', () => {
    const verifier = createSignatureVerifier(address);
    const digest = new Uint8Array(32).fill(3);
    const sig = signDigest(privateKeyBytes(key), digest);
    assert.equal(verifier.verify(digest, sig), true);
    assert.equal(verifier.verify(new Uint8Array(32).fill(4), sig), false, 'other digest');
    const flippedV = `${sig.slice(0, 130)}${sig.endsWith('1b') ? '1c' : '1b'}` as Hex;
    assert.equal(verifier.verify(digest, flippedV), false, 'wrong recovery bit');
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const high = `0x${sig.slice(2, 66)}${(n - s).toString(16).padStart(64, '0')}${sig.endsWith('1b') ? '1c' : '1b'}` as Hex;
    assert.equal(verifier.verify(digest, high), false, 'high-s');
    assert.equal(verifier.verify(digest, '0x1234'), false, 'short');
    assert.equal(verifier.verify(digest, `${sig.slice(0, 130)}00` as Hex), false, 'v = 0');
    assert.equal(verifier.verify(digest, `0x${'00'.repeat(64)}1b`), false, 'r = s = 0');
  });
});

describe('validation rules', () => {
  const id: Hex = `0x${'ab'.repeat(32)}`;
  const s = (version: bigint, a: bigint, b: bigint, isFinal = false): State => ({ channelId: id, version, balanceA: a, balanceB: b, isFinal });

  test('validateState: wrong channel, overflow, negative, non-summing', () => {
    validateState({ channelId: id, total: 10n, state: s(1n, 4n, 6n) });
    assert.throws(() => validateState({ channelId: `0x${'cd'.repeat(32)}`, total: 10n, state: s(1n, 4n, 6n) }), code('CHANNEL_WRONG_ID'));
    assert.throws(() => validateState({ channelId: id, total: 10n, state: s(1n, MAX_UINT256 + 1n, 0n) }), code('CHANNEL_BALANCE_OVERFLOW'));
    assert.throws(() => validateState({ channelId: id, total: 10n, state: s(1n, -1n, 11n) }), code('CHANNEL_BALANCE_OVERFLOW'));
    assert.throws(() => validateState({ channelId: id, total: 10n, state: s(1n << 64n, 4n, 6n) }), code('CHANNEL_BALANCE_OVERFLOW'));
    assert.throws(() => validateState({ channelId: id, total: 10n, state: s(1n, 4n, 5n) }), code('CHANNEL_BALANCE_MISMATCH'));
    assert.throws(() => validateState({ channelId: id, total: 10n, state: s(1n, MAX_UINT256, 11n) }), code('CHANNEL_BALANCE_MISMATCH'));
  });

  test('validateTransition: stale, gap, wrong direction, empty, final moving money, after final', () => {
    const prev = s(5n, 6n, 4n);
    assert.equal(validateTransition({ prev, next: s(6n, 5n, 5n), proposer: 'A' }), 1n);
    assert.throws(() => validateTransition({ prev, next: s(5n, 5n, 5n), proposer: 'A' }), code('CHANNEL_STALE_STATE'));
    assert.throws(() => validateTransition({ prev, next: s(4n, 5n, 5n), proposer: 'A' }), code('CHANNEL_STALE_STATE'));
    assert.throws(() => validateTransition({ prev, next: s(7n, 5n, 5n), proposer: 'A' }), code('CHANNEL_VERSION_GAP'));
    assert.throws(() => validateTransition({ prev, next: s(6n, 7n, 3n), proposer: 'A' }), code('CHANNEL_INVALID_TRANSFER'));
    assert.throws(() => validateTransition({ prev, next: s(6n, 6n, 4n), proposer: 'B' }), code('CHANNEL_INVALID_TRANSFER'));
    assert.throws(() => validateTransition({ prev, next: s(6n, 5n, 5n, true), proposer: 'A' }), code('CHANNEL_INVALID_TRANSFER'));
    assert.equal(validateTransition({ prev, next: s(6n, 6n, 4n, true), proposer: 'B' }), 0n);
    assert.throws(() => validateTransition({ prev: s(6n, 6n, 4n, true), next: s(7n, 5n, 5n), proposer: 'A' }), code('CHANNEL_FINALIZED'));
  });

  test('codec refuses malformed states with the path of the problem', () => {
    const good = { state: { channelId: id, version: '1', balanceA: '1', balanceB: '2', isFinal: false } };
    decodeOrThrow(signedStateSchema, good, 'CHANNEL_BAD_MESSAGE', 'state');
    for (const bad of [
      { ...good, state: { ...good.state, version: '1.5' } },
      { ...good, state: { ...good.state, version: '-1' } },
      { ...good, state: { ...good.state, balanceA: 5 } },
      { ...good, state: { ...good.state, channelId: '0x12' } },
      { ...good, sigA: '0xzz' },
      null,
    ]) {
      assert.throws(() => decodeOrThrow(signedStateSchema, bad, 'CHANNEL_BAD_MESSAGE', 'state'), code('CHANNEL_BAD_MESSAGE'));
    }
  });

  test('channel id binds chain, adjudicator, participants, token, nonce, period and window', () => {
    const p = {
      participantA: '0x1000000000000000000000000000000000000001',
      participantB: '0x2000000000000000000000000000000000000002',
      token: ZERO_ADDRESS,
      nonce: 1n,
      challengePeriod: 3600,
      pipelineWindow: 8,
    } as const;
    const base = computeChannelId(domain, p);
    const variants = [
      computeChannelId({ ...domain, chainId: 1 }, p),
      computeChannelId({ ...domain, adjudicator: '0x3000000000000000000000000000000000000003' }, p),
      computeChannelId(domain, { ...p, participantA: p.participantB, participantB: p.participantA }),
      computeChannelId(domain, { ...p, token: '0x4000000000000000000000000000000000000004' }),
      computeChannelId(domain, { ...p, nonce: 2n }),
      computeChannelId(domain, { ...p, challengePeriod: 3601 }),
      computeChannelId(domain, { ...p, pipelineWindow: 9 }),
    ];
    assert.equal(new Set([base, ...variants]).size, variants.length + 1);
  });
});
