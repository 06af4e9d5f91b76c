// Test support for the start-up and respawn races: fresh-connection requests (no keep-alive, so the
// kernel spreads them over every shard's listen socket) and the test hooks of src/shard/test-hooks.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, waitFor } from './gateway-proc.js';

export interface Fresh {
  readonly status: number;
  readonly body: Buffer;
}

/** One GET on a connection of its own (closed after the answer). */
export function freshGet(url: string, headers: Record<string, string> = {}): Promise<Fresh> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A new HLS player on fresh connections: the multivariant answer, then its variant (the poll that makes
 * it a counted viewer, on whichever shard takes that connection). The first status that is not 200, or 200.
 */
export async function freshHlsViewer(url: string, userAgent: string): Promise<number> {
  const headers = { 'user-agent': userAgent };
  const master = await freshGet(url, headers);
  if (master.status !== 200) return master.status;
  const line = master.body
    .toString('utf8')
    .split('\n')
    .find((l) => l !== '' && !l.startsWith('#'));
  if (!line) return 0;
  return (await freshGet(new URL(line, url).href, headers)).status;
}

/** A directory for the hook files; `release()` lets held shards listen, `crash(n)` crashes shard n. */
export interface Hooks {
  readonly env: NodeJS.ProcessEnv;
  release(): void;
  crash(shardId: number): void;
  cleanup(): void;
}

export function testHooks(holdShards: number[] = []): Hooks {
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-hooks-'));
  const releaseFile = join(dir, 'release');
  return {
    env: {
      SHARDCAST_TEST_HOLD_SHARDS: holdShards.join(','),
      SHARDCAST_TEST_RELEASE_FILE: releaseFile,
      SHARDCAST_TEST_CRASH_DIR: dir,
    },
    release: () => writeFileSync(releaseFile, ''),
    crash: (shardId) => writeFileSync(join(dir, `crash-${shardId}`), ''),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface ShardRow {
  shard: number;
  ts_clients: number;
  hls_viewers: number;
  bytes_out: number;
}

/** The shards that report having served the stream (TS bytes out, or HLS viewers). */
export async function servingShards(gwUrl: string, stream: string): Promise<Set<number>> {
  const { status, body } = await getJson(`${gwUrl}/api/v1/streams/${stream}`);
  if (status !== 200) return new Set();
  const rows = body.clients.by_shard as ShardRow[];
  return new Set(rows.filter((r) => r.bytes_out > 0 || r.hls_viewers > 0).map((r) => r.shard));
}

/**
 * Sends batches of fresh-connection viewers (`viewer(i)` returns its HTTP status) until every shard has
 * served the stream, at most `maxViewers`. Returns every status seen and the shards that served.
 */
export async function viewersUntilEveryShard(
  gwUrl: string,
  stream: string,
  shards: number,
  viewer: (i: number) => Promise<number>,
  batch: number,
  maxViewers: number,
): Promise<{ statuses: number[]; shards: Set<number> }> {
  const statuses: number[] = [];
  let seen = new Set<number>();
  while (statuses.length < maxViewers) {
    const base = statuses.length;
    statuses.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => viewer(base + i)))));
    // A failed viewer fails the caller's test: no need to go on.
    if (statuses.some((s) => s !== 200)) break;
    // Shards report once a second: wait for the picture to include this batch.
    await waitFor(async () => {
      seen = await servingShards(gwUrl, stream);
      return seen.size === shards;
    }, 2500);
    if (seen.size === shards) break;
  }
  return { statuses, shards: seen };
}
