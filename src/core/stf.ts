/**
 * The state-transition function: one batch = L1 operations (in queue order) then L2 transactions,
 * then fee settlement. Pure: reads a StateReader, returns the new roots, receipts, the witness and the
 * state changes; it never writes storage.
 *
 * Rules (docs/PROTOCOL.md "State transition" is the normative text; the circuit and the one-step
 * proof implement exactly this):
 * - L1 operations are always processed. An invalid one is a no-op; if it carried a deposit, the
 *   deposit is refunded through the batch's exit tree to the depositor's L1 address.
 * - L2 transactions are checked in order against the state left by the previous one; an invalid one
 *   is rejected (not included) with a typed reason and changes nothing.
 * - Fees: the batch's fee table fixes one fee per token (and the account it goes to). A transaction
 *   pays its token's fee (0 for tokens not in the table) if that is <= the fee cap it signed. Fees
 *   accumulate during the batch and are credited to the fee accounts at the end.
 * - Self-transfers (from == to) are rejected: they would only burn a fee and bump a nonce, and
 *   rejecting them keeps the circuit's two leaf updates distinct.
 * - Every batch position has a slot in the exit tree: L1 op i is slot i (i < maxL1Ops), the j-th
 *   included L2 transaction is slot maxL1Ops + j. Fixed positions let the circuit place exits without
 *   data-dependent offsets. Withdrawals, force-exits and refunds write
 *   Poseidon([l1Address, tokenId, amount]) there; other slots stay 0.
 */
import { type Account, accountLeaf, exitLeaf } from './account.ts';
import { RampartError, InvalidInputError } from './errors.ts';
import { frToBytesLE, frFromBytesLE, type Fr } from './field.ts';
import { FLOAT16, FLOAT32, floatDecode } from './float.ts';
import {
  DEFAULT_EXIT_TREE_DEPTH,
  DEFAULT_MAX_L1_OPS,
  DEFAULT_TREE_DEPTH,
  MAX_BALANCE,
  MAX_FEE_TOKENS,
  MAX_NONCE,
  MAX_TOKEN_ID,
} from './params.ts';
import { SparseMerkleTree, assertTreeDepth, MemoryNodeStore } from './smt.ts';
import type { StateChanges, StateReader } from './state.ts';
import {
  type Domain,
  type EddsaSignature,
  type L1Op,
  type L2Tx,
  type L2TxKind,
  assertL1Op,
  assertL2TxBody,
  domainHash,
  l2TxMessage,
} from './tx.ts';
import type { PublicKeyPoint } from './account.ts';
import { verify as eddsaVerify } from './eddsa.ts';

export type StfConfig = {
  readonly domain: Domain;
  /** State tree index bits (even, 2..32; production 32). */
  readonly treeDepth: number;
  /** Exit tree index bits (even); a batch has 2^exitTreeDepth slots. */
  readonly exitTreeDepth: number;
  /** L1 operations a batch may consume; they take exit slots 0..maxL1Ops-1. */
  readonly maxL1Ops: number;
  /** L2 transactions a batch may include (the circuit's L2 slots); maxL1Ops + maxL2Txs <= 2^exitTreeDepth. */
  readonly maxL2Txs: number;
  /** Fee-table entries a batch may carry (<= MAX_FEE_TOKENS; a circuit parameter). */
  readonly maxFeeTokens: number;
};

/** A validated config with the production defaults for everything not given. */
export function createStfConfig(options: Pick<StfConfig, 'domain'> & Partial<StfConfig>): StfConfig {
  const exitTreeDepth = options.exitTreeDepth ?? DEFAULT_EXIT_TREE_DEPTH;
  const maxL1Ops = options.maxL1Ops ?? DEFAULT_MAX_L1_OPS;
  const config: StfConfig = {
    treeDepth: DEFAULT_TREE_DEPTH,
    maxFeeTokens: MAX_FEE_TOKENS,
    ...options,
    exitTreeDepth,
    maxL1Ops,
    // Default: every exit slot the L1 region leaves.
    maxL2Txs: options.maxL2Txs ?? 2 ** exitTreeDepth - maxL1Ops,
  };
  assertStfConfig(config);
  return config;
}

export type FeeEntry = { readonly tokenId: number; readonly accountIdx: number; readonly fee: bigint };

/** Verifies an EdDSA-Poseidon signature over `msg`; replaceable (e.g. by a cache of verdicts). */
export type SignatureVerifier = (msg: Fr, signature: EddsaSignature, publicKey: PublicKeyPoint) => boolean;

/** EdDSA-Poseidon verification where a malformed signature value is simply an invalid signature. */
export const eddsaVerifier: SignatureVerifier = (msg, signature, publicKey) => {
  try {
    return eddsaVerify(msg, signature, publicKey);
  } catch (cause) {
    if (cause instanceof InvalidInputError) return false;
    throw cause;
  }
};

