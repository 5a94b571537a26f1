/**
 * `rampart wallet …`: a command-line wallet over the SDK (src/sdk).
 *   keys new|show   create (0600, never overwritten) or show a Baby Jubjub key file
 *   status          the node's view of the rollup (and the domain check on L1 with --l1-rpc)
 *   balance         one account (--account) or every account of a key (--key-file) / owner (--owner)
 *   deposit         L1 → L2: ETH or a registered ERC-20, into a new account (--key-file) or --to one
 *   transfer        L2 → L2, signed with the key file
 *   withdraw        L2 → exit (then `claim` once final; --wait --claim does both)
 *   claim           pay a final exit on L1 (--tx HASH, or --batch N --slot S)
 * Node, L1 and keys come from flags or RAMPART_RPC, RAMPART_L1_RPC, RAMPART_L1_KEY, RAMPART_KEY_FILE,
 * RAMPART_ROLLUP. Output is human-readable lines, or one JSON object with --json. Exit codes: 0 done,
 * 1 the operation failed (error code on stderr), 2 bad usage or arguments.
 */
import type { Command } from 'commander';
import { type Address, type Hex, getAddress, isAddress, parseUnits } from 'viem';
import { RampartError } from '../core/errors.ts';
import { createL1Clients, type L1Clients } from '../l1/createL1Clients.ts';
import { amountToFloat32, feeToFloat16 } from '../sdk/amounts.ts';
import { type RampartClient, createRampartClient } from '../sdk/createRampartClient.ts';
import { SdkError } from '../sdk/errors.ts';
import { type BabyJubKey, formatPublicKey, generateBabyJubKey, readKeyFile, writeKeyFile } from '../sdk/keyFile.ts';
import type { NodeAccount, NodeTransaction } from '../sdk/schemas.ts';
import { resolveL1Key } from './l1-key.ts';

type Flags = {
  json?: boolean;
  rpc?: string;
  l1Rpc?: string;
  l1Key?: string;
  l1KeyFile?: string;
  keyFile?: string;
  rollup?: string;
  timeout?: string;
};

const USAGE_CODES = new Set(['INVALID_ARGUMENT', 'AMOUNT_NOT_REPRESENTABLE', 'INVALID_INPUT']);

function usage(message: string, argument: string): SdkError {
  return new SdkError('INVALID_ARGUMENT', message, { details: { argument } });
}

// ---------------------------------------------------------------------------------------------
// Flag parsing: every flag is checked before anything is sent.

/** "1000" (base units), "1e18", "1.5eth", "2gwei" → base units; fractions of a base unit are refused. */
export function parseWalletAmount(text: string, flag: string): bigint {
  const t = text.trim().toLowerCase();
  const unit = /^([0-9]+(?:\.[0-9]+)?)(eth|ether|gwei|wei)?$/.exec(t);
  try {
    if (unit !== null) {
      const [, num = '', suffix] = unit;
      const decimals = suffix === 'eth' || suffix === 'ether' ? 18 : suffix === 'gwei' ? 9 : 0;
      const frac = num.split('.')[1] ?? '';
      if (frac.length > decimals) throw usage(`${flag}: ${text} is not a whole number of base units`, flag);
      return parseUnits(num, decimals);
    }
    const sci = /^([0-9]+)e([0-9]{1,2})$/.exec(t);
    if (sci !== null) return BigInt(sci[1] ?? '0') * 10n ** BigInt(sci[2] ?? '0');
  } catch (err) {
    if (err instanceof SdkError) throw err;
    throw usage(`${flag}: not an amount: ${text}`, flag);
  }
  throw usage(`${flag}: not an amount: ${text} (use base units, 1e18, 1.5eth or 2gwei)`, flag);
}

