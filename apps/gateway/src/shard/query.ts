/**
 * Parsing of player query strings. AceStream/acexy compatible: `id=` or `infohash=` (40 hex digits);
 * other AceStream parameters (`pid`, `file_indexes`, `seekback`, ...) are tolerated and ignored. Never
 * throws, whatever the bytes.
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
  const id = params.get('id');
  const infohash = params.get('infohash');
  if (id !== null && id !== '')
    return isHex40(id)
      ? { key: { kind: 'id', hex: id.toLowerCase() }, session, error: null }
      : { key: null, session: null, error: 'SC_ERR_BAD_ID' };
  if (infohash !== null && infohash !== '') {
    return isHex40(infohash)
      ? { key: { kind: 'infohash', hex: infohash.toLowerCase() }, session, error: null }
      : { key: null, session: null, error: 'SC_ERR_BAD_ID' };
  }
  return { key: null, session: null, error: 'SC_ERR_MISSING_ID' };
}