export const L2_REJECT_REASONS = [
  'malformed',
  'unknown-sender',
  'unknown-recipient',
  'self-transfer',
  'token-mismatch',
  'bad-nonce',
  'nonce-overflow',
  'zero-amount',
  'amount-too-large',
  'fee-above-max',
  'insufficient-balance',
  'balance-overflow',
  'fee-overflow',
  'bad-signature',
  'batch-full',
] as const;
export type L2RejectReason = (typeof L2_REJECT_REASONS)[number];

export const L1_NOOP_REASONS = [
  'tree-full',
  'unknown-account',
  'unknown-recipient',
  'token-mismatch',
  'balance-overflow',
  'not-owner',
  'zero-balance',
  'zero-amount',
  'insufficient-balance',
  'self-transfer',
] as const;
export type L1NoopReason = (typeof L1_NOOP_REASONS)[number];

export type L1Receipt =
  | { readonly status: 'applied'; readonly slot: number; readonly accountIdx?: number }
  | { readonly status: 'noop'; readonly slot: number; readonly reason: L1NoopReason; readonly refunded: boolean };
export type L2Receipt =
  | { readonly status: 'included'; readonly slot: number; readonly fee: bigint }
  | { readonly status: 'rejected'; readonly reason: L2RejectReason };

export type Exit = {
  readonly slot: number;
  readonly l1Address: bigint;
  readonly tokenId: number;
  readonly amount: bigint;
  readonly leaf: Fr;
};

export type LeafUpdateWitness = {
  readonly index: number;
  /** undefined = the slot was empty (account creation). */
  readonly before: Account | undefined;
  readonly after: Account;
  readonly oldLeaf: Fr;
  readonly newLeaf: Fr;
  /** (depth/2) levels × 3 × 32 bytes (little-endian elements): the path siblings when this update happened. */
  readonly siblings: Uint8Array;
};

export type StepWitness = {
  readonly kind: 'l1' | 'l2' | 'fee';
  /** Exit-tree slot (L1 and L2 steps); fee steps have none. */
  readonly slot: number | undefined;
  readonly preRoot: Fr;
  readonly postRoot: Fr;
  readonly preNextIndex: number;
  readonly postNextIndex: number;
  readonly updates: readonly LeafUpdateWitness[];
  readonly exit: { readonly leaf: Fr; readonly siblings: Uint8Array; readonly preRoot: Fr; readonly postRoot: Fr } | undefined;
  /** Fee accumulators (one per fee-table entry) before and after the step. */
  readonly feesBefore: readonly bigint[];
  readonly feesAfter: readonly bigint[];
};

export type BatchResult = {
  readonly oldRoot: Fr;
  readonly newRoot: Fr;
  readonly oldNextIndex: number;
  readonly newNextIndex: number;
  readonly exitRoot: Fr;
  readonly l1Receipts: readonly L1Receipt[];
  /** One receipt per input L2 transaction, in input order. */
  readonly l2Receipts: readonly L2Receipt[];
  /** The included L2 transactions, in batch order (what the batch data carries). */
  readonly included: readonly L2Tx[];
  readonly exits: readonly Exit[];
  /** Fees collected per fee-table entry. */
  readonly feeTotals: readonly bigint[];
  readonly witness: readonly StepWitness[];
  readonly changes: StateChanges;
};

/** One leaf update a batch makes, before any hashing (see `planBatch`). */
export type PlannedUpdate = {
  readonly index: number;
  /** undefined = the slot was empty (account creation). */
  readonly before: Account | undefined;
  readonly after: Account;
};

/** A step of the batch as `applyBatch` will witness it, minus every hash (roots, leaves, siblings). */
export type PlannedStep = {
  readonly kind: StepWitness['kind'];
  readonly slot: number | undefined;
  readonly preNextIndex: number;
  readonly postNextIndex: number;
  readonly updates: readonly PlannedUpdate[];
  /** The exit this step writes; its `leaf` is left 0 (not hashed). */
  readonly exit: Exit | undefined;
  readonly feesBefore: readonly bigint[];
  readonly feesAfter: readonly bigint[];
};

/**
 * Everything `applyBatch` decides, without hashing: receipts, inclusion, exits (leaves 0), fee totals,
 * the final accounts and, per witness step, its ordered leaf updates. Sealing then only has to hash.
 */
