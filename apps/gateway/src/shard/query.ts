/**
 * Parsing of player query strings. AceStream/acexy compatible: `id=` or `infohash=` (40 hex digits);
 * other AceStream parameters (`pid`, `file_indexes`, `seekback`, ...) are tolerated and ignored. `id` wins
 * over `infohash`; one of them given twice with different values is refused rather than guessed at (a
 * player would otherwise be handed whichever stream the parser happened to prefer). Never throws, whatever
 * the bytes.
 */
import type { ErrorCode } from '../errors.js';
import { isHex40, type StreamKey } from '../stream-key.js';

/** An HLS viewer session id as the gateway mints it (and accepts back): URL-safe, bounded length. */
const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * `session` is the HLS viewer session a media-playlist URL carries: null when absent, false when
 * malformed. Only the HLS playlist route reads it (a TS player's stray parameter is tolerated).
 */
export type ParsedStream =
  | { key: StreamKey; session: string | null | false; error: null }
  | { key: null; session: null; error: ErrorCode };

export function parseStreamQuery(query: string): ParsedStream {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return { key: null, session: null, error: 'SC_ERR_BAD_PARAM' };
  }
  const given = params.get('session');
  const session = given === null ? null : SESSION_ID.test(given) ? given : false;
  const id = onlyValue(params.getAll('id'));
  const infohash = onlyValue(params.getAll('infohash'));
  if (id === false || (id === null && infohash === false))
    return { key: null, session: null, error: 'SC_ERR_CONFLICTING_ID' };
  if (id !== null)
    return isHex40(id)
      ? { key: { kind: 'id', hex: id.toLowerCase() }, session, error: null }
      : { key: null, session: null, error: 'SC_ERR_BAD_ID' };
  if (infohash !== null && infohash !== false) {
    return isHex40(infohash)
      ? { key: { kind: 'infohash', hex: infohash.toLowerCase() }, session, error: null }
      : { key: null, session: null, error: 'SC_ERR_BAD_ID' };
  }
  return { key: null, session: null, error: 'SC_ERR_MISSING_ID' };
}

/** The one non-empty value of a repeated parameter (case-folded equal), null for none, false for two that differ. */
function onlyValue(values: string[]): string | null | false {
  let only: string | null = null;
  for (const v of values) {
    if (v === '') continue;
    if (only === null) only = v;
    else if (v.toLowerCase() !== only.toLowerCase()) return false;
  }
  return only;
}
