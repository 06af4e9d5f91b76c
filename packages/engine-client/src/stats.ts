import {
  badResponse,
  isObject,
  type JsonObject,
  optionalFlag,
  optionalNumber,
  unwrapEnvelope,
} from './envelope.js';
import type { EngineLivePos, EngineStat, EngineVersion } from './types.js';

/** `livepos` keys as the engine spells them → our names (values are strings of Unix seconds). */
const LIVEPOS_FIELDS = [
  ['pos', 'pos'],
  ['live_first', 'liveFirst'],
  ['live_last', 'liveLast'],
  ['first', 'first'],
  ['last', 'last'],
  ['first_ts', 'firstTs'],
  ['last_ts', 'lastTs'],
  ['buffer_pieces', 'bufferPieces'],
] as const;

/** First of several spellings (`speed_down` / `speedDown`) that is present. */
function eitherNumber(obj: JsonObject, keys: readonly string[], what: string): number | undefined {
  for (const key of keys) {
    const n = optionalNumber(obj, key, what);
    if (n !== undefined) return n;
  }
  return undefined;
}

function parseLivePos(raw: unknown, what: string): EngineLivePos | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw badResponse(what, '"livepos" is not an object');
  const out: EngineLivePos = {};
  for (const [from, to] of LIVEPOS_FIELDS) {
    const n = optionalNumber(raw, from, what);
    if (n !== undefined) out[to] = n;
  }
  const isLive = optionalFlag(raw, 'is_live', what);
  if (isLive !== undefined) out.isLive = isLive;
  return out;
}

/** Normalises a `stat_url` answer; "unknown playback session id" → `SC_ERR_ENGINE_SESSION_GONE`. */
export function parseStat(json: unknown, what: string): EngineStat {
  const r = unwrapEnvelope(json, { field: 'response', what, sessionGone: true });
  const status = r['status'];
  if (typeof status !== 'string') throw badResponse(what, '"status" is not a string');
  const stat: EngineStat = {
    status,
    peers: optionalNumber(r, 'peers', what) ?? 0,
    speedDownKBps: eitherNumber(r, ['speed_down', 'speedDown'], what) ?? 0,
    speedUpKBps: eitherNumber(r, ['speed_up', 'speedUp'], what) ?? 0,
    downloadedBytes: optionalNumber(r, 'downloaded', what) ?? 0,
    uploadedBytes: optionalNumber(r, 'uploaded', what) ?? 0,
  };
  const progress = optionalNumber(r, 'total_progress', what);
  if (progress !== undefined) stat.totalProgress = progress;
  const livepos = parseLivePos(r['livepos'], what);
  if (livepos) stat.livepos = livepos;
  return stat;
}

/** `get_status` payload numbers, when present. */
export function parseStatus(json: unknown, what: string) {
  const r = unwrapEnvelope(json, { field: 'result', what });
  return {
    speedDownKBps: eitherNumber(r, ['speed_down', 'speedDown'], what),
    speedUpKBps: eitherNumber(r, ['speed_up', 'speedUp'], what),
    peers: optionalNumber(r, 'peers', what),
  };
}

export function parseVersion(json: unknown, what: string): EngineVersion {
  const r = unwrapEnvelope(json, { field: 'result', what });
  const version = r['version'];
  if (typeof version !== 'string' || version === '') throw badResponse(what, '"version" is missing');
  const out: EngineVersion = { version };
  if (typeof r['platform'] === 'string') out.platform = r['platform'];
  if (typeof r['code'] === 'number') out.code = r['code'];
  return out;
}
