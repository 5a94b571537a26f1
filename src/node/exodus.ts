/**
 * Exodus from L1 alone (docs/PROTOCOL.md §11.1): with nothing but an L1 JSON-RPC URL and the rollup's
 * address, rebuild the account state as of the last FINAL batch by replaying the `commitBatch` calldata
 * of batches 1..final through the STF (derivation stops there: later batches were never proven and do
 * not count), check the result against the root the contract holds, and produce what a user needs to
 * get their money out:
 *
 *   - an account proof (leaf preimage + 4-ary siblings) for `exodusWithdraw`,
 *   - the queued deposits no final batch consumed, for `exodusRefund`,
 *   - the exits of final batches not yet withdrawn, for `withdraw` (still payable in exodus).
 *
 * No operator, node database or RPC is involved; any archive-capable L1 endpoint works.
 */
import { type Abi, type Address, type Hex, bytesToHex, getAddress } from 'viem';
import { accountLeaf, type Account } from '../core/account.ts';
import { RampartError } from '../core/errors.ts';
import { frToBytesLE } from '../core/field.ts';
import { SparseMerkleTree, siblingsToFr, verifyMerkleProof } from '../core/smt.ts';
import { MemoryState } from '../core/state.ts';
import { createStfConfig, type Exit, type StfConfig } from '../core/stf.ts';
import type { L1Clients } from '../l1/createL1Clients.ts';
import { rollupAbi } from '../l1/generated/Rollup.ts';
import {
  type EscapeHatchStatus,
  type ExodusAccountProof,
  type QueuedOp,
  exodusRefund,
  exodusWithdraw,
  getCommittedBatches,
  getEscapeHatchStatus,
  getQueuedOps,
  withdraw,
} from '../l1/rollupActions.ts';
import { deriveBatch } from './derivation.ts';
import { toAddressHex } from './stored-tx.ts';

const abi = rollupAbi as Abi;

export type ExodusErrorCode = 'EXODUS_ROOT_MISMATCH' | 'EXODUS_NO_ACCOUNT' | 'EXODUS_BAD_INPUT' | 'EXODUS_NO_DEPLOY_BLOCK';

export class ExodusError extends RampartError {
  override readonly name = 'ExodusError';
  declare readonly code: ExodusErrorCode;
}

export type FinalExit = Exit & { readonly batchNum: number; readonly siblings: readonly bigint[]; readonly withdrawn: boolean };

export type RefundableOp = QueuedOp & { readonly refunded: boolean; readonly opHex: Hex };

export type ExodusView = {
  readonly rollup: Address;
  readonly config: StfConfig;
  readonly status: EscapeHatchStatus;
  /** The batch the state is rebuilt to: `exodusBatch` once exodus was triggered, else the last final batch. */
  readonly finalBatch: number;
  readonly root: bigint;
  readonly state: MemoryState;
  /** Queue items [l1End, queueLength) were never consumed by a final batch. */
  readonly l1End: bigint;
  readonly deployBlock: bigint;
  /** Exits of final batches (payable with `withdraw`), with proofs and whether already paid. */
  readonly exits: readonly FinalExit[];
  /** createAccount/deposit ops with a non-zero amount that no final batch consumed. */
  readonly refundable: readonly RefundableOp[];
};

export type BuildExodusViewParameters = {
  readonly l1: L1Clients;
  readonly rollup: Address;
  /** Where log scans start; default: found by bisecting `eth_getCode` over block numbers. */
  readonly fromBlock?: bigint;
};

async function read<T>(l1: L1Clients, rollup: Address, functionName: string, args: readonly unknown[] = []): Promise<T> {
  return (await l1.public.readContract({ address: rollup, abi, functionName, args })) as T;
}

