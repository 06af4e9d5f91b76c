/**
 * `GET/HEAD /ace/getstream?id=|infohash=`: progressive MPEG-TS. Validates before any upstream work,
 * enforces the client limits, leases the stream (opening it through main when needed) and starts the
 * client at the newest random-access point with PAT/PMT first, so a decoder locks on at once.
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Recorder } from '@shardcast/metrics';
import { type TokenGate, tokenOf } from '../access/token-gate.js';
import type { GatewayConfig } from '../config/types.js';
import type { ForwardedTrust } from '../http/forwarded.js';
import { failReply } from '../http/guard.js';
import { markStarted, Reply, type RequestContext } from '../http/respond.js';
import type { Logger } from '../log.js';
import { keyString } from '../stream-key.js';
import { type ParsedStream, parseStreamQuery } from './query.js';
import type { LocalStream, StreamTable } from './streams.js';
import type { TokenClient, TokenClients } from './token-clients.js';
import { type FinishReason, TsClient } from './ts-client.js';
import type { TsPump } from './ts-pump.js';

const TS_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Type', 'video/mp2t'],
  ['Cache-Control', 'no-cache, no-store'],
  ['Accept-Ranges', 'none'],
];

export interface TsRouteDeps {
  readonly config: GatewayConfig;
  readonly streams: StreamTable;
  readonly pump: TsPump;
  readonly recorder: Recorder;
  readonly accepting: () => boolean;
  readonly log: Logger;
  /** Player tokens (`enabled` false: every request is let in). */
  readonly tokens: TokenGate;
  /** This shard's clients counted onto a token: a reload of the tokens file cuts them there. */
  readonly tokenClients: TokenClients;
  /** Which proxies' X-Forwarded-For names the player (`--trusted-proxies`). */
  readonly trust: ForwardedTrust;
  readonly onClientEvent: (
    stream: LocalStream,
    event: 'joined' | 'left',
    reason: FinishReason | undefined,
    who: ClientIdentity,
  ) => void;
}

/** Who a TS client is, for operators (shown only with the API key). */
export interface ClientIdentity {
  readonly clientId: number;
  readonly address: string;
  readonly userAgent: string;
}

/** A User-Agent longer than this is cut: it travels to main with every join. */
const MAX_USER_AGENT = 200;
let nextClientId = 1;

function identify(trust: ForwardedTrust, res: HttpResponse, req: HttpRequest): ClientIdentity {
  return {
    clientId: nextClientId++,
    address: trust.origin(res, req).address,
    userAgent: req.getHeader('user-agent').slice(0, MAX_USER_AGENT),
  };
}

