/**
 * The ceiling for TS fan-out: a raw uWebSockets.js server (one per worker thread, all on one port) that
 * writes the same TS bytes from memory to every client of GET /ace/getstream, with the gateway's write
 * idioms (cork, write views of at most MAX_WRITE_BYTES, stop on false, resume on onWritable).
 *
 *   max:      each client gets bytes as fast as its socket drains (round-robin, a budget per turn)
 *   realtime: each client gets the bytes due at the stream's rate, batched like the gateway's pump
 *             (a write at ≥ MIN_BATCH_BYTES pending or every MAX_BATCH_DELAY_MS), after a join burst
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LoopBytes } from './loop-bytes.js';
import { loadNativeUws } from './uws.js';

/** Same write size and batching as the gateway pump (apps/gateway/src/shard/ts-pump.ts). */
const MAX_WRITE_BYTES = 348 * 188;
const MAX_TURN_BYTES = 16 * MAX_WRITE_BYTES;
const MIN_BATCH_BYTES = 88 * 188;
const MAX_BATCH_DELAY_MS = 100;
const TICK_MS = 20;
/** A joining client first gets this much of the past, like the gateway's start at the last keyframe. */
const JOIN_BURST_S = 0.5;

export interface ReferenceJob {
  port: number;
  host: string;
  mode: 'max' | 'realtime';
  loop: LoopBytes;
}

interface Client {
  res: import('uWebSockets.js').HttpResponse;
  /** Absolute byte position (wraps over the loop buffer). */
  cursor: number;
  startMs: number;
  lastWriteMs: number;
  blocked: boolean;
  done: boolean;
}

const job = workerData as ReferenceJob;
const uws = loadNativeUws();
const loop = Buffer.from(job.loop.bytes.buffer, job.loop.bytes.byteOffset, job.loop.bytes.byteLength);
const loopLen = loop.length;
const clients = new Set<Client>();
const ready: Client[] = [];
let spinning = false;

const app = uws.App();
app.get('/ace/getstream', (res) => {
  const now = Date.now();
  const c: Client = { res, cursor: 0, startMs: now, lastWriteMs: 0, blocked: false, done: false };
  res.onAborted(() => {
    c.done = true;
    clients.delete(c);
  });
  res.onWritable(() => {
    c.blocked = false;
    if (job.mode === 'max') wake(c);
    return true;
  });
  res.cork(() => {
    res.writeStatus('200 OK');
    res.writeHeader('Content-Type', 'video/mp2t');
    res.writeHeader('Cache-Control', 'no-cache, no-store');
  });
  clients.add(c);
  if (job.mode === 'max') wake(c);
  else serveDue(c, now);
});
app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end('not found');
});
app.listen(job.host, job.port, (token) => {
  parentPort!.postMessage(token ? 'ready' : 'listen-failed');
});

if (job.mode === 'realtime') {
  setInterval(() => {
    const now = Date.now();
    for (const c of clients) serveDue(c, now);
  }, TICK_MS);
}

/** Writes [cursor, upTo) in views of at most MAX_WRITE_BYTES; false when the socket is full. */
function writeUpTo(c: Client, upTo: number): void {
  c.res.cork(() => {
    while (c.cursor < upTo) {
      const at = c.cursor % loopLen;
      const n = Math.min(MAX_WRITE_BYTES, upTo - c.cursor, loopLen - at);
      const ok = c.res.write(loop.subarray(at, at + n));
      c.cursor += n;
      if (!ok) {
        c.blocked = true;
        return;
      }
    }
  });
}

function serveDue(c: Client, now: number): void {
  if (c.done || c.blocked) return;
  const due = Math.floor(((now - c.startMs) / 1000 + JOIN_BURST_S) * job.loop.bytesPerSecond);
  const upTo = Math.min(due - (due % 188), c.cursor + MAX_TURN_BYTES);
  if (upTo <= c.cursor) return;
  if (upTo - c.cursor < MIN_BATCH_BYTES && now - c.lastWriteMs < MAX_BATCH_DELAY_MS) return;
  c.lastWriteMs = now;
  writeUpTo(c, upTo);
}

// Unpaced: clients with room take turns, a budget each, so one fast reader cannot starve the rest.
function wake(c: Client): void {
  ready.push(c);
  if (!spinning) {
    spinning = true;
    setImmediate(spin);
  }
}

function spin(): void {
  const batch = ready.splice(0, ready.length);
  for (const c of batch) {
    if (c.done || c.blocked) continue;
    writeUpTo(c, c.cursor + MAX_TURN_BYTES);
    if (!c.blocked && !c.done) ready.push(c);
  }
  if (ready.length > 0) setImmediate(spin);
  else spinning = false;
}
