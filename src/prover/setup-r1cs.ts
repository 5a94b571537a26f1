/**
 * Reads the header of a circom `.r1cs` file (iden3 binfile "r1cs", v1) — what the setup needs to
 * size the ceremony and label the cache — without loading the constraints.
 *
 *   magic "r1cs" ‖ u32 version = 1 ‖ u32 nSections, then per section u32 type ‖ u64 size ‖ data;
 *   section 1: u32 n8 ‖ prime (n8 bytes LE) ‖ u32 nWires ‖ u32 nPubOut ‖ u32 nPubIn ‖ u32 nPrvIn ‖
 *              u64 nLabels ‖ u32 nConstraints.
 */
import { open } from 'node:fs/promises';
import { SetupError } from './setup-errors.ts';
import { BN254_R, leToBigint } from './setup-ptau.ts';

export type R1csHeader = {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly nConstraints: number;
  /** Public signals (outputs + public inputs), the verifier's input count. */
  readonly nPublic: number;
  /**
   * log2 of the Groth16 evaluation domain snarkjs uses for this circuit: the smallest power with
   * nConstraints + nPublic + 1 ≤ 2^power rows, computed exactly as snarkjs's zkey_new does. The
   * ptau must have at least this power.
   */
  readonly domainPower: number;
};

/** floor(log2(v)) for v ≥ 1 (snarkjs misc.log2). */
function floorLog2(v: number): number {
  return v < 1 ? 0 : Math.floor(Math.log2(v) + 1e-9);
}

export async function readR1csHeader(path: string): Promise<R1csHeader> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (cause) {
    throw new SetupError('SETUP_R1CS_INVALID', `cannot open r1cs file ${path}`, { cause, details: { path } });
  }
  const bad = (why: string): SetupError => new SetupError('SETUP_R1CS_INVALID', `${path} is not a usable r1cs file: ${why}`, { details: { path } });
  try {
    const size = (await fh.stat()).size;
    const read = async (pos: number, len: number): Promise<DataView> => {
      if (pos + len > size) throw bad('truncated');
      const b = new Uint8Array(len);
      await fh.read(b, 0, len, pos);
      return new DataView(b.buffer);
    };
    const head = await read(0, 12);
    if (String.fromCharCode(head.getUint8(0), head.getUint8(1), head.getUint8(2), head.getUint8(3)) !== 'r1cs') throw bad('magic is not "r1cs"');
    if (head.getUint32(4, true) !== 1) throw bad(`unsupported version ${head.getUint32(4, true)}`);
    const nSections = head.getUint32(8, true);
    let pos = 12;
    for (let i = 0; i < nSections; i++) {
      const sh = await read(pos, 12);
      const type = sh.getUint32(0, true);
      const len = Number(sh.getBigUint64(4, true));
      if (type === 1) {
        const n8 = (await read(pos + 12, 4)).getUint32(0, true);
        if (n8 !== 32) throw bad(`field element size ${n8} is not 32`);
        const prime = await read(pos + 16, 32);
        if (leToBigint(new Uint8Array(prime.buffer)) !== BN254_R) throw bad('field is not BN254 Fr');
        const h = await read(pos + 48, 28);
        const nWires = h.getUint32(0, true);
        const nPubOut = h.getUint32(4, true);
        const nPubIn = h.getUint32(8, true);
        const nPrvIn = h.getUint32(12, true);
        const nConstraints = h.getUint32(24, true);
        const nPublic = nPubOut + nPubIn;
        if (nConstraints < 1) throw bad('it has no constraints');
        return { nWires, nPubOut, nPubIn, nPrvIn, nConstraints, nPublic, domainPower: floorLog2(nConstraints + nPublic) + 1 };
      }
      pos += 12 + len;
    }
    throw bad('no header section');
  } finally {
    await fh.close();
  }
}

/**
 * The header and the raw constraints section (type 2) of an r1cs file: per constraint, for A, B
 * and C in turn, u32 nEntries then nEntries × (u32 signal ‖ 32-byte little-endian coefficient).
 */
export async function readR1csConstraints(path: string): Promise<{ readonly header: R1csHeader; readonly constraints: Uint8Array }> {
  const header = await readR1csHeader(path);
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(12);
    await fh.read(head, 0, 12, 0);
    const nSections = new DataView(head.buffer).getUint32(8, true);
    let pos = 12;
    for (let i = 0; i < nSections && pos + 12 <= size; i++) {
      const sh = new Uint8Array(12);
      await fh.read(sh, 0, 12, pos);
      const v = new DataView(sh.buffer);
      const type = v.getUint32(0, true);
      const len = Number(v.getBigUint64(4, true));
      if (type === 2) {
        if (pos + 12 + len > size) break;
        const data = new Uint8Array(len);
        let done = 0;
        while (done < len) {
          const { bytesRead } = await fh.read(data, done, len - done, pos + 12 + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        if (done === len) return { header, constraints: data };
        break;
      }
      pos += 12 + len;
    }
    throw new SetupError('SETUP_R1CS_INVALID', `${path} has no complete constraints section`, { details: { path } });
  } finally {
    await fh.close();
  }
}
