/**
 * Pure figures of a restart run: time from the port opening to every player having media, the answers
 * that were not media (the allowed ones — 503 with Retry-After before the gateway was ready — apart from
 * the rest), and engine sessions per channel.
 */
import type { Answer, RestartLoadReport } from './types.js';

export interface AnswerCount {
  /** "503 SC_ERR_NOT_READY", "0 ECONNRESET", "200 ended" … */
  readonly answer: string;
  readonly count: number;
}

export interface RestartSummary {
  /** Seconds from the first accepted connection to the last player with media (null: someone never got it). */
  readonly allMediaS: number | null;
  readonly tsMediaS: { p50: number; max: number } | null;
  readonly hlsMediaS: { p50: number; max: number } | null;
  readonly playersWithoutMedia: number;
  /** Seconds from the first accepted connection to /ready answering 200 (null: not seen). */
  readonly readyS: number | null;
  readonly refused: number;
  /** 503 with Retry-After before /ready answered 200: what a starting gateway may say. */
  readonly allowed: number;
  /** Everything else that was not media, grouped. */
  readonly unexpected: readonly AnswerCount[];
  readonly unexpectedTotal: number;
}

/**
 * Allowed while starting, before the gateway said it was ready: a 503 carrying Retry-After, or a connection
 * reset before any answer and before any media. The gateway checks at start-up that nothing else holds
 * its port by listening on it for an instant without SO_REUSEPORT (see the README's Configuration); a
 * player whose connection lands in that instant is reset instead of refused, and retries alike.
 */
export function allowedAnswer(a: Answer, readyAtMs: number | null): boolean {
  if (readyAtMs !== null && a.atMs >= readyAtMs) return false;
  if (a.status === 503) return a.retryAfter;
  return a.status === 0 && a.code === 'ECONNRESET' && !a.afterMedia;
}

export function summarize(r: RestartLoadReport, readyAtMs: number | null): RestartSummary {
  const origin = r.firstConnectAtMs;
  const since = (ms: number): number => (origin === null ? Number.NaN : (ms - origin) / 1000);
  const spread = (xs: ReadonlyArray<number | null>): { p50: number; max: number } | null => {
    const got = xs.filter((x): x is number => x !== null).map(since);
    if (got.length === 0 || got.length < xs.length) return null;
    got.sort((a, b) => a - b);
    return { p50: got[Math.floor((got.length - 1) / 2)]!, max: got.at(-1)! };
  };
  const all = [...r.tsMediaAtMs, ...r.hlsMediaAtMs];
  const missing = all.filter((x) => x === null).length;
  const groups = new Map<string, number>();
  let allowed = 0;
  for (const a of r.answers) {
    if (allowedAnswer(a, readyAtMs)) {
      allowed++;
      continue;
    }
    const key = `${a.player} ${a.status} ${a.code}${a.afterMedia ? ' (after media)' : ''}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const unexpected = [...groups.entries()]
    .map(([answer, count]) => ({ answer, count }))
    .sort((a, b) => b.count - a.count || a.answer.localeCompare(b.answer));
  const tsMediaS = spread(r.tsMediaAtMs);
  const hlsMediaS = spread(r.hlsMediaAtMs);
  const allMediaS = missing > 0 || origin === null ? null : Math.max(tsMediaS?.max ?? 0, hlsMediaS?.max ?? 0);
  return {
    allMediaS,
    tsMediaS,
    hlsMediaS,
    playersWithoutMedia: missing,
    readyS: readyAtMs === null || origin === null ? null : since(readyAtMs),
    refused: r.refused,
    allowed,
    unexpected,
    // Answers past the stored list are counted as unexpected: nothing is hidden.
    unexpectedTotal: unexpected.reduce((s, u) => s + u.count, 0) + r.answersDropped,
  };
}

/** Engine sessions per channel from the engine simulator's session list (content id → sessions). */
export function sessionsPerChannel(
  channels: readonly string[],
  sessions: ReadonlyArray<{ contentId: string | null }>,
): { min: number; max: number; notOne: number } {
  const counts = new Map<string, number>(channels.map((c) => [c, 0]));
  for (const s of sessions)
    if (s.contentId !== null && counts.has(s.contentId))
      counts.set(s.contentId, counts.get(s.contentId)! + 1);
  const values = [...counts.values()];
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    notOne: values.filter((v) => v !== 1).length,
  };
}
