/**
 * Conditional and partial requests for immutable bodies (HLS segments): `If-None-Match` against a strong
 * ETag (RFC 9110 13.1.2, 8.8.3) and a single byte `Range` (RFC 9110 14.1.2, 14.2), with `If-Range`
 * (13.1.5). CDNs revalidate with If-None-Match; some players and proxies fetch segments in ranges.
 *
 * A multi-range request is answered with the whole body (RFC 9110 14.2 lets a server ignore Range), so a
 * single `206` with `Content-Range` is the only partial form the gateway writes.
 */

export type RangeAnswer =
  /** Send the whole body with 200 (no Range, a Range the server ignores, or an If-Range that failed). */
  | { readonly kind: 'full' }
  /** Send bytes `start`..`end` inclusive with 206. */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  /** 416 with `Content-Range: bytes * /<total>`. */
  | { readonly kind: 'unsatisfiable' };

/** The whole body, with 200. */
export const FULL_BODY: RangeAnswer = { kind: 'full' };
const FULL = FULL_BODY;
const UNSATISFIABLE: RangeAnswer = { kind: 'unsatisfiable' };
/** Digits of a byte position read as a number (2^53 has 16); a longer one is past any body's end. */
const MAX_DIGITS = 15;

/** A byte position: its value, or +Infinity when it is too long to be any body's (RFC 9110 14.1.1). */
function position(digits: string): number {
  const d = digits.replace(/^0+(?=\d)/, '');
  return d.length > MAX_DIGITS ? Number.POSITIVE_INFINITY : Number(d);
}

/**
 * The answer to `Range: <header>` for a body of `total` bytes (empty header: no Range). `ifRange` is the
 * request's If-Range (empty when absent): a Range applies only when it names `etag`.
 */
export function rangeOf(header: string, total: number, etag: string, ifRange = ''): RangeAnswer {
  if (header === '') return FULL;
  if (ifRange !== '' && ifRange.trim() !== etag) return FULL;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return FULL; // another unit: ignored
  const specs = m[1]!.split(',');
  if (specs.length !== 1) return FULL;
  const spec = specs[0]!.trim();
  const r = /^(\d*)-(\d*)$/.exec(spec);
  if (!r || (r[1] === '' && r[2] === '')) return FULL;
  if (r[1] === '') {
    // A suffix: the last N bytes (all of them when N is larger than the body).
    const n = position(r[2]!);
    if (n === 0 || total === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, total - n), end: total - 1 };
  }
  const start = position(r[1]!);
  const last = r[2] === '' ? Number.POSITIVE_INFINITY : position(r[2]!);
  if (last < start) return FULL; // invalid range-spec: ignored
  if (start >= total) return UNSATISFIABLE;
  return { kind: 'partial', start, end: Math.min(last, total - 1) };
}

/**
 * Whether `If-None-Match: <header>` matches `etag` (weak comparison, as the RFC asks for this header):
 * `*`, or a list in which one tag equals ours with or without its `W/` prefix.
 */
export function noneMatch(header: string, etag: string): boolean {
  if (header === '') return false;
  if (header.trim() === '*') return true;
  const ours = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const part of header.split(',')) {
    const t = part.trim();
    if ((t.startsWith('W/') ? t.slice(2) : t) === ours) return true;
  }
  return false;
}