export function parseIndex(text: string, flag: string): number {
  if (!/^[0-9]{1,10}$/.test(text.trim())) throw usage(`${flag} must be an account index (1..4294967295), got ${text}`, flag);
  const n = Number(text);
  if (n < 1 || n > 0xffffffff) throw usage(`${flag} must be an account index (1..4294967295), got ${text}`, flag);
  return n;
}

function parseUint(text: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[0-9]{1,16}$/.test(text.trim()) || Number(text) > max) throw usage(`${flag} must be an integer in 0..${max}, got ${text}`, flag);
  return Number(text);
}

function parseUrl(text: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw usage(`${flag} must be an http(s) URL, got ${text}`, flag);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`${flag} must be an http(s) URL, got ${text}`, flag);
  return text;
}

function parseAddress(text: string, flag: string): Address {
  if (!isAddress(text, { strict: false })) throw usage(`${flag} must be a 20-byte 0x address, got ${text}`, flag);
  return getAddress(text);
}

function parseTxHash(text: string, flag: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw usage(`${flag} must be a 32-byte 0x transaction hash`, flag);
  return text.toLowerCase() as Hex;
}

function timeoutMs(o: Flags): number | undefined {
  if (o.timeout === undefined) return undefined;
  const s = parseUint(o.timeout, '--timeout', 86_400);
  if (s === 0) throw usage('--timeout must be at least 1 second', '--timeout');
  return s * 1000;
}

function rpcUrl(o: Flags): string {
  const url = o.rpc ?? process.env['RAMPART_RPC'];
  if (url === undefined) throw usage('no node: pass --rpc URL or set RAMPART_RPC', '--rpc');
  return parseUrl(url, '--rpc');
}

function l1Url(o: Flags): string | undefined {
  const url = o.l1Rpc ?? process.env['RAMPART_L1_RPC'];
  return url === undefined ? undefined : parseUrl(url, '--l1-rpc');
}

function keyFilePath(o: Flags): string {
  const p = o.keyFile ?? process.env['RAMPART_KEY_FILE'];
  if (p === undefined) throw usage('no key file: pass --key-file FILE or set RAMPART_KEY_FILE', '--key-file');
  return p;
}

/** The L1 private key from --l1-key, --l1-key-file (owner-only permissions) or RAMPART_L1_KEY. */
function l1PrivateKey(o: Flags): Hex {
  return resolveL1Key(o, (code, message, options) => new SdkError(code, message, options));
}

async function l1Clients(o: Flags, withKey: boolean): Promise<L1Clients | undefined> {
  const url = l1Url(o);
  if (url === undefined) {
    if (withKey) throw usage('no L1: pass --l1-rpc URL or set RAMPART_L1_RPC', '--l1-rpc');
    return undefined;
  }
  const privateKey = withKey ? l1PrivateKey(o) : undefined;
  try {
    return await createL1Clients({ url, ...(privateKey === undefined ? {} : { privateKey }) });
  } catch (cause) {
    throw new SdkError('L1_FAILED', `cannot reach the L1 at ${url}`, { cause, details: { url } });
  }
}

function rollupFlag(o: Flags): Address | undefined {
  const r = o.rollup ?? process.env['RAMPART_ROLLUP'];
  return r === undefined ? undefined : parseAddress(r, '--rollup');
}

/** A client; signing commands need L1 (the domain is checked against the Rollup on L1). */
async function client(o: Flags, need: 'read' | 'sign' | 'l1-write'): Promise<RampartClient> {
  const url = rpcUrl(o);
  const rollup = rollupFlag(o);
  if (need === 'sign' && l1Url(o) === undefined) {
    throw usage('signing needs --l1-rpc URL (or RAMPART_L1_RPC): the rollup domain is checked on L1 before signing', '--l1-rpc');
  }
  const l1 = await l1Clients(o, need === 'l1-write');
  return createRampartClient({ rpcUrl: url, ...(l1 === undefined ? {} : { l1 }), ...(rollup === undefined ? {} : { rollup }) });
}

// ---------------------------------------------------------------------------------------------
// Output

const toJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** Where the commands write and how they report failure (tests run them in-process). */
export type WalletIo = {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly setExitCode: (code: number) => void;
};
const processIo: WalletIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
};

function accountJson(a: NodeAccount): Record<string, unknown> {
  return { index: a.index, tokenId: a.tokenId, balance: a.balance, nonce: a.nonce, l1Address: a.l1Address, publicKey: formatPublicKey(a.publicKey) };
}
const accountLine = (a: NodeAccount): string => `account ${a.index}: token ${a.tokenId}, balance ${a.balance}, nonce ${a.nonce}, owner ${a.l1Address}`;

function node(cmd: Command): Command {
  return cmd.option('--rpc <url>', 'node JSON-RPC URL (env RAMPART_RPC)').option('--rollup <address>', 'expected Rollup contract; refuse a node serving another (env RAMPART_ROLLUP)').option('--json', 'print one JSON object');
}
function l1(cmd: Command): Command {
  return cmd.option('--l1-rpc <url>', 'L1 JSON-RPC URL (env RAMPART_L1_RPC)');
}
function l1Signer(cmd: Command): Command {
  return l1(cmd).option('--l1-key <hex>', 'L1 private key (env RAMPART_L1_KEY; prefer --l1-key-file)').option('--l1-key-file <path>', 'file holding the L1 private key (mode 0600)');
}
function waitOpts(cmd: Command): Command {
  return cmd.option('--wait', 'wait for the result on L2').option('--timeout <seconds>', 'how long --wait waits (default 600)');
}

function txLine(tx: NodeTransaction): string {
  return `${tx.hash} ${tx.kind ?? 'transaction'}${tx.from === null ? '' : ` from ${tx.from} nonce ${tx.nonce ?? '?'}`}: ${tx.status}${tx.batchNum === null ? '' : ` in batch ${tx.batchNum}`}${tx.exitSlot === null ? '' : ` exit slot ${tx.exitSlot}`}${tx.reason === null ? '' : ` (${tx.reason})`}`;
}

// ---------------------------------------------------------------------------------------------
// Commands

