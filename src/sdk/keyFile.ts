/**
 * Baby Jubjub key files: JSON `{ version: 1, type: "rampart-babyjubjub", privateKey, publicKey }`,
 * created with mode 0600 and never overwritten (O_EXCL), read only when no one but the owner can read
 * them (as ssh does). The public key is stored for humans and checked against the private key on read.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { type Hex, bytesToHex, hexToBytes } from 'viem';
import { createPrivateKey, publicKeyFromPrivate, type PrivateKey, type PublicKey } from '../core/eddsa.ts';
import { SdkError } from './errors.ts';

export const KEY_FILE_TYPE = 'rampart-babyjubjub';

export type BabyJubKey = { readonly privateKey: PrivateKey; readonly publicKey: PublicKey };

/** A fresh key from the platform CSPRNG. */
export function generateBabyJubKey(): BabyJubKey {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  const privateKey = createPrivateKey(bytes);
  bytes.fill(0);
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

const hex32 = (v: bigint): Hex => `0x${v.toString(16).padStart(64, '0')}`;

function serialize(key: BabyJubKey): string {
  return `${JSON.stringify(
    { version: 1, type: KEY_FILE_TYPE, privateKey: bytesToHex(key.privateKey), publicKey: [hex32(key.publicKey[0]), hex32(key.publicKey[1])] },
    null,
    2,
  )}\n`;
}

/** Writes `key` to a new file `path` (mode 0600); KEY_FILE_EXISTS if anything is there already. */
export function writeKeyFile(path: string, key: BabyJubKey): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new SdkError('KEY_FILE_EXISTS', `key file ${path} already exists; refusing to overwrite it`, { details: { path } });
    throw new SdkError('KEY_FILE_INVALID', `cannot create key file ${path}: ${code ?? String(cause)}`, { cause, details: { path } });
  }
  try {
    // O_CREAT's mode is filtered by the umask; 0600 is what it must be whatever the umask.
    if ((fstatSync(fd).mode & 0o777) !== 0o600) throw new SdkError('KEY_FILE_PERMISSIONS', `key file ${path} was not created with mode 0600`, { details: { path } });
    writeSync(fd, serialize(key));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function invalid(path: string, why: string, cause?: unknown): SdkError {
  return new SdkError('KEY_FILE_INVALID', `key file ${path}: ${why}`, { details: { path }, ...(cause === undefined ? {} : { cause }) });
}

/** Reads and checks a key file (permissions, format, public key matches the private key). */
export function readKeyFile(path: string): BabyJubKey {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw invalid(path, 'not a regular file');
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new SdkError('KEY_FILE_PERMISSIONS', `key file ${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`, {
        details: { path, mode: (st.mode & 0o777).toString(8) },
      });
    }
    if (st.size > 4096) throw invalid(path, 'too large to be a key file');
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if (cause instanceof SdkError) throw cause;
    throw invalid(path, `cannot read it (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw invalid(path, 'not JSON', cause);
  }
  if (typeof raw !== 'object' || raw === null) throw invalid(path, 'not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o['version'] !== 1 || o['type'] !== KEY_FILE_TYPE) throw invalid(path, `not a version-1 ${KEY_FILE_TYPE} key file`);
  const pk = o['privateKey'];
  if (typeof pk !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(pk)) throw invalid(path, 'privateKey must be 32 bytes of 0x-hex');
  const privateKey = createPrivateKey(hexToBytes(pk as Hex));
  const publicKey = publicKeyFromPrivate(privateKey);
  const stored = o['publicKey'];
  if (stored !== undefined) {
    const ok =
      Array.isArray(stored) &&
      stored.length === 2 &&
      stored.every((c) => typeof c === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(c)) &&
      BigInt(stored[0] as string) === publicKey[0] &&
      BigInt(stored[1] as string) === publicKey[1];
    if (!ok) throw invalid(path, 'publicKey does not belong to privateKey (file corrupted or edited)');
  }
  return { privateKey, publicKey };
}

/** The public key as wallets display it (two 32-byte hex coordinates). */
export function formatPublicKey(publicKey: PublicKey): readonly [Hex, Hex] {
  return [hex32(publicKey[0]), hex32(publicKey[1])];
}
