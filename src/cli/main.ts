/**
 * Minimal `rampart` entry wiring the channel and watchtower commands. The project's full CLI entry
 * (owned elsewhere) registers the same functions next to its own commands.
 */
import { Command } from 'commander';
import { registerChannelCommands } from './channel.ts';
import { registerSetupCommands } from './setup.ts';
import { registerWatchtowerCommands } from './watchtower.ts';

const program = new Command('rampart').description('Rampart: a security-first Layer-2 scaling stack for EVM chains');
registerChannelCommands(program);
registerWatchtowerCommands(program);
registerSetupCommands(program);
(await import('./wallet.ts')).registerWalletCommands(program);
await program.parseAsync(process.argv);
