// Faults on demand. The same fields arrive as CLI flags (defaults for new sessions), query parameters on
// /ace/getstream and /ace/manifest.m3u8, and JSON on POST /sim/faults. Parsing returns errors as data.

/** Misbehaviour a session (or its playback connections) should show. Absent fields mean "behave". */
export interface Faults {
  /** Answer the session start this many ms late. */
  startDelayMs?: number;
  /** Answer the session start with `{"response": null, "error": <text>}`. */
  startError?: string;
  /** Answer the session start with this HTTP status (4xx/5xx) and an error envelope. */
  startStatus?: number;
  /** Stall starts after this many seconds of streaming (default 0 when stallForS is set). */
  stallAfterS?: number;
  /** Send nothing for this many seconds, then resume where the stream left off. */
  stallForS?: number;
  /** End the playback response cleanly after this many seconds. */
  eofAfterS?: number;
  /** Answer playback with 200 and end at once, without a byte. */
  zeroByteEof?: boolean;
  /** Cut the connection abruptly after this many body bytes. */
  dropAfterBytes?: number;
  /**
   * After this many seconds of valid TS (default 0 when `garbage` is set), send `garbage` (default
   * 'random') instead, at the same pace, on an open connection, for good.
   */
  garbageAfterS?: number;
  /** What a garbage connection sends; see {@link GarbageKind}. */
  garbage?: GarbageKind;
  /** Engine-wide (CLI or global admin fault): `get_status` answers `{"result": null, "error": <text>}`. */
  statusError?: string;
}

/**
 * Bytes that are not the program: `random` bytes (sync lost for good), an `html` error page repeated,
 * `null-only` TS null packets (PID 0x1FFF), or `single-pid` packets of one PID that no PAT/PMT lists.
 */
export type GarbageKind = 'random' | 'html' | 'null-only' | 'single-pid';
export const GARBAGE_KINDS: readonly GarbageKind[] = ['random', 'html', 'null-only', 'single-pid'];

export type FaultKey = keyof Faults;

type Kind = 'ms' | 'seconds' | 'bytes' | 'status' | 'text' | 'flag' | 'garbage';

const FIELDS: Readonly<Record<FaultKey, Kind>> = {
  startDelayMs: 'ms',
  startError: 'text',
  startStatus: 'status',
  stallAfterS: 'seconds',
  stallForS: 'seconds',
  eofAfterS: 'seconds',
  zeroByteEof: 'flag',
  dropAfterBytes: 'bytes',
  garbageAfterS: 'seconds',
  garbage: 'garbage',
  statusError: 'text',
};

export const FAULT_KEYS = Object.keys(FIELDS) as FaultKey[];

const MAX_DELAY_MS = 600_000;
const MAX_SECONDS = 86_400;
const MAX_ERROR_TEXT = 500;
const MIN_STATUS = 400;
const MAX_STATUS = 599;

/** The CLI flag for a fault field: `stallForS` -> `--stall-for-s`. */
export function faultFlag(key: FaultKey): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export type FaultParse = { ok: true; faults: Faults } | { ok: false; error: string };

/**
 * Reads fault fields from `input` (query values are strings, JSON values may be typed). With `strict`,
 * unknown keys are an error (JSON bodies); otherwise they are ignored (query strings carry other params).
 */
export function parseFaults(
  input: Readonly<Record<string, unknown>>,
  strict: boolean,
  name: (key: FaultKey) => string = (key) => `Fault ${key}`,
): FaultParse {
  const faults: Faults = {};
  for (const [key, raw] of Object.entries(input)) {
    const kind = (FIELDS as Record<string, Kind | undefined>)[key];
    if (kind === undefined) {
      if (strict)
        return { ok: false, error: `Unknown fault "${key}"; known faults: ${FAULT_KEYS.join(', ')}.` };
      continue;
    }
    const value = coerce(kind, raw);
    if (value === undefined)
      return { ok: false, error: `${name(key as FaultKey)} must be ${describe(kind)}.` };
    (faults as Record<string, unknown>)[key] = value;
  }
  return { ok: true, faults };
}

/** Later layers win; absent fields fall through. */
export function mergeFaults(...layers: (Faults | undefined)[]): Faults {
  const out: Faults = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of FAULT_KEYS) {
      const v = layer[key];
      if (v !== undefined) (out as Record<string, unknown>)[key] = v;
    }
  }
  return out;
}

/** True when the faults change how playback behaves (not just the start). */
export function hasPlaybackFaults(f: Faults): boolean {
  return (
    f.stallForS !== undefined ||
    f.eofAfterS !== undefined ||
    f.dropAfterBytes !== undefined ||
    f.garbageAfterS !== undefined ||
    f.garbage !== undefined
  );
}

function coerce(kind: Kind, raw: unknown): number | string | boolean | undefined {
  if (kind === 'garbage')
    return typeof raw === 'string' && (GARBAGE_KINDS as readonly string[]).includes(raw) ? raw : undefined;
  if (kind === 'text')
    return typeof raw === 'string' && raw.length > 0 && raw.length <= MAX_ERROR_TEXT ? raw : undefined;
  if (kind === 'flag') {
    if (raw === true || raw === 'true' || raw === '1' || raw === '') return true;
    if (raw === false || raw === 'false' || raw === '0') return false;
    return undefined;
  }
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  switch (kind) {
    case 'ms':
      return Number.isInteger(n) && n <= MAX_DELAY_MS ? n : undefined;
    case 'seconds':
      return n <= MAX_SECONDS ? n : undefined;
    case 'bytes':
      return Number.isSafeInteger(n) ? n : undefined;
    case 'status':
      return Number.isInteger(n) && n >= MIN_STATUS && n <= MAX_STATUS ? n : undefined;
  }
}

function describe(kind: Kind): string {
  switch (kind) {
    case 'ms':
      return `an integer number of milliseconds from 0 to ${MAX_DELAY_MS}`;
    case 'seconds':
      return `a number of seconds from 0 to ${MAX_SECONDS}`;
    case 'bytes':
      return 'a non-negative integer number of bytes';
    case 'status':
      return `an HTTP status from ${MIN_STATUS} to ${MAX_STATUS}`;
    case 'text':
      return `a non-empty text of at most ${MAX_ERROR_TEXT} characters`;
    case 'flag':
      return 'true or false';
    case 'garbage':
      return `one of ${GARBAGE_KINDS.join(', ')}`;
  }
}
