// Session start: GET /ace/getstream and /ace/manifest.m3u8 (docs/engine-api.md). With format=json the answer
// is the AceStream envelope; without it the engine streams TS (getstream) or returns the playlist
// (manifest) directly. Start faults apply here: delay, HTTP status, JSON error.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { publicOrigin, type SimContext } from './context.js';
import { parseFaults } from './faults.js';
import { sendEngineError, sendEnvelope } from './respond.js';
import { type ContentRef, infohashOf, type Session } from './session.js';
import { servePlaylist, startPlayback } from './session-routes.js';

const HEX40 = /^[0-9a-fA-F]{40}$/;
const FILE_INDEXES = /^\d+(,\d+)*$/;
const SECONDS = /^\d+$/;
const MAX_PID_LENGTH = 128;

export type StartKind = 'ts' | 'hls';

type Parsed = { ok: true; ref: ContentRef; pid: string | null } | { ok: false; error: string };

/** Validates the AceStream start parameters; other parameters are tolerated. */
export function parseStartQuery(q: URLSearchParams): Parsed {
  const infohash = q.get('infohash');
  const id = q.get('id');
  let ref: ContentRef;
  if (infohash !== null) {
    if (!HEX40.test(infohash)) return { ok: false, error: 'infohash must be 40 hexadecimal digits' };
    ref = { kind: 'infohash', value: infohash.toLowerCase() };
  } else if (id !== null) {
    if (!HEX40.test(id)) return { ok: false, error: 'id must be 40 hexadecimal digits' };
    ref = { kind: 'id', value: id.toLowerCase() };
  } else {
    return { ok: false, error: 'missing id or infohash' };
  }
  const fileIndexes = q.get('file_indexes');
  if (fileIndexes !== null && !FILE_INDEXES.test(fileIndexes)) {
    return { ok: false, error: 'file_indexes must be a comma-separated list of numbers' };
  }
  const seekback = q.get('seekback');
  if (seekback !== null && !SECONDS.test(seekback))
    return { ok: false, error: 'seekback must be a number of seconds' };
  const pid = q.get('pid');
  if (pid !== null && (pid.length === 0 || pid.length > MAX_PID_LENGTH)) {
    return { ok: false, error: `pid must be 1 to ${MAX_PID_LENGTH} characters` };
  }
  return { ok: true, ref, pid };
}

export async function handleStart(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  kind: StartKind,
): Promise<void> {
  const { counters } = ctx;
  counters.startRequests++;
  // Like AceStream, which does not reliably cancel a start whose client disconnects, the start goes on
  // when the client leaves: its session opens all the same, idle until stopped or expired.
  let clientGone = false;
  res.once('close', () => {
    clientGone = true;
  });
  const q = url.searchParams;
  const parsed = parseStartQuery(q);
  if (!parsed.ok) return sendEngineError(res, 400, parsed.error);
  if (kind === 'ts' && ctx.options.hlsOnly) {
    return sendEngineError(res, 404, 'getstream is not available: this engine serves HLS only');
  }
  const query = parseFaults(Object.fromEntries(q), false);
  if (!query.ok) return sendEngineError(res, 400, query.error);
  const ref = parsed.ref;
  // Admin faults may be scoped to the content id or to the infohash it resolves to.
  const contents = [ref.kind === 'id' ? ref.value : null, infohashOf(ref)];
  const faults = ctx.admin.resolve(ctx.options.faults, contents, query.faults);
  if (faults.startDelayMs !== undefined && faults.startDelayMs > 0) {
    counters.faults.startDelays++;
    if (!(await delayUnlessSimCloses(ctx.closed, faults.startDelayMs))) return;
  }
  if (faults.startStatus !== undefined) {
    counters.faults.startStatuses++;
    return sendEngineError(res, faults.startStatus, `simulated HTTP ${faults.startStatus}`);
  }
  if (faults.startError !== undefined) {
    counters.faults.startErrors++;
    return sendEngineError(res, 200, faults.startError);
  }
  const session = ctx.sessions.open(ref, parsed.pid, kind, query.faults, faults);
  if (clientGone || res.destroyed) {
    counters.startsUnanswered++;
    return;
  }
  if (q.get('format') === 'json') return sendEnvelope(res, 200, envelope(ctx, req, session, kind), null);
  if (kind === 'hls') return servePlaylist(ctx, req, res, session);
  return startPlayback(ctx, req, res, session);
}

// The `response` object of a successful start.
function envelope(
  ctx: SimContext,
  req: IncomingMessage,
  s: Session,
  kind: StartKind,
): Record<string, unknown> {
  const origin = publicOrigin(ctx, req);
  return {
    playback_url:
      kind === 'ts' ? `${origin}/ace/r/${s.infohash}/${s.id}` : `${origin}/ace/m/${s.infohash}/${s.id}.m3u8`,
    stat_url: `${origin}/ace/stat/${s.infohash}/${s.id}`,
    command_url: `${origin}/ace/cmd/${s.infohash}/${s.id}`,
    playback_session_id: s.id,
    is_live: 1,
    bitrate: Math.round(ctx.renderer.plan.bytesPerSecond),
    infohash: s.infohash,
    is_encrypted: 0,
    client_session_id: -1,
  };
}

// Waits `ms`; resolves false when the simulator closes meanwhile (not when the client leaves: see above).
function delayUnlessSimCloses(closed: AbortSignal, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (closed.aborted) return resolve(false);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      closed.removeEventListener('abort', onClose);
      resolve(true);
    }, ms);
    closed.addEventListener('abort', onClose, { once: true });
  });
}
