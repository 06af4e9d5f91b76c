/**
 * Real players against the gateway's live HLS (default segmenting: 4 s segments, TD 6, 30 s
 * window): ffmpeg decodes 20 s of the live playlist without a single error and ffprobe sees H.264 + AAC;
 * hls.js (from node_modules) in headless Debian Chromium plays ≥ 20 s with currentTime advancing and no
 * fatal error, also across an upstream engine failover (the engine in use dies mid-play).
 *
 * Needs ffmpeg, ffprobe and /usr/bin/chromium: `eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e hls`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type BrowserContext, chromium } from 'playwright-core';
import { type GatewayProc, getJson, startGateway } from '../test/support/gateway-proc.js';

const HLS_JS = fileURLToPath(new URL('../../../../node_modules/hls.js/dist/hls.min.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
/** Page expressions (strings: this package compiles without the DOM library). */
const CURRENT_TIME = "document.getElementById('v').currentTime";
/** Seconds of playback every player must show (after the failover, in the failover test). */
const PLAY_SECONDS = 20;
/** Seconds of playback before the engine in use is killed. */
const FAILOVER_AT = 8;
/** Longest tolerated stretch without progress (seconds): a new stream's start, an upstream switch. */
const MAX_STALL_SECONDS = 4;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The page hls.js runs in: served from another origin than the gateway, so CORS is exercised too. */
function pageHtml(src: string): string {
  return `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  window.__errors = [];
  window.__fatal = null;
  const video = document.getElementById('v');
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (_e, d) => {
    const message = d.error ? String(d.error.message) : d.reason || '';
    window.__errors.push({ type: d.type, details: d.details, fatal: d.fatal, at: video.currentTime, message });
    if (d.fatal) window.__fatal = d.type + '/' + d.details;
  });
  // The media element's own error says why Chromium gave up (PIPELINE_ERROR_DECODE: which packet).
  video.addEventListener('error', () => {
    const e = video.error;
    const details = e ? e.code + ' ' + e.message : 'unknown';
    window.__errors.push({ type: 'video', details, fatal: true, at: video.currentTime });
    window.__fatal = 'video/' + details;
  });
  hls.loadSource(${JSON.stringify(src)});
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch((e) => { window.__fatal = 'play: ' + e; }));
</script></body></html>`;
}

async function startPageServer(): Promise<{ url: string; server: Server }> {
  const script = readFileSync(HLS_JS);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page.invalid');
    if (url.pathname === '/hls.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(pageHtml(url.searchParams.get('src') ?? ''));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Playback {
  /** currentTime samples, one per second from the start of playback. */
  readonly times: number[];
  readonly fatal: string | null;
  /** hls.js errors and the video element's error, with the playback position and message of each. */
  readonly errors: Array<{ type: string; details: string; fatal: boolean; at: number; message?: string }>;
}

interface PlayOptions {
  /** Stop sampling once this holds (or at the deadline). */
  readonly until: (times: readonly number[]) => boolean;
  readonly deadlineSeconds: number;
  /** Called after each sample with the seconds since playback started. */
  readonly at?: (second: number) => Promise<void>;
}

/** Opens the page on `src`, waits for playback, and samples currentTime once a second. */
async function play(ctx: BrowserContext, pageUrl: string, src: string, o: PlayOptions): Promise<Playback> {
  const page = await ctx.newPage();
  try {
    await page.goto(`${pageUrl}/?src=${encodeURIComponent(src)}`);
    // Playback starts once the first segment is in (a new stream cuts its first one in ~4-6 s).
    await page.waitForFunction(`${CURRENT_TIME} > 0`, null, { timeout: 30_000 });
    const times: number[] = [];
    for (let s = 0; s <= o.deadlineSeconds && !o.until(times); s++) {
      times.push(await page.evaluate<number>(CURRENT_TIME));
      if (await page.evaluate<string | null>('window.__fatal')) break;
      await o.at?.(s);
      await page.waitForTimeout(1000);
    }
    const state = await page.evaluate<Pick<Playback, 'fatal' | 'errors'>>(
      '({ fatal: window.__fatal, errors: window.__errors })',
    );
    return { times, ...state };
  } finally {
    await page.close();
  }
}

/** Seconds of playback since sample `from`. */
const advancedSince = (times: readonly number[], from: number): number =>
  times.length > from ? times.at(-1)! - times[from]! : 0;

/** The longest run of samples (seconds) in which currentTime did not move. */
function longestStall(times: readonly number[]): number {
  let longest = 0;
  let run = 0;
  for (let i = 1; i < times.length; i++) {
    run = times[i]! > times[i - 1]! + 0.05 ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

function describePlayback(p: Playback): string {
  return `samples ${p.times.map((t) => t.toFixed(1)).join(' ')}; errors ${JSON.stringify(p.errors)}`;
}

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
