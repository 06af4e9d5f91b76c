/**
 * The naive proxy (what the system Shardcast replaces did): one upstream connection per viewer, piped
 * through node:http on one thread. `node dist/src/naive/main.js --port P --engine URL`; prints
 * `naive proxy listening on http://HOST:PORT`. Each viewer gets its own engine session (a fresh `pid`).
 */
import { createServer, get, type IncomingMessage } from 'node:http';
import { numberFlag, parseFlags, stringFlag, UsageError } from '../util/args.js';

let sessions = 0;

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), {
    port: { type: 'string' },
    host: { type: 'string' },
    engine: { type: 'string' },
  });
  const port = numberFlag(f, 'port', 0, 1, 65535, true);
  const host = stringFlag(f, 'host') ?? '127.0.0.1';
  const engine = stringFlag(f, 'engine');
  if (port === 0 || !engine) throw new UsageError('--port and --engine are required.');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://naive.invalid');
    if (url.pathname !== '/ace/getstream') {
      res.writeHead(404).end();
      return;
    }
    url.searchParams.set('pid', `naive-${process.pid}-${++sessions}`);
    const upstream = get(`${engine}/ace/getstream?${url.searchParams}`, (up: IncomingMessage) => {
      res.writeHead(up.statusCode ?? 502, { 'Content-Type': up.headers['content-type'] ?? 'video/mp2t' });
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
  });
  server.requestTimeout = 0;
  server.timeout = 0;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  process.stdout.write(`naive proxy listening on http://${host}:${port}\n`);
  const stop = (): void => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`naive proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
