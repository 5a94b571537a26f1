/**
 * Deploys the rollup: the three Poseidon contracts it hashes with, then Rollup itself, against any
 * L1 by URL. The Groth16 verifier is deployed separately (it is generated from the proving key) and
 * passed in by address. With `registry`, a SequencerRegistry (docs/PROTOCOL.md §11.3) is deployed
 * just before the Rollup, bound to the Rollup's address predicted from the deployer's next nonce (the
 * Rollup's constructor checks the binding, so a wrong prediction fails the deploy).
 *
 * Optimistic and multi-proof settlement (docs/PROTOCOL.md §14) also deploy the one-step prover and the
 * dispute game. Wiring without a setter: the Rollup stores the game's address as an immutable, so it
 * is deployed with the game's CREATE address predicted from the deployer's nonce (Rollup at n, prover
 * at n + 1 with the Rollup's address, game at n + 2 with both); the game's constructor refuses a
 * Rollup that does not name it, and the deployed address is checked against the prediction here.
 * With both a registry and settlement, the registry (at n − 1) is deployed with the game's predicted
 * address (n + 2) as its `slasher`: a registered defender that loses a dispute is slashed by the game
 * (docs/PROTOCOL.md §14.2); the wiring is checked from both sides after the game's deploy.
 */
import { type Abi, type Address, type Hex, getContractAddress } from 'viem';
import type { L1Clients } from './createL1Clients.ts';
import { deployContract } from './deployContract.ts';
import { L1Error } from './errors.ts';
import { poseidonT3Abi, poseidonT3Bytecode } from './generated/PoseidonT3.ts';
import { poseidonT4Abi, poseidonT4Bytecode } from './generated/PoseidonT4.ts';
import { poseidonT5Abi, poseidonT5Bytecode } from './generated/PoseidonT5.ts';
import { rollupAbi, rollupBytecode } from './generated/Rollup.ts';
import { sequencerRegistryAbi, sequencerRegistryBytecode } from './generated/SequencerRegistry.ts';
import { disputeGameAbi, disputeGameBytecode } from './generated/DisputeGame.ts';
import { oneStepProverAbi, oneStepProverBytecode } from './generated/OneStepProver.ts';
import { deployPoseidon5 } from './deployOneStepProver.ts';

/** Settlement modes (docs/PROTOCOL.md §14.1); the numbers are Rollup.Config.mode. */
export const SETTLEMENT_MODE = { zk: 0, optimistic: 1, multi: 2 } as const;
export type SettlementMode = keyof typeof SETTLEMENT_MODE;

/**
 * A contract artifact to deploy as the one-step prover; its constructor takes the Rollup's address,
 * then (`withPoseidon5`) the Poseidon(5) contract deployed alongside.
 */
export type OneStepProverArtifact = { readonly abi: Abi; readonly bytecode: Hex; readonly name: string; readonly withPoseidon5?: boolean };

/** The production one-step prover (contracts/optimistic/OneStepProver.sol, docs/PROTOCOL.md §14.3). */
export const oneStepProverArtifact: OneStepProverArtifact = { abi: oneStepProverAbi as Abi, bytecode: oneStepProverBytecode, name: 'OneStepProver', withPoseidon5: true };

export type OptimisticDeployConfig = {
  readonly mode: 'optimistic' | 'multi';
  /**
   * The IOneStepProver to deploy; default the production OneStepProver (`oneStepProverArtifact`). The
   * game's own tests pass the test-only TableOneStepProver; nothing here deploys that by default.
   */
  readonly oneStepProver?: OneStepProverArtifact;
  /** Wei the committer locks per commit (returned at finality, slashed by a lost dispute). Default 1 ETH. */
  readonly assertionBond?: bigint;
  /** Wei a challenger locks per dispute. Default 1 ETH. */
  readonly challengeBond?: bigint;
  /** Seconds after a commit during which disputes may be opened. Default 7 days. */
  readonly challengeWindow?: number;
  /** Seconds each side of a game may spend on its moves in total (chess clock). Default 3.5 days. */
  readonly clockBudget?: number;
  /** Percent of a losing bond sent to the burn address (the rest to the winner), 0..100. Default 50. */
  readonly burnPercent?: number;
};

/** Production defaults of the optimistic settlement parameters (docs/PROTOCOL.md §14.2). */
export const defaultOptimisticParams = {
  assertionBond: 10n ** 18n,
  challengeBond: 10n ** 18n,
  challengeWindow: 7 * 24 * 3600,
  clockBudget: 84 * 3600,
  burnPercent: 50,
} as const;

