/**
 * The methods each path under a wildcard route serves. The shard mounts a few patterns (`/api/*`,
 * `/api/v1/channels/*`, `/hdhr/:token/:file`, …) whose paths main answers, and different paths under one
 * pattern take different methods: `PUT /api/v1/channels/news` edits a channel, `POST` on it does not
 * exist, `POST /api/v1/channels/news/check` does. With this table the front door answers OPTIONS and 405
 * with the `Allow` of the very path asked for (RFC 9110 15.5.6: a 405 must carry it), and a method the
 * path does not serve never travels to main.
 */

const READ = ['GET', 'HEAD'] as const;
const READ_DELETE = ['GET', 'HEAD', 'DELETE'] as const;
const CHANNEL = ['GET', 'HEAD', 'PUT', 'DELETE'] as const;
const POST = ['POST'] as const;

/** One path segment (percent-encoded characters included, never a slash). */
const SEG = '[^/]+';
const TABLE: readonly (readonly [RegExp, readonly string[]])[] = [
  [new RegExp(`^/api/v1/channels/${SEG}$`), CHANNEL],
  [new RegExp(`^/api/v1/channels/${SEG}/check$`), POST],
  [new RegExp(`^/api/v1/engines/${SEG}/(?:drain|resume)$`), POST],
  [/^\/api\/v1\/streams$/, READ],
  [new RegExp(`^/api/v1/streams/${SEG}$`), READ_DELETE],
  [/^\/api\/v1\/live(?:\/history)?$/, READ],
  [/^\/metrics\/performance$/, READ],
  [new RegExp(`^/hdhr/${SEG}/lineup\\.post$`), POST],
  [new RegExp(`^/hdhr/${SEG}/(?:discover|lineup|lineup_status)\\.json$`), READ],
  [new RegExp(`^/hdhr/${SEG}/device\\.xml$`), READ],
];

/** The methods `path` serves besides OPTIONS, or null for a path main does not know (it answers 404). */
export function methodsOfPath(path: string): readonly string[] | null {
  for (const [re, methods] of TABLE) if (re.test(path)) return methods;
  return null;
}
