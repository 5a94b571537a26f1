/**
 * The whole ZK rollup on a local L1 in one call: starts the EDR devnet, compiles (or reuses) the
 * circuit set, runs (or reuses) its development trusted setup, deploys the generated Groth16 verifier,
 * the Poseidon contracts, the Rollup and a test ERC-20 (registered as token 1), and starts one node
 * with every role (sequencer, batcher, prover service, follower, JSON-RPC). What `rampart devnet` and
 * `npm start` run, and what integration tests and the SDK's tests stand on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi, Address, Hex } from 'viem';
import { ensureCircuit } from '../../scripts/build-circuits.ts';
import { createL1Clients, type L1Clients } from '../l1/createL1Clients.ts';
import { defaultOptimisticParams, deployRollup, type OptimisticDeployConfig, type RegistryDeployConfig } from '../l1/deployRollup.ts';
import { setDesignatedProver } from '../l1/rollupActions.ts';
import { deployTestToken } from '../l1/deployTestToken.ts';
import { startDevnet, type Devnet, type DevnetAccount } from '../l1/devnet.ts';
import { rollupAbi } from '../l1/generated/Rollup.ts';
import { sendAndWait } from '../l1/sendAndWait.ts';
import { CIRCUIT_SETS, type CircuitSetName } from '../prover/circuit-params.ts';
import type { ProgressFactory } from '../prover/setup-progress.ts';
import { setupCircuit } from '../prover/setup.ts';
import { deployVerifier, loadVerifierArtifact } from '../prover/verifier.ts';
import { NodeError, startNode, type NodeLog, type NodeOptions, type RampartNode } from './node.ts';

export type DevnetStackOptions = {
  /** Circuit set (src/prover/circuit-params.ts). Default 'devnet' (depth 32); tests use 'test'. */
  readonly circuit: CircuitSetName;
  /** Node data folder; default a temporary folder removed by stop(). */
  readonly dataDir?: string;
  readonly rpcPort: number;
  readonly l1Port: number;
  readonly pollMs: number;
  /** Funded L1 accounts handed to users (besides deployer, sequencer and prover). */
  readonly userAccounts: number;
  readonly log?: NodeLog;
  readonly progress?: ProgressFactory;
  /** Overrides for the node (e.g. batcher or mempool options, a challenger key). */
  readonly node?: Partial<Pick<NodeOptions, 'confirmations' | 'sequencer' | 'challenger'>>;
  /**
   * Optimistic or multi-proof settlement (docs/PROTOCOL.md §14); default zk. Optimistic mode skips the
   * circuit and its setup (no validity proofs) and runs no prover.
   */
  readonly settlement?: Omit<OptimisticDeployConfig, 'oneStepProver'>;
  /**
   * Sequencer nodes. 1 (default): one sequencer, no registry. N > 1: the Rollup is deployed with a
   * sequencer registry (devnetRegistryConfig; with `settlement` its slasher is the dispute game and
   * the unbonding outlasts a game, `devnetRegistry`) and N sequencer nodes join it with 1 ETH each and
   * forward to each other; the first node also proves and serves `rpcUrl`.
   */
  readonly sequencers: number;
  /**
   * Optimistic and multi modes: give the node the challenger (watchtower) role, with the devnet's last
   * funded account as its key (that account is then not handed to users).
   */
  readonly watchtower?: boolean;
};

/** Devnet settlement parameters: seconds instead of days, small bonds (docs/PROTOCOL.md §14.2). */
export const devnetOptimisticParams = { challengeWindow: 120, clockBudget: 60, assertionBond: 10n ** 17n, challengeBond: 5n * 10n ** 16n, burnPercent: 50 } as const;

export const defaultDevnetStackOptions: DevnetStackOptions = { circuit: 'devnet', rpcPort: 0, l1Port: 0, pollMs: 200, userAccounts: 4, sequencers: 1 };

/**
 * The devnet's registry: 6 s slots, the deadline at 3 s, epochs of 2 slots (12 s: a node that joins
 * leads within 24 s), so a stopped node's slots are taken over within seconds; unbonding 3 h outlasts
 * two 1 h proving priority windows (a missed proof is reported after one, slashed after the next).
 */
export const devnetRegistryConfig = { slotDuration: 6, leaderDeadline: 3, epochSlots: 2, unbondingDelay: 10_800, minStakeWei: 10n ** 18n } as const;

/**
 * With settlement the registry is the dispute game's to slash (docs/PROTOCOL.md §14.2): a stake must
 * outlast the longest game over its member's last commit, so the unbonding is stretched past
 * challengeWindow + 2 × clockBudget (plus an hour) when that is longer than the devnet's 3 h.
 */