export type RollupDeployConfig = {
  readonly verifier: Address;
  readonly sequencer: Address;
  readonly governance: Address;
  /** State tree index bits (even). */
  readonly treeDepth: number;
  readonly exitTreeDepth: number;
  readonly maxL1Ops: number;
  readonly maxFeeTokens: number;
  readonly maxL2Txs: number;
  /**
   * Escape hatches (docs/PROTOCOL.md §11.1), seconds; must satisfy 0 < forcedInclusion ≤ selfSequence ≤ exodus.
   * Defaults: 24 h, 48 h, 7 days (defaultEscapeHatchDelays).
   */
  readonly forcedInclusionDelay?: number;
  readonly selfSequenceDelay?: number;
  readonly exodusDelay?: number;
  /**
   * Seconds after a commit during which only the batch's committer or its designated prover may prove
   * it (docs/PROTOCOL.md §11.2); 0 = no priority; must be < exodusDelay. Default: 1 h, or half the
   * exodus delay when that is shorter (short devnet delays).
   */
  readonly proverPriorityWindow?: number;
  /** Optimistic or multi-proof settlement; absent = zk (mode 0, today's behaviour). */
  readonly settlement?: OptimisticDeployConfig;
  /** Deploy a sequencer registry (staked, rotating sequencers); absent: the single `sequencer` commits. */
  readonly registry?: RegistryDeployConfig;
};

/** Sequencer registry parameters (docs/PROTOCOL.md §11.3); every field has a default (defaultRegistryConfig). */
export type RegistryDeployConfig = {
  /**
   * May call `slash`. With `settlement`: always the dispute game (its predicted address; setting anything
   * else is refused). Without: default nobody (the zero address).
   */
  readonly slasher?: Address;
  readonly minStakeWei?: bigint;
  readonly slotDuration?: number;
  readonly leaderDeadline?: number;
  readonly epochSlots?: number;
  /**
   * Must exceed twice the rollup's proverPriorityWindow (checked by the Rollup's constructor) and, with
   * `settlement`, challengeWindow + 2 × clockBudget (checked by the game); unset with settlement: the
   * larger of the default and that bound plus a day (15 days with the production defaults).
   */
  readonly unbondingDelay?: number;
  readonly maxSequencers?: number;
  readonly reporterShareBps?: number;
  readonly missedProofPenaltyWei?: bigint;
};

/**
 * Production defaults. A slot of 60 s is five L1 blocks: room to seal, land and confirm a commit, and
 * a missed leader costs users 30 s (the deadline) at most. Epochs of 32 slots (32 min) keep the
 * schedule fixed long enough for nodes to forward by it and short enough that joins and leaves (two
 * epochs, ≈ 1 h) take effect promptly. Unbonding 8 days outlasts every window in which a fault becomes
 * provable (a missed proof: two 1 h priority windows; the 7-day exodus bound a stuck batch runs into;
 * a 7-day optimistic challenge period). The Rollup requires unbondingDelay > 2 × proverPriorityWindow. 1 ETH stake, a quarter of it for a missed proof, half of any slash to whoever proves it.
 */
export const defaultRegistryConfig = {
  minStakeWei: 10n ** 18n,
  slotDuration: 60,
  leaderDeadline: 30,
  epochSlots: 32,
  unbondingDelay: 8 * 24 * 3600,
  maxSequencers: 32,
  reporterShareBps: 5000,
  missedProofPenaltyWei: 25n * 10n ** 16n,
} as const;

/** Production defaults of the escape-hatch bounds, in seconds. */
export const defaultEscapeHatchDelays = { forcedInclusionDelay: 24 * 3600, selfSequenceDelay: 48 * 3600, exodusDelay: 7 * 24 * 3600 } as const;

/** Production default of the prover priority window, in seconds. */
export const defaultProverPriorityWindow = 3600;

export type RollupDeployment = {
  readonly rollup: Address;
  readonly poseidon2: Address;
  readonly poseidon3: Address;
  readonly poseidon4: Address;
  readonly mode: SettlementMode;
  /** Modes optimistic/multi: the dispute game and the one-step prover it calls. */
  readonly disputeGame?: Address;
  readonly oneStepProver?: Address;
  readonly deployBlock: bigint;
  readonly gasUsed: bigint;
  /** The sequencer registry, when one was deployed. */
  readonly registry?: Address;
};

