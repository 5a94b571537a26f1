/**
 * Getting money out with no operator online (docs/PROTOCOL.md §11.1), from an L1 URL and the rollup
 * address alone — no node, no database:
 *   rampart exit            exodus: pay every account of --owner (default: the L1 key's address), or the
 *                           given --account(s), plus its unpaid final exits and unprocessed deposits
 *   rampart exodus status   forced-inclusion / self-sequencing / exodus state of the rollup
 *   rampart exodus trigger  freeze the rollup once the contract allows it (anyone)
 *   rampart exodus proof    print the account proof for `exodusWithdraw` (no key needed)
 *   rampart exodus refund   refund one unprocessed deposit by queue index (anyone; pays the depositor)
 *   rampart self-sequence   every sequencer is silent: build, prove and submit the next batches yourself
 *                           (queued L1 ops plus any signed L2 transactions from --txs) with your circuit files
 * The state is rebuilt by replaying commitBatch calldata up to the last final batch and checked against
 * the root the contract holds. Flags or env: RAMPART_L1_RPC, RAMPART_ROLLUP, RAMPART_L1_KEY. Output is
 * lines, or one JSON object with --json. Exit codes: 0 done, 1 failed (error code on stderr), 2 usage.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { type Address, type Hex, getAddress, isAddress } from 'viem';
import { RampartError } from '../core/errors.ts';
import { createL1Clients, type L1Clients } from '../l1/createL1Clients.ts';
import { exodusRefund, getEscapeHatchStatus, triggerExodus } from '../l1/rollupActions.ts';
import { buildExodusView, claimExodus, exodusAccountProof, type ExodusClaim } from '../node/exodus.ts';
import { selfSequence } from '../node/self-sequence.ts';
import { l2TxSchema, toL2Tx } from '../node/rpc-schemas.ts';
import { createProver } from '../prover/prover.ts';
import type { L2Tx } from '../core/tx.ts';
import { resolveL1Key } from './l1-key.ts';

type Flags = {
  l1Rpc?: string;
  rollup?: string;
  l1Key?: string;
  l1KeyFile?: string;
  account?: string[];
  owner?: string;
  fromBlock?: string;
  queueIndex?: string;
  dryRun?: boolean;
  wasm?: string;
  zkey?: string;
  txs?: string;
  maxBatches?: string;
  threads?: string;
  json?: boolean;
};

export class ExitCliError extends RampartError {
  override readonly name = 'ExitCliError';
}

const usage = (message: string, argument: string): ExitCliError => new ExitCliError('INVALID_ARGUMENT', message, { details: { argument } });

function l1Url(o: Flags): string {
  const text = o.l1Rpc ?? process.env['RAMPART_L1_RPC'];
  if (text === undefined) throw usage('no L1: pass --l1-rpc URL or set RAMPART_L1_RPC', '--l1-rpc');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw usage(`--l1-rpc must be an http(s) URL, got ${text}`, '--l1-rpc');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`--l1-rpc must be an http(s) URL, got ${text}`, '--l1-rpc');
  return text;
}

function address(text: string | undefined, flag: string): Address {
  if (text === undefined || !isAddress(text, { strict: false })) throw usage(`${flag} must be a 20-byte 0x address, got ${text ?? 'nothing'}`, flag);
  return getAddress(text);
}

function rollup(o: Flags): Address {
  return address(o.rollup ?? process.env['RAMPART_ROLLUP'], '--rollup');
}

function uint(text: string, flag: string, min: number, max: number): number {
  if (!/^[0-9]{1,16}$/.test(text.trim()) || Number(text) < min || Number(text) > max) throw usage(`${flag} must be an integer in ${min}..${max}, got ${text}`, flag);
  return Number(text);
}

/** The L1 private key from --l1-key, --l1-key-file (owner-only permissions) or RAMPART_L1_KEY. */
function l1Key(o: Flags): Hex {
  return resolveL1Key(o, (code, message, options) => new ExitCliError(code, message, options));
}

async function clients(o: Flags, withKey: boolean): Promise<L1Clients> {
  const url = l1Url(o);
  const privateKey = withKey ? l1Key(o) : undefined;
  try {
    return await createL1Clients({ url, ...(privateKey === undefined ? {} : { privateKey }) });
  } catch (cause) {
    throw new ExitCliError('L1_FAILED', `cannot reach the L1 at ${url}`, { cause, details: { url } });
  }
}

function fromBlock(o: Flags): { fromBlock?: bigint } {
  return o.fromBlock === undefined ? {} : { fromBlock: BigInt(uint(o.fromBlock, '--from-block', 0, Number.MAX_SAFE_INTEGER)) };
}

