/**
 * Demo traffic for `rampart devnet --demo` (`npm start`): through the SDK, exactly as a wallet would —
 * three users deposit ETH on L1 (accounts created by the sequencer from the L1 queue), then pay each
 * other on L2 in rounds; every few rounds one withdraws, waits for the batch's proof on L1 and claims
 * the exit. Runs until `stopped()`; every step is logged as one event.
 */
import { createPrivateKey, publicKeyFromPrivate, type PrivateKey } from '../core/eddsa.ts';
import { createL1Clients } from '../l1/createL1Clients.ts';
import type { DevnetStack } from '../node/devnet-stack.ts';
import { createRampartClient, type RampartClient } from '../sdk/createRampartClient.ts';

type Log = (event: string, fields: Record<string, unknown>) => void;
type DemoUser = { readonly name: string; readonly client: RampartClient; readonly key: PrivateKey; index: number };

const NAMES = ['alice', 'bob', 'carol'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runDemoTraffic(stack: DevnetStack, o: { readonly stopped: () => boolean; readonly log: Log }): Promise<void> {
  const users: DemoUser[] = [];
  for (const [i, name] of NAMES.entries()) {
    const account = stack.accounts[i];
    if (account === undefined) break;
    const l1 = await createL1Clients({ url: stack.l1Url, privateKey: account.privateKey, chainId: stack.chainId, pollingIntervalMs: 50, retryCount: 0 });
    const key = createPrivateKey(crypto.getRandomValues(new Uint8Array(32)));
    users.push({ name, client: createRampartClient({ rpcUrl: stack.rpcUrl, l1, rollup: stack.rollup, pollIntervalMs: 250 }), key, index: 0 });
  }
  for (const u of users) {
    const dep = await u.client.deposit({ amount: 10n ** 18n, publicKey: publicKeyFromPrivate(u.key) });
    o.log('demo-deposit', { user: u.name, amount: '1 ETH' });
    u.index = (await u.client.waitForAccount({ deposit: dep })).index;
    o.log('demo-account', { user: u.name, index: u.index });
    if (o.stopped()) return;
  }
  const first = users[0];
  for (let round = 1; !o.stopped(); round++) {
    // Proving is the slow part (seconds per batch): keep at most a few batches waiting for proofs.
    const s = first === undefined ? undefined : await first.client.getStatus().catch(() => undefined);
    if (s !== undefined && s.batchNum - s.lastFinal > 3) {
      await sleep(1000);
      continue;
    }
    try {
      for (const [i, u] of users.entries()) {
        const to = users[(i + 1) % users.length];
        if (to === undefined) continue;
        const amount = BigInt(1 + ((round * 7 + i) % 9)) * 10n ** 15n;
        const { hash } = await u.client.transfer({ privateKey: u.key, from: u.index, to: to.index, amount });
        o.log('demo-transfer', { from: u.name, to: to.name, amountWei: amount.toString(), hash });
      }
      if (round % 4 === 2) {
        const u = users[round % users.length];
        if (u !== undefined) {
          const { hash } = await u.client.withdraw({ privateKey: u.key, from: u.index, amount: 10n ** 16n });
          o.log('demo-withdraw', { user: u.name, amountWei: (10n ** 16n).toString(), hash });
          const done = await u.client.waitForFinality({ hash });
          const paid = await u.client.claim({ hash });
          o.log('demo-claimed', { user: u.name, batch: done.batchNum, l1Tx: paid.l1TxHash, amountWei: paid.amount.toString() });
        }
      }
    } catch (err) {
      o.log('demo-error', { error: err instanceof Error ? err.message : String(err) });
    }
    await sleep(1500);
  }
}
