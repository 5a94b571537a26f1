/**
 * An authenticated, ordered message channel between two parties over one WebSocket.
 *
 * Handshake (plain JSON): the dialler sends hello{address, nonce, domain}; the listener answers
 * hello{address, nonce, sig} signing both nonces, both addresses and the domain; the dialler answers
 * auth{sig} over the same with its own role tag. Each side recovers the other's public key from the
 * signature, checks the address, and derives per-direction HMAC keys from ECDH(own key, peer key) and
 * both nonces. Every later frame is `mac.seq.json` with mac = HMAC-SHA256(key, seq.json) and seq
 * counting up from 1: forged, altered, replayed (from this or another session) or reordered frames
 * are refused and the connection is dropped.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { type Address, type Hex, getAddress } from 'viem';
import WebSocket from 'ws';
import { z } from 'zod';
import { addressSchema, channelDomainSchema, decodeOrThrow, signatureSchema } from '../codec.ts';
import { recoverDigestSigner } from '../createSignatureVerifier.ts';
import { ChannelError } from '../errors.ts';
import { signDigest } from '../signDigest.ts';
import type { ChannelDomain } from '../types.ts';
import { type WireBody, type WireBodyJson, wireBodySchema } from '../wire.ts';

export type Identity = { readonly address: Address; readonly privateKey: Uint8Array };

export type Session = {
  readonly peer: Address;
  readonly send: (body: WireBodyJson) => void;
  readonly close: () => void;
  readonly closed: boolean;
};

export type SessionHandlers = {
  readonly onMessage: (session: Session, body: WireBody) => void;
  readonly onClose: (session: Session) => void;
  /** A frame the peer sent was malformed or failed authentication. */
  readonly onProtocolError: (session: Session, err: ChannelError) => void;
};

const helloSchema = z.object({
  type: z.literal('hello'),
  address: addressSchema,
  nonce: z.string().regex(/^[0-9a-f]{64}$/),
  domain: channelDomainSchema,
  sig: signatureSchema.optional(),
});
const authSchema = z.object({ type: z.literal('auth'), sig: signatureSchema });

const TAG = 'rampart-channels/v1';
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

function transcript(role: 'dialler' | 'listener', nD: string, nL: string, d: Address, l: Address, domain: ChannelDomain): Uint8Array {
  return keccak_256(
    new TextEncoder().encode(`${TAG}|${role}|${nD}|${nL}|${d.toLowerCase()}|${l.toLowerCase()}|${domain.chainId}|${domain.adjudicator.toLowerCase()}`),
  );
}

function recoverPublicKey(digest: Uint8Array, sig: Hex): Uint8Array {
  const r = BigInt(`0x${sig.slice(2, 66)}`);
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130, 132), 16) - 27;
  return new secp256k1.Signature(r, s).addRecoveryBit(v).recoverPublicKey(digest).toRawBytes(true);
}

function deriveKeys(me: Identity, peerPub: Uint8Array, nD: string, nL: string): { dl: Buffer; ld: Buffer } {
  const shared = secp256k1.getSharedSecret(me.privateKey, peerPub, true);
  const root = createHmac('sha256', Buffer.from(shared)).update(`${TAG}|${nD}|${nL}`).digest();
  return {
    dl: createHmac('sha256', root).update('dialler->listener').digest(),
    ld: createHmac('sha256', root).update('listener->dialler').digest(),
  };
}

function sameDomain(a: ChannelDomain, b: ChannelDomain): boolean {
  return a.chainId === b.chainId && a.adjudicator.toLowerCase() === b.adjudicator.toLowerCase();
}

function authFailed(message: string): ChannelError {
  return new ChannelError('CHANNEL_AUTH_FAILED', message);
}

