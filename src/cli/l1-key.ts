/**
 * The L1 private key of a command-line user, shared by `rampart wallet` and `rampart exit`: from
 * --l1-key, --l1-key-file (owner-only permissions) or RAMPART_L1_KEY. Each command raises its own
 * error class (`fail`) with the same codes: INVALID_ARGUMENT, KEY_FILE_PERMISSIONS, KEY_FILE_INVALID.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Hex } from 'viem';
import type { RampartError, RampartErrorOptions } from '../core/errors.ts';

export type L1KeyFlags = { readonly l1Key?: string | undefined; readonly l1KeyFile?: string | undefined };
export type MakeError = (code: 'INVALID_ARGUMENT' | 'KEY_FILE_PERMISSIONS' | 'KEY_FILE_INVALID', message: string, options: RampartErrorOptions) => RampartError;

export function resolveL1Key(o: L1KeyFlags, fail: MakeError): Hex {
  const usage = (message: string): RampartError => fail('INVALID_ARGUMENT', message, { details: { argument: '--l1-key' } });
  if (o.l1Key !== undefined && o.l1KeyFile !== undefined) throw usage('pass --l1-key or --l1-key-file, not both');
  let raw = o.l1Key;
  if (raw === undefined && o.l1KeyFile !== undefined) {
    const path = o.l1KeyFile;
    let loose = false;
    try {
      loose = process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0;
      if (!loose) raw = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw fail('KEY_FILE_INVALID', `cannot read L1 key file ${path}`, { cause: err, details: { path } });
    }
    if (loose) throw fail('KEY_FILE_PERMISSIONS', `L1 key file ${path} is accessible by group or others; run chmod 600 ${path}`, { details: { path } });
  }
  raw ??= process.env['RAMPART_L1_KEY'];
  if (raw === undefined) throw usage('no L1 key: pass --l1-key HEX, --l1-key-file FILE or set RAMPART_L1_KEY');
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw usage('the L1 key must be 32 bytes of 0x-hex');
  return raw as Hex;
}
