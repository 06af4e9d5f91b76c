/**
 * Channels with real players: a channel whose first source is a dead content id (both engines refuse it)
 * and whose second is live plays for TS clients and for hls.js in headless Chromium; when the engine
 * feeding the live source dies mid-play, the channel moves to its third source while the TS clients keep
 * their sockets (ffprobe reads H.264 video in the bytes they got across the switch) and hls.js keeps
 * playing across the discontinuity. ffprobe opens every URL `/playlist.m3u` lists, TS and HLS.
 *
 * Needs ffprobe and /usr/bin/chromium: `eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e channels`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type BrowserContext, chromium } from 'playwright-core';
import { type GatewayProc, getJson, startGateway, waitFor } from '../test/support/gateway-proc.js';
import { checkTs, type LiveTs, openTs } from '../test/support/ts-reader.js';
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

const DEAD = 'a0'.repeat(20);
const LIVE = 'b1'.repeat(20);
const THIRD = 'c2'.repeat(20);
const DIRECT = 'd3'.repeat(20);
const NEWS = 'e4'.repeat(20);
/** Seconds of hls.js playback required after the switch. */
const PLAY_SECONDS = 20;
/** Seconds of playback before the live source's engine is killed. */
const SWITCH_AT = 8;
/** Longest tolerated stretch without progress (seconds): a new stream's start, a source switch. */
const MAX_STALL_SECONDS = 4;
const MEDIA_BYTES = 256 * 1024;
const DEADLINE_MS = 30_000;

interface Probe {
  readonly code: number | null;
  readonly streams: Array<{ codec_type: string; codec_name: string }>;
  readonly stderr: string;
}

async function ffprobe(target: string): Promise<Probe> {
  const r = await run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', target],
    60_000,
  );
  let streams: Probe['streams'] = [];
  try {
    streams = (JSON.parse(r.stdout) as { streams?: Probe['streams'] }).streams ?? [];
  } catch {
    // no JSON: the assertion below shows stderr
  }
  return { code: r.code, streams, stderr: r.stderr };
}

const hasH264 = (p: Probe): boolean =>
  p.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264');

describe('channels with real players', () => {
  let a: EngineSim;
  let b: EngineSim;
  /** An HTTP origin only (not an engine of the gateway): the URL source's server. */
  let origin: EngineSim;
  let gw: GatewayProc;
  let pages: { url: string; server: Server };
  let ctx: BrowserContext;
  let dir: string;

  before(async () => {
    a = await startEngineSim({ port: 0 });
    b = await startEngineSim({ port: 0 });
    origin = await startEngineSim({ port: 0 });
    for (const sim of [a, b]) sim.setFaults({ startError: 'content not found' }, DEAD);
    dir = mkdtempSync(join(tmpdir(), 'sc-channels-e2e-'));
    const file = join(dir, 'channels.json');
    writeFileSync(
      file,
      JSON.stringify({
        channels: [
          {
            id: 'sports-1',
            number: 7,
            name: 'Sports 1',
            tvg_id: 'sports1.example',
            sources: [`acestream://${DEAD}`, LIVE, `infohash:${THIRD}`],
          },
          { id: 'direct', name: 'Direct', sources: [`${origin.url}/ace/getstream?id=${DIRECT}`] },
          { id: 'news', name: 'News', group: 'News', sources: [NEWS] },
        ],
      }),
    );
    gw = await startGateway(['--engine', a.url, '--engine', b.url, '--channels', file, '--shards', '2']);
    pages = await startPageServer();
    ctx = await chromium.launchPersistentContext(join(dir, 'chromium'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
  });
  after(async () => {
    await ctx?.close();
    await new Promise<void>((r) => (pages ? pages.server.close(() => r()) : r()));
    await gw?.stop();
    await a?.close();
    await b?.close();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a dead first source is skipped; when the live one dies TS keeps its sockets and hls.js keeps playing', async (t) => {
    const url = `${gw.url}/channel/sports-1.ts`;
    const clients: LiveTs[] = [openTs(url), openTs(url)];
    for (const c of clients) assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'TS viewers play');
    const first = (await getJson(`${gw.url}/api/v1/streams/ch-sports-1`)).body;
    assert.equal(first.channel.active_source, 1, 'the second source plays');
    assert.equal(first.channel.sources[0].last_result, 'failed', 'the dead id was tried and failed');

    let killed = '';
    let atKill = 0;
    const p = await play(ctx, pages.url, `${gw.url}/channel/sports-1.m3u8`, {
      until: (times) => killed !== '' && advancedSince(times, SWITCH_AT) >= PLAY_SECONDS,
      deadlineSeconds: SWITCH_AT + PLAY_SECONDS + 15,
      at: async (second) => {
        if (second !== SWITCH_AT) return;
        // The engine feeding the live source dies mid-play.
        const stream = (await getJson(`${gw.url}/api/v1/streams/ch-sports-1`)).body;
        assert.equal(stream.channel.active_source, 1);
        killed = stream.engine.url;
        atKill = clients[0]!.received();
        await (killed === a.url ? a : b).close();
      },
    });
    t.diagnostic(describePlayback(p));
    assert.ok(killed !== '', 'the live source died during playback');
    assert.equal(p.fatal, null, `fatal hls.js error: ${describePlayback(p)}`);
    assert.ok(advancedSince(p.times, SWITCH_AT) >= PLAY_SECONDS, `after the switch: ${describePlayback(p)}`);
    assert.ok(longestStall(p.times) <= MAX_STALL_SECONDS, describePlayback(p));

    let now: any = null;
    assert.ok(
      await waitFor(async () => {
        now = (await getJson(`${gw.url}/api/v1/streams/ch-sports-1`)).body;
        return now?.channel?.active_source === 2;
      }, DEADLINE_MS),
      `the channel moved to its third source (${JSON.stringify(now?.channel)})`,
    );
    assert.notEqual(now.engine.url, killed, 'on the surviving engine');
    assert.equal(now.channel.sources[1].last_result, 'failed');
    for (const c of clients) {
      assert.ok(await c.waitBytes(atKill + 2 * MEDIA_BYTES, DEADLINE_MS), 'TS media after the switch');
    }
    const results = await Promise.all(clients.map((c) => c.close()));
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 200);
      assert.equal(r.closedByServer, false, 'the TS client kept its socket');
      assert.equal(checkTs(r.bytes).syncErrors, 0, 'whole packets only');
      const file = join(dir, `client-${i}.ts`);
      writeFileSync(file, r.bytes);
      const probe = await ffprobe(file);
      assert.equal(probe.code, 0, probe.stderr);
      assert.ok(hasH264(probe), `ffprobe sees H.264 video in what client ${i} got: ${probe.stderr}`);
    }
  });

  test('ffprobe opens every URL of /playlist.m3u, TS and HLS', async () => {
    for (const format of ['', '?format=hls']) {
      const r = await fetch(`${gw.url}/playlist.m3u${format}`);
      assert.equal(r.status, 200);
      const urls = (await r.text())
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
      assert.equal(urls.length, 3, 'one URL per channel');
      for (const u of urls) {
        assert.ok(u.startsWith(gw.url), u);
        const probe = await ffprobe(u);
        assert.equal(probe.code, 0, `${u}: ${probe.stderr}`);
        assert.ok(hasH264(probe), `${u}: ${JSON.stringify(probe.streams)} ${probe.stderr}`);
      }
    }
  });
});
