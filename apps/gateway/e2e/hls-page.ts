/**
 * Real players for the e2e tier: a child-process runner (ffmpeg, ffprobe), and hls.js (from node_modules)
 * in headless Debian Chromium on a page served from another origin than the gateway, sampling the video
 * element's currentTime once a second.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';

export const HLS_JS = fileURLToPath(
  new URL('../../../../node_modules/hls.js/dist/hls.min.js', import.meta.url),
);
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
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
export const CURRENT_TIME = "document.getElementById('v').currentTime";

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
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
export function pageHtml(src: string): string {
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

export async function startPageServer(): Promise<{ url: string; server: Server }> {
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

export interface Playback {
  /** currentTime samples, one per second from the start of playback. */
  readonly times: number[];
  readonly fatal: string | null;
  /** hls.js errors and the video element's error, with the playback position and message of each. */
  readonly errors: Array<{ type: string; details: string; fatal: boolean; at: number; message?: string }>;
}

export interface PlayOptions {
  /** Stop sampling once this holds (or at the deadline). */
  readonly until: (times: readonly number[]) => boolean;
  readonly deadlineSeconds: number;
  /** Called after each sample with the seconds since playback started. */
  readonly at?: (second: number) => Promise<void>;
}

/** Opens the page on `src`, waits for playback, and samples currentTime once a second. */
export async function play(
  ctx: BrowserContext,
  pageUrl: string,
  src: string,
  o: PlayOptions,
): Promise<Playback> {
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
export const advancedSince = (times: readonly number[], from: number): number =>
  times.length > from ? times.at(-1)! - times[from]! : 0;

/** The longest run of samples (seconds) in which currentTime did not move. */
export function longestStall(times: readonly number[]): number {
  let longest = 0;
  let run = 0;
  for (let i = 1; i < times.length; i++) {
    run = times[i]! > times[i - 1]! + 0.05 ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

export function describePlayback(p: Playback): string {
  return `samples ${p.times.map((t) => t.toFixed(1)).join(' ')}; errors ${JSON.stringify(p.errors)}`;
}