/** Wraps an open socket whose handshake is done into a Session. */
function wrap(ws: WebSocket, reader: FrameReader, peer: Address, sendKey: Buffer, recvKey: Buffer, handlers: SessionHandlers): Session {
  let sendSeq = 0;
  let recvSeq = 0;
  let closed = false;
  const session: Session = {
    peer,
    get closed() {
      return closed;
    },
    send: (body) => {
      if (closed || ws.readyState !== WebSocket.OPEN) {
        throw new ChannelError('CHANNEL_PEER_UNAVAILABLE', 'peer connection is closed', { details: { peer } });
      }
      sendSeq += 1;
      const payload = `${sendSeq}.${JSON.stringify(body)}`;
      // Cost: one HMAC-SHA256 over the frame (native), a few µs per KB.
      const mac = createHmac('sha256', sendKey).update(payload).digest('hex');
      ws.send(`${mac}.${payload}`);
    },
    close: () => {
      if (!closed) ws.close();
    },
  };
  reader.pipe((text) => {
    if (closed) return;
    const dot1 = text.indexOf('.');
    const dot2 = text.indexOf('.', dot1 + 1);
    const mac = text.slice(0, dot1);
    const payload = text.slice(dot1 + 1);
    const expected = createHmac('sha256', recvKey).update(payload).digest();
    const given = Buffer.from(mac, 'hex');
    if (dot1 !== 64 || dot2 < 0 || given.length !== 32 || !timingSafeEqual(given, expected)) {
      handlers.onProtocolError(session, authFailed('frame MAC invalid'));
      ws.close();
      return;
    }
    const seq = Number(text.slice(dot1 + 1, dot2));
    if (seq !== recvSeq + 1) {
      handlers.onProtocolError(session, authFailed(`frame out of order (seq ${seq}, expected ${recvSeq + 1})`));
      ws.close();
      return;
    }
    recvSeq = seq;
    let json: unknown;
    try {
      json = JSON.parse(text.slice(dot2 + 1));
    } catch {
      handlers.onProtocolError(session, new ChannelError('CHANNEL_BAD_MESSAGE', 'frame is not JSON'));
      return;
    }
    let body: WireBody;
    try {
      body = decodeOrThrow(wireBodySchema, json, 'CHANNEL_BAD_MESSAGE', 'message');
    } catch (err) {
      handlers.onProtocolError(session, err instanceof ChannelError ? err : new ChannelError('CHANNEL_BAD_MESSAGE', 'bad message'));
      return;
    }
    handlers.onMessage(session, body);
  });
  ws.on('close', () => {
    if (closed) return;
    closed = true;
    handlers.onClose(session);
  });
  ws.on('error', () => {
    // 'close' follows every 'error' in ws; handling it there keeps one path.
  });
  return session;
}

/**
 * One 'message' listener for the socket's whole life. ws can emit several messages in one tick (one TCP
 * read), so a listener added after an await would miss frames; the reader buffers them instead.
 */
type FrameReader = {
  readonly next: (timeoutMs: number) => Promise<unknown>;
  /** Switches to push mode: buffered and later frames go to `handler`, in order. */
  readonly pipe: (handler: (text: string) => void) => void;
};

function createFrameReader(ws: WebSocket): FrameReader {
  const buffered: string[] = [];
  let waiter: ((text: string | undefined) => void) | undefined;
  let sink: ((text: string) => void) | undefined;
  let closed = false;
  ws.on('message', (data: WebSocket.RawData) => {
    const text = data.toString();
    if (sink !== undefined) sink(text);
    else if (waiter !== undefined) {
      const w = waiter;
      waiter = undefined;
      w(text);
    } else buffered.push(text);
  });
  ws.on('close', () => {
    closed = true;
    const w = waiter;
    waiter = undefined;
    w?.(undefined);
  });
  return {
    next: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const parse = (text: string | undefined): void => {
          if (text === undefined) {
            reject(new ChannelError('CHANNEL_PEER_UNAVAILABLE', 'peer closed the connection during the handshake'));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new ChannelError('CHANNEL_BAD_MESSAGE', 'handshake frame is not JSON'));
          }
        };
        const first = buffered.shift();
        if (first !== undefined) {
          parse(first);
          return;
        }
        if (closed) {
          parse(undefined);
          return;
        }
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new ChannelError('CHANNEL_PEER_UNAVAILABLE', 'handshake timed out'));
        }, timeoutMs);
        waiter = (text) => {
          clearTimeout(timer);
          parse(text);
        };
      }),
    pipe: (handler) => {
      sink = handler;
      for (const text of buffered.splice(0)) handler(text);
    },
  };
}