export type BatchPlan = {
  readonly oldNextIndex: number;
  readonly newNextIndex: number;
  readonly l1Receipts: readonly L1Receipt[];
  readonly l2Receipts: readonly L2Receipt[];
  readonly included: readonly L2Tx[];
  readonly exits: readonly Exit[];
  readonly feeTotals: readonly bigint[];
  readonly steps: readonly PlannedStep[];
  /** Every account the batch writes, in first-write order (`BatchResult.changes.accounts`). */
  readonly accounts: ReadonlyMap<number, Account>;
};

export type ApplyBatchParameters = {
  readonly l1Ops: readonly L1Op[];
  readonly l2Txs: readonly L2Tx[];
  readonly feeTable: readonly FeeEntry[];
};

export type ApplyBatchOptions = {
  /** Per input tx: signature already verified (e.g. by a worker pool). Skips re-verification. */
  readonly verified?: readonly boolean[];
  /** Skip building witnesses (derivation only needs roots). */
  readonly witness?: boolean;
};

export type PlanBatchOptions = Pick<ApplyBatchOptions, 'verified'> & {
  /**
   * Called with each step as soon as it is planned, in order (the same objects as the plan's
   * `steps`), so a sealer can start hashing while the rest is planned. The plan is only valid if
   * `planBatch` returns: it may still throw after some steps were reported.
   */
  readonly onStep?: (step: PlannedStep) => void;
};

/** The batch as a whole cannot be applied (bad fee table, too many L1 ops, unsettleable fees). */
export class BatchError extends RampartError {
  override readonly name = 'BatchError';
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
  }
}

export function assertStfConfig(config: StfConfig): void {
  assertTreeDepth(config.treeDepth);
  assertTreeDepth(config.exitTreeDepth);
  if (!Number.isInteger(config.maxL1Ops) || config.maxL1Ops < 0 || config.maxL1Ops >= 2 ** config.exitTreeDepth) {
    throw new InvalidInputError(`maxL1Ops must be 0..2^exitTreeDepth-1, got ${config.maxL1Ops}`);
  }
  if (!Number.isInteger(config.maxL2Txs) || config.maxL2Txs < 0 || config.maxL1Ops + config.maxL2Txs > 2 ** config.exitTreeDepth) {
    throw new InvalidInputError(`maxL2Txs must be 0..2^exitTreeDepth-maxL1Ops, got ${config.maxL2Txs}`);
  }
  if (!Number.isInteger(config.maxFeeTokens) || config.maxFeeTokens < 0 || config.maxFeeTokens > MAX_FEE_TOKENS) {
    throw new InvalidInputError(`maxFeeTokens must be 0..${MAX_FEE_TOKENS}, got ${config.maxFeeTokens}`);
  }
  domainHash(config.domain);
}

function assertFeeTable(state: StateReader, feeTable: readonly FeeEntry[], maxFeeTokens: number, checkAccounts = true): void {
  if (feeTable.length > maxFeeTokens) {
    throw new BatchError('BAD_FEE_TABLE', `fee table has ${feeTable.length} entries, max ${maxFeeTokens}`);
  }
  const seen = new Set<number>();
  for (const [i, e] of feeTable.entries()) {
    if (!Number.isInteger(e.tokenId) || e.tokenId < 0 || e.tokenId > MAX_TOKEN_ID) {
      throw new BatchError('BAD_FEE_TABLE', `fee entry ${i}: bad tokenId`);
    }
    if (seen.has(e.tokenId)) throw new BatchError('BAD_FEE_TABLE', `fee entry ${i}: duplicate token ${e.tokenId}`);
    seen.add(e.tokenId);
    if (typeof e.fee !== 'bigint' || e.fee < 0n || e.fee > MAX_BALANCE) {
      throw new BatchError('BAD_FEE_TABLE', `fee entry ${i}: fee out of range`);
    }
    const acc = Number.isInteger(e.accountIdx) ? state.getAccount(e.accountIdx) : undefined;
    if (checkAccounts && (acc === undefined || acc.tokenId !== e.tokenId)) {
      throw new BatchError('BAD_FEE_TABLE', `fee entry ${i}: account ${e.accountIdx} does not exist or holds another token`);
    }
  }
}

/**
 * A mutable working copy of the state for one batch. Cost: one engine call (depth hashes) per leaf
 * update plus one 4-input Poseidon per new leaf.
 */
class WorkingState {
  readonly tree: SparseMerkleTree;
  readonly accounts = new Map<number, Account>();
  nextIndex: number;
  /** Planning only (`seal = false`): every leaf update, drained at each step end. */
  log: PlannedUpdate[] | undefined;

