/**
 * Client side of the watchtower protocol: hands the tower every new doubly-signed state. Submissions
 * are coalesced per channel (while one is in flight only the newest waiting state is kept), so a
 * client paying thousands of times a second costs the tower one request per round trip, and the
 * tower is at most one round trip behind. flush() waits until the tower holds the newest states;
 * call it before going offline.
 */
import type { Hex } from 'viem';
import type { ChannelRecord } from '../channelStore.ts';
import { fullySignedToJson } from '../codec.ts';
import { ChannelError } from '../errors.ts';
import type { FullySignedState } from '../types.ts';

export type TowerFeed = {
  readonly submit: (record: ChannelRecord) => void;
  readonly flush: (timeoutMs?: number) => Promise<void>;
};

export type CreateTowerFeedParameters = {
  readonly url: string;
  readonly onError: (err: ChannelError) => void;
  readonly retryMs?: number;
};

export function createTowerFeed(p: CreateTowerFeedParameters): TowerFeed {
  const waiting = new Map<Hex, FullySignedState>();
  const inFlight = new Set<Hex>();
  let idle: (() => void)[] = [];
  let seq = 0;
  const retryMs = p.retryMs ?? 500;

  const settleIdle = (): void => {
    if (waiting.size === 0 && inFlight.size === 0) for (const f of idle.splice(0)) f();
  };

  const send = async (channelId: Hex, s: FullySignedState): Promise<void> => {
    seq += 1;
    const res = await fetch(p.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: seq, method: 'tower_submitState', params: [fullySignedToJson(s)] }),
    });
    const body = (await res.json()) as { error?: { message: string; data?: { code?: string } } };
    if (body.error !== undefined) {
      throw new ChannelError('CHANNEL_TOWER_FAILED', `tower refused state: ${body.error.message}`, {
        details: { channelId, code: body.error.data?.code ?? 'unknown' },
      });
    }
  };

  const kick = (channelId: Hex): void => {
    if (inFlight.has(channelId)) return;
    const s = waiting.get(channelId);
    if (s === undefined) {
      settleIdle();
      return;
    }
    waiting.delete(channelId);
    inFlight.add(channelId);
    send(channelId, s).then(
      () => {
        inFlight.delete(channelId);
        kick(channelId);
      },
      (err: unknown) => {
        inFlight.delete(channelId);
        const e = err instanceof ChannelError ? err : new ChannelError('CHANNEL_TOWER_FAILED', 'tower unreachable', { cause: err });
        p.onError(e);
        // A refused state stays refused; an unreachable tower gets the newest state again later.
        if (e.details['code'] === undefined && !waiting.has(channelId)) waiting.set(channelId, s);
        setTimeout(() => kick(channelId), retryMs).unref();
      },
    );
  };

  return {
    submit: (record) => {
      const { state, sigA, sigB } = record.latest;
      if (sigA === undefined || sigB === undefined) return;
      const prev = waiting.get(record.channelId);
      if (prev !== undefined && prev.state.version >= state.version) return;
      waiting.set(record.channelId, { state, sigA, sigB });
      kick(record.channelId);
    },
    flush: (timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        if (waiting.size === 0 && inFlight.size === 0) {
          resolve();
          return;
        }
        const timer = setTimeout(() => reject(new ChannelError('CHANNEL_TOWER_FAILED', 'tower did not take our states in time')), timeoutMs);
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
        idle = idle.slice();
      }),
  };
}
