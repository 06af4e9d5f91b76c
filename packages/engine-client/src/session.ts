import {
  badResponse,
  type JsonObject,
  optionalFlag,
  optionalNumber,
  optionalString,
  unwrapEnvelope,
} from './envelope.js';
import { EngineError } from './errors.js';
import type { EngineSession, SessionFormat } from './types.js';
import { parseHttpUrl, rebase } from './urls.js';

export interface SessionContext {
  /** The engine's configured origin. */
  origin: URL;
  pid: string;
  format: SessionFormat;
  what: string;
}

interface CheckedUrl {
  url: URL;
  rebased: boolean;
  advertised: string;
}

function sessionUrl(resp: JsonObject, key: string, ctx: SessionContext): CheckedUrl {
  const raw = resp[key];
  if (raw !== undefined && raw !== null && typeof raw !== 'string') {
    throw badResponse(ctx.what, `"${key}" is not a string`);
  }
  if (raw === undefined || raw === null || raw.trim() === '') {
    if (key === 'playback_url') {
      throw new EngineError('SC_ERR_ENGINE_NO_PLAYBACK_URL', `${ctx.what}: engine answered no playback_url`);
    }
    throw badResponse(ctx.what, `"${key}" is missing`);
  }
  // Relative answers are resolved against the engine itself, never against anything else.
  const url = parseHttpUrl(raw.trim(), ctx.origin.href);
  if (!url) throw badResponse(ctx.what, `"${key}" is not an http(s) URL`);
  if (url.origin === ctx.origin.origin) return { url, rebased: false, advertised: url.origin };
  return { url: rebase(url, ctx.origin), rebased: true, advertised: url.origin };
}

/**
 * Parses a `/ace/getstream?format=json` (or `manifest.m3u8`) answer into an
 * {@link EngineSession}. URLs naming another host (the engine's address inside Docker/NAT)
 * are moved onto the configured origin so the gateway only ever talks to that origin.
 */
export function parseSession(json: unknown, ctx: SessionContext): EngineSession {
  const resp = unwrapEnvelope(json, { field: 'response', what: ctx.what });
  const playback = sessionUrl(resp, 'playback_url', ctx);
  const stat = sessionUrl(resp, 'stat_url', ctx);
  const command = sessionUrl(resp, 'command_url', ctx);
  const playbackSessionId = optionalString(resp, 'playback_session_id', ctx.what);
  if (playbackSessionId === undefined || playbackSessionId === '') {
    throw badResponse(ctx.what, '"playback_session_id" is missing');
  }
  const session: EngineSession = {
    playbackUrl: playback.url.href,
    statUrl: stat.url.href,
    commandUrl: command.url.href,
    playbackSessionId,
    // Live is what the gateway serves; 3.x engines always send the flag.
    isLive: optionalFlag(resp, 'is_live', ctx.what) ?? true,
    pid: ctx.pid,
    format: ctx.format,
    engine: ctx.origin.origin,
    rebased: playback.rebased || stat.rebased || command.rebased,
  };
  const bitrate = optionalNumber(resp, 'bitrate', ctx.what);
  if (bitrate !== undefined && bitrate >= 0) session.bitrate = bitrate;
  const infohash = optionalString(resp, 'infohash', ctx.what);
  if (infohash) session.infohash = infohash;
  const foreign = [playback, stat, command].find((u) => u.rebased);
  if (foreign) session.advertisedOrigin = foreign.advertised;
  return session;
}