  /** `seal = false` tracks accounts only (mempool ingest): no leaf hashing, no tree updates. */
  constructor(private readonly base: StateReader, depth: number, private readonly seal = true) {
    this.tree = new SparseMerkleTree(depth, base);
    this.nextIndex = base.nextIndex;
  }
  get(index: number): Account | undefined {
    if (!Number.isInteger(index) || index < 1 || index >= this.nextIndex) return undefined;
    return this.accounts.get(index) ?? this.base.getAccount(index);
  }
  set(index: number, after: Account, witness: LeafUpdateWitness[] | undefined): void {
    if (!this.seal) {
      this.log?.push({ index, before: this.get(index), after });
      this.accounts.set(index, after);
      return;
    }
    const before = this.get(index);
    const oldLeafLE = this.tree.leafLE(index);
    const newLeaf = accountLeaf(after);
    // Deferred: a step's updates share their common ancestors; roots are read at step ends.
    const siblings = this.tree.setLeafDeferred(index, frToBytesLE(newLeaf));
    this.accounts.set(index, after);
    witness?.push({ index, before, after, oldLeaf: frFromBytesLE(oldLeafLE), newLeaf, siblings });
  }
}

class ExitTree {
  readonly tree: SparseMerkleTree;
  readonly exits: Exit[] = [];
  constructor(depth: number, private readonly seal = true) {
    this.tree = new SparseMerkleTree(depth, new MemoryNodeStore());
  }
  add(slot: number, l1Address: bigint, tokenId: number, amount: bigint): StepWitness['exit'] {
    if (!this.seal) {
      this.exits.push({ slot, l1Address, tokenId, amount, leaf: 0n });
      return undefined;
    }
    const leaf = exitLeaf(l1Address, tokenId, amount);
    const preRoot = this.tree.root();
    const siblings = this.tree.update(slot, frToBytesLE(leaf));
    this.exits.push({ slot, l1Address, tokenId, amount, leaf });
    return { leaf, siblings, preRoot, postRoot: this.tree.root() };
  }
}

type L1Outcome = { receipt: L1Receipt; exit: StepWitness['exit'] };

function applyL1Op(
  op: L1Op,
  slot: number,
  st: WorkingState,
  exits: ExitTree,
  updates: LeafUpdateWitness[] | undefined,
): L1Outcome {
  const noop = (reason: L1NoopReason, refund?: { tokenId: number; amount: bigint }): L1Outcome => {
    const refunded = refund !== undefined && refund.amount > 0n;
    const exit = refunded ? exits.add(slot, op.l1Address, refund.tokenId, refund.amount) : undefined;
    return { receipt: { status: 'noop', slot, reason, refunded }, exit };
  };
  switch (op.kind) {
    case 'createAccount': {
      if (st.nextIndex >= 2 ** st.tree.depth) return noop('tree-full', op);
      const index = st.nextIndex;
      st.set(index, { tokenId: op.tokenId, balance: op.amount, nonce: 0, publicKey: op.publicKey, l1Address: op.l1Address }, updates);
      st.nextIndex = index + 1;
      return { receipt: { status: 'applied', slot, accountIdx: index }, exit: undefined };
    }
    case 'deposit': {
      const to = st.get(op.toIdx);
      if (to === undefined) return noop('unknown-account', op);
      if (to.tokenId !== op.tokenId) return noop('token-mismatch', op);
      if (to.balance + op.amount > MAX_BALANCE) return noop('balance-overflow', op);
      st.set(op.toIdx, { ...to, balance: to.balance + op.amount }, updates);
      return { receipt: { status: 'applied', slot, accountIdx: op.toIdx }, exit: undefined };
    }
    case 'forceExit': {
      const from = st.get(op.fromIdx);
      if (from === undefined) return noop('unknown-account');
      if (from.l1Address !== op.l1Address) return noop('not-owner');
      if (from.balance === 0n) return noop('zero-balance');
      st.set(op.fromIdx, { ...from, balance: 0n }, updates);
      const exit = exits.add(slot, from.l1Address, from.tokenId, from.balance);
      return { receipt: { status: 'applied', slot, accountIdx: op.fromIdx }, exit };
    }
    case 'forceTransfer': {
      const from = st.get(op.fromIdx);
      if (from === undefined) return noop('unknown-account');
      if (from.l1Address !== op.l1Address) return noop('not-owner');
      if (op.fromIdx === op.toIdx) return noop('self-transfer');
      const to = st.get(op.toIdx);
      if (to === undefined) return noop('unknown-recipient');
      if (to.tokenId !== from.tokenId) return noop('token-mismatch');
      if (op.amount === 0n) return noop('zero-amount');
      if (op.amount > from.balance) return noop('insufficient-balance');
      if (to.balance + op.amount > MAX_BALANCE) return noop('balance-overflow');
      st.set(op.fromIdx, { ...from, balance: from.balance - op.amount }, updates);
      st.set(op.toIdx, { ...to, balance: to.balance + op.amount }, updates);
      return { receipt: { status: 'applied', slot, accountIdx: op.fromIdx }, exit: undefined };
    }
  }
}

