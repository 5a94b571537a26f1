/**
 * Dev-chain-only JSON-RPC actions (Hardhat/anvil): time travel and balance setting. Production code never
 * calls these; tests and demos use them to move past challenge periods without waiting.
 */
import { type Address, type Chain, type HttpTransport, type PublicClient, numberToHex } from 'viem';
import { decodeL1Error } from './decodeL1Error.ts';

type Client = PublicClient<HttpTransport, Chain>;

async function rpc(client: Client, method: string, params: unknown[]): Promise<unknown> {
  try {
    // These methods are not in viem's typed RPC schema; the cast names the shape we send.
    const request = client.request as unknown as (args: { method: string; params: unknown[] }) => Promise<unknown>;
    return await request({ method, params });
  } catch (err) {
    throw decodeL1Error(err, method);
  }
}

/** Advances the chain's clock by `seconds` and mines a block carrying the new time. */
export async function increaseTime(client: Client, seconds: number): Promise<void> {
  await rpc(client, 'evm_increaseTime', [seconds]);
  await rpc(client, 'evm_mine', []);
}

export async function mine(client: Client, blocks = 1): Promise<void> {
  for (let i = 0; i < blocks; i++) await rpc(client, 'evm_mine', []);
}

export async function setBalance(client: Client, address: Address, wei: bigint): Promise<void> {
  await rpc(client, 'hardhat_setBalance', [address, numberToHex(wei)]);
}

/** The timestamp of the latest block, in seconds. */
export async function latestTimestamp(client: Client): Promise<bigint> {
  const block = await client.getBlock({ blockTag: 'latest' });
  return block.timestamp;
}
