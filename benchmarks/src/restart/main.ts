/**
 * Restart load generator (its own process, started by the bench's restart section before the gateway):
 * TS and HLS players that connect the moment the port opens, retrying every `retryMs` while the
 * connection is refused. A TS player has media once it received a TS packet; an HLS player once it got a
 * playlist and then the newest listed segment. Every answer that is not media is recorded with its time;
 * players keep watching for `holdMs` after the last one got media, then the report is written.
 *
 * Usage: node restart/main.js <config JSON> <report path>
 */
import { writeFileSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { parsePlaylist } from '../players/playlist.js';
import type { Answer, RestartLoadConfig, RestartLoadReport } from './types.js';

const TS_PACKET = 188;
const MAX_ANSWERS = 20_000;
const HLS_POLL_MS = 2000;
const ERROR_BODY_LIMIT = 4096;

const config = JSON.parse(process.argv[2] ?? '{}') as RestartLoadConfig;
const reportPath = process.argv[3];
if (!reportPath || !config.port) {
  process.stderr.write('usage: main.js <config JSON> <report path>\n');
  process.exit(2);
}

const startedAtMs = Date.now();
let firstConnectAtMs: number | null = null;
let refused = 0;
let answersDropped = 0;
let finished = false;
const answers: Answer[] = [];
const tsMedia: Array<number | null> = new Array(config.tsPlayers).fill(null);
const hlsMedia: Array<number | null> = new Array(config.hlsPlayers).fill(null);
const open = new Set<ClientRequest>();
const timers = new Set<NodeJS.Timeout>();

function later(ms: number, fn: () => void): void {
  if (finished) return;
  const t = setTimeout(() => {
    timers.delete(t);
    if (!finished) fn();
  }, ms);
  timers.add(t);
}

function record(a: Omit<Answer, 'atMs'>): void {
  if (answers.length >= MAX_ANSWERS) answersDropped++;
  else answers.push({ atMs: Date.now(), ...a });
}

/** How long to wait after a failed answer: its Retry-After (bounded), else the retry period. */
function backoff(res: IncomingMessage | null): number {
  const ra = Number(res?.headers['retry-after']);
  return Number.isFinite(ra) && ra > 0 ? Math.min(ra * 1000, config.maxRetryAfterMs) : config.retryMs;
}

/** GET on a connection of its own; `onResponse` or `onError` (refused connections are counted here). */
function get(
  path: string,
  onResponse: (res: IncomingMessage) => void,
  onError: (code: string) => void,
): void {
  const req = request({ host: '127.0.0.1', port: config.port, path, agent: false }, (res) => onResponse(res));
  open.add(req);
  req.once('socket', (s) =>
    s.once('connect', () => {
      firstConnectAtMs ??= Date.now();
    }),
  );
  req.once('close', () => open.delete(req));
  req.once('error', (err: NodeJS.ErrnoException) => {
    if (finished) return;
    if (err.code === 'ECONNREFUSED') refused++;
    onError(err.code ?? err.message);
  });
  req.end();
}

/** Reads a non-200 answer's JSON error code, then calls `done(code)`. */
function errorCode(res: IncomingMessage, done: (code: string) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => {
    if (body.length < ERROR_BODY_LIMIT) body += d;
  });
  res.once('end', () => {
    try {
      done(String((JSON.parse(body) as { error?: { code?: string } }).error?.code ?? 'no code'));
    } catch {
      done('no JSON error');
    }
  });
  res.once('error', () => done('error body cut'));
}

function tsPlayer(i: number): void {
  const path = `/ace/getstream?id=${config.channels[i % config.channels.length]}`;
  const retry = (ms: number): void => later(ms, () => tsPlayer(i));
  get(
    path,
    (res) => {
      if (res.statusCode !== 200) {
        const wait = backoff(res);
        const retryAfter = res.headers['retry-after'] !== undefined;
        errorCode(res, (code) => {
          record({
            player: 'ts',
            status: res.statusCode ?? 0,
            code,
            retryAfter,
            afterMedia: tsMedia[i] !== null,
          });
          retry(wait);
        });
        return;
      }
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (tsMedia[i] === null && bytes >= TS_PACKET) tsMedia[i] = Date.now();
        if (tsMedia[i] !== null) maybeDone();
      });
      const ended = (): void => {
        if (finished) return;
        record({
          player: 'ts',
          status: 200,
          code: 'ended',
          retryAfter: false,
          afterMedia: tsMedia[i] !== null,
        });
        retry(config.retryMs);
      };
      res.once('end', ended);
      res.once('error', ended);
    },
    (code) => {
      if (code !== 'ECONNREFUSED')
        record({ player: 'ts', status: 0, code, retryAfter: false, afterMedia: tsMedia[i] !== null });
      retry(config.retryMs);
    },
  );
}

