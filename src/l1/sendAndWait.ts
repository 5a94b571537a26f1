import type { Abi, Address, Chain, Hash, HttpTransport, PublicClient, TransactionReceipt } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { decodeL1Error } from './decodeL1Error.ts';
import { L1Error } from './errors.ts';

export type SendAndWaitParameters = {
  readonly public: PublicClient<HttpTransport, Chain>;
  /** Human context for errors, e.g. "Adjudicator.forceClose". */
  readonly context: string;
  /** Sends the transaction (viem's writeContract / sendTransaction), returning its hash. */
  readonly send: () => Promise<Hash>;
  readonly confirmations?: number;
  readonly timeoutMs?: number;
};

/**
 * Sends one transaction and waits for its receipt. viem estimates gas before sending, so a call that
 * would revert is refused with the contract's decoded reason before anything is broadcast; a receipt
 * with status "reverted" (state changed between estimate and inclusion) is an L1_TX_FAILED error.
 */
export async function sendAndWait(params: SendAndWaitParameters): Promise<TransactionReceipt> {
  let hash: Hash;
  try {
    hash = await params.send();
  } catch (err) {
    throw decodeL1Error(err, params.context);
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await params.public.waitForTransactionReceipt({
      hash,
      confirmations: params.confirmations ?? 1,
      timeout: params.timeoutMs ?? 120_000,
    });
  } catch (err) {
    throw decodeL1Error(err, `${params.context} (waiting for ${hash})`);
  }
  if (receipt.status !== 'success') {
    throw new L1Error('L1_TX_FAILED', `${params.context}: transaction ${hash} reverted on inclusion`, {
      details: { hash, context: params.context, blockNumber: receipt.blockNumber.toString() },
    });
  }
  return receipt;
}

/**
 * Calls `contract.functionName(args)` (payable with `value`) with the clients' key and waits for the
 * receipt (sendAndWait). Errors name `contract.functionName`; reverts decode against `abi`'s errors.
 */
export function writeContractAndWait(clients: L1Clients, address: Address, abi: Abi, contract: string, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const wallet = clients.wallet;
  if (wallet === undefined) throw new L1Error('L1_TX_FAILED', `${contract}.${functionName}: no signing key`);
  return sendAndWait({
    public: clients.public,
    context: `${contract}.${functionName}`,
    send: () => wallet.writeContract({ address, abi, functionName, args, ...(value === undefined ? {} : { value }) } as unknown as Parameters<typeof wallet.writeContract>[0]),
  });
}
