/**
 * Stream identity. A stream is an AceStream content id or an infohash (both 40 hex characters, compared
 * lower-case). Its URL token (used in HLS segment paths and the API) is `<hex>` for ids and `ih-<hex>`
 * for infohashes, so the two namespaces never collide.
 */
export type StreamKind = 'id' | 'infohash';

export interface StreamKey {
  readonly kind: StreamKind;
  /** 40 lower-case hex characters. */
  readonly hex: string;
}

const HEX40 = /^[0-9a-fA-F]{40}$/;

export function isHex40(s: string): boolean {
  return HEX40.test(s);
}

export function keyString(key: StreamKey): string {
  return key.kind === 'id' ? key.hex : `ih-${key.hex}`;
}

/** Parses a URL token back into a key; null when malformed. */
export function parseKeyToken(token: string): StreamKey | null {
  if (token.startsWith('ih-')) {
    const hex = token.slice(3);
    return isHex40(hex) ? { kind: 'infohash', hex: hex.toLowerCase() } : null;
  }
  return isHex40(token) ? { kind: 'id', hex: token.toLowerCase() } : null;
}
