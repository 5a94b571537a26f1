/**
 * `rampart watchtower`: run a watchtower. Clients hand it their newest doubly-signed states over
 * JSON-RPC (`--tower <url>` on `rampart channel`); it scans L1 and answers stale closes within their
 * challenge period, earning a share of the cheater's forfeited balance. Restart-safe (LMDB).
 */
import type { Command } from 'commander';
import { createWatchtower } from '../channels/watchtower/createWatchtower.ts';
import {
  type CommonOptions,
  emit,
  parseInteger,
  resolveAdjudicator,
  resolveDb,
  resolveKey,
  resolveRpc,
  runCommand,
  untilSignal,
} from './channelShared.ts';

export function registerWatchtowerCommands(program: Command): void {
  program
    .command('watchtower')
    .description('watch L1 for stale channel closes and answer them for offline clients')
    .option('--rpc <url>', 'L1 JSON-RPC URL (env RAMPART_L1_RPC)')
    .option('--adjudicator <address>', 'adjudicator contract (env RAMPART_ADJUDICATOR)')
    .option('--key <hex>', 'private key of the tower’s L1 account (env RAMPART_KEY)')
    .option('--key-file <path>', 'file holding the private key')
    .option('--db <dir>', 'database folder (default .rampart/tower-<address>)')
    .option('--listen <port>', 'JSON-RPC port on 127.0.0.1', '7700')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--poll-ms <ms>', 'how often to scan L1', '1000')
    .option('--start-block <n>', 'first block to scan on a fresh database')
    .action((o: CommonOptions & { listen: string; host: string; pollMs: string; startBlock?: string }) =>
      runCommand(async () => {
        const privateKey = resolveKey(o);
        const tower = await createWatchtower(
          {
            dbPath: resolveDb(o, 'tower', privateKey),
            privateKey,
            l1Url: resolveRpc(o),
            adjudicator: resolveAdjudicator(o),
            listenPort: parseInteger(o.listen, '--listen'),
            listenHost: o.host,
            pollIntervalMs: parseInteger(o.pollMs, '--poll-ms'),
            ...(o.startBlock === undefined ? {} : { startBlock: BigInt(parseInteger(o.startBlock, '--start-block')) }),
          },
          { log: (event, fields) => emit({ event, ...fields }) },
        );
        emit({ event: 'ready', url: tower.url, ...tower.status() });
        await untilSignal();
        await tower.stop();
        emit({ event: 'stopped' });
      }),
    );
}
