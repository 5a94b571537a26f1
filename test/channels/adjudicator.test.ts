/**
 * The adjudicator on a real devnet: funding, cooperative and unilateral closes, the penalty, and every
 * refusal with its reason (forged signatures, wrong channel, replays across channels / chains /
 * contracts, overflowing or non-summing balances, bad parameters, reentrancy, odd tokens).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Abi, type Address, type Hex, parseEther } from 'viem';
import { readChannel } from '../../src/channels/actions/readChannel.ts';
import { computeChannelId } from '../../src/channels/computeChannelId.ts';
import { domainSeparator } from '../../src/channels/hashState.ts';
import { MAX_UINT256, type ChannelDomain, type ChannelParams } from '../../src/channels/types.ts';
import { deployAdjudicator } from '../../src/l1/deployAdjudicator.ts';
import { deployContract } from '../../src/l1/deployContract.ts';
import { increaseTime } from '../../src/l1/devnetActions.ts';
import { ContractRevertedError } from '../../src/l1/errors.ts';
import { adjudicatorAbi } from '../../src/l1/generated/Adjudicator.ts';
import { channelUserAbi, channelUserBytecode } from '../../src/l1/generated/ChannelUser.ts';
import { feeOnTransferTokenAbi, feeOnTransferTokenBytecode } from '../../src/l1/generated/FeeOnTransferToken.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import type { L1Clients } from '../../src/l1/createL1Clients.ts';
import { type Fixture, startFixture } from '../l1/fixtures.ts';
import { callAdjudicator, makeParams, signBoth, signState, stateOf } from './helpers.ts';

let fx: Fixture;
let domain: ChannelDomain;
let A: L1Clients;
let B: L1Clients;
let T: L1Clients; // a third party (watchtower)
const E = '0x' as Hex;

before(async () => {
  fx = await startFixture({ chainId: 31340 });
  domain = { chainId: 31340, adjudicator: fx.adjudicator };
  A = await fx.clients(1);
  B = await fx.clients(2);
  T = await fx.clients(3);
});
after(async () => {
  await fx?.stop();
});

async function reverts(p: Promise<unknown>, reason: string): Promise<ContractRevertedError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ContractRevertedError, `expected a revert, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.equal(err.code, 'L1_REVERTED');
    return err;
  }
  assert.fail(`expected revert ${reason}`);
}

function paramsArg(p: ChannelParams): ChannelParams {
  return { ...p };
}

async function openFunded(depositA: bigint, depositB: bigint, over: Partial<ChannelParams> = {}): Promise<{ p: ChannelParams; id: Hex }> {
  const p = makeParams(fx.address(1), fx.address(2), over);
  await callAdjudicator(A, fx.adjudicator, 'open', [paramsArg(p), depositA, depositB], depositA);
  const id = computeChannelId(domain, p);
  if (depositB > 0n) await callAdjudicator(B, fx.adjudicator, 'deposit', [id], depositB);
  return { p, id };
}

const bal = (c: L1Clients, a: Address): Promise<bigint> => c.public.getBalance({ address: a });

describe('identity and hashing', () => {
  test('channel id and EIP-712 digest agree with the contract', async () => {
    const p = makeParams(fx.address(1), fx.address(2), { nonce: 77n, challengePeriod: 7200, pipelineWindow: 9 });
    const onchainId = await A.public.readContract({ address: fx.adjudicator, abi: adjudicatorAbi, functionName: 'channelIdOf', args: [p] });
    assert.equal(onchainId, computeChannelId(domain, p));
    const s = stateOf(onchainId, 5n, 10n ** 20n, 3n, true);
    const digest = await A.public.readContract({ address: fx.adjudicator, abi: adjudicatorAbi, functionName: 'hashState', args: [s] });
    const { hashState } = await import('../../src/channels/hashState.ts');
    assert.equal(digest, `0x${Buffer.from(hashState(domainSeparator(domain), s)).toString('hex')}`);
    const sep = await A.public.readContract({ address: fx.adjudicator, abi: adjudicatorAbi, functionName: 'domainSeparator' });
    assert.equal(sep, `0x${Buffer.from(domainSeparator(domain)).toString('hex')}`);
  });
});

describe('funding and cooperative close', () => {
  test('ETH: open+deposit, cooperative close pays the final split exactly, in three transactions', async () => {
    const a0 = await bal(A, fx.address(1));
    const b0 = await bal(B, fx.address(2));
    const p = makeParams(fx.address(1), fx.address(2));
    const t1 = await callAdjudicator(A, fx.adjudicator, 'open', [p, parseEther('5'), parseEther('3')], parseEther('5'));
    const id = computeChannelId(domain, p);
    assert.equal((await readChannel(A, fx.adjudicator, id)).status, 'opening');
    const t2 = await callAdjudicator(B, fx.adjudicator, 'deposit', [id], parseEther('3'));
    assert.equal((await readChannel(A, fx.adjudicator, id)).status, 'open');
    const final = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 42n, parseEther('4'), parseEther('4'), true));
    // Submitted by B: anyone holding the final state may.
    const t3 = await callAdjudicator(B, fx.adjudicator, 'closeCooperatively', [final.state, final.sigA, final.sigB]);
    assert.equal(await bal(A, fx.address(1)), a0 - parseEther('1') - t1.fee);
    assert.equal(await bal(B, fx.address(2)), b0 + parseEther('1') - t2.fee - t3.fee);
    assert.equal((await readChannel(A, fx.adjudicator, id)).status, 'closed');
    // The id is spent for good.
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [p, 1n, 0n], 1n), 'ChannelExists');
  });

  test('ERC-20 with permit: both approvals ride in the funding transactions', async () => {
    const wallets = [A, B];
    for (const [i, c] of wallets.entries()) {
      const w = c.wallet;
      assert.ok(w);
      const h = await w.writeContract({ address: fx.token, abi: testTokenAbi, functionName: 'mint', args: [fx.address(i + 1), 1000n] });
      await c.public.waitForTransactionReceipt({ hash: h });
    }
    const p = makeParams(fx.address(1), fx.address(2), { token: fx.token });
    const id = computeChannelId(domain, p);
    const permit = async (c: L1Clients, owner: Address, value: bigint): Promise<{ deadline: bigint; v: number; r: Hex; s: Hex }> => {
      const w = c.wallet;
      assert.ok(w);
      const nonce = await c.public.readContract({ address: fx.token, abi: testTokenAbi, functionName: 'nonces', args: [owner] });
      const deadline = 2n ** 40n;
      const sig = await w.signTypedData({
        domain: { name: 'Test Token', version: '1', chainId: domain.chainId, verifyingContract: fx.token },
        types: {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        primaryType: 'Permit',
        message: { owner, spender: fx.adjudicator, value, nonce, deadline },
      });
      return { deadline, r: `0x${sig.slice(2, 66)}`, s: `0x${sig.slice(66, 130)}`, v: Number.parseInt(sig.slice(130, 132), 16) };
    };
    await callAdjudicator(A, fx.adjudicator, 'openWithPermit', [p, 600n, 400n, await permit(A, fx.address(1), 600n)]);
    await callAdjudicator(B, fx.adjudicator, 'depositWithPermit', [id, await permit(B, fx.address(2), 400n)]);
    const final = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 9n, 100n, 900n, true));
    await callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [final.state, final.sigA, final.sigB]);
    const tb = async (i: number): Promise<bigint> =>
      A.public.readContract({ address: fx.token, abi: testTokenAbi, functionName: 'balanceOf', args: [fx.address(i)] });
    assert.equal(await tb(1), 500n);
    assert.equal(await tb(2), 1500n);
  });

  test('cancel: A takes its deposit back while B has not funded; B can no longer deposit', async () => {
    const p = makeParams(fx.address(1), fx.address(2));
    await callAdjudicator(A, fx.adjudicator, 'open', [p, 1000n, 5n], 1000n);
    const id = computeChannelId(domain, p);
    await reverts(callAdjudicator(B, fx.adjudicator, 'cancel', [id]), 'NotParticipant');
    await callAdjudicator(A, fx.adjudicator, 'cancel', [id]);
    await reverts(callAdjudicator(B, fx.adjudicator, 'deposit', [id], 5n), 'WrongStatus');
  });
});

describe('refusals with reasons', () => {
  test('open: bad parameters are refused', async () => {
    const a = fx.address(1);
    const b = fx.address(2);
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b, { challengePeriod: 60 }), 1n, 0n], 1n), 'ChallengePeriodOutOfBounds');
    await reverts(
      callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b, { challengePeriod: 40 * 86400 }), 1n, 0n], 1n),
      'ChallengePeriodOutOfBounds',
    );
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b, { pipelineWindow: 0 }), 1n, 0n], 1n), 'PipelineWindowOutOfBounds');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b, { pipelineWindow: 2000 }), 1n, 0n], 1n), 'PipelineWindowOutOfBounds');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, a), 1n, 0n], 1n), 'InvalidParticipants');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(b, a), 1n, 0n], 1n), 'NotOpener');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b), 0n, 0n]), 'EmptyChannel');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b), 2n, 0n], 1n), 'WrongValue');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b), MAX_UINT256, MAX_UINT256]), 'DepositTooLarge');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b), 2n ** 128n - 1n, 1n]), 'DepositTooLarge');
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(a, b, { token: fx.address(5) }), 1n, 0n]), 'TokenNotContract');
  });

  test('fee-on-transfer token: refused, since payouts could exceed what the contract holds', async () => {
    const fee = await deployContract({ clients: fx.deployer, abi: feeOnTransferTokenAbi as Abi, bytecode: feeOnTransferTokenBytecode, name: 'Fee' });
    const w = A.wallet;
    assert.ok(w);
    for (const [fn, args] of [
      ['mint', [fx.address(1), 10_000n]],
      ['approve', [fx.adjudicator, 10_000n]],
    ] as const) {
      const h = await w.writeContract({ address: fee.address, abi: feeOnTransferTokenAbi, functionName: fn, args } as unknown as Parameters<typeof w.writeContract>[0]);
      await A.public.waitForTransactionReceipt({ hash: h });
    }
    await reverts(callAdjudicator(A, fx.adjudicator, 'open', [makeParams(fx.address(1), fx.address(2), { token: fee.address }), 1000n, 0n]), 'TransferAmountMismatch');
  });

  test('deposit: only B, only the agreed amount, only once', async () => {
    const p = makeParams(fx.address(1), fx.address(2));
    await callAdjudicator(A, fx.adjudicator, 'open', [p, 10n, 20n], 10n);
    const id = computeChannelId(domain, p);
    await reverts(callAdjudicator(T, fx.adjudicator, 'deposit', [id], 20n), 'NotDepositor');
    await reverts(callAdjudicator(B, fx.adjudicator, 'deposit', [id], 19n), 'WrongValue');
    await callAdjudicator(B, fx.adjudicator, 'deposit', [id], 20n);
    await reverts(callAdjudicator(B, fx.adjudicator, 'deposit', [id], 20n), 'WrongStatus');
  });

  test('states: forged signatures, wrong channel, replays across channels, chains and contracts, bad balances', async () => {
    const { id } = await openFunded(100n, 100n);
    const { id: other } = await openFunded(100n, 100n);
    const good = stateOf(id, 3n, 50n, 150n, true);
    // Forged: B's signature replaced by a third party's.
    const forged = { ...signBoth(domain, fx.key(1), fx.key(2), good), sigB: signState(domain, fx.key(3), good) };
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [forged.state, forged.sigA, forged.sigB]), 'InvalidSignature');
    // Signatures swapped.
    const s = signBoth(domain, fx.key(1), fx.key(2), good);
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [s.state, s.sigB, s.sigA]), 'InvalidSignature');
    // Malformed signature bytes.
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [s.state, '0x1234', s.sigB]), 'InvalidSignature');
    // High-s (malleated) signature: same signer, refused.
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sA = BigInt(`0x${s.sigA.slice(66, 130)}`);
    const malleated = `0x${s.sigA.slice(2, 66)}${(n - sA).toString(16).padStart(64, '0')}${s.sigA.endsWith('1b') ? '1c' : '1b'}` as Hex;
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [s.state, malleated, s.sigB]), 'InvalidSignature');
    // Unknown channel id.
    const ghost = signBoth(domain, fx.key(1), fx.key(2), stateOf(`0x${'ee'.repeat(32)}`, 3n, 50n, 150n, true));
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [ghost.state, ghost.sigA, ghost.sigB]), 'UnknownChannel');
    // A state of channel `id` replayed into channel `other` (same parties, same deposits).
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [{ ...s.state, channelId: other }, s.sigA, s.sigB]), 'InvalidSignature');
    // Replay from another chain: signed under chain id 1.
    const otherChain = signBoth({ ...domain, chainId: 1 }, fx.key(1), fx.key(2), good);
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [otherChain.state, otherChain.sigA, otherChain.sigB]), 'InvalidSignature');
    // Replay from another adjudicator deployment.
    const second = await deployAdjudicator(fx.deployer);
    const otherContract = signBoth({ ...domain, adjudicator: second.address }, fx.key(1), fx.key(2), good);
    await reverts(
      callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [otherContract.state, otherContract.sigA, otherContract.sigB]),
      'InvalidSignature',
    );
    // Balances that do not sum to the deposits, and ones that would overflow if added.
    const short = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 3n, 50n, 149n, true));
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [short.state, short.sigA, short.sigB]), 'BalancesMismatch');
    const overflow = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 3n, MAX_UINT256, 201n, true));
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [overflow.state, overflow.sigA, overflow.sigB]), 'BalancesMismatch');
    const wrap = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 3n, MAX_UINT256, 201n, false));
    await reverts(callAdjudicator(A, fx.adjudicator, 'forceClose', [wrap.state, wrap.sigA, wrap.sigB]), 'BalancesMismatch');
    // Not final.
    const open = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 3n, 50n, 150n, false));
    await reverts(callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [open.state, open.sigA, open.sigB]), 'NotFinal');
    // After all that, the genuine state still closes the channel.
    await callAdjudicator(A, fx.adjudicator, 'closeCooperatively', [s.state, s.sigA, s.sigB]);
  });
});

describe('unilateral close, dispute and penalty', () => {
  test('stale close answered by the victim: the closer forfeits its whole balance', async () => {
    const { id } = await openFunded(parseEther('1'), parseEther('1'), { pipelineWindow: 2 });
    const v2 = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 2n, parseEther('1.5'), parseEther('0.5')));
    const v9 = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 9n, parseEther('1.2'), parseEther('0.8')));
    await reverts(callAdjudicator(T, fx.adjudicator, 'forceClose', [v2.state, v2.sigA, v2.sigB]), 'NotParticipant');
    await callAdjudicator(A, fx.adjudicator, 'forceClose', [v2.state, v2.sigA, v2.sigB]);
    await reverts(callAdjudicator(B, fx.adjudicator, 'respond', [v2.state, v2.sigA, v2.sigB]), 'StaleVersion');
    await reverts(callAdjudicator(B, fx.adjudicator, 'settle', [id]), 'ChallengePeriodNotOver');
    await callAdjudicator(B, fx.adjudicator, 'respond', [v9.state, v9.sigA, v9.sigB]);
    const c = await readChannel(A, fx.adjudicator, id);
    assert.equal(c.penalized, true);
    assert.equal(c.version, 9n);
    await increaseTime(A.public, 3600);
    const a0 = await bal(A, fx.address(1));
    const b0 = await bal(B, fx.address(2));
    const t = await callAdjudicator(T, fx.adjudicator, 'settle', [id]);
    assert.ok(t.gasUsed > 0n);
    assert.equal(await bal(A, fx.address(1)), a0, 'cheater gets nothing');
    assert.equal(await bal(B, fx.address(2)), b0 + parseEther('2'), 'victim gets everything (no third party involved: no fee)');
  });

  test('stale close answered by a watchtower: victim gets its balance plus the penalty minus the tower fee', async () => {
    const { id } = await openFunded(1000n, 1000n, { pipelineWindow: 2 });
    const v1 = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 1n, 1500n, 500n));
    const v6 = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 6n, 1200n, 800n));
    await callAdjudicator(A, fx.adjudicator, 'forceClose', [v1.state, v1.sigA, v1.sigB]);
    await callAdjudicator(T, fx.adjudicator, 'respond', [v6.state, v6.sigA, v6.sigB]);
    await increaseTime(A.public, 3601);
    const b0 = await bal(B, fx.address(2));
    const t0 = await bal(T, fx.address(3));
    const a0 = await bal(A, fx.address(1));
    const s = await callAdjudicator(T, fx.adjudicator, 'settle', [id]);
    // fee = 10% of A's forfeited 1200 = 120.
    assert.equal(await bal(B, fx.address(2)), b0 + 800n + 1080n);
    assert.equal(await bal(T, fx.address(3)), t0 + 120n - s.fee);
    assert.equal(await bal(A, fx.address(1)), a0);
  });

  test('a close up to pipelineWindow versions old is only corrected, not penalised (it can be honest)', async () => {
    const { id } = await openFunded(1000n, 1000n, { pipelineWindow: 4 });
    const v5 = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 5n, 900n, 1100n));
    const v9 = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 9n, 700n, 1300n));
    await callAdjudicator(B, fx.adjudicator, 'forceClose', [v5.state, v5.sigA, v5.sigB]);
    await callAdjudicator(A, fx.adjudicator, 'respond', [v9.state, v9.sigA, v9.sigB]);
    const c = await readChannel(A, fx.adjudicator, id);
    assert.equal(c.penalized, false);
    await increaseTime(A.public, 3600);
    const a0 = await bal(A, fx.address(1));
    const b0 = await bal(B, fx.address(2));
    await callAdjudicator(T, fx.adjudicator, 'settle', [id]);
    assert.equal(await bal(A, fx.address(1)), a0 + 700n);
    assert.equal(await bal(B, fx.address(2)), b0 + 1300n);
  });

  test('deadline is strict both ways; opening state closes without signatures; wrong opening state refused', async () => {
    const { id } = await openFunded(300n, 200n);
    await reverts(callAdjudicator(B, fx.adjudicator, 'forceClose', [stateOf(id, 0n, 200n, 300n), E, E]), 'InitialStateMismatch');
    await callAdjudicator(B, fx.adjudicator, 'forceClose', [stateOf(id, 0n, 300n, 200n), E, E]);
    await reverts(callAdjudicator(A, fx.adjudicator, 'forceClose', [stateOf(id, 0n, 300n, 200n), E, E]), 'WrongStatus');
    await increaseTime(A.public, 3600);
    const late = signBoth(domain, fx.key(1), fx.key(2), stateOf(id, 4n, 100n, 400n));
    await reverts(callAdjudicator(A, fx.adjudicator, 'respond', [late.state, late.sigA, late.sigB]), 'ChallengePeriodOver');
    await callAdjudicator(A, fx.adjudicator, 'settle', [id]);
    await reverts(callAdjudicator(A, fx.adjudicator, 'settle', [id]), 'WrongStatus');
  });
});

describe('reentrancy and refusing receivers', () => {
  for (const mode of [1, 2] as const) {
    test(`a payout the receiver ${mode === 1 ? 'refuses' : 'tries to re-enter'} is credited, never lost or paid twice`, async () => {
      const user = await deployContract({
        clients: fx.deployer,
        abi: channelUserAbi as Abi,
        bytecode: channelUserBytecode,
        args: [fx.adjudicator],
        name: 'ChannelUser',
      });
      const w = fx.deployer.wallet;
      assert.ok(w);
      const call = async (functionName: string, args: readonly unknown[], value?: bigint): Promise<void> => {
        const h = await w.writeContract({
          address: user.address,
          abi: channelUserAbi,
          functionName,
          args,
          ...(value === undefined ? {} : { value }),
        } as unknown as Parameters<typeof w.writeContract>[0]);
        const r = await fx.deployer.public.waitForTransactionReceipt({ hash: h });
        assert.equal(r.status, 'success');
      };
      const p = makeParams(user.address, fx.address(2));
      await call('open', [p], 777n);
      await call('setMode', [mode]);
      await call('forceCloseInitial', [777n, 0n]);
      await increaseTime(A.public, 3600);
      const before = await bal(A, fx.adjudicator);
      await callAdjudicator(T, fx.adjudicator, 'settle', [computeChannelId(domain, p)]);
      const owedOf = (): Promise<bigint> =>
        A.public.readContract({ address: fx.adjudicator, abi: adjudicatorAbi, functionName: 'owed', args: ['0x0000000000000000000000000000000000000000', user.address] });
      if (mode === 1) {
        assert.equal(await bal(A, user.address), 0n);
        assert.equal(await bal(A, fx.adjudicator), before, 'funds stay in the adjudicator, credited');
        assert.equal(await owedOf(), 777n);
      } else {
        // The receiver's attempts to call settle() and withdraw() again were refused by the guard;
        // it was paid exactly once.
        const blocked = await A.public.readContract({ address: user.address, abi: channelUserAbi, functionName: 'reentryBlocked' });
        assert.equal(blocked, true);
        assert.equal(await bal(A, user.address), 777n);
        assert.equal(await bal(A, fx.adjudicator), before - 777n);
        assert.equal(await owedOf(), 0n);
        return;
      }
      await call('setMode', [0]);
      await call('withdraw', []);
      assert.equal(await bal(A, user.address), 777n);
      await reverts(callAdjudicator(T, fx.adjudicator, 'withdraw', ['0x0000000000000000000000000000000000000000']), 'NothingOwed');
    });
  }
});