/** Each HLS player's playlist: the channel's URL until the multivariant answer names its session's. */
const hlsPaths: Array<string | undefined> = [];

function hlsPlayer(i: number): void {
  const id = config.channels[i % config.channels.length]!;
  const playlistPath = hlsPaths[i] ?? `/ace/manifest.m3u8?id=${id}`;
  const fail = (res: IncomingMessage | null, what: string, code?: string): void => {
    const wait = backoff(res);
    const done = (c: string): void => {
      record({
        player: 'hls',
        status: res?.statusCode ?? 0,
        code: `${what}: ${c}`,
        retryAfter: res?.headers['retry-after'] !== undefined,
        afterMedia: hlsMedia[i] !== null,
      });
      later(hlsMedia[i] === null ? wait : HLS_POLL_MS, () => hlsPlayer(i));
    };
    if (res && code === undefined) errorCode(res, done);
    else {
      res?.resume();
      done(code ?? 'failed');
    }
  };
  get(
    playlistPath,
    (res) => {
      if (res.statusCode !== 200) return fail(res, 'playlist');
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.once('error', () => fail(null, 'playlist', 'body cut'));
      res.once('end', () => {
        const p = parsePlaylist(text);
        if (p.kind === 'multivariant' && hlsPaths[i] === undefined) {
          // Relative to the playlist (/ace/manifest.m3u8 → /ace/<uri>): reloads go there, as a player's do.
          hlsPaths[i] = p.variantUri.startsWith('/') ? p.variantUri : `/ace/${p.variantUri}`;
          return hlsPlayer(i);
        }
        const last = p.kind === 'media' ? p.segments.at(-1) : undefined;
        if (!last) return fail(null, 'playlist', p.kind === 'error' ? p.detail : 'no segment');
        if (hlsMedia[i] !== null) return later(HLS_POLL_MS, () => hlsPlayer(i));
        // Playlists name segments relative to themselves (/ace/manifest.m3u8 → /ace/<uri>).
        const segPath = last.uri.startsWith('/') ? last.uri : `/ace/${last.uri}`;
        get(
          segPath,
          (seg) => {
            if (seg.statusCode !== 200) return fail(seg, 'segment');
            let bytes = 0;
            seg.on('data', (c: Buffer) => {
              bytes += c.length;
            });
            seg.once('error', () => fail(null, 'segment', 'body cut'));
            seg.once('end', () => {
              if (bytes < TS_PACKET) return fail(null, 'segment', 'empty');
              hlsMedia[i] ??= Date.now();
              maybeDone();
              later(HLS_POLL_MS, () => hlsPlayer(i));
            });
          },
          (code) => fail(null, 'segment', code),
        );
      });
    },
    (code) => {
      if (code === 'ECONNREFUSED') later(config.retryMs, () => hlsPlayer(i));
      else fail(null, 'playlist', code);
    },
  );
}

let holding = false;
function maybeDone(): void {
  if (holding || tsMedia.includes(null) || hlsMedia.includes(null)) return;
  holding = true;
  setTimeout(finish, config.holdMs);
}

function finish(): void {
  if (finished) return;
  finished = true;
  for (const t of timers) clearTimeout(t);
  for (const r of open) r.destroy();
  const report: RestartLoadReport = {
    config,
    startedAtMs,
    firstConnectAtMs,
    endedAtMs: Date.now(),
    refused,
    tsMediaAtMs: tsMedia,
    hlsMediaAtMs: hlsMedia,
    answers,
    answersDropped,
  };
  writeFileSync(reportPath!, JSON.stringify(report));
  process.exit(0);
}

setTimeout(finish, config.deadlineMs);
for (let i = 0; i < config.tsPlayers; i++) tsPlayer(i);
for (let i = 0; i < config.hlsPlayers; i++) hlsPlayer(i);
process.stdout.write('restart players started\n');