/** The first block at which `address` has code: ≈ log2(head) `eth_getCode` calls (needs historical state). */
export async function findDeployBlock(l1: L1Clients, address: Address): Promise<bigint> {
  const head = await l1.public.getBlockNumber();
  const has = async (b: bigint): Promise<boolean> => ((await l1.public.getCode({ address, blockNumber: b })) ?? '0x') !== '0x';
  if (!(await has(head))) throw new ExodusError('EXODUS_NO_DEPLOY_BLOCK', `no contract at ${address} on this L1`);
  let lo = 0n;
  let hi = head;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (await has(mid)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/** The rollup's STF configuration, read from the contract itself (its constructor config and domain). */
export async function readRollupConfig(l1: L1Clients, rollup: Address): Promise<StfConfig> {
  const [treeDepth, exitTreeDepth, maxL1Ops, maxFeeTokens, maxL2Txs] = await Promise.all(
    ['treeDepth', 'exitTreeDepth', 'maxL1Ops', 'maxFeeTokens', 'maxL2Txs'].map((f) => read<bigint>(l1, rollup, f)),
  );
  const chainId = BigInt(await l1.public.getChainId());
  return createStfConfig({
    domain: { chainId, rollupAddress: BigInt(rollup) },
    treeDepth: Number(treeDepth),
    exitTreeDepth: Number(exitTreeDepth),
    maxL1Ops: Number(maxL1Ops),
    maxFeeTokens: Number(maxFeeTokens),
    maxL2Txs: Number(maxL2Txs),
  });
}

/**
 * Rebuilds the state of the last final batch from L1 calldata and checks it against the contract's
 * stored root for that batch (a mismatch means the L1 endpoint lies or the data is not what was proven).
 */
export async function buildExodusView(p: BuildExodusViewParameters): Promise<ExodusView> {
  const { l1 } = p;
  const rollup = getAddress(p.rollup);
  const [config, status] = await Promise.all([readRollupConfig(l1, rollup), getEscapeHatchStatus(l1, rollup)]);
  const finalBatch = Number(status.exodus ? status.exodusBatch : status.lastFinal);
  const onChain = await read<readonly unknown[]>(l1, rollup, 'batches', [BigInt(finalBatch)]);
  const root = onChain[1] as bigint;
  const l1End = onChain[3] as bigint;
  const deployBlock = p.fromBlock ?? (await findDeployBlock(l1, rollup));

  const committed = finalBatch === 0 ? [] : (await getCommittedBatches(l1, rollup, deployBlock)).filter((b) => b.batchNum <= finalBatch);
  const state = new MemoryState();
  const exits: FinalExit[] = [];
  for (const [i, b] of committed.entries()) {
    if (b.batchNum !== i + 1) throw new ExodusError('EXODUS_ROOT_MISMATCH', `L1 logs skip from batch ${i} to ${b.batchNum}`);
    const d = deriveBatch(state, b, config);
    state.apply(d.result.changes);
    if (d.result.exits.length === 0) continue;
    const tree = new SparseMerkleTree(config.exitTreeDepth);
    for (const e of d.result.exits) tree.update(e.slot, frToBytesLE(e.leaf));
    for (const e of d.result.exits) {
      const withdrawn = await read<boolean>(l1, rollup, 'isWithdrawn', [BigInt(b.batchNum), BigInt(e.slot)]);
      exits.push({ ...e, batchNum: b.batchNum, siblings: siblingsToFr(tree.siblings(e.slot)), withdrawn });
    }
  }
  if (committed.length !== finalBatch) throw new ExodusError('EXODUS_ROOT_MISMATCH', `found ${committed.length} committed batches on L1, need ${finalBatch}`);
  const tree = new SparseMerkleTree(config.treeDepth, state);
  if (tree.root() !== root) {
    throw new ExodusError('EXODUS_ROOT_MISMATCH', `state derived from L1 calldata does not give batch ${finalBatch}'s root`, {
      details: { derived: tree.root().toString(16), onChain: root.toString(16) },
    });
  }

  const queued = (await getQueuedOps(l1, rollup, deployBlock)).filter((q) => BigInt(q.index) >= l1End);
  const refundable: RefundableOp[] = [];
  for (const q of queued) {
    if ((q.op.kind !== 'createAccount' && q.op.kind !== 'deposit') || q.op.amount === 0n) continue;
    const refunded = await read<boolean>(l1, rollup, 'exodusRefunded', [BigInt(q.index)]);
    refundable.push({ ...q, refunded, opHex: bytesToHex(q.bytes) });
  }
  return { rollup, config, status, finalBatch, root, state, l1End, deployBlock, exits, refundable };
}

/** The `exodusWithdraw` arguments for account `index` of the view's final state. */
export function exodusAccountProof(view: Pick<ExodusView, 'state' | 'config' | 'root'>, index: number): ExodusAccountProof {
  if (!Number.isInteger(index) || index < 1 || index >= 2 ** view.config.treeDepth) {
    throw new ExodusError('EXODUS_BAD_INPUT', `account index must be in [1, 2^${view.config.treeDepth}), got ${index}`);
  }
  const account = view.state.getAccount(index);
  if (account === undefined) throw new ExodusError('EXODUS_NO_ACCOUNT', `account ${index} does not exist in the last final state`, { details: { index } });
  const tree = new SparseMerkleTree(view.config.treeDepth, view.state);
  const siblings = siblingsToFr(tree.siblings(index));
  // Self-check before spending gas: the proof must open the root the contract will compare with.
  if (!verifyMerkleProof(view.root, index, accountLeaf(account), siblings, view.config.treeDepth)) {
    throw new ExodusError('EXODUS_ROOT_MISMATCH', `account ${index}: proof does not open the final root`);
  }
  return {
    accountIndex: index,
    tokenId: account.tokenId,
    nonce: account.nonce,
    balance: account.balance,
    publicKey: [account.publicKey[0], account.publicKey[1]],
    l1Address: getAddress(toAddressHex(account.l1Address)),
    siblings,
  };
}

/** Indices of the final state's accounts owned by `l1Address` (optionally of one token). */
export function accountsOwnedBy(view: Pick<ExodusView, 'state'>, l1Address: Address, tokenId?: number): { index: number; account: Account }[] {
  const owner = BigInt(l1Address);
  const out: { index: number; account: Account }[] = [];
  for (const [index, account] of view.state.entries()) {
    if (account.l1Address === owner && (tokenId === undefined || account.tokenId === tokenId)) out.push({ index, account });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Whether account `index` already exited in exodus. */
export function isExodusExited(l1: L1Clients, rollup: Address, index: number): Promise<boolean> {
  return read<boolean>(l1, rollup, 'exodusExited', [BigInt(index)]);
}

export type ExodusClaim =
  | { readonly kind: 'account'; readonly accountIndex: number; readonly to: Address; readonly tokenId: number; readonly amount: bigint; readonly tx: Hex | null; readonly skipped?: 'already-exited' }
  | { readonly kind: 'exit'; readonly batchNum: number; readonly slot: number; readonly to: Address; readonly tokenId: number; readonly amount: bigint; readonly tx: Hex | null; readonly skipped?: 'already-withdrawn' }
  | { readonly kind: 'refund'; readonly queueIndex: number; readonly to: Address; readonly tokenId: number; readonly amount: bigint; readonly tx: Hex | null; readonly skipped?: 'already-refunded' };

export type ClaimExodusParameters = BuildExodusViewParameters & {
  /** Whose money: every account, unpaid final exit and unprocessed deposit of this L1 address. */
  readonly owner?: Address;
  /** Only these accounts (exits and refunds are then left alone unless `owner` is given too). */
  readonly accounts?: readonly number[];
  /** Build and check everything, send nothing (tx = null). */
  readonly dryRun?: boolean;
  /** A view built before (saves re-deriving). */
  readonly view?: ExodusView;
};

/**
 * Everything `owner` can take out in exodus, taken: `exodusWithdraw` per account, `withdraw` per unpaid
 * exit of a final batch, `exodusRefund` per unprocessed deposit. Anyone may send these (funds always go
 * to the recorded L1 address), so `l1`'s key need not be the owner's. Already-paid items are skipped.
 */
export async function claimExodus(p: ClaimExodusParameters): Promise<ExodusClaim[]> {
  const { l1 } = p;
  const view = p.view ?? (await buildExodusView(p));
  if (!view.status.exodus && p.dryRun !== true) {
    throw new ExodusError('EXODUS_BAD_INPUT', `exodus is not active on ${view.rollup} (trigger ${view.status.exodusAllowed ? 'is allowed now' : 'is not allowed yet'})`);
  }
  if (p.owner === undefined && (p.accounts === undefined || p.accounts.length === 0)) throw new ExodusError('EXODUS_BAD_INPUT', 'name an owner or at least one account');
  const owner = p.owner === undefined ? undefined : BigInt(p.owner);
  const indices = new Set<number>(p.accounts ?? []);
  if (p.owner !== undefined) for (const a of accountsOwnedBy(view, p.owner)) indices.add(a.index);
  const out: ExodusClaim[] = [];
  const send = async (f: () => Promise<{ transactionHash: Hex }>): Promise<Hex | null> => (p.dryRun === true ? null : (await f()).transactionHash);
  for (const index of [...indices].sort((a, b) => a - b)) {
    const proof = exodusAccountProof(view, index);
    const base = { kind: 'account', accountIndex: index, to: proof.l1Address, tokenId: proof.tokenId, amount: proof.balance } as const;
    if (await isExodusExited(l1, view.rollup, index)) out.push({ ...base, tx: null, skipped: 'already-exited' });
    else out.push({ ...base, tx: await send(() => exodusWithdraw(l1, view.rollup, proof)) });
  }
  if (owner !== undefined) {
    for (const e of view.exits.filter((x) => x.l1Address === owner)) {
      const to = getAddress(toAddressHex(e.l1Address));
      const base = { kind: 'exit', batchNum: e.batchNum, slot: e.slot, to, tokenId: e.tokenId, amount: e.amount } as const;
      const paid = await read<boolean>(l1, view.rollup, 'isWithdrawn', [BigInt(e.batchNum), BigInt(e.slot)]);
      if (paid) out.push({ ...base, tx: null, skipped: 'already-withdrawn' });
      else out.push({ ...base, tx: await send(() => withdraw(l1, view.rollup, BigInt(e.batchNum), BigInt(e.slot), to, e.tokenId, e.amount, e.siblings)) });
    }
    for (const q of view.refundable) {
      if ((q.op.kind !== 'createAccount' && q.op.kind !== 'deposit') || q.op.l1Address !== owner) continue;
      const base = { kind: 'refund', queueIndex: q.index, to: getAddress(toAddressHex(q.op.l1Address)), tokenId: q.op.tokenId, amount: q.op.amount } as const;
      const done = await read<boolean>(l1, view.rollup, 'exodusRefunded', [BigInt(q.index)]);
      if (done) out.push({ ...base, tx: null, skipped: 'already-refunded' });
      else out.push({ ...base, tx: await send(() => exodusRefund(l1, view.rollup, BigInt(q.index), q.opHex)) });
    }
  }
  return out;
}
