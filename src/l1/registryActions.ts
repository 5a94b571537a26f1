/**
 * Typed reads and writes of the SequencerRegistry (docs/PROTOCOL.md §11.3): membership (join, URL,
 * leave, withdraw), slashing (slasher, equivocation evidence, missed proof), and the slot schedule
 * nodes gate their commits and forwarding on. A revert surfaces as ContractRevertedError carrying the
 * contract's custom error (e.g. `NotAllowedToCommit`, `StakeTooLow`, `BadUrl`).
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import {
  type Abi,
  type Address,
  type Hex,
  encodeAbiParameters,
  hashMessage,
  hexToBigInt,
  hexToBytes,
  isHex,
  keccak256,
  slice,
  stringToHex,
  zeroAddress,
} from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { L1Clients } from './createL1Clients.ts';
import { L1Error } from './errors.ts';
import { rollupAbi } from './generated/Rollup.ts';
import { sequencerRegistryAbi } from './generated/SequencerRegistry.ts';
import type { CommitHeader } from './rollupActions.ts';
import { writeContractAndWait } from './sendAndWait.ts';

const abi = sequencerRegistryAbi as Abi;

/** The registry a rollup consults for commits, or undefined when it has none (single sequencer). */
export async function getRegistryAddress(clients: L1Clients, rollup: Address): Promise<Address | undefined> {
  const a = (await clients.public.readContract({ address: rollup, abi: rollupAbi as Abi, functionName: 'registry' })) as Address;
  return a === zeroAddress ? undefined : a;
}

export type RegistryParams = {
  readonly registry: Address;
  readonly rollup: Address;
  readonly slasher: Address;
  readonly minStake: bigint;
  readonly slotDuration: bigint;
  readonly leaderDeadline: bigint;
  readonly epochSlots: bigint;
  readonly unbondingDelay: bigint;
  readonly maxSequencers: bigint;
  readonly reporterShareBps: bigint;
  readonly missedProofPenalty: bigint;
  /** Unix seconds: slot 0 starts here. */
  readonly genesisTime: bigint;
};

/** The registry's immutable parameters (one read each, once per node start). */
export async function getRegistryParams(clients: L1Clients, registry: Address): Promise<RegistryParams> {
  const r = <T>(functionName: string): Promise<T> => clients.public.readContract({ address: registry, abi, functionName }) as Promise<T>;
  const [rollup, slasher, minStake, slotDuration, leaderDeadline, epochSlots, unbondingDelay, maxSequencers, reporterShareBps, missedProofPenalty, genesisTime] = await Promise.all([
    r<Address>('rollup'),
    r<Address>('slasher'),
    r<bigint>('minStake'),
    r<bigint>('slotDuration'),
    r<bigint>('leaderDeadline'),
    r<bigint>('epochSlots'),
    r<bigint>('unbondingDelay'),
    r<bigint>('maxSequencers'),
    r<bigint>('reporterShareBps'),
    r<bigint>('missedProofPenalty'),
    r<bigint>('genesisTime'),
  ]);
  return { registry, rollup, slasher, minStake, slotDuration, leaderDeadline, epochSlots, unbondingDelay, maxSequencers, reporterShareBps, missedProofPenalty, genesisTime };
}

/** Slot of a unix time (pure; the contract's `slotAt`). Times before genesis have no slot. */
export function slotAt(p: Pick<RegistryParams, 'genesisTime' | 'slotDuration'>, time: bigint): bigint {
  if (time < p.genesisTime) throw new L1Error('L1_RPC_FAILED', `time ${time} is before the registry's genesis ${p.genesisTime}`);
  return (time - p.genesisTime) / p.slotDuration;
}

export type MemberInfo = {
  readonly registered: boolean;
  readonly stake: bigint;
  /** First epoch in the active set, and the first epoch out of it (2^32 - 1: not leaving). */
  readonly activeFrom: number;
  readonly activeUntil: number;
  /** Unix seconds from which the stake may be withdrawn; 0 while not leaving. */
  readonly unbondEnd: bigint;
  readonly ejected: boolean;
  readonly url: string;
};

export async function getMemberInfo(clients: L1Clients, registry: Address, who: Address): Promise<MemberInfo> {
  const [m, url] = (await clients.public.readContract({ address: registry, abi, functionName: 'memberInfo', args: [who] })) as [
    { stake: bigint; activeFrom: number; activeUntil: number; unbondEnd: bigint; ejected: boolean; exists: boolean },
    string,
  ];
  return { registered: m.exists, stake: m.stake, activeFrom: m.activeFrom, activeUntil: m.activeUntil, unbondEnd: m.unbondEnd, ejected: m.ejected, url };
}

