/**
 * Cross-origin rules (the Fetch standard's CORS protocol) for the two kinds of routes:
 *
 * - player routes (`/ace/*`, `/health`) answer any origin when `--cors-origins` holds `*` (the default),
 *   else only the origins listed: web players (hls.js) on other sites are the point of the gateway.
 * - admin routes (`/api/*`, `/metrics*`, `/ready`) answer only origins listed by name, never `*`: they
 *   expose engine addresses and stream ids of an internal network and take the API key, so a page the
 *   operator happens to visit must not be able to read or drive them through the operator's browser.
 *
 * A preflight for an origin that is not allowed gets its 204 without any Access-Control-* header, which
 * the browser treats as a refusal.
 */

export type RouteKind = 'player' | 'admin';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** Request headers a browser may send cross-origin (compared case-insensitively). */
export const CORS_ALLOW_HEADERS = 'Authorization, X-API-Key, Range, Content-Type';
/** How long a browser may cache a preflight answer, seconds. */
export const CORS_MAX_AGE_SECONDS = 86_400;
/** Beyond the safelisted ones: what a page needs to read ranges, revalidate, and back off. */
const EXPOSE_HEADERS = 'Content-Length, Content-Type, Retry-After, Content-Range, Accept-Ranges, ETag';
/** The configuration value meaning "any origin" (player routes only). */
export const ANY_ORIGIN = '*';

const ANY: HeaderList = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', EXPOSE_HEADERS],
];
/** The answer depends on the Origin header: shared caches must key on it. */
const VARY_ONLY: HeaderList = [['Vary', 'Origin']];

export class CorsPolicy {
  readonly #anyOrigin: boolean;
  readonly #named: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#anyOrigin = origins.includes(ANY_ORIGIN);
    this.#named = new Set(origins.filter((o) => o !== ANY_ORIGIN));
  }

  /**
   * The CORS headers of every answer on a route of this kind to a request with this `Origin` header
   * (empty string when the request has none).
   */
  headers(kind: RouteKind, origin: string): HeaderList {
    if (kind === 'player' && this.#anyOrigin) return ANY;
    if (origin !== '' && this.#named.has(origin)) {
      return [
        ['Access-Control-Allow-Origin', origin],
        ['Access-Control-Expose-Headers', EXPOSE_HEADERS],
        ['Vary', 'Origin'],
      ];
    }
    return VARY_ONLY;
  }
}

/**
 * The headers a preflight answer adds to `answer` (the CORS headers of the request, from
 * `CorsPolicy.headers`): none when the origin is refused. `methods` as for `Allow`.
 */
export function preflightHeaders(answer: HeaderList, methods: string): HeaderList {
  if (!answer.some(([k]) => k === 'Access-Control-Allow-Origin')) return [];
  return [
    ['Access-Control-Allow-Methods', methods],
    ['Access-Control-Allow-Headers', CORS_ALLOW_HEADERS],
    ['Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS)],
  ];
}