/** Fields of an L2 transaction as the STF needs them; ZK-mode data lacks nonce/maxFee/signature. */
export type L2TxFields = {
  readonly kind: L2TxKind;
  readonly from: number;
  readonly to: number;
  readonly amountF: number;
};

export type L2Check = {
  /** Check the signed nonce/fee cap/signature (false: the data was proven valid, fields are absent). */
  readonly signed: boolean;
};

/**
 * Checks one L2 transaction against the working state; returns the reason it is invalid, or the
 * fee it pays. Cost when `verify` runs: one EdDSA verification plus two Poseidon hashes.
 */
function checkL2(
  tx: L2TxFields & Partial<Pick<L2Tx, 'nonce' | 'maxFeeF' | 'signature'>>,
  st: WorkingState,
  fees: FeeState,
  verify: (() => boolean) | undefined,
): { reason: L2RejectReason } | { fee: bigint; feeSlot: number; from: Account; to: Account | undefined } {
  // A body whose fields disagree (a withdraw with to != 0, a transfer to 0, out-of-range values)
  // has no valid encoding in the batch data; it could never be replayed or proven.
  if (!wellFormed(tx)) return { reason: 'malformed' };
  const from = st.get(tx.from);
  if (from === undefined) return { reason: 'unknown-sender' };
  let to: Account | undefined;
  if (tx.kind === 'transfer') {
    if (tx.from === tx.to) return { reason: 'self-transfer' };
    to = st.get(tx.to);
    if (to === undefined) return { reason: 'unknown-recipient' };
    if (to.tokenId !== from.tokenId) return { reason: 'token-mismatch' };
  }
  if (tx.nonce !== undefined && tx.nonce !== from.nonce) return { reason: 'bad-nonce' };
  if (from.nonce >= MAX_NONCE) return { reason: 'nonce-overflow' };
  const amount = floatDecode(FLOAT32, tx.amountF);
  if (amount === 0n) return { reason: 'zero-amount' };
  if (amount > MAX_BALANCE) return { reason: 'amount-too-large' };
  const feeSlot = fees.slotOf(from.tokenId);
  const fee = feeSlot < 0 ? 0n : fees.fee(feeSlot);
  if (tx.maxFeeF !== undefined && fee > floatDecode(FLOAT16, tx.maxFeeF)) return { reason: 'fee-above-max' };
  if (amount + fee > from.balance) return { reason: 'insufficient-balance' };
  if (to !== undefined && to.balance + amount > MAX_BALANCE) return { reason: 'balance-overflow' };
  if (feeSlot >= 0 && fees.acc(feeSlot) + fee > MAX_BALANCE) return { reason: 'fee-overflow' };
  // Signature last: it is the expensive check, and every cheaper rejection is final anyway.
  if (verify !== undefined && !verify()) return { reason: 'bad-signature' };
  return { fee, feeSlot, from, to };
}

function wellFormed(tx: L2TxFields & Partial<Pick<L2Tx, 'nonce' | 'maxFeeF'>>): boolean {
  try {
    assertL2TxBody({ kind: tx.kind, from: tx.from, to: tx.to, amountF: tx.amountF, maxFeeF: tx.maxFeeF ?? 0, nonce: tx.nonce ?? 0 });
    return true;
  } catch (cause) {
    if (cause instanceof InvalidInputError) return false;
    throw cause;
  }
}

class FeeState {
  readonly totals: bigint[];
  private readonly byToken = new Map<number, number>();
  constructor(private readonly table: readonly FeeEntry[]) {
    this.totals = table.map(() => 0n);
    table.forEach((e, i) => this.byToken.set(e.tokenId, i));
  }
  slotOf(tokenId: number): number {
    return this.byToken.get(tokenId) ?? -1;
  }
  fee(slot: number): bigint {
    return this.table[slot]?.fee ?? 0n;
  }
  acc(slot: number): bigint {
    return this.totals[slot] ?? 0n;
  }
  snapshot(): readonly bigint[] {
    return [...this.totals];
  }
}

type Engine = {
  readonly config: StfConfig;
  readonly st: WorkingState;
  readonly exits: ExitTree;
  readonly fees: FeeState;
  readonly witness: StepWitness[] | undefined;
  /** Planning mode: steps without hashes (the working state then runs with `seal = false`). */
  readonly plan: PlannedStep[] | undefined;
  /** Planning mode: called with each step as it is planned (see `PlanBatchOptions.onStep`). */
  readonly onStep: ((step: PlannedStep) => void) | undefined;
  /** See ApplyPostedOptions.allowUnusableFeeAccounts. */
  readonly skipUnusableFeeAccounts: boolean;
};

