// Per-session routes: TS playback (/ace/r/<hash>/<session>), the engine's HLS playlist and segments
// (/ace/m/<hash>/<session>.m3u8, /ace/c/<session>/<seq>.ts), stats (/ace/stat/...) and commands
// (/ace/cmd/...?method=stop).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LIVE_HISTORY_S } from './clock.js';
import { publicOrigin, type SimContext } from './context.js';
import { PlaybackConnection } from './playback.js';
import { sendEngineError, sendEnvelope, sendText } from './respond.js';
import type { Session } from './session.js';

const UNKNOWN_SESSION = 'unknown playback session id';
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
// Segments are immutable; one hour is plenty for a live window.
const SEGMENT_CACHE = 'public, max-age=3600, immutable';
const BASE_PEERS = 8;
const PEER_SPREAD = 24;
const UPLOAD_SHARE = 0.04;

// Session `id` if it exists and (when given) belongs to `infohash`.
function lookup(ctx: SimContext, id: string, infohash: string | null): Session | undefined {
  const s = ctx.sessions.get(id);
  return s && (infohash === null || s.infohash === infohash.toLowerCase()) ? s : undefined;
}

/** Streams TS on `res` for `session` (direct getstream or its playback_url). */
export function startPlayback(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  session: Session,
): void {
  session.touch();
  if (req.method === 'HEAD') {
    res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Cache-Control': 'no-cache, no-store' });
    res.end();
    return;
  }
  const conn = new PlaybackConnection(
    session,
    res,
    { clock: ctx.clock, renderer: ctx.renderer, pacer: ctx.pacer, counters: ctx.counters },
    { rate: ctx.options.rate, burstSeconds: ctx.options.burstSeconds, faults: session.faults },
  );
  conn.start();
}

export function handlePlayback(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  infohash: string,
  id: string,
): void {
  const s = lookup(ctx, id, infohash);
  if (!s) {
    sendEngineError(res, 404, UNKNOWN_SESSION);
    return;
  }
  startPlayback(ctx, req, res, s);
}

/** Renders the session's live playlist, honouring its HLS faults (stall freezes it, EOF ends it). */
export function servePlaylist(ctx: SimContext, req: IncomingMessage, res: ServerResponse, s: Session): void {
  s.touch();
  ctx.counters.hlsPlaylists++;
  const f = s.faults;
  if (f.zeroByteEof) {
    ctx.counters.faults.zeroByteEofs++;
    sendText(res, 200, PLAYLIST_TYPE, '');
    return;
  }
  const nowMs = performance.now();
  let atMs = nowMs;
  let ended = false;
  if (f.eofAfterS !== undefined && nowMs >= s.createdPerfMs + f.eofAfterS * 1000) {
    atMs = s.createdPerfMs + f.eofAfterS * 1000;
    ended = true;
  }
  if (f.stallForS !== undefined) {
    const from = s.createdPerfMs + (f.stallAfterS ?? 0) * 1000;
    if (atMs >= from && atMs < from + f.stallForS * 1000) atMs = from;
  }
  const origin = publicOrigin(ctx, req);
  const text = ctx.hls.playlist({
    at: ctx.clock.now(atMs),
    wallMs: Date.now() - (nowMs - atMs),
    segmentUrl: (seq) => `${origin}/ace/c/${s.id}/${seq}.ts`,
    ended,
  });
  sendText(res, 200, PLAYLIST_TYPE, text);
}

export function handlePlaylist(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  infohash: string,
  id: string,
): void {
  const s = lookup(ctx, id, infohash);
  if (!s) {
    sendEngineError(res, 404, UNKNOWN_SESSION);
    return;
  }
  servePlaylist(ctx, req, res, s);
}

export function handleSegment(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  seq: number,
): void {
  const s = lookup(ctx, id, null);
  if (!s) {
    sendEngineError(res, 404, UNKNOWN_SESSION);
    return;
  }
  s.touch();
  if (!ctx.hls.available(seq, ctx.clock.now())) {
    sendEngineError(res, 404, `segment ${seq} is not available`);
    return;
  }
  const parts = ctx.hls.segment(seq);
  let length = 0;
  for (const p of parts) length += p.length;
  res.writeHead(200, {
    'Content-Type': 'video/mp2t',
    'Content-Length': length,
    'Cache-Control': SEGMENT_CACHE,
    'Access-Control-Allow-Origin': '*',
  });
  ctx.counters.hlsSegments++;
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  for (const p of parts) res.write(p);
  res.end();
  ctx.counters.bytesSent += length;
  s.bytesSent += length;
}

/** stat_url: engine-style statistics (docs/engine-api.md); speeds in KB/s, livepos in string Unix seconds. */
export function handleStat(ctx: SimContext, res: ServerResponse, infohash: string, id: string): void {
  const s = lookup(ctx, id, infohash);
  if (!s) {
    sendEngineError(res, 200, UNKNOWN_SESSION);
    return;
  }
  s.touch();
  const now = Math.floor(Date.now() / 1000);
  const speedDown = Math.round(ctx.renderer.plan.bytesPerSecond / 1024);
  const peers = BASE_PEERS + (Number.parseInt(s.id.slice(0, 2), 16) % PEER_SPREAD);
  sendEnvelope(
    res,
    200,
    {
      status: 'dl',
      playback_session_id: s.id,
      infohash: s.infohash,
      is_live: 1,
      peers,
      speed_down: speedDown,
      speed_up: Math.round(speedDown * UPLOAD_SHARE),
      downloaded: s.bytesSent,
      uploaded: Math.round(s.bytesSent * UPLOAD_SHARE),
      total_progress: 0,
      livepos: {
        pos: String(now),
        live_first: String(now - LIVE_HISTORY_S),
        live_last: String(now),
        first_ts: String(now - LIVE_HISTORY_S),
        last_ts: String(now),
        is_live: 1,
        buffer_pieces: 15,
      },
    },
    null,
  );
}

/** command_url: `method=stop` ends the session and its connections. */
export function handleCommand(
  ctx: SimContext,
  res: ServerResponse,
  url: URL,
  infohash: string,
  id: string,
): void {
  const s = lookup(ctx, id, infohash);
  if (!s) {
    sendEngineError(res, 200, UNKNOWN_SESSION);
    return;
  }
  const method = url.searchParams.get('method');
  if (method !== 'stop') {
    sendEngineError(res, 400, `unknown method ${JSON.stringify(method ?? '')}`);
    return;
  }
  ctx.sessions.end(s, 'stopped');
  sendEnvelope(res, 200, 'ok', null);
}
