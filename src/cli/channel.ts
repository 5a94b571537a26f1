/**
 * `rampart channel …`: run a channel party and act on its channels.
 *   serve   long-running party: listens for peers, accepts channels within its policy, countersigns,
 *           watches L1 and answers disputes (JSON lines on stdout)
 *   open    open a channel with a serving peer (A deposits on open, B on funding)
 *   pay     pay over an open channel (with --count, many payments, pipelined)
 *   close   cooperative close (or --force unilateral close, --settle after the period)
 *   status  channels in the local database, with their L1 status
 *   deploy  deploy the adjudicator (and a test token)
 *   devnet  start a local devnet with the adjudicator and a test token deployed
 * Key, L1 URL and adjudicator come from flags or RAMPART_KEY / RAMPART_L1_RPC / RAMPART_ADJUDICATOR.
 */
import type { Command } from 'commander';
import { readChannel } from '../channels/actions/readChannel.ts';
import { type ChannelClient, type ChannelClientParameters, createChannelClient } from '../channels/createChannelClient.ts';
import { createL1Clients } from '../l1/createL1Clients.ts';
import { deployAdjudicator } from '../l1/deployAdjudicator.ts';
import { deployTestToken } from '../l1/deployTestToken.ts';
import { startDevnet } from '../l1/devnet.ts';
import {
  type CommonOptions,
  emit,
  parseAmount,
  parseHex32,
  parseInteger,
  resolveAdjudicator,
  resolveDb,
  resolveKey,
  resolveRpc,
  runCommand,
  untilSignal,
} from './channelShared.ts';

type ClientFlags = CommonOptions & { tower?: string; fsync?: boolean; maxInFlight?: string; maxPerState?: string };

function common(cmd: Command): Command {
  return cmd
    .option('--rpc <url>', 'L1 JSON-RPC URL (env RAMPART_L1_RPC)')
    .option('--adjudicator <address>', 'adjudicator contract (env RAMPART_ADJUDICATOR)')
    .option('--key <hex>', 'private key (env RAMPART_KEY)')
    .option('--key-file <path>', 'file holding the private key')
    .option('--db <dir>', 'database folder (default .rampart/channels-<address>)');
}

async function client(o: ClientFlags, over: Partial<ChannelClientParameters> = {}): Promise<ChannelClient> {
  const privateKey = resolveKey(o);
  return createChannelClient({
    dbPath: resolveDb(o, 'channels', privateKey),
    privateKey,
    l1Url: resolveRpc(o),
    adjudicator: resolveAdjudicator(o),
    ...(o.tower === undefined ? {} : { towerUrl: o.tower }),
    ...(o.fsync === false ? { fsync: false } : {}),
    ...(o.maxInFlight === undefined ? {} : { maxInFlight: parseInteger(o.maxInFlight, '--max-in-flight') }),
    ...(o.maxPerState === undefined ? {} : { maxPaymentsPerState: parseInteger(o.maxPerState, '--max-per-state') }),
    // One-shot commands neither listen nor watch L1: `serve` (or a watchtower) does that.
    monitorIntervalMs: 0,
    autoRespond: false,
    autoSettle: false,
    ...over,
  });
}

