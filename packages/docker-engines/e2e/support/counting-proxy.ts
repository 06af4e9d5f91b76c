/**
 * A counting proxy in front of the real daemon socket: the package under test talks to the proxy's
 * socket, every HTTP request is recorded (endpoint, time) and forwarded unchanged, responses (including
 * the endless events stream) are piped back. This is "measured at the socket": whatever the package
 * believes it sent, this is what the daemon received.
 */

import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type ProxyEndpoint = 'version' | 'ping' | 'list' | 'inspect' | 'stats' | 'events' | 'other';

export interface ProxiedCall {
  readonly endpoint: ProxyEndpoint;
  readonly path: string;
  /** Wall clock, ms, when the request reached the proxy. */
  readonly atMs: number;
}

/** Classifies a Docker API path (with or without a `/v1.xx` prefix). */
export function classify(path: string): ProxyEndpoint {
  const p = path.replace(/^\/v\d+\.\d+/, '').split('?')[0] ?? '';
  if (p === '/version') return 'version';
  if (p === '/_ping') return 'ping';
  if (p === '/events') return 'events';
  if (p === '/containers/json') return 'list';
  if (/^\/containers\/[^/]+\/json$/.test(p)) return 'inspect';
  if (/^\/containers\/[^/]+\/stats$/.test(p)) return 'stats';
  return 'other';
}

export class CountingProxy {
  readonly socketPath: string;
  readonly upstream: string;
  readonly calls: ProxiedCall[] = [];
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  constructor(socketPath: string, upstream: string) {
    this.socketPath = socketPath;
    this.upstream = upstream;
  }

  async start(): Promise<void> {
    await rm(this.socketPath, { force: true });
    const server = createServer((req, res) => this.#forward(req, res));
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, resolve);
    });
    this.#server = server;
  }

  /** Closes the socket and cuts every open connection (the daemon "goes away" for the client). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(this.socketPath, { force: true });
  }

  /** Calls of one endpoint in [fromMs, toMs). */
  count(endpoint: ProxyEndpoint, fromMs = 0, toMs = Number.POSITIVE_INFINITY): number {
    return this.calls.filter((c) => c.endpoint === endpoint && c.atMs >= fromMs && c.atMs < toMs).length;
  }

  /** Most calls (all endpoints) seen in any window of `windowMs` starting at a call in [fromMs, toMs). */
  maxInWindow(windowMs: number, fromMs = 0, toMs = Number.POSITIVE_INFINITY): number {
    const times = this.calls.filter((c) => c.atMs >= fromMs && c.atMs < toMs).map((c) => c.atMs);
    let best = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (j < times.length && times[j]! - times[i]! < windowMs) j++;
      best = Math.max(best, j - i);
    }
    return best;
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.calls.push({ endpoint: classify(path), path, atMs: Date.now() });
    const up = request(
      { socketPath: this.upstream, method: req.method, path, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        // The events stream sends headers long before its first event: pass them on at once.
        res.flushHeaders();
        // Events and stats bodies are forwarded as they come, without buffering.
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // The response ends (done, or the client went away): drop the upstream side too.
    res.on('close', () => up.destroy());
    req.pipe(up);
  }
}
