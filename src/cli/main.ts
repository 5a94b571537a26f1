/**
 * The `rampart` command: node and devnet, wallet, channels and watchtower, circuit setup.
 */
import { Command } from 'commander';
import { installPoseidonBackend } from '../native/poseidon-native.ts';
import { registerChannelCommands } from './channel.ts';
import { registerNodeCommands } from './node.ts';
import { registerSetupCommands } from './setup.ts';
import { registerWatchtowerCommands } from './watchtower.ts';

// Hash with the native Poseidon engine where it builds (the same results as WebAssembly, about twice
// as fast; RAMPART_POSEIDON=wasm|native|auto), before anything creates an engine.
try {
  const poseidon = installPoseidonBackend();
  if (poseidon.reason !== undefined) process.stderr.write(`rampart: native Poseidon engine unavailable, hashing with WebAssembly: ${poseidon.reason}\n`);
} catch (e) {
  process.stderr.write(`rampart: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

const program = new Command('rampart').description('Rampart: a security-first Layer-2 scaling stack for EVM chains');
registerNodeCommands(program);
registerChannelCommands(program);
registerWatchtowerCommands(program);
registerSetupCommands(program);
(await import('./wallet.ts')).registerWalletCommands(program);
(await import('./exit.ts')).registerExitCommands(program);
await program.parseAsync(process.argv);