/** Signed L2 transactions from a JSON file: an array in the node's JSON-RPC form (rampart_sendTransaction). */
function readTxsFile(path: string): L2Tx[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ExitCliError('TXS_FILE_INVALID', `cannot read ${path} as JSON`, { cause, details: { path } });
  }
  const parsed = z.array(l2TxSchema).max(100_000).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExitCliError('TXS_FILE_INVALID', `${path}: ${issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`}`, { details: { path } });
  }
  return parsed.data.map(toL2Tx);
}

const toJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

function claimLine(c: ExodusClaim): string {
  const what = c.kind === 'account' ? `account ${c.accountIndex}` : c.kind === 'exit' ? `exit batch ${c.batchNum} slot ${c.slot}` : `refund of queue item ${c.queueIndex}`;
  const status = c.skipped !== undefined ? c.skipped : c.tx === null ? 'dry run' : `tx ${c.tx}`;
  return `${what}: ${c.amount} of token ${c.tokenId} to ${c.to} (${status})`;
}

export type ExitIo = { readonly out: (text: string) => void; readonly err: (text: string) => void; readonly setExitCode: (code: number) => void };
const processIo: ExitIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
};

export function registerExitCommands(program: Command, io: ExitIo = processIo): void {
  const output = (o: Flags, result: unknown, human: readonly string[]): void => {
    io.out(o.json === true ? `${toJson(result)}\n` : `${human.join('\n')}\n`);
  };
  const run = async (o: Flags, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      const code = err instanceof RampartError ? err.code : 'ERROR';
      const message = err instanceof Error ? err.message : String(err);
      const details = err instanceof RampartError ? err.details : {};
      io.err(o.json === true ? `${toJson({ error: code, message, details })}\n` : `error [${code}]: ${message}\n`);
      io.setExitCode(code === 'INVALID_ARGUMENT' ? 2 : 1);
    }
  };
  const l1 = (cmd: Command): Command =>
    cmd
      .option('--l1-rpc <url>', 'L1 JSON-RPC URL (env RAMPART_L1_RPC)')
      .option('--rollup <address>', 'Rollup contract (env RAMPART_ROLLUP)')
      .option('--from-block <n>', 'scan L1 logs from this block (default: the rollup deploy block, found on L1)')
      .option('--json', 'print one JSON object');
  const signer = (cmd: Command): Command =>
    l1(cmd).option('--l1-key <hex>', 'L1 private key paying gas (env RAMPART_L1_KEY; prefer --l1-key-file)').option('--l1-key-file <path>', 'file holding the L1 private key (mode 0600)');
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

  signer(program.command('exit'))
    .description('exodus: take out the full balance of your accounts, unpaid final exits and unprocessed deposits, from L1 data alone')
    .option('--account <index>', 'an account index (repeatable); default: every account of --owner', collect)
    .option('--owner <address>', 'L1 owner whose accounts, exits and deposits to pay (default: the L1 key’s address)')
    .option('--dry-run', 'build and check every proof, send nothing')
    .action((o: Flags) =>
      run(o, async () => {
        // Every flag is checked before the L1 is contacted.
        const accounts = (o.account ?? []).map((a) => uint(a, '--account', 1, 0xffffffff));
        const r = rollup(o);
        const from = fromBlock(o);
        const explicitOwner = o.owner === undefined ? undefined : address(o.owner, '--owner');
        const c = await clients(o, o.dryRun !== true || o.l1Key !== undefined || o.l1KeyFile !== undefined || process.env['RAMPART_L1_KEY'] !== undefined);
        const owner = explicitOwner ?? (accounts.length === 0 ? c.wallet?.account.address : undefined);
        if (owner === undefined && accounts.length === 0) throw usage('name --owner or --account (or pass an L1 key)', '--owner');
        const claims = await claimExodus({ l1: c, rollup: r, accounts, ...(owner === undefined ? {} : { owner }), ...from, dryRun: o.dryRun === true });
        const totals: Record<string, bigint> = {};
        for (const x of claims) if (x.skipped === undefined) totals[x.tokenId] = (totals[x.tokenId] ?? 0n) + x.amount;
        output(o, { claims, totals }, claims.length === 0 ? ['nothing to claim'] : [...claims.map(claimLine), ...Object.entries(totals).map(([t, v]) => `total token ${t}: ${v}`)]);
      }),
    );

  const exodus = program.command('exodus').description('escape hatches: status, trigger exodus, account proofs, deposit refunds');
  l1(exodus.command('status'))
    .description('forced-inclusion, self-sequencing and exodus state of the rollup')
    .action((o: Flags) =>
      run(o, async () => {
        const r = rollup(o);
        const s = await getEscapeHatchStatus(await clients(o, false), r);
        output(o, s, [
          `exodus: ${s.exodus ? `active since batch ${s.exodusBatch} (root 0x${s.exodusRoot.toString(16)}, queue items from ${s.exodusL1End} refundable)` : s.exodusAllowed ? 'not active; anyone may trigger it now' : 'not active, not allowed'}`,
          `self-sequencing: ${s.selfSequencingOpen ? 'open' : 'closed'}`,
          `batches: ${s.lastCommitted} committed, ${s.lastFinal} final; queue: ${s.l1Consumed} of ${s.queueLength} consumed`,
          `delays (s): forced inclusion ${s.delays.forcedInclusion}, self-sequence ${s.delays.selfSequence}, exodus ${s.delays.exodus}`,
        ]);
      }),
    );
  signer(exodus.command('trigger'))
    .description('freeze the rollup at its last final batch (allowed once an item or batch waited longer than the exodus delay)')
    .action((o: Flags) =>
      run(o, async () => {
        const r = rollup(o);
        const c = await clients(o, true);
        const s = await getEscapeHatchStatus(c, r);
        if (s.exodus) throw new ExitCliError('EXODUS_ACTIVE', `exodus is already active (batch ${s.exodusBatch})`);
        if (!s.exodusAllowed) throw new ExitCliError('EXODUS_NOT_ALLOWED', 'exodus may not be triggered yet: nothing has waited longer than the exodus delay', { details: { delay: s.delays.exodus.toString() } });
        const receipt = await triggerExodus(c, r);
        output(o, { tx: receipt.transactionHash, lastFinalBatch: s.lastFinal }, [`exodus triggered at final batch ${s.lastFinal}: tx ${receipt.transactionHash}`]);
      }),
    );
  l1(exodus.command('proof'))
    .description('print the exodusWithdraw arguments for an account, rebuilt from L1 alone')
    .requiredOption('--account <index>', 'account index', collect)
    .action((o: Flags) =>
      run(o, async () => {
        const r = rollup(o);
        const from = fromBlock(o);
        const indices = (o.account ?? []).map((a) => uint(a, '--account', 1, 0xffffffff));
        const view = await buildExodusView({ l1: await clients(o, false), rollup: r, ...from });
        const proofs = indices.map((i) => exodusAccountProof(view, i));
        output(o, { finalBatch: view.finalBatch, root: view.root, proofs }, proofs.map((p) => `account ${p.accountIndex}: token ${p.tokenId}, balance ${p.balance}, nonce ${p.nonce}, owner ${p.l1Address}; siblings ${toJson(p.siblings)}`));
      }),
    );
  signer(exodus.command('refund'))
    .description('refund an unprocessed deposit (queue item) to its depositor')
    .requiredOption('--queue-index <n>', 'queue index of the createAccount/deposit')
    .action((o: Flags) =>
      run(o, async () => {
        const r = rollup(o);
        const from = fromBlock(o);
        const index = uint(o.queueIndex ?? '', '--queue-index', 0, Number.MAX_SAFE_INTEGER);
        const c = await clients(o, true);
        const view = await buildExodusView({ l1: c, rollup: r, ...from });
        const q = view.refundable.find((x) => x.index === index);
        if (q === undefined) throw new ExitCliError('NOT_REFUNDABLE', `queue item ${index} is not an unprocessed deposit (final batches consumed up to ${view.l1End})`, { details: { index } });
        const receipt = await exodusRefund(c, view.rollup, BigInt(index), q.opHex);
        output(o, { tx: receipt.transactionHash, queueIndex: index }, [`refunded queue item ${index}: tx ${receipt.transactionHash}`]);
      }),
    );

  signer(program.command('self-sequence'))
    .description('when every sequencer is silent past the self-sequencing delay: build, prove and submit the next batches from L1 data alone')
    .option('--wasm <path>', "the batch circuit's witness calculator (the circuit the rollup's verifier was made from); zk and multi modes")
    .option('--zkey <path>', 'its proving key; zk and multi modes (an optimistic rollup takes the assertion bond instead)')
    .option('--txs <file>', 'signed L2 transactions to include (JSON array, rampart_sendTransaction form)')
    .option('--max-batches <n>', 'stop after this many batches')
    .option('--threads <n>', 'prover worker threads', '1')
    .action((o: Flags) =>
      run(o, async () => {
        const r = rollup(o);
        const from = fromBlock(o);
        const maxBatches = o.maxBatches === undefined ? undefined : uint(o.maxBatches, '--max-batches', 1, 1_000_000);
        const threads = uint(o.threads ?? '1', '--threads', 1, 64);
        const l2Txs = o.txs === undefined ? [] : readTxsFile(o.txs);
        const c = await clients(o, true);
        if ((o.wasm === undefined) !== (o.zkey === undefined)) throw usage('give both --wasm and --zkey, or neither (optimistic mode)', o.wasm === undefined ? '--wasm' : '--zkey');
        const prover = o.wasm === undefined || o.zkey === undefined ? undefined : await createProver({ wasmPath: o.wasm, zkeyPath: o.zkey, threads });
        try {
          const res = await selfSequence({ l1: c, rollup: r, l2Txs, ...(prover === undefined ? {} : { prover }), ...from, ...(maxBatches === undefined ? {} : { maxBatches }) });
          output(o, { batches: res.batches, rejected: res.rejected, remaining: res.remaining.length }, [
            ...(res.batches.length === 0 ? ['nothing to sequence'] : res.batches.map((b) => `batch ${b.batchNum}: ${b.l1Ops} L1 ops, ${b.l2Included.length} L2 txs, proven in ${b.proveMs} ms, tx ${b.txHash}`)),
            ...res.rejected.map((x) => `rejected ${x.hash}: ${x.reason}`),
            ...(res.remaining.length === 0 ? [] : [`${res.remaining.length} transactions left: self-sequencing closed again (send them with forceTransfer, or wait)`]),
          ]);
        } finally {
          await prover?.close();
        }
      }),
    );
}
