/**
 * A channel source: what one entry of a channel's source list names. An AceStream content id or an
 * infohash goes through an engine; an http(s) URL of an MPEG-TS or HLS stream is fetched directly.
 * Parsing is pure and never throws: a mistake comes back as one sentence.
 */

export type ChannelSource =
  | { readonly kind: 'id'; readonly hex: string }
  | { readonly kind: 'infohash'; readonly hex: string }
  | { readonly kind: 'url'; readonly url: string };

const HEX40 = /^[0-9a-fA-F]{40}$/;
/** Longest source URL accepted: a catalog entry, not a data blob. */
const MAX_URL_LENGTH = 2048;

export type SourceParse = { source: ChannelSource; error: null } | { source: null; error: string };

/** `acestream://<id>`, a bare 40-hex id, `infohash:<hash>`, or an `http(s)://` URL. */
export function parseSource(text: string): SourceParse {
  const s = text.trim();
  if (s === '') return fail('a source is empty');
  const lower = s.toLowerCase();
  if (lower.startsWith('acestream://')) {
    const id = s.slice('acestream://'.length).replace(/\/$/, '');
    return HEX40.test(id)
      ? { source: { kind: 'id', hex: id.toLowerCase() }, error: null }
      : fail(`"${clip(s)}" is not acestream://<40 hex digits>`);
  }
  if (lower.startsWith('infohash:')) {
    const hex = s.slice('infohash:'.length);
    return HEX40.test(hex)
      ? { source: { kind: 'infohash', hex: hex.toLowerCase() }, error: null }
      : fail(`"${clip(s)}" is not infohash:<40 hex digits>`);
  }
  if (HEX40.test(s)) return { source: { kind: 'id', hex: s.toLowerCase() }, error: null };
  if (lower.startsWith('http://') || lower.startsWith('https://')) {
    if (s.length > MAX_URL_LENGTH) return fail(`a source URL is longer than ${MAX_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      return fail(`"${clip(s)}" is not a valid URL`);
    }
    if (url.username || url.password)
      return fail(`"${clip(s)}" carries credentials, which are not supported`);
    return { source: { kind: 'url', url: url.href }, error: null };
  }
  return fail(
    `"${clip(s)}" is not a source (acestream://<id>, a 40-hex id, infohash:<hash> or an http(s):// URL)`,
  );
}

/** The canonical text of a source (what the catalog file and the API show). */
export function sourceText(s: ChannelSource): string {
  if (s.kind === 'id') return `acestream://${s.hex}`;
  if (s.kind === 'infohash') return `infohash:${s.hex}`;
  return s.url;
}

/** A URL source is ingested as HLS when its path names a playlist, else as progressive MPEG-TS. */
export function isHlsUrl(url: string): boolean {
  try {
    return /\.m3u8?$/i.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

function fail(error: string): SourceParse {
  return { source: null, error };
}

/**
 * A source's text as messages quote it: any `user:password@` replaced by `***@` (credentials are refused
 * and never echoed — in start-up sentences, reload logs and API errors alike), then cut to 80 characters.
 */
function clip(s: string): string {
  const r = redactUserinfo(s);
  return r.length > 80 ? `${r.slice(0, 77)}...` : r;
}

/**
 * `scheme://user:password@host/…` → `scheme://***@host/…`. The userinfo is everything up to the last `@`
 * before the authority ends (`/`, `\`, `?`, `#`), as the URL parser reads it; a text that only looks like
 * a URL is redacted too, since it is echoed all the same.
 */
export function redactUserinfo(text: string): string {
  return text
    .replace(/^([a-z][a-z0-9+.-]*:[/\\]*)[^/\\?#]*@/i, '$1***@')
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/\\?#]*@/gi, '$1***@');
}
