/**
 * Test helper: a fresh devnet with the adjudicator and a test ERC-20 deployed, and L1 clients for each
 * funded account. One per test file (each file runs in its own process).
 */
import type { Address, Hex } from 'viem';
import { createL1Clients, type L1Clients } from '../../src/l1/createL1Clients.ts';
import { type AdjudicatorConfig, deployAdjudicator } from '../../src/l1/deployAdjudicator.ts';
import { deployTestToken } from '../../src/l1/deployTestToken.ts';
import { type Devnet, type StartDevnetParameters, startDevnet } from '../../src/l1/devnet.ts';

export type Fixture = {
  readonly devnet: Devnet;
  readonly deployer: L1Clients;
  readonly adjudicator: Address;
  readonly token: Address;
  /** L1 clients for funded account i (0 is the deployer). */
  readonly clients: (i: number) => Promise<L1Clients>;
  readonly key: (i: number) => Hex;
  readonly address: (i: number) => Address;
  readonly stop: () => Promise<void>;
};

export async function startFixture(
  devnetParams: StartDevnetParameters = {},
  adjudicatorConfig: Partial<AdjudicatorConfig> = {},
): Promise<Fixture> {
  const devnet = await startDevnet({ accounts: 10, ...devnetParams });
  const account = (i: number): { privateKey: Hex; address: Address } => {
    const a = devnet.accounts[i];
    if (a === undefined) throw new RangeError(`devnet has no account ${i}`);
    return a;
  };
  const cache = new Map<number, L1Clients>();
  const clients = async (i: number): Promise<L1Clients> => {
    let c = cache.get(i);
    if (c === undefined) {
      c = await createL1Clients({ url: devnet.url, privateKey: account(i).privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
      cache.set(i, c);
    }
    return c;
  };
  try {
    const deployer = await clients(0);
    const adjudicator = await deployAdjudicator(deployer, adjudicatorConfig);
    const token = await deployTestToken(deployer);
    return {
      devnet,
      deployer,
      adjudicator: adjudicator.address,
      token: token.address,
      clients,
      key: (i) => account(i).privateKey,
      address: (i) => account(i).address,
      stop: () => devnet.stop(),
    };
  } catch (err) {
    await devnet.stop();
    throw err;
  }
}
