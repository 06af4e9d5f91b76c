// The `window` query parameter and the retention it is bounded by.
import type { ParseResult, Window } from './types.js';

/** Per-second buckets are kept this long; also the largest window a query may ask for. */
export const RETENTION_SECONDS = 900;

const WINDOW_MESSAGE = 'window must be an integer number of seconds from 1 to 900, or "all".';
// Canonical decimal only: no sign, no leading zero, no exponent, no spaces.
const WINDOW_DIGITS = /^[1-9][0-9]{0,2}$/;

/**
 * Parses `?window=`: absent or empty means 'all' (as the system we replace did), 'all' is the
 * cumulative histogram since start, and '1'..'900' is that many seconds ending now. Anything else
 * ('0', '-1', 'abc', '901', '1.5', '060') is refused with `param: 'window'`.
 */
export function parseWindow(raw: string | null | undefined): ParseResult<Window> {
  if (raw === null || raw === undefined || raw === '' || raw === 'all') return { ok: true, value: 'all' };
  if (WINDOW_DIGITS.test(raw)) {
    const seconds = Number(raw);
    if (seconds <= RETENTION_SECONDS) return { ok: true, value: seconds };
  }
  return { ok: false, error: { param: 'window', message: WINDOW_MESSAGE } };
}

/** True for a window `query` accepts: 'all' or an integer 1..900. */
export function isWindow(w: unknown): w is Window {
  return w === 'all' || (Number.isInteger(w) && (w as number) >= 1 && (w as number) <= RETENTION_SECONDS);
}
