/**
 * Helpers shared by the `rampart channel` and `rampart watchtower` commands: option resolution
 * (flag, then environment), amount parsing, and JSON-lines output (one object per line on stdout,
 * so scripts and tests can follow a long-running command).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Address, type Hex, getAddress, isAddress, parseEther } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { InvalidInputError } from '../core/errors.ts';

export type CommonOptions = {
  rpc?: string;
  adjudicator?: string;
  key?: string;
  keyFile?: string;
  db?: string;
};

export function resolveKey(o: CommonOptions): Hex {
  const raw = o.key ?? (o.keyFile === undefined ? undefined : readFileSync(o.keyFile, 'utf8').trim()) ?? process.env['RAMPART_KEY'];
  if (raw === undefined) throw new InvalidInputError('no key: pass --key, --key-file or set RAMPART_KEY');
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new InvalidInputError('key must be 32 bytes of hex (0x…)');
  return raw as Hex;
}

export function resolveRpc(o: CommonOptions): string {
  const url = o.rpc ?? process.env['RAMPART_L1_RPC'];
  if (url === undefined) throw new InvalidInputError('no L1: pass --rpc or set RAMPART_L1_RPC');
  return url;
}

export function resolveAdjudicator(o: CommonOptions): Address {
  const a = o.adjudicator ?? process.env['RAMPART_ADJUDICATOR'];
  if (a === undefined || !isAddress(a)) throw new InvalidInputError('no adjudicator: pass --adjudicator or set RAMPART_ADJUDICATOR');
  return getAddress(a);
}

export function resolveDb(o: CommonOptions, kind: string, key: Hex): string {
  return o.db ?? process.env['RAMPART_DB'] ?? join('.rampart', `${kind}-${privateKeyToAddress(key).toLowerCase()}`);
}

/** "1.5eth" -> wei; "1000" or "1000wei" -> wei. */
export function parseAmount(text: string): bigint {
  const t = text.trim().toLowerCase();
  try {
    if (t.endsWith('eth')) return parseEther(t.slice(0, -3));
    const digits = t.endsWith('wei') ? t.slice(0, -3) : t;
    if (!/^[0-9]+$/.test(digits)) throw new InvalidInputError(`not an amount: ${text}`);
    return BigInt(digits);
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`not an amount: ${text}`, { cause: err });
  }
}

export function parseHex32(text: string, name: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new InvalidInputError(`${name} must be 32 bytes of hex`);
  return text.toLowerCase() as Hex;
}

export function parseInteger(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidInputError(`${name} must be a non-negative integer`);
  return n;
}

/** Prints one JSON object per line; bigints as decimal strings. */
export function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Runs a command body; a Rampart error becomes one JSON line on stderr and exit code 1. */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; details?: unknown };
    process.stderr.write(
      `${JSON.stringify({ error: typeof e.code === 'string' ? e.code : 'ERROR', message: String(e.message ?? err), details: e.details ?? {} }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
    );
    process.exitCode = 1;
  }
}

/** Resolves on SIGINT/SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
