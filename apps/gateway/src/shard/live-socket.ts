/**
 * `/api/v1/live`: the dashboard's WebSocket (uWS native). Main builds one snapshot a second and posts it
 * to every shard already serialized; the shard publishes it to the topic its sockets subscribe to, so a
 * second costs one publish per shard however many dashboards are open. A socket starts on the public
 * topic (no client addresses or User-Agents); its first message `{"auth": "<key>"}` moves it to the admin
 * topic when the key is right. The key never travels in the URL. Wrong keys count per client address as
 * on the HTTP admin API (one limiter per shard): an address over the limit gets SC_ERR_AUTH_RATE_LIMITED
 * and the socket is closed, its key not compared.
 *
 * Like the rest of the admin API, a browser page may open the socket only from the gateway's own origin
 * or an origin listed by name in `--cors-origins` (WebSockets have no CORS: the upgrade checks Origin).
 */
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { checkApiKey } from '../control/auth.js';
import { AuthLimiter } from '../control/auth-limiter.js';
import type { CorsPolicy } from '../http/cors.js';
import type { ForwardedTrust } from '../http/forwarded.js';
import { Reply } from '../http/respond.js';
import type { Logger } from '../log.js';

export const LIVE_ROUTE = '/api/v1/live';
const PUBLIC_TOPIC = 'live';
const ADMIN_TOPIC = 'live-admin';
/** The only message a dashboard sends is its key. */
const MAX_MESSAGE_BYTES = 4096;
/** A socket that cannot take this much queued output is closed (a stuck tab never costs memory). */
const MAX_BACKPRESSURE_BYTES = 1 << 20;
/** Seconds of silence before uWS pings (it pings by itself) and then drops a socket. */
const IDLE_TIMEOUT_S = 60;
/** Wrong keys a socket may send before it is closed. */
const MAX_AUTH_FAILURES = 3;
const POLICY_VIOLATION = 1008;

interface LiveUser {
  admin: boolean;
  failures: number;
  /** The client's address (behind a trusted proxy, the player's). */
  address: string;
}

export class LiveSocket {
  readonly #app: TemplatedApp;
  #apiKey: string | undefined;
  readonly #limiter = new AuthLimiter();
  /** Sockets admitted with the key (closed when the key changes). */
  readonly #admitted = new Set<WebSocket<LiveUser>>();
  #public: string | null = null;
  #admin: string | null = null;

  constructor(
    app: TemplatedApp,
    apiKey: string | undefined,
    cors: CorsPolicy,
    log: Logger,
    trust: ForwardedTrust,
  ) {
    this.#app = app;
    this.#apiKey = apiKey;
    app.ws<LiveUser>(LIVE_ROUTE, {
      maxPayloadLength: MAX_MESSAGE_BYTES,
      maxBackpressure: MAX_BACKPRESSURE_BYTES,
      // A flag; this build types it as a number.
      closeOnBackpressureLimit: 1,
      idleTimeout: IDLE_TIMEOUT_S,
      upgrade: (res, req, context) => {
        const origin = req.getHeader('origin');
        const host = req.getHeader('host');
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        if (!originAllowed(origin, host, cors)) {
          new Reply(res, { head: false, cors: [] }).error('SC_ERR_FORBIDDEN_ORIGIN');
          return;
        }
        const address = trust.origin(res, req).address;
        res.upgrade<LiveUser>({ admin: false, failures: 0, address }, key, protocol, extensions, context);
      },
      open: (ws) => {
        ws.subscribe(PUBLIC_TOPIC);
        if (this.#public !== null) ws.send(this.#public);
      },
      close: (ws) => {
        this.#admitted.delete(ws);
      },
      message: (ws, message) => {
        try {
          this.#onMessage(ws, Buffer.from(message).toString('utf8'));
        } catch (err) {
          log.warn({ err }, 'live socket message failed');
          ws.end(POLICY_VIOLATION, 'bad message');
        }
      },
    });
  }

  /** The newest snapshot from main: publish it (once per topic) and keep it for sockets that open now. */
  publish(publicJson: string, adminJson: string | null): void {
    this.#public = publicJson;
    this.#admin = adminJson;
    this.#app.publish(PUBLIC_TOPIC, publicJson);
    if (adminJson !== null) this.#app.publish(ADMIN_TOPIC, adminJson);
  }

  /**
   * The key from now on (a reloaded `--api-key-file`). A socket admitted with the old key is closed: a
   * replaced key admits nothing any more (the dashboard reconnects and asks for the new one).
   */
  setKey(key: string): void {
    if (key === this.#apiKey) return;
    this.#apiKey = key;
    const admitted = [...this.#admitted];
    this.#admitted.clear();
    for (const ws of admitted) ws.end(POLICY_VIOLATION, 'the API key changed');
  }

  /** Open sockets without and with the key (reported to main, which builds snapshots only when watched). */
  counts(): { viewers: number; admins: number } {
    return {
      viewers: this.#app.numSubscribers(PUBLIC_TOPIC),
      admins: this.#app.numSubscribers(ADMIN_TOPIC),
    };
  }

  #onMessage(ws: WebSocket<LiveUser>, text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = null;
    }
    const key = (msg as { auth?: unknown } | null)?.auth;
    if (typeof key !== 'string') {
      ws.send(
        JSON.stringify({
          type: 'error',
          error: { code: 'SC_ERR_BAD_PARAM', message: 'Send {"auth": key}.' },
        }),
      );
      return;
    }
    const user = ws.getUserData();
    if (this.#apiKey && this.#limiter.blockedMs(user.address) > 0) {
      ws.send(JSON.stringify({ type: 'auth', ok: false, error: { code: 'SC_ERR_AUTH_RATE_LIMITED' } }));
      ws.end(POLICY_VIOLATION, 'too many wrong keys');
      return;
    }
    const auth = checkApiKey(this.#apiKey, { 'x-api-key': key });
    if (auth !== 'ok') {
      user.failures++;
      if (auth === 'denied' && key.trim() !== '') this.#limiter.fail(user.address);
      const code = auth === 'disabled' ? 'SC_ERR_ADMIN_DISABLED' : 'SC_ERR_UNAUTHORIZED';
      ws.send(JSON.stringify({ type: 'auth', ok: false, error: { code } }));
      if (user.failures >= MAX_AUTH_FAILURES) ws.end(POLICY_VIOLATION, 'too many wrong keys');
      return;
    }
    if (!user.admin) {
      user.admin = true;
      this.#admitted.add(ws);
      ws.unsubscribe(PUBLIC_TOPIC);
      ws.subscribe(ADMIN_TOPIC);
    }
    ws.send(JSON.stringify({ type: 'auth', ok: true }));
    // The admin variant exists once main saw an admin socket in the shards' stats (within 2 s).
    if (this.#admin !== null) ws.send(this.#admin);
  }
}

/** No Origin (not a browser), the gateway's own origin, or an origin the admin API allows by name. */
export function originAllowed(origin: string, host: string, cors: CorsPolicy): boolean {
  if (origin === '') return true;
  if (host !== '' && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return cors.headers('admin', origin).some(([k]) => k === 'Access-Control-Allow-Origin');
}
