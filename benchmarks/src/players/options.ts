/**
 * The players CLI options: flags, defaults, validation (one sentence per bad value), deterministic stream
 * ids, and the player list. Pure apart from reading argv given to it.
 */
import { createHash } from 'node:crypto';
import {
  boolFlag,
  choiceFlag,
  type FlagSpec,
  numberFlag,
  parseFlags,
  stringFlag,
  UsageError,
} from '../util/args.js';
import type { Pace, PlayerSpec, PlayersOptions, Target, Validate } from './types.js';

export const MAX_PLAYERS = 100_000;
const MAX_DURATION_S = 24 * 3600;
const MAX_STREAMS = 10_000;
const HEX40 = /^[0-9a-fA-F]{40}$/;

export const PLAYERS_FLAGS: FlagSpec = {
  url: { type: 'string' },
  ts: { type: 'string' },
  hls: { type: 'string' },
  streams: { type: 'string' },
  ids: { type: 'string' },
  'ramp-up': { type: 'string' },
  'warm-up': { type: 'string' },
  duration: { type: 'string' },
  buffer: { type: 'string' },
  'max-buffer': { type: 'string' },
  bitrate: { type: 'string' },
  pace: { type: 'string' },
  validate: { type: 'string' },
  'read-timeout': { type: 'string' },
  'join-timeout': { type: 'string' },
  'ts-path': { type: 'string' },
  'hls-path': { type: 'string' },
  workers: { type: 'string' },
  'no-prewarm': { type: 'boolean' },
  json: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
};

export interface PlayersCli {
  readonly options: PlayersOptions;
  readonly jsonPath: string | undefined;
  readonly quiet: boolean;
}

/** The deterministic content id of stream `i` (40 hex digits), the same in every run. */
export function streamId(i: number): string {
  return createHash('sha1').update(`shardcast-players/${i}`).digest('hex');
}

/** Parses argv; returns 'help' for --help. Throws UsageError with one sentence. */
export function parsePlayersArgs(argv: string[]): PlayersCli | 'help' {
  const f = parseFlags(argv, PLAYERS_FLAGS);
  if (boolFlag(f, 'help')) return 'help';
  const baseUrl = stringFlag(f, 'url') ?? 'http://127.0.0.1:8000';
  targetOf(baseUrl); // validates
  const ts = numberFlag(f, 'ts', 0, 0, MAX_PLAYERS, true);
  const hls = numberFlag(f, 'hls', 0, 0, MAX_PLAYERS, true);
  if (ts + hls === 0) throw new UsageError('Give at least one player with --ts N or --hls N.');
  if (ts + hls > MAX_PLAYERS) throw new UsageError(`At most ${MAX_PLAYERS} players in one run.`);
  const idsRaw = stringFlag(f, 'ids');
  let ids: string[];
  if (idsRaw !== undefined) {
    ids = idsRaw.split(',').map((s) => s.trim().toLowerCase());
    const bad = ids.find((id) => !HEX40.test(id));
    if (bad !== undefined)
      throw new UsageError(`--ids must be 40-hex content ids separated by commas (got "${bad}").`);
    if (f.values.streams !== undefined) ids = ids.slice(0, numberFlag(f, 'streams', 1, 1, ids.length, true));
  } else {
    const n = numberFlag(f, 'streams', 1, 1, MAX_STREAMS, true);
    ids = Array.from({ length: n }, (_, i) => streamId(i));
  }
  const durationS = numberFlag(f, 'duration', 30, 1, MAX_DURATION_S);
  const rampUpS = numberFlag(f, 'ramp-up', Math.min(5, durationS / 2), 0, MAX_DURATION_S);
  if (rampUpS >= durationS) throw new UsageError('--ramp-up must be shorter than --duration.');
  const warmUpS = numberFlag(f, 'warm-up', 0, 0, MAX_DURATION_S);
  if (rampUpS + warmUpS >= durationS)
    throw new UsageError('--ramp-up plus --warm-up must be shorter than --duration.');
  const bufferS = numberFlag(f, 'buffer', 2, 0.1, 600);
  const maxBufferS = numberFlag(f, 'max-buffer', Math.max(10, bufferS * 2), bufferS, 3600);
  const bitrate = parseBitrate(stringFlag(f, 'bitrate'));
  const pace = choiceFlag<Pace>(f, 'pace', 'realtime', ['realtime', 'none']);
  const validate = choiceFlag<Validate>(f, 'validate', 'full', ['full', 'join', 'off']);
  const tsPath = stringFlag(f, 'ts-path') ?? '/ace/getstream';
  const hlsPath = stringFlag(f, 'hls-path') ?? '/ace/manifest.m3u8';
  for (const [flag, p] of [
    ['ts-path', tsPath],
    ['hls-path', hlsPath],
  ] as const) {
    if (!p.startsWith('/') || /[\s?#]/.test(p))
      throw new UsageError(`--${flag} must be a path starting with "/".`);
  }
  return {
    options: {
      baseUrl,
      ts,
      hls,
      ids,
      rampUpS,
      warmUpS,
      durationS,
      bufferS,
      maxBufferS,
      bitrate,
      pace,
      validate,
      readTimeoutS: numberFlag(f, 'read-timeout', 10, 1, 3600),
      joinTimeoutS: numberFlag(f, 'join-timeout', 30, 1, 3600),
      tsPath,
      hlsPath,
      workers: numberFlag(f, 'workers', 1, 1, 64, true),
      prewarm: !boolFlag(f, 'no-prewarm'),
    },
    jsonPath: stringFlag(f, 'json'),
    quiet: boolFlag(f, 'quiet'),
  };
}

/** "1128000", "1128k", "1.128M" (bits per second); 0 when absent. */
function parseBitrate(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(raw.trim());
  const n = m ? Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? 1) : Number.NaN;
  if (!(n >= 1000 && n <= 1e10))
    throw new UsageError(`--bitrate must be bits per second such as 1128000, 1128k or 1.1M (got "${raw}").`);
  return n;
}

/** Host, port, Host header and path prefix of a base URL. Throws UsageError for anything but http://. */
export function targetOf(baseUrl: string): Target {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new UsageError(`--url must be an http:// URL (got "${baseUrl}").`);
  }
  if (u.protocol !== 'http:') throw new UsageError(`--url must be an http:// URL (got "${baseUrl}").`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    host,
    port: u.port === '' ? 80 : Number(u.port),
    authority: u.host,
    prefix: u.pathname.replace(/\/+$/, ''),
  };
}

/** Every player of the run: TS players first, streams round-robin; the first of each stream and kind is cold. */
export function playerSpecs(o: PlayersOptions): PlayerSpec[] {
  const specs: PlayerSpec[] = [];
  for (const [kind, n] of [
    ['ts', o.ts],
    ['hls', o.hls],
  ] as const) {
    for (let i = 0; i < n; i++) {
      specs.push({
        index: specs.length,
        kind,
        streamId: o.ids[i % o.ids.length]!,
        cold: o.prewarm && i < o.ids.length,
      });
    }
  }
  return specs;
}
