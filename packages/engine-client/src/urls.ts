/** Parses `raw` (relative to `base` if given); undefined unless it is an http(s) URL without credentials. */
export function parseHttpUrl(raw: unknown, base?: string): URL | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  url.hash = '';
  return url;
}

/** Moves `url` onto `origin`, keeping path and query (the engine's answer names its own host). */
export function rebase(url: URL, origin: URL): URL {
  // Set the parts instead of resolving `pathname + search`: a path `//evil/x` would resolve
  // as a protocol-relative reference to another host.
  const out = new URL(origin.href);
  out.pathname = url.pathname;
  out.search = url.search;
  return out;
}

/**
 * Appends `name=value` to a URL string with `?` or `&` as needed. String-level on purpose:
 * re-serialising through URLSearchParams would re-encode the engine's own query.
 */
export function withQueryParam(url: string, name: string, value: string): string {
  const hashAt = url.indexOf('#');
  const bare = hashAt === -1 ? url : url.slice(0, hashAt);
  const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  if (!bare.includes('?')) return `${bare}?${pair}`;
  return bare.endsWith('?') || bare.endsWith('&') ? bare + pair : `${bare}&${pair}`;
}