/** Every registered member (active, joining or leaving) with its URL: at most `maxSequencers`, one read each. */
export async function getMembers(clients: L1Clients, registry: Address): Promise<{ readonly address: Address; readonly info: MemberInfo; readonly url: string }[]> {
  const count = (await clients.public.readContract({ address: registry, abi, functionName: 'memberCount' })) as bigint;
  const addresses = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) => clients.public.readContract({ address: registry, abi, functionName: 'memberAt', args: [BigInt(i)] }) as Promise<Address>),
  );
  return Promise.all(addresses.map(async (address) => {
    const info = await getMemberInfo(clients, registry, address);
    return { address, info, url: info.url };
  }));
}

export type SlotInfo = {
  readonly slot: bigint;
  readonly epoch: bigint;
  /** address(0) when the epoch's active set is empty. */
  readonly leader: Address;
  readonly start: bigint;
  /** From this unix time every active member may take the slot over if nobody committed in it yet. */
  readonly openAt: bigint;
  /** Who committed first in the slot (and so owns the rest of it); address(0) if nobody yet. */
  readonly committer: Address;
};

export async function getSlotInfo(clients: L1Clients, registry: Address, slot: bigint): Promise<SlotInfo> {
  const [leader, start, openAt, committer, epoch] = (await clients.public.readContract({ address: registry, abi, functionName: 'slotInfo', args: [slot] })) as [Address, bigint, bigint, Address, bigint];
  return { slot, epoch, leader, start, openAt, committer };
}

/** Whether `who` may commit in a block with timestamp `time` (the contract's own rule). */
export async function mayCommit(clients: L1Clients, registry: Address, who: Address, time: bigint): Promise<boolean> {
  return (await clients.public.readContract({ address: registry, abi, functionName: 'mayCommit', args: [who, time] })) as boolean;
}

/** The seed of `epoch`'s leader schedule (recorded, or the fallback for an idle epoch). */
export async function getEpochSeed(clients: L1Clients, registry: Address, epoch: bigint): Promise<Hex> {
  return (await clients.public.readContract({ address: registry, abi, functionName: 'epochSeed', args: [epoch] })) as Hex;
}

export async function getActiveSet(clients: L1Clients, registry: Address, epoch: bigint): Promise<readonly Address[]> {
  return (await clients.public.readContract({ address: registry, abi, functionName: 'activeSet', args: [epoch] })) as readonly Address[];
}

function write(clients: L1Clients, registry: Address, functionName: string, args: readonly unknown[], value?: bigint) {
  return writeContractAndWait(clients, registry, abi, 'SequencerRegistry', functionName, args, value);
}

/** Join with `stakeWei` (≥ minStake) and this sequencer's public JSON-RPC URL; active two epochs later. */
export function joinRegistry(clients: L1Clients, registry: Address, url: string, stakeWei: bigint) {
  return write(clients, registry, 'join', [url], stakeWei);
}

export function updateUrl(clients: L1Clients, registry: Address, url: string) {
  return write(clients, registry, 'updateUrl', [url]);
}

/** Leaves the active set two epoch boundaries from now; the stake unbonds for `unbondingDelay` after that. */
export function requestLeave(clients: L1Clients, registry: Address) {
  return write(clients, registry, 'requestLeave', []);
}

export function withdrawStake(clients: L1Clients, registry: Address) {
  return write(clients, registry, 'withdraw', []);
}

export function pruneMember(clients: L1Clients, registry: Address, who: Address) {
  return write(clients, registry, 'prune', [who]);
}

export function pokeSeed(clients: L1Clients, registry: Address) {
  return write(clients, registry, 'pokeSeed', []);
}

/** The slasher's call (the optimistic dispute game): takes `amount` of the stake, pays `beneficiary`. */
export function slashSequencer(clients: L1Clients, registry: Address, sequencer: Address, amount: bigint, beneficiary: Address) {
  return write(clients, registry, 'slash', [sequencer, amount, beneficiary]);
}

/** Anyone, step 1: the oldest unproven batch is past its committer's priority window (starts one more window). */
export function reportMissedProof(clients: L1Clients, registry: Address, batchNum: bigint) {
  return write(clients, registry, 'reportMissedProof', [batchNum]);
}

/** Anyone, step 2: a reported batch is still unproven one window after the report; the reporter is paid. */
export function slashMissedProof(clients: L1Clients, registry: Address, batchNum: bigint) {
  return write(clients, registry, 'slashMissedProof', [batchNum]);
}

/**
 * A sequencer's signed batch header (pre-confirmation), docs/PROTOCOL.md §11.3, §12: what the node's
 * header book keeps and serves and what the SDK's `getBatchHeaders` returns.
 */
export type SignedBatchHeader = {
  readonly sequencer: Address;
  readonly batchNum: number;
  /** The registry slot the sequencer promised to land the batch in. */
  readonly slot: bigint;
  readonly header: CommitHeader;
  readonly signature: Hex;
};