type StepStart = { preRoot: Fr; preNextIndex: number; feesBefore: readonly bigint[]; exitCount: number };

function stepStart(e: Engine): StepStart | undefined {
  if (e.witness === undefined && e.plan === undefined) return undefined;
  // Planning keeps no tree: its steps carry no roots.
  const preRoot = e.witness === undefined ? 0n : e.st.tree.root();
  return { preRoot, preNextIndex: e.st.nextIndex, feesBefore: e.fees.snapshot(), exitCount: e.exits.exits.length };
}

function stepEnd(
  e: Engine,
  start: ReturnType<typeof stepStart>,
  kind: StepWitness['kind'],
  slot: number | undefined,
  updates: LeafUpdateWitness[] | undefined,
  exit: StepWitness['exit'],
): void {
  if (e.plan !== undefined && start !== undefined) {
    const step: PlannedStep = {
      kind,
      slot,
      preNextIndex: start.preNextIndex,
      postNextIndex: e.st.nextIndex,
      updates: e.st.log?.splice(0) ?? [],
      exit: e.exits.exits[start.exitCount],
      feesBefore: start.feesBefore,
      feesAfter: e.fees.snapshot(),
    };
    e.plan.push(step);
    e.onStep?.(step);
  }
  if (e.witness === undefined || start === undefined || updates === undefined) return;
  e.witness.push({
    kind,
    slot,
    preRoot: start.preRoot,
    postRoot: e.st.tree.root(),
    preNextIndex: start.preNextIndex,
    postNextIndex: e.st.nextIndex,
    updates,
    exit,
    feesBefore: start.feesBefore,
    feesAfter: e.fees.snapshot(),
  });
}

function applyL2(e: Engine, tx: L2TxFields, ok: { fee: bigint; feeSlot: number; from: Account; to: Account | undefined }, slot: number): void {
  const start = stepStart(e);
  const updates = e.witness === undefined ? undefined : ([] as LeafUpdateWitness[]);
  const amount = floatDecode(FLOAT32, tx.amountF);
  const { from, to, fee, feeSlot } = ok;
  e.st.set(tx.from, { ...from, balance: from.balance - amount - fee, nonce: from.nonce + 1 }, updates);
  let exit: StepWitness['exit'];
  if (to !== undefined) e.st.set(tx.to, { ...to, balance: to.balance + amount }, updates);
  else exit = e.exits.add(slot, from.l1Address, from.tokenId, amount);
  if (feeSlot >= 0) e.fees.totals[feeSlot] = e.fees.acc(feeSlot) + fee;
  stepEnd(e, start, 'l2', slot, updates, exit);
}

function runL1(e: Engine, l1Ops: readonly L1Op[]): L1Receipt[] {
  return l1Ops.map((op, slot) => {
    assertL1Op(op);
    const start = stepStart(e);
    const updates = e.witness === undefined ? undefined : ([] as LeafUpdateWitness[]);
    const { receipt, exit } = applyL1Op(op, slot, e.st, e.exits, updates);
    stepEnd(e, start, 'l1', slot, updates, exit);
    return receipt;
  });
}

function settleFees(e: Engine, feeTable: readonly FeeEntry[]): void {
  feeTable.forEach((entry, i) => {
    const total = e.fees.acc(i);
    if (total === 0n) return;
    const acc = e.st.get(entry.accountIdx);
    if (e.skipUnusableFeeAccounts && (acc === undefined || acc.tokenId !== entry.tokenId)) return;
    if (acc === undefined || acc.balance + total > MAX_BALANCE) {
      // Unreachable while the L1 contract caps each token's total at MAX_BALANCE.
      throw new BatchError('FEE_SETTLEMENT_OVERFLOW', `fee account ${entry.accountIdx} cannot receive ${total}`);
    }
    const start = stepStart(e);
    const updates = e.witness === undefined ? undefined : ([] as LeafUpdateWitness[]);
    e.st.set(entry.accountIdx, { ...acc, balance: acc.balance + total }, updates);
    stepEnd(e, start, 'fee', undefined, updates, undefined);
  });
}

function createEngine(
  state: StateReader,
  feeTable: readonly FeeEntry[],
  config: StfConfig,
  witness: boolean,
  seal = true,
  plan = false,
  skipUnusableFeeAccounts = false,
  onStep?: (step: PlannedStep) => void,
): Engine {
  assertStfConfig(config);
  assertFeeTable(state, feeTable, config.maxFeeTokens, !skipUnusableFeeAccounts);
  const st = new WorkingState(state, config.treeDepth, seal);
  if (plan) st.log = [];
  return {
    config,
    st,
    exits: new ExitTree(config.exitTreeDepth, seal),
    fees: new FeeState(feeTable),
    witness: witness ? [] : undefined,
    plan: plan ? [] : undefined,
    onStep: plan ? onStep : undefined,
    skipUnusableFeeAccounts,
  };
}

