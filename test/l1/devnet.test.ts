import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { createL1Clients } from '../../src/l1/createL1Clients.ts';
import { increaseTime, latestTimestamp, setBalance } from '../../src/l1/devnetActions.ts';
import { testTokenAbi } from '../../src/l1/generated/TestToken.ts';
import { type Fixture, startFixture } from './fixtures.ts';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ chainId: 31339, accounts: 4 });
});
after(async () => {
  await fx?.stop();
});

test('devnet: real JSON-RPC node on 127.0.0.1 with the requested chain id and funded accounts', async () => {
  assert.match(fx.devnet.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const c = await createL1Clients({ url: fx.devnet.url });
  assert.equal(c.chain.id, 31339);
  const bal = await c.public.getBalance({ address: fx.address(3) });
  assert.equal(bal, 10_000n * 10n ** 18n);
});

test('devnet: time travel moves block time forward', async () => {
  const before = await latestTimestamp(fx.deployer.public);
  await increaseTime(fx.deployer.public, 7200);
  const after = await latestTimestamp(fx.deployer.public);
  assert.ok(after >= before + 7200n, `${after} < ${before} + 7200`);
});

test('devnet: setBalance funds any address', async () => {
  const addr = '0x00000000000000000000000000000000000000aa';
  await setBalance(fx.deployer.public, addr, parseEther('3'));
  assert.equal(await fx.deployer.public.getBalance({ address: addr }), parseEther('3'));
});

test('deploy helper: test token deployed, mintable, with permit domain', async () => {
  const c = await fx.clients(1);
  const wallet = c.wallet;
  assert.ok(wallet);
  const hash = await wallet.writeContract({ address: fx.token, abi: testTokenAbi, functionName: 'mint', args: [fx.address(1), 1000n] });
  await c.public.waitForTransactionReceipt({ hash });
  const bal = await c.public.readContract({ address: fx.token, abi: testTokenAbi, functionName: 'balanceOf', args: [fx.address(1)] });
  assert.equal(bal, 1000n);
  const name = await c.public.readContract({ address: fx.token, abi: testTokenAbi, functionName: 'name' });
  assert.equal(name, 'Test Token');
});

test('devnet: stop is idempotent and frees the node', async () => {
  const { startDevnet } = await import('../../src/l1/devnet.ts');
  const d = await startDevnet({ accounts: 1 });
  await d.stop();
  await d.stop();
  await assert.rejects(fetch(d.url, { method: 'POST', body: '{}' }));
});