/** The hash a sequencer signs for a batch header: keccak256(abi.encode(CommitHeader)). */
export function batchHeaderHash(h: CommitHeader): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint32' }, { type: 'uint16' }],
      [h.newRoot, h.exitRoot, h.dataCommitment, h.newNextIndex, h.l1Count],
    ),
  );
}

const BATCH_HEADER_TYPEHASH = keccak256(stringToHex('rampart.batch-header.v2'));

/**
 * keccak256(abi.encode(keccak256("rampart.batch-header.v2"), chainId, rollup, batchNum, slot, headerHash)):
 * signed with EIP-191. `slot` is the slot the sequencer promises to land the batch in (§11.3).
 */
export function batchHeaderMessage(chainId: bigint, rollup: Address, batchNum: bigint, slot: bigint, headerHash: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes32' }],
      [BATCH_HEADER_TYPEHASH, chainId, rollup, batchNum, slot, headerHash],
    ),
  );
}

/** The EIP-191 digest the contract recovers from (`batchHeaderDigest`). */
export function batchHeaderDigest(chainId: bigint, rollup: Address, batchNum: bigint, slot: bigint, headerHash: Hex): Hex {
  return hashMessage({ raw: batchHeaderMessage(chainId, rollup, batchNum, slot, headerHash) });
}

/**
 * Signs batch `batchNum`'s header hash for `slot` with the sequencer's L1 key (personal_sign over the
 * 32-byte message). Never sign two different headers for one (batchNum, slot): that is slashable.
 */
export async function signBatchHeader(clients: L1Clients, rollup: Address, batchNum: bigint, slot: bigint, headerHash: Hex): Promise<Hex> {
  const wallet = clients.wallet;
  if (wallet === undefined) throw new L1Error('L1_TX_FAILED', 'signBatchHeader: no signing key');
  return wallet.signMessage({ account: wallet.account, message: { raw: batchHeaderMessage(BigInt(clients.chain.id), rollup, batchNum, slot, headerHash) } });
}

const SECP256K1_N = secp256k1.CURVE.n;

/**
 * The address the registry would recover from a signed batch header, or undefined for every
 * signature OpenZeppelin's `ECDSA.tryRecover` refuses (not 65 bytes, v not 27/28, r or s zero or
 * ≥ n, s > n/2, no curve point for r): a node checks gossiped evidence before paying gas for it.
 * Pure; ~1.5 ms (one public-key recovery).
 */
export async function recoverBatchHeaderSigner(chainId: bigint, rollup: Address, batchNum: bigint, slot: bigint, headerHash: Hex, signature: Hex): Promise<Address | undefined> {
  if (signature.length !== 132 || !isHex(signature, { strict: true })) return undefined;
  const r = hexToBigInt(slice(signature, 0, 32));
  const s = hexToBigInt(slice(signature, 32, 64));
  const v = Number(hexToBigInt(slice(signature, 64, 65)));
  if (v !== 27 && v !== 28) return undefined;
  if (r === 0n || r >= SECP256K1_N || s === 0n || s > SECP256K1_N >> 1n) return undefined;
  const digest = hexToBytes(batchHeaderDigest(chainId, rollup, batchNum, slot, headerHash));
  try {
    const key = new secp256k1.Signature(r, s).addRecoveryBit(v - 27).recoverPublicKey(digest);
    return publicKeyToAddress(`0x${key.toHex(false)}`);
  } catch {
    // r is not the x of a curve point (ecrecover returns 0, tryRecover InvalidSignature).
    return undefined;
  }
}

export type EquivocationEvidence = {
  readonly sequencer: Address;
  readonly batchNum: bigint;
  /** The slot both headers were signed for. */
  readonly slot: bigint;
  readonly headerA: Hex;
  readonly signatureA: Hex;
  readonly headerB: Hex;
  readonly signatureB: Hex;
};

/** Anyone: two different headers signed by one sequencer for one (batch number, slot) slash its whole stake. */
export function proveEquivocation(clients: L1Clients, registry: Address, e: EquivocationEvidence) {
  return write(clients, registry, 'proveEquivocation', [e.sequencer, e.batchNum, e.slot, e.headerA, e.signatureA, e.headerB, e.signatureB]);
}

export type CommitEquivocationEvidence = {
  readonly batchNum: bigint;
  /** The header the batch's committer signed for the slot its commit landed in. */
  readonly header: CommitHeader;
  readonly signature: Hex;
};

/**
 * Anyone: the committer of `batchNum` signed, for the slot its commit landed in, a header the commit
 * does not match (compared on newRoot, exitRoot and newNextIndex): its whole stake is slashed.
 */
export function proveCommitEquivocation(clients: L1Clients, registry: Address, e: CommitEquivocationEvidence) {
  return write(clients, registry, 'proveCommitEquivocation', [e.batchNum, e.header, e.signature]);
}
