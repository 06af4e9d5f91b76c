/**
 * How fast a new stream starts in a real HLS player: hls.js (from node_modules) in headless Debian Chromium,
 * each round on a content id nobody has opened, against the engine's own start in the same run.
 *
 *   node benchmarks/bin/hls-start.js [--rounds 5] [--watch 20] [--segment 4]
 *
 * Per round: engine-sim's own start (its getstream request → first byte, on another new id), then the page
 * is opened on the gateway's `/ace/manifest.m3u8` and timed to the first playlist answer and to playback
 * (`currentTime` > 0); then `currentTime` is sampled every second for `--watch` seconds to find the longest
 * stretch without progress. Target: playback within 2 × the segment length plus the engine's start, with
 * no stall in the first 20 s. Needs /usr/bin/chromium. Writes benchmarks/results/<date>-hls-start.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { numberFlag, parseFlags } from '../util/args.js';
import { stopAllChildren } from '../util/child.js';
import { describeMachine } from '../util/machine.js';
import { RESULTS_DIR } from './paths.js';
import { startEngineSim, startGateway } from './procs.js';
import { percentile } from './zap.js';

const HLS_JS = fileURLToPath(new URL('../../../../node_modules/hls.js/dist/hls.min.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--autoplay-policy=no-user-gesture-required',
];
const START_DEADLINE_MS = 60_000;

function log(m: string): void {
  process.stderr.write(`[hls-start ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

/** The page: hls.js with default settings, muted autoplay, timings kept on `window`. */
function page(src: string): string {
  return `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.min.js"></script><script>
  window.__t = { manifest: -1, playing: -1, fatal: null };
  const v = document.getElementById('v');
  const hls = new Hls();
  hls.on(Hls.Events.MANIFEST_LOADED, () => { if (window.__t.manifest < 0) window.__t.manifest = performance.now(); });
  hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.__t.fatal = d.type + '/' + d.details; });
  v.addEventListener('playing', () => { if (window.__t.playing < 0) window.__t.playing = performance.now(); });
  hls.loadSource(${JSON.stringify(src)});
  hls.attachMedia(v);
  hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch(() => {}));
</script></body></html>`;
}

/** Request → first byte of the engine's own stream (its start-up), ms; the request is then dropped. */
function engineStart(url: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.once('data', () => {
        resolve(performance.now() - t0);
        req.destroy();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The longest run of one-second samples in which currentTime did not move, in seconds. */
export function longestStall(times: readonly number[]): number {
  let longest = 0;
  let run = 0;
  for (let i = 1; i < times.length; i++) {
    run = times[i]! > times[i - 1]! + 0.05 ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

interface Round {
  engine_start_ms: number;
  first_playlist_ms: number;
  playing_ms: number;
  longest_stall_s: number;
  fatal: string | null;
  /** currentTime once a second from playback start. */
  samples: number[];
}

export async function runHlsStart(argv: readonly string[]): Promise<void> {
  const f = parseFlags([...argv], {
    rounds: { type: 'string' },
    watch: { type: 'string' },
    segment: { type: 'string' },
  });
  const rounds = numberFlag(f, 'rounds', 5, 1, 50, true);
  const watchS = numberFlag(f, 'watch', 20, 5, 120, true);
  const segmentS = numberFlag(f, 'segment', 4, 1, 10);
  const script = readFileSync(HLS_JS);
  const pages = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page.invalid');
    if (url.pathname === '/hls.min.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end(page(url.searchParams.get('src') ?? ''));
  });
  await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
  const pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  const sim = await startEngineSim('1');
  const gw = await startGateway({
    shards: 2,
    engines: [sim.url],
    extra: ['--hls-segment-seconds', String(segmentS), '--grace-seconds', '3'],
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const results: Round[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const id = `${(0xa000 + i).toString(16)}`.padEnd(40, 'b');
      const engine_start_ms = await engineStart(
        `${sim.url}/ace/getstream?id=${`${(0xe000 + i).toString(16)}`.padEnd(40, 'c')}`,
      );
      const p = await browser.newPage();
      try {
        const t0 = Date.now();
        await p.goto(`${pageUrl}/?src=${encodeURIComponent(`${gw.url}/ace/manifest.m3u8?id=${id}`)}`);
        const navStart = await p.evaluate<number>('performance.timeOrigin');
        await p.waitForFunction('window.__t.playing > 0 || window.__t.fatal !== null', null, {
          timeout: START_DEADLINE_MS,
        });
        const t = await p.evaluate<{ manifest: number; playing: number; fatal: string | null }>('window.__t');
        // performance.now() in the page counts from navigation start, a moment after t0.
        const skew = navStart - t0;
        const times: number[] = [];
        for (let s = 0; s <= watchS && t.fatal === null; s++) {
          times.push(await p.evaluate<number>("document.getElementById('v').currentTime"));
          await p.waitForTimeout(1000);
        }
        const fatal = t.fatal ?? (await p.evaluate<string | null>('window.__t.fatal'));
        results.push({
          engine_start_ms: Math.round(engine_start_ms),
          first_playlist_ms: Math.round(t.manifest + skew),
          playing_ms: Math.round(t.playing + skew),
          longest_stall_s: longestStall(times),
          fatal,
          samples: times.map((x) => Math.round(x * 10) / 10),
        });
        log(`round ${i + 1}: ${JSON.stringify(results.at(-1))}`);
      } finally {
        await p.close();
      }
    }
  } finally {
    await browser.close();
    pages.close();
    await stopAllChildren();
  }
  const col = (k: 'engine_start_ms' | 'first_playlist_ms' | 'playing_ms') => results.map((r) => r[k]);
  const targetMs = 2 * segmentS * 1000 + percentile(col('engine_start_ms'), 50);
  const worstStall = Math.max(...results.map((r) => r.longest_stall_s));
  const lines = [
    `| hls.js in Chromium, new stream, ${segmentS} s segments, ${rounds} rounds | p50 | max |`,
    '|---|---:|---:|',
    `| engine's own start (request → first byte), ms | ${percentile(col('engine_start_ms'), 50)} | ${Math.max(...col('engine_start_ms'))} |`,
    `| page → first playlist, ms | ${percentile(col('first_playlist_ms'), 50)} | ${Math.max(...col('first_playlist_ms'))} |`,
    `| page → playing, ms (target ≤ ${Math.round(targetMs)}) | ${percentile(col('playing_ms'), 50)} | ${Math.max(...col('playing_ms'))} |`,
    `| longest stall in the first ${watchS} s, s (target 0) | | ${worstStall} |`,
    `| fatal errors | | ${results.filter((r) => r.fatal !== null).length} |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${new Date().toISOString().slice(0, 10)}-hls-start.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine: describeMachine(), params: { rounds, watchS, segmentS }, targetMs, results }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
}