function finish(
  e: Engine,
  state: StateReader,
  oldRoot: Fr,
  l1Receipts: L1Receipt[],
  l2Receipts: L2Receipt[],
  included: L2Tx[],
  feeTable: readonly FeeEntry[],
): BatchResult {
  settleFees(e, feeTable);
  return {
    oldRoot,
    newRoot: e.st.tree.root(),
    oldNextIndex: state.nextIndex,
    newNextIndex: e.st.nextIndex,
    exitRoot: e.exits.tree.root(),
    l1Receipts,
    l2Receipts,
    included,
    exits: e.exits.exits,
    feeTotals: e.fees.snapshot(),
    witness: e.witness ?? [],
    changes: { nodes: e.st.tree.changes, accounts: e.st.accounts, nextIndex: e.st.nextIndex },
  };
}

/**
 * The sequencer's STF: applies L1 ops, then includes every valid L2 transaction in order and rejects
 * the rest with a reason. Throws BatchError only for a malformed batch (fee table, too many L1 ops).
 */
export function applyBatch(
  state: StateReader,
  params: ApplyBatchParameters,
  config: StfConfig,
  options: ApplyBatchOptions = {},
  verifySignature: SignatureVerifier = eddsaVerifier,
): BatchResult {
  return runBatch(state, params, config, options, verifySignature, true).result;
}

/**
 * `applyBatch` without hashing: the same checks, receipts, exits and fee settlement, plus each witness
 * step's ordered leaf updates, so a sealer can hash the batch elsewhere (e.g. on worker threads) and
 * reproduce `applyBatch`'s result exactly. Throws what `applyBatch` throws. Cost: no Poseidon at all
 * (signatures aside, when not pre-verified).
 */
export function planBatch(
  state: StateReader,
  params: ApplyBatchParameters,
  config: StfConfig,
  options: PlanBatchOptions = {},
  verifySignature: SignatureVerifier = eddsaVerifier,
): BatchPlan {
  const { onStep, ...rest } = options;
  const { result, steps, accounts } = runBatch(state, params, config, { ...rest, witness: false }, verifySignature, false, true, onStep);
  return {
    oldNextIndex: result.oldNextIndex,
    newNextIndex: result.newNextIndex,
    l1Receipts: result.l1Receipts,
    l2Receipts: result.l2Receipts,
    included: result.included,
    exits: result.exits,
    feeTotals: result.feeTotals,
    steps,
    accounts,
  };
}

/**
 * Mempool admission: the same checks, in the same order, as `applyBatch`, on accounts only — no leaf
 * or tree hashing — so a sequencer can accept or refuse transactions at signature-verification speed.
 * The receipts equal those `applyBatch` gives for the same input.
 */
export function ingestTransactions(
  state: StateReader,
  params: ApplyBatchParameters,
  config: StfConfig,
  options: Pick<ApplyBatchOptions, 'verified'> = {},
  verifySignature: SignatureVerifier = eddsaVerifier,
): { readonly l1Receipts: readonly L1Receipt[]; readonly l2Receipts: readonly L2Receipt[]; readonly included: readonly L2Tx[] } {
  const r = runBatch(state, params, config, { ...options, witness: false }, verifySignature, false).result;
  return { l1Receipts: r.l1Receipts, l2Receipts: r.l2Receipts, included: r.included };
}

function runBatch(
  state: StateReader,
  params: ApplyBatchParameters,
  config: StfConfig,
  options: ApplyBatchOptions,
  verifySignature: SignatureVerifier,
  seal: boolean,
  plan = false,
  onStep?: (step: PlannedStep) => void,
): { result: BatchResult; steps: readonly PlannedStep[]; accounts: ReadonlyMap<number, Account> } {
  const e = createEngine(state, params.feeTable, config, options.witness ?? true, seal, plan, false, onStep);
  const capacity = config.maxL1Ops + config.maxL2Txs;
  if (params.l1Ops.length > config.maxL1Ops) {
    throw new BatchError('BATCH_TOO_LARGE', `${params.l1Ops.length} L1 ops exceed maxL1Ops ${config.maxL1Ops}`);
  }
  const oldRoot = e.st.tree.root();
  const domain = domainHash(config.domain);
  const l1Receipts = runL1(e, params.l1Ops);
  const included: L2Tx[] = [];
  const l2Receipts: L2Receipt[] = params.l2Txs.map((tx, i) => {
    const slot = config.maxL1Ops + included.length;
    if (slot >= capacity) return { status: 'rejected', reason: 'batch-full' };
    const preverified = options.verified?.[i];
    const verify = (): boolean => {
      if (preverified !== undefined) return preverified;
      const from = e.st.get(tx.from);
      return from !== undefined && verifySignature(l2TxMessage(tx, domain), tx.signature, from.publicKey);
    };
    const check = checkL2(tx, e.st, e.fees, verify);
    if ('reason' in check) return { status: 'rejected', reason: check.reason };
    applyL2(e, tx, check, slot);
    included.push(tx);
    return { status: 'included', slot, fee: check.fee };
  });
  const result = finish(e, state, oldRoot, l1Receipts, l2Receipts, included, params.feeTable);
  return { result, steps: e.plan ?? [], accounts: e.st.accounts };
}

