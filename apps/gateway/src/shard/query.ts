/**
 * Parsing of player query strings. AceStream/acexy compatible: `id=` or `infohash=` (40 hex digits);
 * other AceStream parameters (`pid`, `file_indexes`, `seekback`, ...) are tolerated and ignored. Never
 * throws, whatever the bytes.
 */
import type { ErrorCode } from '../errors.js';
import { isHex40, type StreamKey } from '../stream-key.js';

export type ParsedStream = { key: StreamKey; error: null } | { key: null; error: ErrorCode };

export function parseStreamQuery(query: string): ParsedStream {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return { key: null, error: 'SC_ERR_BAD_PARAM' };
  }
  const id = params.get('id');
  const infohash = params.get('infohash');
  if (id !== null && id !== '')
    return isHex40(id)
      ? { key: { kind: 'id', hex: id.toLowerCase() }, error: null }
      : { key: null, error: 'SC_ERR_BAD_ID' };
  if (infohash !== null && infohash !== '') {
    return isHex40(infohash)
      ? { key: { kind: 'infohash', hex: infohash.toLowerCase() }, error: null }
      : { key: null, error: 'SC_ERR_BAD_ID' };
  }
  return { key: null, error: 'SC_ERR_MISSING_ID' };
}