export type DialParameters = {
  readonly url: string;
  readonly identity: Identity;
  readonly domain: ChannelDomain;
  /** Refuse the connection unless the listener proves this address. */
  readonly expectedPeer?: Address;
  readonly timeoutMs: number;
  readonly handlers: SessionHandlers;
};

/** Connects to a listening party and runs the dialler's side of the handshake. */
export async function dialSession(p: DialParameters): Promise<Session> {
  const ws = new WebSocket(p.url, { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ChannelError('CHANNEL_PEER_UNAVAILABLE', `connect to ${p.url} timed out`)), p.timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(new ChannelError('CHANNEL_PEER_UNAVAILABLE', `cannot connect to ${p.url}`, { cause: err }));
    });
  });
  const reader = createFrameReader(ws);
  try {
    const nD = randomBytes(32).toString('hex');
    ws.send(JSON.stringify({ type: 'hello', address: p.identity.address, nonce: nD, domain: p.domain }));
    const hello = decodeOrThrow(helloSchema, await reader.next(p.timeoutMs), 'CHANNEL_AUTH_FAILED', 'hello');
    if (!sameDomain(hello.domain, p.domain)) throw authFailed('peer is on another chain or adjudicator');
    if (p.expectedPeer !== undefined && getAddress(p.expectedPeer) !== hello.address) {
      throw authFailed(`peer is ${hello.address}, expected ${p.expectedPeer}`);
    }
    if (hello.sig === undefined) throw authFailed('listener hello is not signed');
    const digestL = transcript('listener', nD, hello.nonce, p.identity.address, hello.address, p.domain);
    if (recoverDigestSigner(digestL, hello.sig) !== hello.address) throw authFailed('listener signature invalid');
    const digestD = transcript('dialler', nD, hello.nonce, p.identity.address, hello.address, p.domain);
    ws.send(JSON.stringify({ type: 'auth', sig: signDigest(p.identity.privateKey, digestD) }));
    const keys = deriveKeys(p.identity, recoverPublicKey(digestL, hello.sig), nD, hello.nonce);
    return wrap(ws, reader, hello.address, keys.dl, keys.ld, p.handlers);
  } catch (err) {
    ws.close();
    throw err;
  }
}

export type AcceptParameters = {
  readonly ws: WebSocket;
  readonly identity: Identity;
  readonly domain: ChannelDomain;
  readonly timeoutMs: number;
  readonly handlers: SessionHandlers;
};

/** Runs the listener's side of the handshake on an accepted socket. */
export async function acceptSession(p: AcceptParameters): Promise<Session> {
  const { ws } = p;
  const reader = createFrameReader(ws);
  try {
    const hello = decodeOrThrow(helloSchema, await reader.next(p.timeoutMs), 'CHANNEL_AUTH_FAILED', 'hello');
    if (!sameDomain(hello.domain, p.domain)) throw authFailed('peer is on another chain or adjudicator');
    const nL = randomBytes(32).toString('hex');
    const digestL = transcript('listener', hello.nonce, nL, hello.address, p.identity.address, p.domain);
    ws.send(
      JSON.stringify({ type: 'hello', address: p.identity.address, nonce: nL, domain: p.domain, sig: signDigest(p.identity.privateKey, digestL) }),
    );
    const auth = decodeOrThrow(authSchema, await reader.next(p.timeoutMs), 'CHANNEL_AUTH_FAILED', 'auth');
    const digestD = transcript('dialler', hello.nonce, nL, hello.address, p.identity.address, p.domain);
    if (recoverDigestSigner(digestD, auth.sig) !== hello.address) throw authFailed('dialler signature invalid');
    const keys = deriveKeys(p.identity, recoverPublicKey(digestD, auth.sig), hello.nonce, nL);
    return wrap(ws, reader, hello.address, keys.ld, keys.dl, p.handlers);
  } catch (err) {
    ws.close();
    throw err;
  }
}
