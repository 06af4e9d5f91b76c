// Tiny loopback servers for the engine-client tests (the real engine simulator is not used here).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Request targets seen, in order (path + query). */
  requests: string[];
  /** Connections accepted so far. */
  connections: number;
  /** Sockets currently open on the server side. */
  readonly open: number;
  /** Replaces the request handler. */
  handle(h: Handler): void;
  /** Resolves once the socket that carried the latest request is closed (the client let go). */
  lastRequestClosed(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(initial: Handler = (_req, res) => res.end()): Promise<TestServer> {
  let handler = initial;
  const sockets = new Set<Socket>();
  let lastSocket: Socket | undefined;
  const server: Server = createServer((req, res) => {
    t.requests.push(req.url ?? '');
    lastSocket = req.socket;
    handler(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    t.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const t: TestServer = {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests: [],
    connections: 0,
    get open() {
      return sockets.size;
    },
    handle(h) {
      handler = h;
    },
    lastRequestClosed() {
      const socket = lastSocket;
      if (!socket || socket.closed) return Promise.resolve();
      return new Promise((resolve) => socket.once('close', () => resolve()));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return t;
}

/** Answers `body` as JSON (or verbatim when it is a string). */
export function json(body: unknown, status = 200): Handler {
  return (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}

/** Accepts the request and never answers. */
export const silent: Handler = () => {};

/** A port that refuses connections: bound once, then released. */
export async function closedPort(): Promise<number> {
  const s = await startServer();
  await s.close();
  return s.port;
}

/** A valid 40-hex content id. */
export const ID = '0123456789abcdef0123456789abcdef01234567';

/** A session envelope as the engine sends it, with URLs on `origin`. */
export function sessionEnvelope(origin: string, extra: Record<string, unknown> = {}) {
  return {
    response: {
      playback_url: `${origin}/ace/r/${ID}/s1`,
      stat_url: `${origin}/ace/stat/${ID}/s1`,
      command_url: `${origin}/ace/cmd/${ID}/s1`,
      playback_session_id: 'f'.repeat(40),
      is_live: 1,
      bitrate: 312500,
      infohash: 'a'.repeat(40),
      is_encrypted: 0,
      client_session_id: -1,
      ...extra,
    },
    error: null,
  };
}

/** Count of ref'd timers; a leak shows up as a higher count after a call than before. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
