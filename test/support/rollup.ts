/** Deterministic users, signed transactions and witness replay for STF tests and vectors. */
import { createPrivateKey, publicKeyFromPrivate, sign, type PrivateKey, type PublicKey } from '../../src/core/eddsa.ts';
import { l2TxMessage, type Domain, type L2Tx, type L2TxBody } from '../../src/core/tx.ts';
import { accountLeaf } from '../../src/core/account.ts';
import { frToBytesLE, frFromBytesLE } from '../../src/core/field.ts';
import { merklePath4LE } from '../../src/core/smt.ts';
import { createStfConfig, type StepWitness, type StfConfig } from '../../src/core/stf.ts';

export const DOMAIN: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };
export const CONFIG: StfConfig = createStfConfig({ domain: DOMAIN, treeDepth: 32, exitTreeDepth: 16, maxL1Ops: 16 });

export type User = { readonly key: PrivateKey; readonly publicKey: PublicKey; readonly l1Address: bigint };

const userCache = new Map<number, User>();
/** User i: private key bytes = i repeated (i+1), L1 address = 0x1000 + i. */
export function user(i: number): User {
  const cached = userCache.get(i);
  if (cached !== undefined) return cached;
  const bytes = new Uint8Array(32);
  bytes.fill((i % 255) + 1);
  bytes[0] = i & 0xff;
  bytes[1] = (i >> 8) & 0xff;
  const key = createPrivateKey(bytes);
  const u = { key, publicKey: publicKeyFromPrivate(key), l1Address: 0x1000n + BigInt(i) };
  userCache.set(i, u);
  return u;
}

export function signTx(u: User, body: L2TxBody, domain: Domain | bigint = DOMAIN): L2Tx {
  return { ...body, signature: sign(u.key, l2TxMessage(body, domain)) };
}

/**
 * Replays a step's witness the way the circuit will: every old leaf must verify against the running
 * root with its siblings, and the new leaf with the same siblings gives the next root.
 */
export function replayStep(step: StepWitness, depth: number, exitDepth: number): void {
  const levels = depth / 2;
  const exitLevels = exitDepth / 2;
  let root = step.preRoot;
  for (const u of step.updates) {
    const expectOld = u.before === undefined ? 0n : accountLeaf(u.before);
    if (expectOld !== u.oldLeaf) throw new Error(`old leaf mismatch at ${u.index}`);
    if (accountLeaf(u.after) !== u.newLeaf) throw new Error(`new leaf mismatch at ${u.index}`);
    const oldRoot = frFromBytesLE(merklePath4LE(frToBytesLE(u.oldLeaf), u.siblings, u.index, levels));
    if (oldRoot !== root) throw new Error(`old path does not verify at ${u.index}`);
    root = frFromBytesLE(merklePath4LE(frToBytesLE(u.newLeaf), u.siblings, u.index, levels));
  }
  if (root !== step.postRoot) throw new Error('post root mismatch');
  if (step.exit !== undefined && step.slot !== undefined) {
    const pre = frFromBytesLE(merklePath4LE(new Uint8Array(32), step.exit.siblings, step.slot, exitLevels));
    const post = frFromBytesLE(merklePath4LE(frToBytesLE(step.exit.leaf), step.exit.siblings, step.slot, exitLevels));
    if (pre !== step.exit.preRoot || post !== step.exit.postRoot) throw new Error('exit path mismatch');
  }
}
