/**
 * The front door's one dispatch path. Every route is mounted through `mountRoutes`, so each request gets
 * the same treatment before its handler runs:
 *
 * 1. framing: duplicate or conflicting Content-Length / Transfer-Encoding / Host headers are refused
 *    with 400 and the connection is closed (RFC 9112 6.3, 3.2): uWS frames a body by the first
 *    Content-Length, a proxy in front may use another, and the difference smuggles a request past it;
 * 2. OPTIONS: answered here for every route (204, `Allow`, and the CORS preflight headers the route's
 *    kind allows for the request's Origin);
 * 3. a method the route does not serve: 405 with `Allow`;
 * 4. the handler, with a RequestContext (HEAD, CORS headers) that every answer of the request uses.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../log.js';
import { type CorsPolicy, preflightHeaders, type RouteKind } from './cors.js';
import { guarded } from './guard.js';
import { errorBody, Reply, type RequestContext, writeAnswer } from './respond.js';

export type RouteHandler = (res: HttpResponse, req: HttpRequest, ctx: RequestContext) => void;

export interface Route {
  /** uWS pattern (`/ace/hls/:stream/:segment`, `/api/*`). */
  readonly pattern: string;
  readonly kind: RouteKind;
  /** Methods served besides OPTIONS, upper case. HEAD must be listed where GET is. */
  readonly methods: readonly string[];
  /**
   * For a wildcard pattern whose paths serve different methods: the methods of one path (its URL without
   * the query), or null to use `methods`.
   */
  readonly methodsOf?: (path: string) => readonly string[] | null;
  /** Runs for the listed methods; `null` answers 404 for all of them (the catch-all route). */
  readonly handle: RouteHandler | null;
}

const BAD_REQUEST_BODY = JSON.stringify(errorBody('SC_ERR_BAD_REQUEST'));
const JSON_HEADERS = [
  ['Content-Type', 'application/json'],
  ['Cache-Control', 'no-store'],
] as const;

export function mountRoutes(
  app: TemplatedApp,
  log: Logger,
  cors: CorsPolicy,
  routes: readonly Route[],
): void {
  for (const route of routes) {
    const routeAllow = [...route.methods, 'OPTIONS'].join(', ');
    app.any(
      route.pattern,
      guarded(log, (res, req) => {
        const method = req.getMethod().toUpperCase();
        const origin = req.getHeader('origin');
        const ctx: RequestContext = { head: method === 'HEAD', cors: cors.headers(route.kind, origin) };
        if (!framingIsSound(req)) return refuseAndClose(res, ctx);
        if (route.handle === null) return new Reply(res, ctx).error('SC_ERR_NOT_FOUND');
        const own = route.methodsOf?.(req.getUrl()) ?? null;
        const methods = own ?? route.methods;
        const allow = own === null ? routeAllow : [...own, 'OPTIONS'].join(', ');
        if (method === 'OPTIONS') {
          // A 204 has no body and no Content-Length (RFC 9110 8.6, 15.3.5).
          return new Reply(res, ctx).end(204, [['Allow', allow], ...preflightHeaders(ctx.cors, allow)], null);
        }
        if (!methods.includes(method)) {
          return new Reply(res, ctx).error('SC_ERR_METHOD_NOT_ALLOWED', undefined, [['Allow', allow]]);
        }
        route.handle(res, req, ctx);
      }),
    );
  }
}

/**
 * At most one Content-Length, one Transfer-Encoding and one Host; Transfer-Encoding only as `chunked`
 * and never with Content-Length. (uWS itself closes the connection, unanswered, on a Content-Length that
 * is not a plain number and on Transfer-Encoding together with Content-Length in one request.)
 */
export function framingIsSound(req: HttpRequest): boolean {
  let lengths = 0;
  let encodings = 0;
  let hosts = 0;
  let chunked = true;
  req.forEach((key, value) => {
    if (key === 'content-length') lengths++;
    else if (key === 'host') hosts++;
    else if (key === 'transfer-encoding') {
      encodings++;
      chunked = value.trim().toLowerCase() === 'chunked';
    }
  });
  if (lengths > 1 || encodings > 1 || hosts > 1) return false;
  return encodings === 0 || (chunked && lengths === 0);
}

/**
 * 400 and close. The answer is written on the next turn, not in the handler: uWS goes on parsing the rest
 * of what it read from the socket as soon as a handler returns, and an answered request would let a
 * smuggled one behind it in the same packet be served. While this answer is pending, uWS closes the
 * connection instead of parsing anything behind it, and reading is paused so later packets stay unread.
 */
function refuseAndClose(res: HttpResponse, ctx: RequestContext): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  res.pause();
  setImmediate(() => {
    if (aborted) return;
    res.cork(() => writeAnswer(res, ctx, 400, JSON_HEADERS, BAD_REQUEST_BODY, true));
  });
}
