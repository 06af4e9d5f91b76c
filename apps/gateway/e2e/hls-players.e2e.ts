/**
 * Real players against the gateway's live HLS (default segmenting: 4 s segments, TD 6, 30 s
 * window): ffmpeg decodes 20 s of the live playlist without a single error and ffprobe sees H.264 + AAC;
 * hls.js (from node_modules) in headless Debian Chromium plays ≥ 20 s with currentTime advancing and no
 * fatal error, also across an upstream engine failover (the engine in use dies mid-play).
 *
 * Needs ffmpeg, ffprobe and /usr/bin/chromium: `eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e hls`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type BrowserContext, chromium } from 'playwright-core';
import { type GatewayProc, getJson, startGateway } from '../test/support/gateway-proc.js';
import {
  advancedSince,
  CHROMIUM,
  CHROMIUM_ARGS,
  describePlayback,
  longestStall,
  play,
  run,
  startPageServer,
} from './hls-page.js';

/** Seconds of playback every player must show (after the failover, in the failover test). */
const PLAY_SECONDS = 20;
/** Seconds of playback before the engine in use is killed. */
const FAILOVER_AT = 8;
/** Longest tolerated stretch without progress (seconds): a new stream's start, an upstream switch. */
const MAX_STALL_SECONDS = 4;

describe('real HLS players on the live gateway', () => {
  let a: EngineSim;
  let b: EngineSim;
  let gw: GatewayProc;
  let pages: { url: string; server: Server };
  let ctx: BrowserContext;
  let profile: string;

  before(async () => {
    a = await startEngineSim({ port: 0 });
    b = await startEngineSim({ port: 0 });
    gw = await startGateway(['--engine', a.url, '--engine', b.url, '--shards', '2']);
    pages = await startPageServer();
    profile = mkdtempSync(join(tmpdir(), 'shardcast-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await new Promise<void>((r) => (pages ? pages.server.close(() => r()) : r()));
    await gw?.stop();
    await a?.close();
    await b?.close();
  });

  test('ffmpeg decodes 20 s of the live playlist without an error; ffprobe sees H.264 + AAC', async () => {
    const playlist = `${gw.url}/ace/manifest.m3u8?id=${'f1'.repeat(20)}`;
    // -re: read at the native rate, so ffmpeg follows the live playlist for the whole 20 s.
    const r = await run(
      'ffmpeg',
      ['-nostdin', '-v', 'error', '-re', '-i', playlist, '-t', String(PLAY_SECONDS), '-f', 'null', '-'],
      90_000,
    );
    assert.equal(r.stderr, '', 'ffmpeg reported no error');
    assert.equal(r.code, 0);
    const probe = await run(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', playlist],
      60_000,
    );
    assert.equal(probe.code, 0, probe.stderr);
    const streams = (
      JSON.parse(probe.stdout) as { streams: Array<{ codec_type: string; codec_name: string }> }
    ).streams;
    assert.ok(
      streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264'),
      probe.stdout,
    );
    assert.ok(
      streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac'),
      probe.stdout,
    );
  });

  test('hls.js in headless Chromium plays 20 s with currentTime advancing and no fatal error', async (t) => {
    const src = `${gw.url}/ace/manifest.m3u8?id=${'f2'.repeat(20)}`;
    const p = await play(ctx, pages.url, src, {
      until: (t) => advancedSince(t, 0) >= PLAY_SECONDS,
      deadlineSeconds: PLAY_SECONDS + 10,
    });
    t.diagnostic(describePlayback(p));
    assert.equal(p.fatal, null, `fatal hls.js error: ${describePlayback(p)}`);
    assert.ok(advancedSince(p.times, 0) >= PLAY_SECONDS, describePlayback(p));
    // A brand-new stream starts at its live edge: at most a short wait for its second segment.
    assert.ok(longestStall(p.times) <= MAX_STALL_SECONDS, describePlayback(p));
  });

  test('hls.js keeps playing across an upstream engine failover', async (t) => {
    const id = 'f3'.repeat(20);
    const src = `${gw.url}/ace/manifest.m3u8?id=${id}`;
    let from = '';
    const p = await play(ctx, pages.url, src, {
      until: (t) => from !== '' && advancedSince(t, FAILOVER_AT) >= PLAY_SECONDS,
      deadlineSeconds: FAILOVER_AT + PLAY_SECONDS + 15,
      at: async (second) => {
        if (second !== FAILOVER_AT) return;
        // The engine feeding the stream dies mid-play; the owner moves the stream to the other one.
        const stream = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
        from = stream.engine.url;
        await (from === a.url ? a : b).close();
      },
    });
    t.diagnostic(describePlayback(p));
    assert.equal(p.fatal, null, `fatal hls.js error: ${describePlayback(p)}`);
    assert.ok(from !== '', 'the engine died during playback');
    assert.ok(
      advancedSince(p.times, FAILOVER_AT) >= PLAY_SECONDS,
      `after the failover: ${describePlayback(p)}`,
    );
    assert.ok(longestStall(p.times) <= MAX_STALL_SECONDS, describePlayback(p));
    const now = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
    assert.equal(now.failovers, 1);
    assert.notEqual(now.engine.url, from);
  });
});