export async function deployRollup(clients: L1Clients, config: RollupDeployConfig): Promise<RollupDeployment> {
  const p2 = await deployContract({ clients, abi: poseidonT3Abi as Abi, bytecode: poseidonT3Bytecode, name: 'PoseidonT3' });
  const p3 = await deployContract({ clients, abi: poseidonT4Abi as Abi, bytecode: poseidonT4Bytecode, name: 'PoseidonT4' });
  const p4 = await deployContract({ clients, abi: poseidonT5Abi as Abi, bytecode: poseidonT5Bytecode, name: 'PoseidonT5' });
  const exodusDelay = config.exodusDelay ?? defaultEscapeHatchDelays.exodusDelay;
  const proverPriorityWindow = config.proverPriorityWindow ?? Math.min(defaultProverPriorityWindow, Math.floor(exodusDelay / 2));
  const opt = config.settlement;
  const mode: SettlementMode = opt?.mode ?? 'zk';
  const params = { ...defaultOptimisticParams, ...withoutUndefined(opt ?? {}) };
  let predictedGame: Address = '0x0000000000000000000000000000000000000000';
  const proverArtifact = opt?.oneStepProver ?? oneStepProverArtifact;
  // The production prover hashes EdDSA challenges with Poseidon(5); deployed before the nonce prediction.
  const p5 = opt !== undefined && proverArtifact.withPoseidon5 === true ? await deployPoseidon5(clients) : undefined;
  if (opt !== undefined) {
    // The contracts refuse these too (BadConfig), but a constructor revert carries no ABI to name it by.
    if (!Number.isInteger(params.burnPercent) || params.burnPercent < 0 || params.burnPercent > 100) {
      throw new L1Error('L1_DEPLOY_FAILED', `burnPercent must be an integer in 0..100, got ${params.burnPercent}`);
    }
    for (const [name, v] of [['challengeWindow', params.challengeWindow], ['clockBudget', params.clockBudget]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new L1Error('L1_DEPLOY_FAILED', `${name} must be a positive number of seconds, got ${v}`);
    }
    if (params.assertionBond <= 0n || params.assertionBond >= 1n << 96n) throw new L1Error('L1_DEPLOY_FAILED', `assertionBond must be in 1..2^96-1 wei, got ${params.assertionBond}`);
    if (params.challengeBond <= 0n) throw new L1Error('L1_DEPLOY_FAILED', `challengeBond must be positive, got ${params.challengeBond}`);
  }
  let registry: { address: Address; gasUsed: bigint } | undefined;
  // With settlement, the registry's slasher is the dispute game (docs/PROTOCOL.md §11.3, §14.2): nonces
  // registry n, Rollup n + 1, prover n + 2, game n + 3.
  let registrySlasher: Address | undefined;
  if (config.registry !== undefined) {
    const wallet = clients.wallet;
    if (wallet === undefined) throw new L1Error('L1_DEPLOY_FAILED', 'cannot deploy SequencerRegistry: no deployer key');
    const nonce = await clients.public.getTransactionCount({ address: wallet.account.address, blockTag: 'pending' });
    const predicted = getContractAddress({ from: wallet.account.address, nonce: BigInt(nonce + 1) });
    const r = { ...defaultRegistryConfig, ...withoutUndefined(config.registry) };
    if (opt !== undefined) {
      const gameAt = getContractAddress({ from: wallet.account.address, nonce: BigInt(nonce + 3) });
      if (config.registry.slasher !== undefined && config.registry.slasher.toLowerCase() !== gameAt.toLowerCase()) {
        throw new L1Error('L1_DEPLOY_FAILED', `with settlement the registry's slasher is the dispute game (${gameAt}); do not set registry.slasher (got ${config.registry.slasher})`);
      }
      registrySlasher = gameAt;
      // The game refuses this too (BadConfig("unbondingDelay")): a stake must outlast the longest game
      // over the member's last commit. Unset: the default, lengthened to that bound plus a day.
      const bound = params.challengeWindow + 2 * params.clockBudget;
      if (config.registry.unbondingDelay === undefined) r.unbondingDelay = Math.max(defaultRegistryConfig.unbondingDelay, bound + 24 * 3600);
      if (r.unbondingDelay <= bound) {
        throw new L1Error('L1_DEPLOY_FAILED', `registry unbondingDelay must exceed challengeWindow + 2 × clockBudget = ${bound} s with settlement, got ${r.unbondingDelay}`);
      }
    }
    registry = await deployContract({
      clients,
      abi: sequencerRegistryAbi as Abi,
      bytecode: sequencerRegistryBytecode,
      name: 'SequencerRegistry',
      args: [
        {
          rollup: predicted,
          slasher: registrySlasher ?? r.slasher ?? '0x0000000000000000000000000000000000000000',
          minStake: r.minStakeWei,
          slotDuration: BigInt(r.slotDuration),
          leaderDeadline: BigInt(r.leaderDeadline),
          epochSlots: r.epochSlots,
          unbondingDelay: BigInt(r.unbondingDelay),
          maxSequencers: r.maxSequencers,
          reporterShareBps: r.reporterShareBps,
          missedProofPenalty: r.missedProofPenaltyWei,
        },
      ],
    });
  }
  // After the registry, if any: the Rollup is the deployer's next transaction, prover and game follow.
  if (opt !== undefined) {
    const wallet = clients.wallet;
    if (wallet === undefined) throw new L1Error('L1_DEPLOY_FAILED', 'cannot deploy Rollup: no deployer key');
    const nonce = await clients.public.getTransactionCount({ address: wallet.account.address, blockTag: 'pending' });
    predictedGame = getContractAddress({ from: wallet.account.address, nonce: BigInt(nonce + 2) });
  }
  const rollup = await deployContract({
    clients,
    abi: rollupAbi as Abi,
    bytecode: rollupBytecode,
    name: 'Rollup',
    args: [
      {
        verifier: config.verifier,
        poseidon2: p2.address,
        poseidon3: p3.address,
        poseidon4: p4.address,
        sequencer: config.sequencer,
        governance: config.governance,
        treeDepth: config.treeDepth,
        exitTreeDepth: config.exitTreeDepth,
        maxL1Ops: config.maxL1Ops,
        maxFeeTokens: config.maxFeeTokens,
        maxL2Txs: config.maxL2Txs,
        forcedInclusionDelay: BigInt(config.forcedInclusionDelay ?? defaultEscapeHatchDelays.forcedInclusionDelay),
        selfSequenceDelay: BigInt(config.selfSequenceDelay ?? defaultEscapeHatchDelays.selfSequenceDelay),
        exodusDelay: BigInt(exodusDelay),
        proverPriorityWindow: BigInt(proverPriorityWindow),
        mode: SETTLEMENT_MODE[mode],
        disputeGame: predictedGame,
        challengeWindow: BigInt(opt === undefined ? 0 : params.challengeWindow),
        clockBudget: BigInt(opt === undefined ? 0 : params.clockBudget),
        assertionBond: opt === undefined ? 0n : params.assertionBond,
        registry: registry?.address ?? '0x0000000000000000000000000000000000000000',
      },
    ],
  });
  const receipt = await clients.public.getTransactionReceipt({ hash: rollup.hash });
  if (receipt.contractAddress !== rollup.address) throw new L1Error('L1_DEPLOY_FAILED', 'Rollup deploy receipt mismatch');
  const base = { rollup: rollup.address, poseidon2: p2.address, poseidon3: p3.address, poseidon4: p4.address, mode, deployBlock: receipt.blockNumber, ...(registry === undefined ? {} : { registry: registry.address }) };
  const gasUsed = p2.gasUsed + p3.gasUsed + p4.gasUsed + rollup.gasUsed + (registry?.gasUsed ?? 0n);
  if (opt === undefined) return { ...base, gasUsed };

  const prover = await deployContract({
    clients,
    abi: proverArtifact.abi,
    bytecode: proverArtifact.bytecode,
    name: proverArtifact.name,
    args: p5 === undefined ? [rollup.address] : [rollup.address, p5.address],
  });
  const game = await deployContract({
    clients,
    abi: disputeGameAbi as Abi,
    bytecode: disputeGameBytecode,
    name: 'DisputeGame',
    args: [rollup.address, prover.address, params.challengeBond, BigInt(params.burnPercent)],
  });
  if (game.address.toLowerCase() !== predictedGame.toLowerCase()) {
    // Another transaction from the deployer's key landed in between: the Rollup names an empty address.
    throw new L1Error('L1_DEPLOY_FAILED', `DisputeGame landed at ${game.address}, the Rollup expects ${predictedGame}; redeploy with an idle deployer key`, {
      details: { rollup: rollup.address, predictedGame, game: game.address },
    });
  }
  if (registry !== undefined) {
    const slasher = (await clients.public.readContract({ address: registry.address, abi: sequencerRegistryAbi as Abi, functionName: 'slasher' })) as Address;
    const wired = (await clients.public.readContract({ address: game.address, abi: disputeGameAbi as Abi, functionName: 'registry' })) as Address;
    if (slasher.toLowerCase() !== game.address.toLowerCase() || wired.toLowerCase() !== registry.address.toLowerCase()) {
      throw new L1Error('L1_DEPLOY_FAILED', `SequencerRegistry's slasher is ${slasher} and the game's registry ${wired}; expected the game ${game.address} and the registry ${registry.address}`);
    }
  }
  return { ...base, disputeGame: game.address, oneStepProver: prover.address, gasUsed: gasUsed + (p5?.gasUsed ?? 0n) + prover.gasUsed + game.gasUsed };
}

function withoutUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
