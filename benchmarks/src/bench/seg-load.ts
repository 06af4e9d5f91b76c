/**
 * Closed-loop segment load: K keep-alive connections, each fetching the next path of a list as soon as the
 * previous response ended, for a fixed time. Measures what a server can deliver (segments/s, bytes/s),
 * not what players ask for; used identically against the gateway and nginx.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResponseParser } from '../http/response-parser.js';
import { type LatencySummary, newHistogram, recordMs, summarize } from '../util/histogram.js';

export interface SegLoadResult {
  responses: number;
  bytes: number;
  errors: number;
  seconds: number;
  segmentsPerSecond: number;
  bytesPerSecond: number;
  latencyMs: LatencySummary;
}

export async function segmentLoad(
  host: string,
  port: number,
  paths: readonly string[],
  connections: number,
  seconds: number,
): Promise<SegLoadResult> {
  const hist = newHistogram();
  let responses = 0;
  let bytes = 0;
  let errors = 0;
  let measuring = true;
  const t0 = performance.now();
  const endAt = t0 + seconds * 1000;
  const conns = Array.from(
    { length: connections },
    (_, i) =>
      new Promise<void>((resolve) => {
        let next = i % paths.length;
        let started = 0;
        let ok = true;
        const socket = connect({ host, port, noDelay: true });
        const send = (): void => {
          if (!measuring || performance.now() >= endAt) {
            socket.destroy();
            resolve();
            return;
          }
          const path = paths[next]!;
          next = (next + 1) % paths.length;
          started = performance.now();
          ok = true;
          parser.next();
          socket.write(
            `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: shardcast-seg-load\r\n\r\n`,
          );
        };
        const parser = new ResponseParser({
          onHead: (h) => {
            if (h.status !== 200) ok = false;
          },
          onBody: (chunk) => {
            if (measuring) bytes += chunk.length;
          },
          onEnd: () => {
            if (measuring) {
              if (ok) {
                responses++;
                recordMs(hist, performance.now() - started);
              } else errors++;
            }
            send();
          },
          onError: () => {
            errors++;
            socket.destroy();
            resolve();
          },
        });
        socket.on('connect', send);
        socket.on('data', (c: Buffer) => parser.push(c));
        socket.on('error', () => {
          errors++;
          resolve();
        });
        socket.on('close', () => resolve());
      }),
  );
  const stop = setTimeout(() => {
    measuring = false;
  }, seconds * 1000);
  await Promise.all(conns);
  clearTimeout(stop);
  measuring = false;
  const elapsed = Math.min(seconds, (performance.now() - t0) / 1000);
  const result: SegLoadResult = {
    responses,
    bytes,
    errors,
    seconds: elapsed,
    segmentsPerSecond: responses / elapsed,
    bytesPerSecond: bytes / elapsed,
    latencyMs: summarize(hist),
  };
  hist.destroy();
  return result;
}
