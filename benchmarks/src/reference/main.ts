/**
 * The reference server process: `node dist/src/reference/main.js --port P --threads N --mode max|realtime`.
 * N worker threads each run server.ts on the same port (SO_REUSEPORT, as the gateway's shards do).
 * Prints `reference listening on http://HOST:PORT` when every thread listens; SIGTERM stops it.
 */
import { Worker } from 'node:worker_threads';
import { choiceFlag, numberFlag, parseFlags, stringFlag, UsageError } from '../util/args.js';
import { renderLoopBytes } from './loop-bytes.js';
import type { ReferenceJob } from './server.js';

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), {
    port: { type: 'string' },
    host: { type: 'string' },
    threads: { type: 'string' },
    mode: { type: 'string' },
  });
  const port = numberFlag(f, 'port', 0, 1, 65535, true);
  if (port === 0) throw new UsageError('--port is required.');
  const host = stringFlag(f, 'host') ?? '127.0.0.1';
  const threads = numberFlag(f, 'threads', 2, 1, 64, true);
  const mode = choiceFlag(f, 'mode', 'max', ['max', 'realtime'] as const);
  const loop = renderLoopBytes();
  const workers = Array.from({ length: threads }, () => {
    const job: ReferenceJob = { port, host, mode, loop };
    return new Worker(new URL('./server.js', import.meta.url), { workerData: job });
  });
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', (m) =>
            m === 'ready' ? resolve() : reject(new Error(`cannot listen on ${host}:${port}`)),
          );
          w.once('error', reject);
        }),
    ),
  );
  process.stdout.write(`reference listening on http://${host}:${port}\n`);
  const stop = (): void => {
    void Promise.all(workers.map((w) => w.terminate())).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`reference server failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
