// Options of the simulator, validated once at start-up: one exact sentence per invalid value.
import { fileURLToPath } from 'node:url';
import { LIVE_HISTORY_S } from './clock.js';
import { type FaultKey, type Faults, parseFaults } from './faults.js';
import { DEFAULT_HLS_WINDOW } from './hls.js';
import { DEFAULT_TICK_MS } from './pacer.js';

/** Options of startEngineSim() (and, spelled as flags, of the CLI). */
export interface EngineSimOptions {
  /** TCP port; 0 picks a free one. Default 0 in-process, 6878 for the CLI. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** `host[:port]` to put in playback/stat/command URLs instead of the request's Host header. */
  advertisedHost?: string;
  /** Playback speed factor (1 = real time by PCR) or 'max' (as fast as the socket drains). Default 1. */
  rate?: number | 'max';
  /** Start each playback this many seconds behind live and send those at once. Default 0. */
  burstSeconds?: number;
  /** Answer /ace/getstream with 404: the engine offers HLS only. */
  hlsOnly?: boolean;
  /** Default faults of new sessions. */
  faults?: Faults;
  /** MPEG-TS file to loop. Default: the committed fixture. */
  fixturePath?: string;
  /** Sessions without a connection or HLS request for this long end. Default 60. */
  sessionIdleSeconds?: number;
  /** Pacing batch interval, ms. Default 20. */
  tickMs?: number;
  /** Segments in the engine's HLS playlist. Default 6. */
  hlsWindow?: number;
  /** HLS segment length to aim for, seconds (cut at keyframes). Default 2. */
  hlsSegmentSeconds?: number;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  advertisedHost: string | null;
  rate: number | 'max';
  burstSeconds: number;
  hlsOnly: boolean;
  faults: Faults;
  fixturePath: string;
  sessionIdleSeconds: number;
  tickMs: number;
  hlsWindow: number;
  hlsSegmentSeconds: number;
}

/** An invalid option; the message is the one sentence to show. */
export class EngineSimOptionError extends Error {
  override readonly name = 'EngineSimOptionError';
}

export const DEFAULT_FIXTURE = fileURLToPath(new URL('../../fixtures/loop-8s.mpegts', import.meta.url));
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_IDLE_S = 60;
const DEFAULT_SEGMENT_S = 2;
const MAX_TICK_MS = 1000;
const MAX_WINDOW = 100;
const HOST_PATTERN = /^[A-Za-z0-9.:[\]-]+$/;

/** How an option is called in messages: its property name in-process, its flag on the CLI. */
export type OptionNaming = (option: keyof EngineSimOptions | FaultKey) => string;
const byProperty: OptionNaming = (option) => `Option ${option}`;

export function resolveOptions(o: EngineSimOptions, name: OptionNaming = byProperty): ResolvedOptions {
  const fail = (option: keyof EngineSimOptions, rule: string): never => {
    throw new EngineSimOptionError(`${name(option)} must be ${rule}.`);
  };
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('port', 'an integer from 0 to 65535');
  const host = o.host ?? DEFAULT_HOST;
  if (host === '' || !HOST_PATTERN.test(host)) fail('host', 'a host name or IP address');
  const advertisedHost = o.advertisedHost ?? null;
  if (advertisedHost !== null && (advertisedHost === '' || !HOST_PATTERN.test(advertisedHost))) {
    fail('advertisedHost', 'a host name or IP address with an optional :port');
  }
  const rate = o.rate ?? 1;
  if (rate !== 'max' && (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 1000)) {
    fail('rate', 'a number above 0 and at most 1000, or "max"');
  }
  const burstSeconds = o.burstSeconds ?? 0;
  if (!Number.isFinite(burstSeconds) || burstSeconds < 0 || burstSeconds > LIVE_HISTORY_S) {
    fail('burstSeconds', `a number of seconds from 0 to ${LIVE_HISTORY_S}`);
  }
  const sessionIdleSeconds = o.sessionIdleSeconds ?? DEFAULT_IDLE_S;
  if (!Number.isFinite(sessionIdleSeconds) || sessionIdleSeconds <= 0)
    fail('sessionIdleSeconds', 'a positive number');
  const tickMs = o.tickMs ?? DEFAULT_TICK_MS;
  if (!Number.isInteger(tickMs) || tickMs < 1 || tickMs > MAX_TICK_MS) {
    fail('tickMs', `an integer from 1 to ${MAX_TICK_MS}`);
  }
  const hlsWindow = o.hlsWindow ?? DEFAULT_HLS_WINDOW;
  if (!Number.isInteger(hlsWindow) || hlsWindow < 3 || hlsWindow > MAX_WINDOW) {
    fail('hlsWindow', `an integer from 3 to ${MAX_WINDOW}`);
  }
  const hlsSegmentSeconds = o.hlsSegmentSeconds ?? DEFAULT_SEGMENT_S;
  if (!Number.isFinite(hlsSegmentSeconds) || hlsSegmentSeconds <= 0)
    fail('hlsSegmentSeconds', 'a positive number');
  const parsed = parseFaults({ ...(o.faults ?? {}) }, true, name);
  if (!parsed.ok) throw new EngineSimOptionError(parsed.error);
  return {
    port,
    host,
    advertisedHost,
    rate,
    burstSeconds,
    hlsOnly: o.hlsOnly ?? false,
    faults: parsed.faults,
    fixturePath: o.fixturePath ?? DEFAULT_FIXTURE,
    sessionIdleSeconds,
    tickMs,
    hlsWindow,
    hlsSegmentSeconds,
  };
}