export function devnetRegistry(settlement: Omit<OptimisticDeployConfig, 'oneStepProver'> | undefined): RegistryDeployConfig {
  if (settlement === undefined) return devnetRegistryConfig;
  const bound = (settlement.challengeWindow ?? defaultOptimisticParams.challengeWindow) + 2 * (settlement.clockBudget ?? defaultOptimisticParams.clockBudget);
  return { ...devnetRegistryConfig, unbondingDelay: Math.max(devnetRegistryConfig.unbondingDelay, bound + 3600) };
}

export type DevnetStack = {
  readonly devnet: Devnet;
  readonly node: RampartNode;
  /** Every sequencer node (the first is `node`); one unless `sequencers` > 1. */
  readonly nodes: readonly RampartNode[];
  readonly registry?: Address;
  readonly rpcUrl: string;
  readonly l1Url: string;
  readonly chainId: number;
  readonly rollup: Address;
  readonly deployBlock: bigint;
  /** A registered test ERC-20 (token id 1) that users can mint freely. */
  readonly token: Address;
  readonly accounts: readonly DevnetAccount[];
  readonly roles: { readonly deployer: DevnetAccount; readonly sequencer: DevnetAccount; readonly prover: DevnetAccount };
  readonly wasmPath: string;
  readonly zkeyPath: string;
  readonly dataDir: string;
  readonly stop: () => Promise<void>;
};

export type DevnetDeployment = {
  readonly rollup: Address;
  /** The sequencer registry, when deployed with one (`registry` option). */
  readonly registry?: Address;
  readonly deployBlock: bigint;
  readonly token: Address;
  readonly verifier: Address;
  readonly wasmPath: string;
  readonly zkeyPath: string;
  readonly roles: { readonly deployer: DevnetAccount; readonly sequencer: DevnetAccount; readonly prover: DevnetAccount };
  /** The remaining funded accounts, for users. */
  readonly users: readonly DevnetAccount[];
};

/**
 * Compiles and sets up the circuit set (cached), then deploys verifier, Poseidon contracts, Rollup and
 * a registered test ERC-20 on `devnet`, whose first three accounts become deployer, sequencer, prover
 * (the sequencer designates the prover, so it proves inside the priority window).
 */
