/**
 * `/channel/<id>.ts` and `/channel/<id>.m3u8`: the channel id and the format from the path's last part.
 * Never throws; anything that is not a well-formed channel file name is null.
 */
import { isChannelId, type StreamKey } from '../stream-key.js';
import type { ParsedStream } from './query.js';

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

export interface ChannelFile {
  readonly key: StreamKey;
  readonly format: 'ts' | 'm3u8';
}

export function parseChannelFile(name: string): ChannelFile | null {
  const m = /^(.+)\.(ts|m3u8)$/.exec(name);
  if (!m || !isChannelId(m[1]!)) return null;
  return { key: { kind: 'channel', hex: m[1]! }, format: m[2] as 'ts' | 'm3u8' };
}

/** The channel request as the TS and HLS handlers take it (`session` from the query, as on /ace). */
export function channelRequest(name: string, query: string): ParsedStream {
  const file = parseChannelFile(name);
  if (!file) return { key: null, session: null, error: 'SC_ERR_CHANNEL_NOT_FOUND' };
  let given: string | null = null;
  try {
    given = new URLSearchParams(query).get('session');
  } catch {
    return { key: null, session: null, error: 'SC_ERR_BAD_PARAM' };
  }
  const session = given === null ? null : SESSION_ID.test(given) ? given : false;
  return { key: file.key, session, error: null };
}