export function registerWalletCommands(program: Command, io: WalletIo = processIo): void {
  const output = (o: Flags, result: Record<string, unknown>, human: readonly string[]): void => {
    io.out(o.json === true ? `${toJson(result)}\n` : `${human.join('\n')}\n`);
  };
  /** Runs a command; an error goes to stderr (JSON with --json) and sets exit code 2 (usage) or 1. */
  const run = async (o: Flags, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      const code = err instanceof RampartError ? err.code : 'ERROR';
      const message = err instanceof Error ? err.message : String(err);
      const details = err instanceof RampartError ? err.details : {};
      io.err(o.json === true ? `${toJson({ error: code, message, details })}\n` : `error [${code}]: ${message}\n`);
      io.setExitCode(USAGE_CODES.has(code) ? 2 : 1);
    }
  };
  const wallet = program.command('wallet').description('wallet: Baby Jubjub keys, deposits, L2 transfers and withdrawals, claims on L1');
  // Usage errors (unknown flag, missing value) exit with 2 like our own argument errors; help exits 0.
  wallet.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  const keys = wallet.command('keys').description('Baby Jubjub key files (JSON, mode 0600, never overwritten)');

  keys
    .command('new')
    .description('create a new key file')
    .requiredOption('--key-file <path>', 'where to write the key (must not exist)')
    .option('--json', 'print one JSON object')
    .action((o: Flags & { keyFile: string }) =>
      run(o, async () => {
        const key: BabyJubKey = generateBabyJubKey();
        writeKeyFile(o.keyFile, key);
        const pk = formatPublicKey(key.publicKey);
        output(o, { keyFile: o.keyFile, publicKey: pk }, [`wrote ${o.keyFile} (mode 0600)`, `public key ${pk[0]} ${pk[1]}`]);
      }),
    );

  keys
    .command('show')
    .description('print the public key of a key file (never the private key)')
    .option('--key-file <path>', 'key file (env RAMPART_KEY_FILE)')
    .option('--json', 'print one JSON object')
    .action((o: Flags) =>
      run(o, async () => {
        const path = keyFilePath(o);
        const pk = formatPublicKey(readKeyFile(path).publicKey);
        output(o, { keyFile: path, publicKey: pk }, [`public key ${pk[0]} ${pk[1]}`]);
      }),
    );

  l1(node(wallet.command('status')))
    .description("the node's view of the rollup; with --l1-rpc, also checks the signing domain on L1")
    .action((o: Flags) =>
      run(o, async () => {
        const c = await client(o, 'read');
        const s = await c.getStatus();
        const domain = c.context.l1 === undefined ? undefined : await c.getDomain();
        output(
          o,
          { ...s, root: `0x${s.root.toString(16)}`, domain: `0x${(domain?.digest ?? s.domain ?? 0n).toString(16)}`, domainVerifiedOnL1: domain !== undefined },
          [
            `chain ${s.chainId}, rollup ${s.rollup}${domain === undefined ? '' : ' (domain verified on L1)'}`,
            `batch ${s.batchNum} (final ${s.lastFinal}), pending ${s.pending}, next account ${s.nextIndex}`,
            `root 0x${s.root.toString(16)}`,
          ],
        );
      }),
    );

  node(wallet.command('balance'))
    .description('balance of an account, or of every account of a key file or L1 owner')
    .option('--account <index>', 'L2 account index')
    .option('--key-file <path>', 'list the accounts of this key')
    .option('--owner <address>', 'list the accounts of this L1 address')
    .option('--token <id>', 'only accounts of this token id')
    .action((o: Flags & { account?: string; owner?: string; token?: string }) =>
      run(o, async () => {
        const picked = [o.account, o.keyFile, o.owner].filter((x) => x !== undefined).length;
        if (picked !== 1) throw usage('pass exactly one of --account, --key-file, --owner', '--account');
        const tokenId = o.token === undefined ? undefined : parseUint(o.token, '--token', 0xffffffff);
        const index = o.account === undefined ? undefined : parseIndex(o.account, '--account');
        const owner = o.owner === undefined ? undefined : parseAddress(o.owner, '--owner');
        const publicKey = o.keyFile === undefined ? undefined : readKeyFile(o.keyFile).publicKey;
        const c = await client(o, 'read');
        if (index !== undefined) {
          const a = await c.getAccount({ index });
          if (a === null) throw new SdkError('ACCOUNT_NOT_FOUND', `no L2 account ${index}`, { details: { index } });
          output(o, accountJson(a), [accountLine(a)]);
          return;
        }
        const indices = await c.findAccounts({ ...(owner === undefined ? {} : { l1Address: owner }), ...(publicKey === undefined ? {} : { publicKey }), ...(tokenId === undefined ? {} : { tokenId }) });
        const accounts: NodeAccount[] = [];
        for (const i of indices) {
          const a = await c.getAccount({ index: i });
          if (a !== null) accounts.push(a);
        }
        output(o, { accounts: accounts.map(accountJson) }, accounts.length === 0 ? ['no accounts'] : accounts.map(accountLine));
      }),
    );

  waitOpts(l1Signer(node(wallet.command('deposit'))))
    .description('deposit ETH or a registered ERC-20 from L1: into a new account (--key-file) or top up --to')
    .requiredOption('--amount <amount>', 'base units, 1e18, 1.5eth or 2gwei')
    .option('--token <eth|address>', 'ETH (default) or a registered ERC-20 address', 'eth')
    .option('--key-file <path>', 'create an account controlled by this key (env RAMPART_KEY_FILE)')
    .option('--to <index>', 'top up this existing account instead')
    .option('--no-approve', 'fail instead of approving an ERC-20 allowance')
    .action((o: Flags & { amount: string; token: string; to?: string; approve: boolean; wait?: boolean }) =>
      run(o, async () => {
        const amount = parseWalletAmount(o.amount, '--amount');
        const token = o.token.toLowerCase() === 'eth' ? 'eth' : parseAddress(o.token, '--token');
        const toIndex = o.to === undefined ? undefined : parseIndex(o.to, '--to');
        if (toIndex !== undefined && o.keyFile !== undefined) throw usage('pass --key-file (new account) or --to (top up), not both', '--to');
        const publicKey = toIndex === undefined ? readKeyFile(keyFilePath(o)).publicKey : undefined;
        const wait = timeoutMs(o);
        const c = await client(o, 'l1-write');
        const d = await c.deposit({ amount, token, approve: o.approve, ...(publicKey === undefined ? {} : { publicKey }), ...(toIndex === undefined ? {} : { toIndex }) });
        const created = o.wait === true && d.kind === 'createAccount' ? await c.waitForAccount({ deposit: d, ...(wait === undefined ? {} : { timeoutMs: wait }) }) : undefined;
        output(
          o,
          { kind: d.kind, l1Tx: d.l1TxHash, queueIndex: d.queueIndex, tokenId: d.tokenId, amount: d.amount, owner: d.l1Address, toIndex: d.toIndex ?? null, account: created?.index ?? null },
          [
            `${d.kind === 'createAccount' ? 'account-creating deposit' : `top-up of account ${d.toIndex}`} of ${d.amount} (token ${d.tokenId}) queued at L1 index ${d.queueIndex}`,
            `L1 transaction ${d.l1TxHash}`,
            ...(created === undefined ? [] : [`created ${accountLine(created.account)}`]),
          ],
        );
      }),
    );

  waitOpts(l1(node(wallet.command('transfer'))))
    .description('transfer on L2 (signed with the key file)')
    .option('--key-file <path>', 'key controlling --from (env RAMPART_KEY_FILE)')
    .requiredOption('--from <index>', 'sending account')
    .requiredOption('--to <index>', 'receiving account (same token)')
    .requiredOption('--amount <amount>', 'exact amount (Float32-exact: up to 9 significant digits, then zeros)')
    .option('--max-fee <amount>', 'most to pay as fee (Float16-exact)', '0')
    .option('--nonce <n>', 'override the nonce read from the node')
    .action((o: Flags & { from: string; to: string; amount: string; maxFee: string; nonce?: string; wait?: boolean }) =>
      run(o, async () => {
        const from = parseIndex(o.from, '--from');
        const to = parseIndex(o.to, '--to');
        const amount = parseWalletAmount(o.amount, '--amount');
        const maxFee = parseWalletAmount(o.maxFee, '--max-fee');
        amountToFloat32(amount, '--amount');
        feeToFloat16(maxFee, '--max-fee');
        const nonce = o.nonce === undefined ? undefined : parseUint(o.nonce, '--nonce', 2 ** 40 - 1);
        const wait = timeoutMs(o);
        const key = readKeyFile(keyFilePath(o));
        const c = await client(o, 'sign');
        const r = await c.transfer({ privateKey: key.privateKey, from, to, amount, maxFee, ...(nonce === undefined ? {} : { nonce }) });
        const final = o.wait === true ? await c.waitForFinality({ hash: r.hash, ...(wait === undefined ? {} : { timeoutMs: wait }) }) : undefined;
        output(o, { hash: r.hash, from, to, amount, nonce: r.nonce, status: final?.status ?? 'pending', batchNum: final?.batchNum ?? null }, [
          `sent ${r.hash} (nonce ${r.nonce})`,
          ...(final === undefined ? [] : [txLine(final)]),
        ]);
      }),
    );

  waitOpts(l1Signer(node(wallet.command('withdraw'))))
    .description('withdraw from L2 to the account’s L1 address (claim it once final, or pass --wait --claim)')
    .option('--key-file <path>', 'key controlling --from (env RAMPART_KEY_FILE)')
    .requiredOption('--from <index>', 'account to withdraw from')
    .requiredOption('--amount <amount>', 'exact amount (Float32-exact)')
    .option('--max-fee <amount>', 'most to pay as fee (Float16-exact)', '0')
    .option('--nonce <n>', 'override the nonce read from the node')
    .option('--claim', 'with --wait: also claim the exit on L1 (needs an L1 key)')
    .action((o: Flags & { from: string; amount: string; maxFee: string; nonce?: string; wait?: boolean; claim?: boolean }) =>
      run(o, async () => {
        const from = parseIndex(o.from, '--from');
        const amount = parseWalletAmount(o.amount, '--amount');
        const maxFee = parseWalletAmount(o.maxFee, '--max-fee');
        amountToFloat32(amount, '--amount');
        feeToFloat16(maxFee, '--max-fee');
        const nonce = o.nonce === undefined ? undefined : parseUint(o.nonce, '--nonce', 2 ** 40 - 1);
        if (o.claim === true && o.wait !== true) throw usage('--claim needs --wait', '--claim');
        const wait = timeoutMs(o);
        const key = readKeyFile(keyFilePath(o));
        const c = await client(o, o.claim === true ? 'l1-write' : 'sign');
        const r = await c.withdraw({ privateKey: key.privateKey, from, amount, maxFee, ...(nonce === undefined ? {} : { nonce }) });
        const final = o.wait === true ? await c.waitForFinality({ hash: r.hash, ...(wait === undefined ? {} : { timeoutMs: wait }) }) : undefined;
        const claimed = o.claim === true ? await c.claim({ hash: r.hash }) : undefined;
        output(
          o,
          { hash: r.hash, from, amount, nonce: r.nonce, status: final?.status ?? 'pending', batchNum: final?.batchNum ?? null, exitSlot: final?.exitSlot ?? null, claimTx: claimed?.l1TxHash ?? null },
          [
            `sent ${r.hash} (nonce ${r.nonce})`,
            ...(final === undefined ? [`claim it once final: rampart wallet claim --tx ${r.hash}`] : [txLine(final)]),
            ...(claimed === undefined ? [] : [`claimed ${claimed.amount} to ${claimed.to} in L1 transaction ${claimed.l1TxHash}`]),
          ],
        );
      }),
    );

  l1Signer(node(wallet.command('claim')))
    .description('pay a final exit on L1 (anyone may submit it; it pays the exit’s L1 address)')
    .option('--tx <hash>', 'the withdraw transaction')
    .option('--batch <n>', 'or the exit’s batch number…')
    .option('--slot <n>', '…and slot')
    .action((o: Flags & { tx?: string; batch?: string; slot?: string }) =>
      run(o, async () => {
        const byTx = o.tx !== undefined;
        if (byTx === (o.batch !== undefined || o.slot !== undefined)) throw usage('pass --tx HASH, or --batch N --slot S', '--tx');
        if (!byTx && (o.batch === undefined || o.slot === undefined)) throw usage('--batch and --slot go together', '--batch');
        const target = o.tx !== undefined ? { hash: parseTxHash(o.tx, '--tx') } : { batchNum: parseUint(o.batch ?? '', '--batch'), slot: parseUint(o.slot ?? '', '--slot', 0xffffffff) };
        const c = await client(o, 'l1-write');
        const r = await c.claim(target);
        output(o, { l1Tx: r.l1TxHash, batchNum: r.batchNum, slot: r.slot, to: r.to, tokenId: r.tokenId, amount: r.amount }, [
          `claimed ${r.amount} (token ${r.tokenId}) from exit ${r.batchNum}/${r.slot} to ${r.to}`,
          `L1 transaction ${r.l1TxHash}`,
        ]);
      }),
    );
}
