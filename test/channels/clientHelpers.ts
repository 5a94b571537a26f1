/** Builds channel clients and towers against a fixture, with fast polling and temporary databases. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChannelClient, type ChannelClientParameters, createChannelClient } from '../../src/channels/createChannelClient.ts';
import { type Watchtower, type WatchtowerParameters, createWatchtower } from '../../src/channels/watchtower/createWatchtower.ts';
import type { Fixture } from '../l1/fixtures.ts';

const dirs: string[] = [];
export function tempDir(prefix = 'rampart-ch-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function makeClient(
  fx: Fixture,
  account: number,
  over: Partial<ChannelClientParameters> = {},
): Promise<ChannelClient> {
  return createChannelClient(
    {
      dbPath: tempDir(),
      privateKey: fx.key(account),
      l1Url: fx.devnet.url,
      adjudicator: fx.adjudicator,
      listenPort: 0,
      fsync: false,
      monitorIntervalMs: 0,
      ...over,
    },
    { l1: await fx.clients(account) },
  );
}

export async function makeTower(fx: Fixture, account: number, over: Partial<WatchtowerParameters> = {}): Promise<Watchtower> {
  return createWatchtower(
    { dbPath: tempDir('rampart-tower-'), privateKey: fx.key(account), l1Url: fx.devnet.url, adjudicator: fx.adjudicator, pollIntervalMs: 0, ...over },
    { l1: await fx.clients(account) },
  );
}

/** A port that was free a moment ago (for a child that must come back on the same port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
