/**
 * An optional listener of main's own (`--metrics-port`) for scrapes and probes: `/metrics`,
 * `/metrics/performance`, `/ready` and `/health`. On the public port these are relayed through a shard,
 * so a scrape waits behind that shard's data-plane work (tens of ms under load); here main answers
 * directly. Admin routes are not served on this port. Low traffic, so plain node:http is enough.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Logger, redactError, redactTokens } from '../log.js';
import { type ApiRequest, type ApiResponse, apiError, json } from './api-response.js';

const ROUTES = new Set(['/metrics', '/metrics/performance', '/ready']);
/** What every route of this listener takes. */
const ALLOW = 'GET, HEAD, OPTIONS';
/** A request line and headers arrive in far less; a slow or idle client is not kept. */
const REQUEST_TIMEOUT_MS = 10_000;

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse>;

export class MetricsListener {
  readonly #server: Server;
  readonly #log: Logger;

  private constructor(handler: ApiHandler, log: Logger) {
    this.#log = log;
    this.#server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
      this.#serve(handler, req, res);
    });
    this.#server.keepAliveTimeout = 30_000;
  }

  /** Listens on `host:port`; resolves with the bound port, rejects with one sentence. */
  static start(handler: ApiHandler, host: string, port: number, log: Logger): Promise<MetricsListener> {
    const l = new MetricsListener(handler, log);
    return new Promise((resolve, reject) => {
      l.#server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(`Metrics port ${port} on ${host} is already in use or not permitted (${err.code}).`),
        ),
      );
      l.#server.listen(port, host, () => resolve(l));
    });
  }

  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #serve(handler: ApiHandler, req: IncomingMessage, res: ServerResponse): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const head = method === 'HEAD';
    const answer = (r: ApiResponse): void => {
      res.writeHead(r.status, { ...r.headers, 'Content-Length': Buffer.byteLength(r.body) });
      res.end(head ? undefined : r.body);
    };
    // node:http takes any request target, absolute-form included (`GET http://[ HTTP/1.1`), and an
    // exception here is thrown on main's loop: one request from a scanner ended the whole gateway.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://metrics.invalid');
    } catch {
      answer(apiError('SC_ERR_BAD_REQUEST', 'The request target is not a valid path.'));
      return;
    }
    if (url.pathname !== '/health' && !ROUTES.has(url.pathname)) {
      answer(apiError('SC_ERR_NOT_FOUND'));
      return;
    }
    // Every route here is read-only. A 405 names what the path takes (RFC 9110 15.5.6, as on the public
    // port), and OPTIONS answers it too: both went out without `Allow`.
    if (method === 'OPTIONS') {
      res.writeHead(204, { Allow: ALLOW });
      res.end();
      return;
    }
    if (method !== 'GET' && !head) {
      const r = apiError('SC_ERR_METHOD_NOT_ALLOWED');
      answer({ ...r, headers: { ...r.headers, Allow: ALLOW } });
      return;
    }
    if (url.pathname === '/health') {
      answer(json(200, { status: 'ok' }));
      return;
    }
    const headers: Record<string, string> = {};
    const accept = req.headers.accept;
    if (accept) headers.accept = accept;
    handler({ method, path: url.pathname, query: url.search.slice(1), headers }).then(
      answer,
      (err: unknown) => {
        this.#log.error(
          { err: redactError(err), path: redactTokens(url.pathname) },
          'metrics listener request failed',
        );
        if (!res.headersSent) answer(apiError('SC_ERR_INTERNAL'));
        else res.destroy();
      },
    );
  }
}