export async function deployDevnetRollup(
  devnet: Devnet,
  circuitName: CircuitSetName,
  opts: { readonly log?: NodeLog; readonly progress?: ProgressFactory; readonly proverPriorityWindow?: number; readonly settlement?: Omit<OptimisticDeployConfig, 'oneStepProver'>; readonly registry?: RegistryDeployConfig } = {},
): Promise<DevnetDeployment> {
  const log = opts.log ?? (() => {});
  const params = CIRCUIT_SETS[circuitName];
  const [deployer, sequencer, prover, ...users] = devnet.accounts;
  if (deployer === undefined || sequencer === undefined || prover === undefined) throw new Error('the devnet needs at least three funded accounts');
  const l1 = await createL1Clients({ url: devnet.url, privateKey: deployer.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  // Optimistic settlement has no validity proofs: no circuit, no setup, no verifier.
  const proofs = opts.settlement?.mode !== 'optimistic';
  let files = { wasmPath: '', zkeyPath: '' };
  let verifierAddress: Address = '0x0000000000000000000000000000000000000000';
  if (proofs) {
    log('devnet-circuit', { circuit: circuitName });
    const circuit = await ensureCircuit(circuitName, { log: (line) => log('circuit', { line }) });
    const setup = await setupCircuit({ r1csPath: circuit.r1csPath, circuit: circuitName }, { log: (line) => log('setup', { line }), ...(opts.progress === undefined ? {} : { progress: opts.progress }) });
    verifierAddress = (await deployVerifier(l1, await loadVerifierArtifact(setup.verifierSourcePath))).address;
    files = { wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath };
  }
  const d = await deployRollup(l1, {
    verifier: verifierAddress,
    sequencer: sequencer.address,
    governance: deployer.address,
    treeDepth: 2 * params.levels,
    exitTreeDepth: 2 * params.exitLevels,
    maxL1Ops: params.maxL1Ops,
    maxFeeTokens: params.maxFeeTokens,
    maxL2Txs: params.maxL2Txs,
    ...(opts.proverPriorityWindow === undefined ? {} : { proverPriorityWindow: opts.proverPriorityWindow }),
    ...(opts.settlement === undefined ? {} : { settlement: opts.settlement }),
    ...(opts.registry === undefined ? {} : { registry: opts.registry }),
  });
  // The prover role shares the sequencer's priority window (docs/PROTOCOL.md §11.2).
  const seqL1 = await createL1Clients({ url: devnet.url, privateKey: sequencer.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
  await setDesignatedProver(seqL1, d.rollup, prover.address);
  const token = (await deployTestToken(l1)).address;
  await registerToken(l1, d.rollup, token);
  log('devnet-deployed', { rollup: d.rollup, verifier: verifierAddress, token, deployBlock: d.deployBlock.toString(), mode: d.mode });
  return { rollup: d.rollup, ...(d.registry === undefined ? {} : { registry: d.registry }), deployBlock: d.deployBlock, token, verifier: verifierAddress, ...files, roles: { deployer, sequencer, prover }, users };
}

export async function startDevnetStack(options: Partial<DevnetStackOptions> = {}): Promise<DevnetStack> {
  const opts: DevnetStackOptions = { ...defaultDevnetStackOptions, ...options };
  const log = opts.log ?? (() => {});
  const params = CIRCUIT_SETS[opts.circuit];
  if (!Number.isInteger(opts.sequencers) || opts.sequencers < 1 || opts.sequencers > 16) throw new NodeError('DEVNET_CONFIG', 'sequencers must be an integer in 1..16');
  const extra = opts.sequencers - 1;
  const watch = opts.watchtower === true && opts.settlement !== undefined ? 1 : 0;
  const devnet = await startDevnet({ accounts: 3 + extra + opts.userAccounts + watch, port: opts.l1Port });
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'rampart-devnet-data-'));
  let node: RampartNode | undefined;
  const others: RampartNode[] = [];
  try {
    const d = await deployDevnetRollup(devnet, opts.circuit, { log, ...(opts.progress === undefined ? {} : { progress: opts.progress }), ...(opts.settlement === undefined ? {} : { settlement: opts.settlement }), ...(extra > 0 ? { registry: devnetRegistry(opts.settlement) } : {}) });
    const registry = extra > 0 ? { stakeWei: devnetRegistryConfig.minStakeWei } : undefined;
    const watcher = watch === 1 ? d.users[d.users.length - 1] : undefined;
    const challenger = opts.node?.challenger ?? (watcher === undefined ? undefined : { privateKey: watcher.privateKey });
    node = await startNode({
      l1Url: devnet.url,
      chainId: devnet.chainId,
      rollup: d.rollup,
      deployBlock: d.deployBlock,
      circuit: params,
      dataDir,
      confirmations: opts.node?.confirmations ?? 1,
      pollMs: opts.pollMs,
      rpc: { host: '127.0.0.1', port: opts.rpcPort },
      sequencer: { privateKey: d.roles.sequencer.privateKey, batcher: { bumpAfterMs: 5_000 }, ...(registry === undefined ? {} : { registry }), ...(opts.node?.sequencer ?? {}) },
      ...(opts.settlement?.mode === 'optimistic' ? {} : { prover: { privateKey: d.roles.prover.privateKey, wasmPath: d.wasmPath, zkeyPath: d.zkeyPath, threads: 1 } }),
      ...(challenger === undefined ? {} : { challenger }),
      log,
    });
    // More sequencers: each designates the devnet's prover (so it proves their batches inside the
    // window) and runs as its own node on its own data folder, forwarding to the slot's leader.
    for (const [i, account] of d.users.slice(0, extra).entries()) {
      const l1 = await createL1Clients({ url: devnet.url, privateKey: account.privateKey, chainId: devnet.chainId, pollingIntervalMs: 20, retryCount: 0 });
      await setDesignatedProver(l1, d.rollup, d.roles.prover.address);
      others.push(
        await startNode({
          l1Url: devnet.url,
          chainId: devnet.chainId,
          rollup: d.rollup,
          deployBlock: d.deployBlock,
          circuit: params,
          dataDir: join(dataDir, `sequencer-${i + 2}`),
          confirmations: opts.node?.confirmations ?? 1,
          pollMs: opts.pollMs,
          rpc: { host: '127.0.0.1', port: 0 },
          sequencer: { privateKey: account.privateKey, batcher: { bumpAfterMs: 5_000 }, ...(registry === undefined ? {} : { registry }) },
          log: (event, fields) => log(event, { node: i + 2, ...fields }),
        }),
      );
    }
    const started = node;
    const all = [started, ...others];
    return {
      devnet,
      node: started,
      nodes: all,
      ...(d.registry === undefined ? {} : { registry: d.registry }),
      rpcUrl: started.rpcUrl ?? '',
      l1Url: devnet.url,
      chainId: devnet.chainId,
      rollup: d.rollup,
      deployBlock: d.deployBlock,
      token: d.token,
      accounts: d.users.slice(extra, d.users.length - watch),
      roles: d.roles,
      wasmPath: d.wasmPath,
      zkeyPath: d.zkeyPath,
      dataDir,
      stop: async () => {
        for (const n of others) await n.stop();
        await started.stop();
        await devnet.stop();
        if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const n of others) await n.stop();
    await node?.stop();
    await devnet.stop();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function registerToken(l1: L1Clients, rollup: Address, token: Address): Promise<Hex> {
  const wallet = l1.wallet;
  if (wallet === undefined) throw new Error('unreachable: deployer clients have a key');
  const r = await sendAndWait({ public: l1.public, context: 'Rollup.registerToken', send: () => wallet.writeContract({ address: rollup, abi: rollupAbi as Abi, functionName: 'registerToken', args: [token] } as never) });
  return r.transactionHash;
}
