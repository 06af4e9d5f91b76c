/**
 * A handler that throws must cost one response, never the shard: an uncaught error in a shard closes
 * every client it serves. Route handlers and their async continuations go through these guards.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { type Logger, redactError, redactTokens } from '../log.js';
import { endHead, errorBody, hasStarted, markStarted, Reply } from './respond.js';

type Handler = (res: HttpResponse, req: HttpRequest) => void;

const INTERNAL_BODY = JSON.stringify(errorBody('SC_ERR_INTERNAL'));

export function guarded(log: Logger, handler: Handler): Handler {
  return (res, req) => {
    // Copied first: the request is unreadable once the handler returned or threw.
    const head = isHead(req);
    try {
      handler(res, req);
    } catch (err) {
      // The path may carry a player token (`/hdhr/<token>/…`), and so may the error's own text (a URL
      // error quotes the URL): neither is logged.
      log.error({ err: redactError(err), url: redactTokens(safeUrl(req)) }, 'route handler failed');
      abandon(res, head);
    }
  };
}

/** For an async continuation that failed: answer 500 if nothing was sent yet, else drop the connection. */
export function failReply(log: Logger, reply: Reply, err: unknown): void {
  // The error's text may quote the request's URL and its player token: redacted.
  log.error({ err: redactError(err) }, 'request failed');
  if (!reply.done && !hasStarted(reply.res)) {
    try {
      reply.error('SC_ERR_INTERNAL');
      return;
    } catch {
      // fall through to close
    }
  }
  abandon(reply.res, reply.ctx.head);
}

/** Answers 500 (no body for HEAD) if nothing was sent yet, else drops the connection. */
function abandon(res: HttpResponse, head: boolean): void {
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
      if (head) endHead(res, INTERNAL_BODY.length);
      else res.end(INTERNAL_BODY);
    });
  } catch {
    try {
      res.close();
    } catch {
      // Already gone.
    }
  }
}

function isHead(req: HttpRequest): boolean {
  try {
    return req.getMethod().toUpperCase() === 'HEAD';
  } catch {
    return false;
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
