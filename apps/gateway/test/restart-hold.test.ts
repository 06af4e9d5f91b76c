// Restart under load: a stream opened while the other shards are still starting must reach every shard.
// The test hook holds shards 1..N-1 after they were spawned (see src/shard/test-hooks.ts), so the window
// is deterministic: the first viewer opens the stream through shard 0 alone, then the others are released
// and fresh connections (spread over every shard by the kernel) must all get 200 — TS viewers, HLS
// playlists, and HLS segments that a shard serves only from what main announced to it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist } from './support/hls-tools.js';
import {
  freshGet,
  freshHlsViewer,
  type Hooks,
  testHooks,
  viewersUntilEveryShard,
} from './support/restart.js';
import { readTs, type TsRead } from './support/ts-reader.js';

const MAX_VIEWERS = 200;

interface Run {
  sim: EngineSim;
  gw: GatewayProc;
  hooks: Hooks;
}

const running = new Set<Run>();
after(async () => {
  for (const r of running) await stop(r);
});

async function stop(r: Run): Promise<void> {
  running.delete(r);
  await r.gw.stop();
  await r.sim.close();
  r.hooks.cleanup();
}

/** Starts a gateway whose shards 1..N-1 wait for release; resolves once shard 0 listens. */
async function startHeld(shards: number, extra: string[] = []): Promise<Run> {
  const sim = await startEngineSim({ port: 0 });
  const hooks = testHooks(Array.from({ length: shards - 1 }, (_, i) => i + 1));
  const gw = await startGateway(
    ['--engine', sim.url, '--shards', String(shards), ...extra],
    hooks.env,
    'listening',
  );
  const run = { sim, gw, hooks };
  running.add(run);
  const ready = await getJson(`${gw.url}/ready`);
  assert.equal(ready.status, 503, 'the held shards keep the gateway not ready');
  return run;
}

async function releaseAndWait(r: Run): Promise<void> {
  r.hooks.release();
  const up = await waitFor(() => r.gw.logs.some((l) => String(l.msg).startsWith('Shardcast ready')), 15_000);
  assert.ok(up, 'every shard came up after the release');
}

function assertAll200(statuses: number[], what: string): void {
  const bad = statuses.filter((s) => s !== 200);
  assert.deepEqual(bad, [], `${bad.length} of ${statuses.length} ${what} were not 200`);
}

async function tsWhileHeld(shards: number): Promise<void> {
  const run = await startHeld(shards);
  const id = `${shards}c`.repeat(20);
  const url = `${run.gw.url}/ace/getstream?id=${id}`;
  try {
    // The first viewer keeps its connection for the whole test; it lands on shard 0 (the only listener).
    let firstBytes = 0;
    const first: Promise<TsRead> = readTs(url, 600_000, (c) => {
      firstBytes += c.length;
    });
    assert.ok(await waitFor(() => firstBytes > 0, 20_000), 'the first viewer gets media');
    const live = await getJson(`${run.gw.url}/api/v1/streams/${id}`);
    assert.equal(live.body.state, 'live');

    await releaseAndWait(run);
    const { statuses, shards: served } = await viewersUntilEveryShard(
      run.gw.url,
      id,
      shards,
      async () => (await readTs(url, 800)).status,
      10,
      MAX_VIEWERS,
    );
    assertAll200(statuses, 'later TS viewers');
    assert.equal(served.size, shards, `viewers were served by shards ${[...served].join(',')}`);
    assert.equal(run.sim.stats().sessionsStarted, 1, 'one engine session');
    void first;
  } finally {
    await stop(run);
  }
}

async function hlsWhileHeld(shards: number): Promise<void> {
  const run = await startHeld(shards, ['--hls-segment-seconds', '1']);
  const id = `${shards}d`.repeat(20);
  const url = `${run.gw.url}/ace/manifest.m3u8?id=${id}`;
  try {
    const first = await fetchPlaylist(url);
    assert.equal(first.status, 200, first.text);
    assert.ok(first.playlist && first.playlist.segments.length > 0);

    await releaseAndWait(run);
    // Segments first: a shard serves them only from the stream main announced to it (it never asks).
    const segUrl = first.playlist.segments.at(-1)!.uri;
    const segs = await Promise.all(Array.from({ length: 10 * shards }, () => freshGet(segUrl)));
    assertAll200(
      segs.map((s) => s.status),
      'segment requests',
    );
    const { statuses, shards: served } = await viewersUntilEveryShard(
      run.gw.url,
      id,
      shards,
      (i) => freshHlsViewer(url, `restart-player-${i}`),
      10,
      MAX_VIEWERS,
    );
    assertAll200(statuses, 'later playlist requests');
    assert.equal(served.size, shards, `playlists were served by shards ${[...served].join(',')}`);
    assert.equal(run.sim.stats().sessionsStarted, 1, 'one engine session');
  } finally {
    await stop(run);
  }
}

describe('a stream opened while shards start serves every later viewer', () => {
  test('TS, 2 shards', () => tsWhileHeld(2));
  test('TS, 4 shards', () => tsWhileHeld(4));
  test('HLS, 2 shards', () => hlsWhileHeld(2));
  test('HLS, 4 shards', () => hlsWhileHeld(4));
});