/** A posted batch contains a transaction the STF rejects: in optimistic mode, evidence of fraud. */
export class InvalidBatchTxError extends RampartError {
  override readonly name = 'InvalidBatchTxError';
  constructor(readonly position: number, readonly reason: L2RejectReason) {
    super('INVALID_BATCH_TX', `posted batch transaction ${position} is invalid: ${reason}`, { details: { position, reason } });
  }
}

export type ApplyPostedParameters = {
  readonly l1Ops: readonly L1Op[];
  /** Signed transactions (optimistic data) or bare fields (ZK data, already proven). */
  readonly l2Txs: readonly (L2TxFields & Partial<Pick<L2Tx, 'nonce' | 'maxFeeF' | 'signature'>>)[];
  readonly feeTable: readonly FeeEntry[];
};

export type ApplyPostedOptions = Pick<ApplyBatchOptions, 'witness'> & {
  /**
   * For one-step tracing only (src/core/one-step.ts): a fee-table entry whose account does not exist
   * before the batch or holds another token is not a BAD_FEE_TABLE BatchError; it collects fees as
   * usual and is left uncredited (credited when the batch itself created the account), so every step
   * before its credit can still be traced and the credit shown invalid on L1. Default false: such a
   * batch is refused, as derivation must.
   */
  readonly allowUnusableFeeAccounts?: boolean;
};

/**
 * Derivation's STF: replays a posted batch. Every posted L2 transaction must be valid; the first one
 * that is not raises InvalidBatchTxError. Transactions carrying a signature and fee cap have them
 * checked, over the given nonce or, when none is given (optimistic data), the sender's nonce at that
 * point of the batch; bare ZK-mode records are checked for everything else.
 */
export function applyPostedBatch(
  state: StateReader,
  params: ApplyPostedParameters,
  config: StfConfig,
  options: ApplyPostedOptions = {},
  verifySignature: SignatureVerifier = eddsaVerifier,
): BatchResult {
  const e = createEngine(state, params.feeTable, config, options.witness ?? false, true, false, options.allowUnusableFeeAccounts ?? false);
  const capacity = config.maxL2Txs;
  if (params.l1Ops.length > config.maxL1Ops || params.l2Txs.length > capacity) {
    throw new BatchError('BATCH_TOO_LARGE', `batch of ${params.l1Ops.length} L1 ops and ${params.l2Txs.length} txs exceeds ${config.maxL1Ops} / ${capacity}`);
  }
  const oldRoot = e.st.tree.root();
  const domain = domainHash(config.domain);
  const l1Receipts = runL1(e, params.l1Ops);
  const l2Receipts: L2Receipt[] = [];
  params.l2Txs.forEach((tx, i) => {
    const slot = config.maxL1Ops + i;
    const signature = tx.signature;
    const signed = signature !== undefined && tx.maxFeeF !== undefined;
    // Optimistic data does not post the nonce: a valid transaction carries its sender's nonce as it
    // stands at this point of the batch (a sender's second transaction in a batch signs nonce + 1).
    const nonce = tx.nonce ?? (signed ? e.st.get(tx.from)?.nonce : undefined);
    const verify = signed
      ? (): boolean => {
          const from = e.st.get(tx.from);
          const body = { kind: tx.kind, from: tx.from, to: tx.to, amountF: tx.amountF, maxFeeF: tx.maxFeeF ?? 0, nonce: nonce ?? 0 };
          return from !== undefined && verifySignature(l2TxMessage(body, domain), signature, from.publicKey);
        }
      : undefined;
    const check = checkL2(nonce === undefined ? tx : { ...tx, nonce }, e.st, e.fees, verify);
    if ('reason' in check) throw new InvalidBatchTxError(i, check.reason);
    applyL2(e, tx, check, slot);
    l2Receipts.push({ status: 'included', slot, fee: check.fee });
  });
  return finish(e, state, oldRoot, l1Receipts, l2Receipts, [], params.feeTable);
}
