/** File and hashing helpers shared by the ceremony's ptau and zkey writers. */
import type { FileHandle } from 'node:fs/promises';
import { SetupError } from './setup-errors.ts';
import { G2_BYTES } from './setup-ptau.ts';
import { type FfCurve, loadChaCha } from './snarkjs-api.ts';

export async function writeAt(fh: FileHandle, offset: number, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, offset + done);
    done += bytesWritten;
  }
}

export async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const b = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(b, done, length - done, offset + done);
    if (bytesRead === 0) throw new SetupError('SETUP_FAILED', 'file ended early while reading back points');
    done += bytesRead;
  }
  return b;
}

/**
 * snarkjs keypair.hashToG2: a G2 point drawn by ffjavascript's ChaCha20 seeded with the first
 * 32 bytes of `hash` (as 8 big-endian words). Returns the affine point in LEM form.
 */
export async function hashToG2(curve: FfCurve, hash: Uint8Array): Promise<Uint8Array> {
  const ChaCha = await loadChaCha();
  const v = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const seed = Array.from({ length: 8 }, (_, i) => v.getUint32(i * 4, false));
  const p = curve.G2.toAffine(curve.G2.fromRng(new ChaCha(seed)));
  const out = new Uint8Array(G2_BYTES);
  curve.G2.toRprLEM(out, 0, p);
  return out;
}