export function registerChannelCommands(program: Command): void {
  const channel = program.command('channel').description('state channels: lock on L1, pay off-chain, settle the last state');

  common(channel.command('serve'))
    .description('run a channel party: accept peers, countersign, watch L1 and answer disputes')
    .option('--listen <port>', 'port on 127.0.0.1 to accept peers on', '7600')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--tower <url>', 'watchtower to hand every new state to')
    .option('--monitor-ms <ms>', 'how often to read channels on L1', '1000')
    .option('--max-in-flight <n>', 'proposals in flight before waiting for countersignatures')
    .option('--max-per-state <n>', 'payments coalesced into one state')
    .option('--no-fsync', 'commit without waiting for the disk (crash-safe, not power-cut-safe)')
    .option('--events', 'print a line per received payment batch')
    .action((o: ClientFlags & { listen: string; host: string; monitorMs: string; events?: boolean }) =>
      runCommand(async () => {
        const c = await client(o, {
          listenPort: parseInteger(o.listen, '--listen'),
          listenHost: o.host,
          monitorIntervalMs: parseInteger(o.monitorMs, '--monitor-ms'),
          autoRespond: true,
          autoSettle: true,
        });
        c.events.on('error', (err) => emit({ event: 'error', message: String((err as Error).message ?? err) }));
        c.events.on('dispute', (r, onchain) => emit({ event: 'dispute', channelId: r.channelId, onchainVersion: onchain.version, ours: r.latest.state.version }));
        c.events.on('responded', (r, tx) => emit({ event: 'responded', channelId: r.channelId, tx: tx.hash }));
        c.events.on('settled', (r, tx) => emit({ event: 'settled', channelId: r.channelId, tx: tx?.hash ?? null }));
        c.events.on('violation', (r, err) => emit({ event: 'violation', channelId: r.channelId, code: err.code, message: err.message }));
        if (o.events === true) {
          c.events.on('payment', (r, payments, version) => emit({ event: 'payment', channelId: r.channelId, count: payments.length, version }));
        }
        emit({ event: 'ready', url: c.url, address: c.address, chainId: c.domain.chainId, adjudicator: c.domain.adjudicator });
        await untilSignal();
        await c.stop();
        emit({ event: 'stopped' });
      }),
    );

  common(channel.command('open'))
    .description('open a channel with a serving peer and fund it (3 L1 transactions with the close)')
    .requiredOption('--peer <url>', 'ws:// URL of the peer')
    .option('--peer-address <address>', 'refuse the peer unless it proves this address')
    .requiredOption('--deposit <amount>', 'our deposit (wei, or e.g. 1.5eth)')
    .option('--peer-deposit <amount>', 'the peer’s deposit', '0')
    .option('--token <address>', 'ERC-20 token (default ETH)')
    .option('--challenge-period <seconds>', 'dispute window', '86400')
    .option('--window <n>', 'pipeline window', '64')
    .option('--tower <url>', 'watchtower to hand states to')
    .action(
      (o: ClientFlags & { peer: string; peerAddress?: string; deposit: string; peerDeposit: string; token?: string; challengePeriod: string; window: string }) =>
        runCommand(async () => {
          const c = await client(o);
          try {
            const r = await c.openChannel({
              peerUrl: o.peer,
              ...(o.peerAddress === undefined ? {} : { peerAddress: o.peerAddress as `0x${string}` }),
              depositA: parseAmount(o.deposit),
              depositB: parseAmount(o.peerDeposit),
              ...(o.token === undefined ? {} : { token: o.token as `0x${string}` }),
              challengePeriod: parseInteger(o.challengePeriod, '--challenge-period'),
              pipelineWindow: parseInteger(o.window, '--window'),
            });
            emit({ event: 'opened', channelId: r.channelId, peer: r.params.participantB, depositA: r.depositA, depositB: r.depositB, l1Txs: r.l1Txs });
          } finally {
            await c.stop();
          }
        }),
    );

  common(channel.command('pay'))
    .description('pay over an open channel')
    .requiredOption('--channel <id>', 'channel id')
    .requiredOption('--amount <amount>', 'amount per payment (wei, or e.g. 0.01eth)')
    .option('--count <n>', 'number of payments', '1')
    .option('--sequential', 'wait for each payment before the next (no pipelining or coalescing)')
    .option('--progress', 'print a line per completed payment')
    .option('--tower <url>', 'watchtower to hand states to')
    .option('--max-in-flight <n>', 'proposals in flight')
    .option('--max-per-state <n>', 'payments coalesced into one state')
    .option('--no-fsync', 'commit without waiting for the disk')
    .action((o: ClientFlags & { channel: string; amount: string; count: string; sequential?: boolean; progress?: boolean }) =>
      runCommand(async () => {
        const c = await client(o);
        try {
          const id = parseHex32(o.channel, '--channel');
          const amount = parseAmount(o.amount);
          const count = parseInteger(o.count, '--count');
          const t0 = performance.now();
          let last = 0n;
          const done = (r: { id: string; version: bigint }): void => {
            last = r.version > last ? r.version : last;
            if (o.progress === true) emit({ event: 'paid', id: r.id, version: r.version });
          };
          if (o.sequential === true) {
            for (let i = 0; i < count; i++) done(await c.pay(id, amount));
          } else {
            await Promise.all(Array.from({ length: count }, () => c.pay(id, amount).then(done)));
          }
          const seconds = (performance.now() - t0) / 1000;
          await c.flushTower();
          emit({ event: 'payments', channelId: id, count, amount, version: last, seconds, perSecond: Math.round(count / seconds) });
        } finally {
          await c.stop();
        }
      }),
    );

  common(channel.command('close'))
    .description('close a channel: cooperatively (default), unilaterally (--force), or settle after the period (--settle)')
    .requiredOption('--channel <id>', 'channel id')
    .option('--force', 'unilateral close with the latest doubly-signed state')
    .option('--settle', 'settle a challenged channel whose period is over')
    .action((o: ClientFlags & { channel: string; force?: boolean; settle?: boolean }) =>
      runCommand(async () => {
        const c = await client(o);
        try {
          const id = parseHex32(o.channel, '--channel');
          if (o.settle === true) {
            const tx = await c.settle(id);
            emit({ event: 'settled', channelId: id, tx: tx.hash, gasUsed: tx.gasUsed });
          } else if (o.force === true) {
            const tx = await c.forceClose(id);
            const onchain = await readChannel(c.l1, c.domain.adjudicator, id);
            emit({ event: 'force-closed', channelId: id, tx: tx.hash, version: onchain.version, deadline: onchain.deadline });
          } else {
            const tx = await c.closeCooperatively(id);
            emit({ event: 'closed', channelId: id, tx: tx.hash, gasUsed: tx.gasUsed });
          }
        } finally {
          await c.stop();
        }
      }),
    );

  common(channel.command('status'))
    .description('list channels in the local database with their L1 status')
    .option('--channel <id>', 'only this channel')
    .action((o: ClientFlags & { channel?: string }) =>
      runCommand(async () => {
        const c = await client(o);
        try {
          const list = o.channel === undefined ? c.channels() : [c.channel(parseHex32(o.channel, '--channel'))].filter((r) => r !== undefined);
          for (const r of list) {
            const onchain = await readChannel(c.l1, c.domain.adjudicator, r.channelId);
            emit({
              channelId: r.channelId,
              role: r.role,
              status: r.status,
              onchain: onchain.status,
              version: r.latest.state.version,
              balanceA: r.latest.state.balanceA,
              balanceB: r.latest.state.balanceB,
              sent: r.sentCount,
              received: r.receivedCount,
              l1Txs: r.l1Txs.length,
            });
          }
        } finally {
          await c.stop();
        }
      }),
    );

  common(channel.command('deploy'))
    .description('deploy the adjudicator (and, with --test-token, a devnet ERC-20)')
    .option('--min-challenge <seconds>', 'shortest challenge period', '3600')
    .option('--max-challenge <seconds>', 'longest challenge period', String(30 * 86400))
    .option('--tower-fee-bps <bps>', 'watchtower share of a forfeited balance', '1000')
    .option('--test-token', 'also deploy TestToken')
    .action((o: CommonOptions & { minChallenge: string; maxChallenge: string; towerFeeBps: string; testToken?: boolean }) =>
      runCommand(async () => {
        const clients = await createL1Clients({ url: resolveRpc(o), privateKey: resolveKey(o) });
        const adj = await deployAdjudicator(clients, {
          minChallengePeriod: parseInteger(o.minChallenge, '--min-challenge'),
          maxChallengePeriod: parseInteger(o.maxChallenge, '--max-challenge'),
          watchtowerFeeBps: parseInteger(o.towerFeeBps, '--tower-fee-bps'),
        });
        const token = o.testToken === true ? await deployTestToken(clients) : undefined;
        emit({ event: 'deployed', adjudicator: adj.address, gasUsed: adj.gasUsed, ...(token === undefined ? {} : { token: token.address }) });
      }),
    );

  channel
    .command('devnet')
    .description('start a local Hardhat devnet with the adjudicator and a test token; prints URL, addresses and funded keys')
    .option('--port <port>', 'JSON-RPC port (0 = free port)', '8545')
    .option('--chain-id <id>', 'chain id', '31337')
    .option('--accounts <n>', 'funded accounts', '4')
    .action((o: { port: string; chainId: string; accounts: string }) =>
      runCommand(async () => {
        const devnet = await startDevnet({
          port: parseInteger(o.port, '--port'),
          chainId: parseInteger(o.chainId, '--chain-id'),
          accounts: parseInteger(o.accounts, '--accounts'),
        });
        try {
          const first = devnet.accounts[0];
          if (first === undefined) throw new RangeError('devnet has no accounts');
          const clients = await createL1Clients({ url: devnet.url, privateKey: first.privateKey, chainId: devnet.chainId, retryCount: 0 });
          const adj = await deployAdjudicator(clients);
          const token = await deployTestToken(clients);
          emit({ event: 'devnet', url: devnet.url, chainId: devnet.chainId, adjudicator: adj.address, token: token.address, accounts: devnet.accounts });
          await untilSignal();
        } finally {
          await devnet.stop();
        }
      }),
    );
}
