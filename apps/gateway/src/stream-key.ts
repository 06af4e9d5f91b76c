/**
 * Stream identity. A stream is an AceStream content id or an infohash (both 40 hex characters, compared
 * lower-case), or a catalog channel (whose upstream is its source list). Its URL token (used in HLS
 * segment paths and the API) is `<hex>` for ids, `ih-<hex>` for infohashes and `ch-<channel id>` for
 * channels, so the namespaces never collide.
 */
export type StreamKind = 'id' | 'infohash' | 'channel';

export interface StreamKey {
  readonly kind: StreamKind;
  /** 40 lower-case hex characters; for a channel, its catalog id (see CHANNEL_ID). */
  readonly hex: string;
}

const CHANNEL_TOKEN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isChannelId(s: string): boolean {
  return CHANNEL_TOKEN.test(s);
}

const HEX40 = /^[0-9a-fA-F]{40}$/;

export function isHex40(s: string): boolean {
  return HEX40.test(s);
}

export function keyString(key: StreamKey): string {
  return key.kind === 'id' ? key.hex : key.kind === 'infohash' ? `ih-${key.hex}` : `ch-${key.hex}`;
}

/** Parses a URL token back into a key; null when malformed. */
export function parseKeyToken(token: string): StreamKey | null {
  if (token.startsWith('ch-')) {
    const id = token.slice(3);
    return isChannelId(id) ? { kind: 'channel', hex: id } : null;
  }
  if (token.startsWith('ih-')) {
    const hex = token.slice(3);
    return isHex40(hex) ? { kind: 'infohash', hex: hex.toLowerCase() } : null;
  }
  return isHex40(token) ? { kind: 'id', hex: token.toLowerCase() } : null;
}
