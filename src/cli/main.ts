/**
 * The `rampart` command: node and devnet, wallet, channels and watchtower, circuit setup.
 */
import { Command } from 'commander';
import { registerChannelCommands } from './channel.ts';
import { registerNodeCommands } from './node.ts';
import { registerSetupCommands } from './setup.ts';
import { registerWatchtowerCommands } from './watchtower.ts';

const program = new Command('rampart').description('Rampart: a security-first Layer-2 scaling stack for EVM chains');
registerNodeCommands(program);
registerChannelCommands(program);
registerWatchtowerCommands(program);
registerSetupCommands(program);
(await import('./wallet.ts')).registerWalletCommands(program);
(await import('./exit.ts')).registerExitCommands(program);
await program.parseAsync(process.argv);
