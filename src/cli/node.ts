/**
 * `rampart node --config FILE [--l1-rpc URL]`: one node with the roles its config enables, against any
 * JSON-RPC L1. `rampart devnet`: the EDR devnet with everything deployed and one node running every
 * role, optional demo traffic, and a live status line — what `npm start` runs.
 *
 * Output: JSON lines on stdout (one per event: roles' logs, `ready` with URLs, `status`); a bad flag
 * or config is one JSON error line on stderr and exit code 1. SIGINT/SIGTERM stop gracefully.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { poseidonBackendName } from '../core/wasm/poseidon-engine.ts';
import { getAddress, isAddress, type Hex } from 'viem';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.ts';
import { CIRCUIT_SETS, isCircuitSetName, type CircuitParams } from '../prover/circuit-params.ts';
import { createProgressFactory, silentProgress } from '../prover/setup-progress.ts';
import { devnetOptimisticParams, startDevnetStack } from '../node/devnet-stack.ts';
import { startNode, type NodeLog, type NodeOptions } from '../node/node.ts';
import { emit, parseInteger, runCommand, untilSignal } from './channelShared.ts';
import { runDemoTraffic } from './demo-traffic.ts';

const key = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte 0x-hex private key');
const keySource = z
  .object({ privateKey: key.optional(), privateKeyFile: z.string().min(1).optional(), privateKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional() })
  .strict()
  .refine((k) => [k.privateKey, k.privateKeyFile, k.privateKeyEnv].filter((v) => v !== undefined).length === 1, 'give exactly one of privateKey, privateKeyFile, privateKeyEnv');
const posInt = z.number().int().positive();

/** The node's config file (JSON). Paths are relative to the file. */
export const nodeConfigSchema = z
  .object({
    l1: z.object({ rpc: z.string().url().optional(), chainId: posInt.optional(), confirmations: posInt.max(1000).default(1), pollMs: posInt.max(60_000).default(1000) }).strict(),
    rollup: z
      .object({
        address: z.string().refine((a) => isAddress(a), 'an L1 address'),
        deployBlock: z.number().int().min(0),
        circuit: z.union([z.string(), z.object({ levels: posInt, exitLevels: posInt, maxL1Ops: posInt, maxL2Txs: posInt, maxFeeTokens: posInt }).strict()]),
      })
      .strict(),
    dataDir: z.string().min(1),
    rpc: z.union([z.literal(false), z.object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535) }).strict()]).default({ host: '127.0.0.1', port: 8547 }),
    sequencer: z
      .object({
        key: keySource,
        mempool: z.object({ maxPending: posInt.optional(), maxPerAccount: posInt.optional(), maxAgeMs: posInt.optional() }).strict().optional(),
        batcher: z.object({ bumpAfterMs: posInt.optional(), bumpPercent: posInt.optional(), confirmations: posInt.optional(), maxFeePerGasGwei: posInt.optional() }).strict().optional(),
        parallelSeal: z.boolean().optional(),
        /** Optimistic and multi modes: defend this key's commits in disputes (default true). */
        defend: z.boolean().optional(),
        /** Decimal wei as a string (JSON numbers lose precision above 2^53). */
        proverRewardWei: z.string().regex(/^(0|[1-9][0-9]{0,28})$/, 'decimal wei as a string, below 2^96').refine((v) => !/^[0-9]+$/.test(v) || BigInt(v) < 2n ** 96n, 'below 2^96 wei').optional(),
        /** Used when the rollup has a sequencer registry (docs/PROTOCOL.md §11.3). */
        registry: z
          .object({
            url: z.string().max(256).url().refine((u) => /^https?:\/\//.test(u), 'an http(s) URL').optional(),
            stakeWei: z.string().regex(/^[1-9][0-9]{0,28}$/, 'decimal wei as a string').refine((v) => !/^[0-9]+$/.test(v) || BigInt(v) < 2n ** 96n, 'below 2^96 wei').optional(),
            forward: z.object({ timeoutMs: posInt.max(60_000).optional(), retryMs: posInt.max(600_000).optional() }).strict().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    prover: z.object({ key: keySource, wasmPath: z.string().min(1), zkeyPath: z.string().min(1), threads: posInt.max(64).default(1), sourceRpc: z.string().url().optional() }).strict().optional(),
    /** Optimistic and multi modes: a watchtower that disputes batches that do not derive (docs/PROTOCOL.md §14.4). */
    challenger: z.object({ key: keySource }).strict().optional(),
    /** With a sequencer registry: the signed-header book and equivocation watch (docs/PROTOCOL.md §13). */
    preconf: z
      .object({
        pullMs: posInt.max(600_000).optional(),
        timeoutMs: posInt.max(60_000).optional(),
        maxAnswer: posInt.max(512).optional(),
        lookbackBatches: posInt.max(4096).optional(),
        keepBatches: posInt.max(1_000_000).optional(),
        aheadBatches: posInt.max(4096).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type NodeConfigFile = z.infer<typeof nodeConfigSchema>;

function readKey(k: z.infer<typeof keySource>, base: string): Hex {
  const raw = k.privateKey ?? (k.privateKeyFile !== undefined ? readFileSync(resolve(base, k.privateKeyFile), 'utf8').trim() : process.env[k.privateKeyEnv ?? '']);
  if (raw === undefined || !/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new InvalidInputError('the configured private key is missing or not 32 bytes of 0x-hex');
  return raw as Hex;
}

function circuitOf(c: NodeConfigFile['rollup']['circuit']): CircuitParams {
  if (typeof c !== 'string') return c;
  if (!isCircuitSetName(c)) throw new InvalidInputError(`unknown circuit set "${c}" (known: ${Object.keys(CIRCUIT_SETS).join(', ')})`);
  return CIRCUIT_SETS[c];
}

/** Parses and validates a config file into node options (every field checked, typed errors). */
export function loadNodeConfig(path: string, overrides: { l1Rpc?: string; dataDir?: string; rpcPort?: number }, log: NodeLog): NodeOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new InvalidInputError(`config ${path}: not readable JSON`, { cause });
  }
  const parsed = nodeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(`config ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const c = parsed.data;
  const base = resolve(path, '..');
  const l1Url = overrides.l1Rpc ?? c.l1.rpc;
  if (l1Url === undefined) throw new InvalidInputError('no L1: set l1.rpc in the config or pass --l1-rpc');
  const rpc = c.rpc === false ? false : { host: c.rpc.host, port: overrides.rpcPort ?? c.rpc.port };
  return {
    l1Url,
    ...(c.l1.chainId === undefined ? {} : { chainId: c.l1.chainId }),
    rollup: getAddress(c.rollup.address),
    deployBlock: BigInt(c.rollup.deployBlock),
    circuit: circuitOf(c.rollup.circuit),
    dataDir: resolve(base, overrides.dataDir ?? c.dataDir),
    confirmations: c.l1.confirmations,
    pollMs: c.l1.pollMs,
    rpc,
    ...(c.sequencer === undefined
      ? {}
      : {
          sequencer: {
            privateKey: readKey(c.sequencer.key, base),
            ...(c.sequencer.parallelSeal === undefined ? {} : { parallelSeal: c.sequencer.parallelSeal }),
            ...(c.sequencer.defend === undefined ? {} : { defend: c.sequencer.defend }),
            ...(c.sequencer.proverRewardWei === undefined ? {} : { proverRewardWei: BigInt(c.sequencer.proverRewardWei) }),
            ...(c.sequencer.registry === undefined
              ? {}
              : {
                  registry: {
                    ...(c.sequencer.registry.url === undefined ? {} : { url: c.sequencer.registry.url }),
                    ...(c.sequencer.registry.stakeWei === undefined ? {} : { stakeWei: BigInt(c.sequencer.registry.stakeWei) }),
                    ...(c.sequencer.registry.forward === undefined ? {} : { forward: stripUndefined(c.sequencer.registry.forward) }),
                  },
                }),
            ...(c.sequencer.mempool === undefined ? {} : { mempool: stripUndefined(c.sequencer.mempool) }),
            ...(c.sequencer.batcher === undefined
              ? {}
              : {
                  batcher: stripUndefined({
                    bumpAfterMs: c.sequencer.batcher.bumpAfterMs,
                    bumpPercent: c.sequencer.batcher.bumpPercent,
                    confirmations: c.sequencer.batcher.confirmations,
                    maxFeePerGasCap: c.sequencer.batcher.maxFeePerGasGwei === undefined ? undefined : BigInt(c.sequencer.batcher.maxFeePerGasGwei) * 10n ** 9n,
                  }),
                }),
          },
        }),
    ...(c.prover === undefined
      ? {}
      : {
          prover: {
            privateKey: readKey(c.prover.key, base),
            wasmPath: resolve(base, c.prover.wasmPath),
            zkeyPath: resolve(base, c.prover.zkeyPath),
            threads: c.prover.threads,
            ...(c.prover.sourceRpc === undefined ? {} : { sourceRpc: c.prover.sourceRpc }),
          },
        }),
    ...(c.challenger === undefined ? {} : { challenger: { privateKey: readKey(c.challenger.key, base) } }),
    ...(c.preconf === undefined ? {} : { preconf: stripUndefined(c.preconf) }),
    log,
  };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

const jsonLog: NodeLog = (event, fields) => emit({ t: new Date().toISOString(), event, ...fields });

export function registerNodeCommands(program: Command): void {
  program
    .command('node')
    .description('run a Rampart node (roles from the config: follower always; sequencer, prover, rpc when configured)')
    .requiredOption('--config <file>', 'node config (JSON; see README "Node configuration")')
    .option('--l1-rpc <url>', 'L1 JSON-RPC URL (overrides l1.rpc)')
    .option('--data-dir <dir>', 'data folder (overrides dataDir)')
    .option('--rpc-port <port>', 'JSON-RPC port (overrides rpc.port)')
    .action((o: { config: string; l1Rpc?: string; dataDir?: string; rpcPort?: string }) =>
      runCommand(async () => {
        const options = loadNodeConfig(o.config, { ...(o.l1Rpc === undefined ? {} : { l1Rpc: o.l1Rpc }), ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }), ...(o.rpcPort === undefined ? {} : { rpcPort: parseInteger(o.rpcPort, '--rpc-port') }) }, jsonLog);
        const node = await startNode(options);
        emit({ event: 'ready', rpcUrl: node.rpcUrl ?? null, poseidon: poseidonBackendName(), ...node.status() });
        const ticker = setInterval(() => emit({ event: 'status', ...node.status() }), 10_000);
        await untilSignal();
        clearInterval(ticker);
        await node.stop();
        emit({ event: 'stopped' });
      }),
    );

  program
    .command('devnet')
    .description('start a local L1 (EDR), deploy the rollup, run a node with every role; print URLs and live status')
    .option('--circuit <set>', `circuit set (${Object.keys(CIRCUIT_SETS).join(', ')})`, 'devnet')
    .option('--l1-port <port>', 'L1 JSON-RPC port (0 = any free)', '8545')
    .option('--rpc-port <port>', 'L2 JSON-RPC port (0 = any free)', '8547')
    .option('--data-dir <dir>', 'node data folder (default: a temporary one)')
    .option('--sequencers <n>', 'sequencer nodes (N > 1: a staked sequencer registry with rotating slot leaders and forwarding)', '1')
    .option('--settlement <mode>', 'zk (validity proofs), optimistic (bonded commits, disputes, a watchtower node role) or multi (both)', 'zk')
    .option('--demo', 'send demo traffic: deposits, transfers, withdrawals and claims')
    .option('--quiet', 'no role logs, only ready/status lines')
    .action((o: { circuit: string; l1Port: string; rpcPort: string; sequencers: string; settlement: string; dataDir?: string; demo?: boolean; quiet?: boolean }) =>
      runCommand(async () => {
        if (!isCircuitSetName(o.circuit)) throw new InvalidInputError(`unknown circuit set "${o.circuit}" (known: ${Object.keys(CIRCUIT_SETS).join(', ')})`);
        if (o.settlement !== 'zk' && o.settlement !== 'optimistic' && o.settlement !== 'multi') throw new InvalidInputError(`--settlement must be zk, optimistic or multi, got ${o.settlement}`);
        const settlement = o.settlement === 'zk' ? undefined : { ...devnetOptimisticParams, mode: o.settlement as 'optimistic' | 'multi' };
        const tty = process.stdout.isTTY === true;
        const log: NodeLog = o.quiet === true ? () => {} : jsonLog;
        if (!tty || o.quiet !== true) emit({ event: 'devnet-starting', circuit: o.circuit, note: 'first start compiles the circuit and runs its trusted setup (about a minute); later starts reuse .cache/' });
        const stack = await startDevnetStack({
          circuit: o.circuit,
          l1Port: parseInteger(o.l1Port, '--l1-port'),
          rpcPort: parseInteger(o.rpcPort, '--rpc-port'),
          sequencers: parseInteger(o.sequencers, '--sequencers'),
          ...(settlement === undefined ? {} : { settlement, watchtower: true }),
          ...(o.dataDir === undefined ? {} : { dataDir: resolve(o.dataDir) }),
          log,
          progress: process.stderr.isTTY === true ? createProgressFactory(process.stderr) : silentProgress,
        });
        emit({ event: 'ready', l1Url: stack.l1Url, rpcUrl: stack.rpcUrl, poseidon: poseidonBackendName(), chainId: stack.chainId, rollup: stack.rollup, token: stack.token, deployBlock: stack.deployBlock, users: stack.accounts.map((a) => a.address), ...(stack.registry === undefined ? {} : { registry: stack.registry, sequencerRpcUrls: stack.nodes.map((n) => n.rpcUrl ?? null) }) });
        let stopping = false;
        const demo = o.demo === true ? runDemoTraffic(stack, { stopped: () => stopping, log: (event, fields) => emit({ t: new Date().toISOString(), event, ...fields }) }) : undefined;
        // Live status: a line whenever something moved, and at least every 30 s.
        let lastLine = '';
        let lastAt = 0;
        const ticker = setInterval(() => {
          const s = stack.node.status();
          const seq = s.sequencing;
          const view = { mode: s.mode, batch: s.batchNum, final: s.lastFinal, proved: s.proverBatchNum, pending: s.pending, accounts: s.nextIndex - 1, root: `${s.root.slice(0, 18)}…`, errors: s.errors, ...(seq === null ? {} : { slot: seq['slot'], leader: seq['leader'] }), ...(s.preconf === null ? {} : { signedHeaders: s.preconf.headers }) };
          const line = JSON.stringify(view);
          if (line === lastLine && Date.now() - lastAt < 30_000) return;
          lastLine = line;
          lastAt = Date.now();
          emit({ event: 'status', ...view });
        }, 1_000);
        await untilSignal();
        stopping = true;
        clearInterval(ticker);
        // The demo may be waiting on a proof: give it a moment, not the whole wait.
        await Promise.race([demo?.catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
        await stack.stop();
        emit({ event: 'stopped' });
      }),
    );
}