/** `parsed` is the request's stream (`/channel/<id>.ts` parses its path); default: the /ace query. */
export function handleTs(
  deps: TsRouteDeps,
  res: HttpResponse,
  req: HttpRequest,
  ctx: RequestContext,
  parsed: ParsedStream = parseStreamQuery(req.getQuery() ?? ''),
): void {
  const t0 = performance.now();
  const reply = new Reply(res, ctx);
  // The token first: a request without a valid one learns nothing and touches no upstream.
  const gate = deps.tokens.admit(tokenOf(req.getQuery() ?? ''), parsed.key);
  if (gate.error) return reply.error(gate.error);
  const admission = gate.ok;
  if (parsed.error) return reply.error(parsed.error);
  if (!deps.accepting()) return reply.error('SC_ERR_SHUTTING_DOWN');
  if (ctx.head) {
    // HEAD warms the stream up (the grace period then applies) and reports whether it plays. A live
    // body has no length: the answer has none either.
    void deps.streams
      .ensureOpen(parsed.key)
      .then((error) => {
        if (error) reply.error(error.code, error.message);
        else reply.end(200, TS_HEADERS, null);
      })
      .catch((err: unknown) => failReply(deps.log, reply, err));
    return;
  }
  if (deps.pump.clients >= deps.config.maxClients) return reply.error('SC_ERR_CLIENT_LIMIT');
  const who = identify(deps.trust, res, req);
  const known = deps.streams.byToken(keyString(parsed.key));
  if (known && known.control.readers >= deps.config.maxClientsPerStream)
    return reply.error('SC_ERR_STREAM_CLIENT_LIMIT');
  if (!deps.tokens.acquire(admission)) return reply.error('SC_ERR_TOKEN_LIMIT');
  // The token's client slot is held from here until the client finishes (or the join fails): this is
  // the one place it is released, whichever way the client ends.
  let held = true;
  const unhold = (): void => {
    if (!held) return;
    held = false;
    deps.tokens.release(admission);
    deps.tokenClients.remove(holder);
  };
  // A reload that removes the token (or the stream from its channels, or lowers its limit) while the
  // stream opens answers the request now; start() takes the cut over once it plays.
  const holder: TokenClient | null = deps.tokenClients.add(admission, parsed.key, 'ts', (cause) => {
    reply.error(cause);
    unhold();
  });
  // A player that gives up while its stream opens (an engine can take tens of seconds) frees the slot
  // at once: its retry must not be refused for a client that is gone. start() takes the abort over.
  reply.onAbort(unhold);

  void deps.streams
    .acquire(parsed.key)
    .then((acquired) => {
      if (!acquired.stream) {
        unhold();
        deps.recorder.recordMs('mpegts_client_join', performance.now() - t0, false);
        reply.error(acquired.error.code, acquired.error.message);
        return;
      }
      const stream = acquired.stream;
      if (reply.done) {
        // The player left while the stream was opening.
        unhold();
        stream.control.release();
        return;
      }
      // The limits again, now that the stream is open: requests that waited for it together all passed
      // the checks above before any of them was counted (a reconnect storm, a crowd tuning in at once).
      // The lease just taken is among the stream's readers.
      const limit =
        deps.pump.clients >= deps.config.maxClients
          ? 'SC_ERR_CLIENT_LIMIT'
          : stream.control.readers > deps.config.maxClientsPerStream
            ? 'SC_ERR_STREAM_CLIENT_LIMIT'
            : null;
      if (limit) {
        unhold();
        stream.control.release();
        deps.recorder.recordMs('mpegts_client_join', performance.now() - t0, false);
        reply.error(limit);
        return;
      }
      start(deps, reply, stream, t0, who, unhold, holder);
    })
    .catch((err: unknown) => {
      unhold();
      failReply(deps.log, reply, err);
    });
}

function start(
  deps: TsRouteDeps,
  reply: Reply,
  stream: LocalStream,
  t0: number,
  who: ClientIdentity,
  unhold: () => void,
  holder: TokenClient | null,
): void {
  const { reader } = stream;
  const rap = reader.readRandomAccess();
  if (!rap || !reader.intact(rap.cursor)) {
    unhold();
    stream.control.release();
    deps.recorder.recordMs('mpegts_client_join', performance.now() - t0, false);
    reply.error('SC_ERR_NOT_READY', 'The stream has no keyframe yet; retry shortly.');
    return;
  }
  reply.done = true; // the client object owns the response from here on
  let unhook = (): void => {};
  const client = new TsClient(reply.res, stream, rap.cursor, (c, reason) => {
    unhook();
    unhold();
    deps.pump.remove(c);
    deps.onClientEvent(stream, 'left', reason, who);
  });
  reply.onAbort(() => client.finish('aborted'));
  // Cut by a reload of the tokens file: the body ends (the player's retry then gets the 401 or 403).
  if (holder) holder.cut = () => client.finish('revoked');
  const res = reply.res;
  markStarted(res);
  res.cork(() => {
    res.writeStatus('200 OK');
    for (const [k, v] of TS_HEADERS) res.writeHeader(k, v);
    for (const [k, v] of reply.ctx.cors) res.writeHeader(k, v);
    // PAT/PMT as they were just before the keyframe: the stream's next PSI then continues their counters.
    if (rap.psi.length > 0) res.write(rap.psi);
  });
  deps.pump.add(client);
  unhook = stream.onDetach(() => client.finish('detached'));
  deps.recorder.recordMs('mpegts_client_join', performance.now() - t0, true);
  deps.onClientEvent(stream, 'joined', undefined, who);
  try {
    deps.pump.kick(client, Date.now());
  } catch (err) {
    client.finish('lapped');
    throw err;
  }
}
