/**
 * A handler that throws must cost one response, never the shard: an uncaught error in a shard closes
 * every client it serves. Route handlers and their async continuations go through these guards.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../log.js';
import { hasStarted, markStarted, Reply } from './respond.js';

type Handler = (res: HttpResponse, req: HttpRequest) => void;

export function guarded(log: Logger, handler: Handler): Handler {
  return (res, req) => {
    try {
      handler(res, req);
    } catch (err) {
      log.error({ err, url: safeUrl(req) }, 'route handler failed');
      abandon(res);
    }
  };
}

/** For an async continuation that failed: answer 500 if nothing was sent yet, else drop the connection. */
export function failReply(log: Logger, reply: Reply, err: unknown): void {
  log.error({ err }, 'request failed');
  if (!reply.done && !hasStarted(reply.res)) {
    try {
      reply.error('SC_ERR_INTERNAL');
      return;
    } catch {
      // fall through to close
    }
  }
  abandon(reply.res);
}

function abandon(res: HttpResponse): void {
  if (hasStarted(res)) {
    // Headers are out: a status line now would corrupt the body. Closing is all that is left.
    try {
      res.close();
    } catch {
      // Already gone.
    }
    return;
  }
  markStarted(res);
  try {
    res.cork(() => {
      res.writeStatus('500 Internal Server Error');
      res.writeHeader('Content-Type', 'application/json');
      res.end('{"error":{"code":"SC_ERR_INTERNAL","message":"Internal error."}}');
    });
  } catch {
    try {
      res.close();
    } catch {
      // Already gone.
    }
  }
}

function safeUrl(req: HttpRequest): string {
  try {
    return req.getUrl();
  } catch {
    return '?';
  }
}

export { Reply };
