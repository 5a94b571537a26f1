import {
  type Account,
  type Chain,
  type Hex,
  type HttpTransport,
  type PublicClient,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { decodeL1Error } from './decodeL1Error.ts';

export type L1Clients = {
  readonly chain: Chain;
  readonly public: PublicClient<HttpTransport, Chain>;
  /** Present when a private key was given. */
  readonly wallet: WalletClient<HttpTransport, Chain, Account> | undefined;
};

export type CreateL1ClientsParameters = {
  /** JSON-RPC HTTP endpoint of any EVM L1 (devnet, geth, reth, anvil, a testnet). */
  readonly url: string;
  readonly privateKey?: Hex;
  /**
   * How often viem polls for receipts and blocks. Devnets mine instantly, so a short interval keeps tests
   * fast; against a real L1 use about a block time.
   */
  readonly pollingIntervalMs?: number;
  /** Skip the eth_chainId round trip when the caller already knows it. */
  readonly chainId?: number;
  /**
   * Retries of a failed request. viem retries "internal error" answers, and Hardhat answers a revert
   * during gas estimation that way, so each retry delays every refused call by ~150 ms+; devnet users
   * pass 0.
   */
  readonly retryCount?: number;
};

/** Connects viem clients to an L1 by URL; the chain id is read from the node unless given. */
export async function createL1Clients(params: CreateL1ClientsParameters): Promise<L1Clients> {
  const pollingInterval = params.pollingIntervalMs ?? 100;
  const transport = http(params.url, { retryCount: params.retryCount ?? 1, timeout: 30_000 });
  let chainId = params.chainId;
  if (chainId === undefined) {
    const probe = createPublicClient({ transport });
    try {
      chainId = await probe.getChainId();
    } catch (err) {
      throw decodeL1Error(err, `eth_chainId at ${params.url}`);
    }
  }
  const chain = defineChain({
    id: chainId,
    name: `l1-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [params.url] } },
  });
  const pub = createPublicClient({ chain, transport, pollingInterval });
  const wallet =
    params.privateKey === undefined
      ? undefined
      : createWalletClient({ chain, transport, pollingInterval, account: privateKeyToAccount(params.privateKey) });
  return { chain, public: pub, wallet };
}
