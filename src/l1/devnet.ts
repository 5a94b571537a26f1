/**
 * A real Ethereum dev chain for tests, demos and benches: Hardhat 2.29's EDR node (`hardhat node`), run
 * as a child process on 127.0.0.1 with a free port. Everything talks to it over JSON-RPC HTTP by URL,
 * exactly as it would to any other L1. The node's config (chain id, funded random accounts) is written
 * to a temporary folder that stop() removes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { L1Error } from './errors.ts';
import { type DevnetOptions, defaultDevnetOptions } from './options.ts';

const require = createRequire(import.meta.url);

export type DevnetAccount = { readonly address: Address; readonly privateKey: Hex };

export type Devnet = {
  readonly url: string;
  readonly chainId: number;
  readonly accounts: readonly DevnetAccount[];
  readonly pid: number;
  /** Stops the node (SIGTERM, then SIGKILL after 5 s) and removes its temporary folder. Idempotent. */
  readonly stop: () => Promise<void>;
};

export type StartDevnetParameters = Partial<DevnetOptions>;

const READY = /Started HTTP and WebSocket JSON-RPC server at (http:\/\/[^\s/]+)\//;

function hardhatCli(): string {
  return join(dirname(require.resolve('hardhat/package.json')), 'internal', 'cli', 'cli.js');
}

export async function startDevnet(params: StartDevnetParameters = {}): Promise<Devnet> {
  const opts: DevnetOptions = { ...defaultDevnetOptions, ...params };
  const accounts: DevnetAccount[] = Array.from({ length: opts.accounts }, () => {
    const privateKey = generatePrivateKey();
    return { privateKey, address: privateKeyToAddress(privateKey) };
  });
  const dir = mkdtempSync(join(tmpdir(), 'rampart-devnet-'));
  const config = {
    networks: {
      hardhat: {
        chainId: opts.chainId,
        hardfork: opts.hardfork,
        loggingEnabled: false,
        accounts: accounts.map((a) => ({ privateKey: a.privateKey, balance: opts.balanceWei.toString() })),
      },
    },
    paths: { root: dir, cache: join(dir, 'cache'), artifacts: join(dir, 'artifacts'), sources: join(dir, 'contracts') },
  };
  const configPath = join(dir, 'hardhat.config.cjs');
  writeFileSync(configPath, `module.exports = ${JSON.stringify(config, null, 2)};\n`);

  const child = spawn(
    process.execPath,
    [hardhatCli(), 'node', '--hostname', '127.0.0.1', '--port', String(opts.port), '--config', configPath],
    {
      // Hardhat refuses to run unless the working folder resolves it locally; its cache and
      // artifacts still go to the temporary folder through `paths` in the config.
      cwd: join(dirname(require.resolve('hardhat/package.json')), '..', '..'),
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', DO_NOT_TRACK: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // A test that dies must not leave a node behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const url = await waitForUrl(child, opts);
    return { url, chainId: opts.chainId, accounts, pid: child.pid ?? -1, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function waitForUrl(child: ChildProcess, opts: DevnetOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new L1Error('DEVNET_START_FAILED', `hardhat node did not start within ${opts.startTimeoutMs} ms`, { details: { output: out.slice(-2000) } }));
    }, opts.startTimeoutMs);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      if (opts.verbose) process.stderr.write(`[devnet] ${text}`);
      out += text;
      const m = READY.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        // Keep draining the pipes so the node never blocks on a full stdout buffer.
        if (!opts.verbose) {
          child.stdout?.removeListener('data', onData);
          child.stdout?.resume();
        }
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (opts.verbose) process.stderr.write(`[devnet] ${chunk.toString()}`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new L1Error('DEVNET_START_FAILED', `hardhat node exited before it was ready (code ${code}, signal ${signal})`, {
          details: { output: out.slice(-2000) },
        }),
      );
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
