/**
 * One MPEG-TS upstream connection: pull `playback_url` over one keep-alive connection and hand every
 * chunk to the ingest. A watchdog closes the connection when nothing arrives for `stallMs` (the owner
 * then reconnects); shorter gaps are the client pump's business (null packets).
 */
import type { EngineClient } from '@shardcast/engine-client';
import type { Recorder } from '@shardcast/metrics';
import { sleep as delay } from './sleep.js';
import { type Upstream, type UpstreamSink, UpstreamStall } from './upstream.js';

const HEADERS_TIMEOUT_MS = 15_000;

interface PumpOptions {
  readonly client: EngineClient;
  readonly url: string;
  readonly signal: AbortSignal;
  readonly stallMs: number;
  readonly onFirstByte: () => void;
  readonly onChunk: (chunk: Uint8Array, nowMs: number) => void;
  /** Backpressure towards the engine (see UpstreamSink.holdMs). */
  readonly holdMs?: (nowMs: number) => number;
  readonly recorder: Recorder;
}

/** Resolves with the bytes received when the upstream ends cleanly; rejects on error or stall. */
async function pumpTs(o: PumpOptions): Promise<number> {
  const stream = await o.client.openStream(o.url, { signal: o.signal, headersTimeoutMs: HEADERS_TIMEOUT_MS });
  let bytes = 0;
  let lastMs = Date.now();
  let stalled = false;
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastMs >= o.stallMs) {
        stalled = true;
        stream.close();
      }
    },
    Math.min(1000, o.stallMs / 2),
  );
  try {
    for await (const chunk of stream.body) {
      const t0 = performance.now();
      const now = Date.now();
      if (bytes === 0) o.onFirstByte();
      bytes += chunk.length;
      lastMs = now;
      o.onChunk(chunk, now);
      o.recorder.recordUs('mpegts_chunk_read', (performance.now() - t0) * 1000, true);
      // Not reading is the backpressure: TCP slows the engine down. Waiting is not a stall.
      let hold = o.holdMs?.(now) ?? 0;
      while (hold > 0 && !o.signal.aborted) {
        await delay(hold, o.signal);
        lastMs = Date.now();
        hold = o.holdMs!(lastMs);
      }
    }
  } catch (err) {
    if (stalled) throw new UpstreamStall(`no upstream data for ${o.stallMs / 1000} s`);
    // A failed read counts as a failure of the time since the last good chunk.
    o.recorder.recordUs('mpegts_chunk_read', (Date.now() - lastMs) * 1000, false);
    throw err;
  } finally {
    clearInterval(watchdog);
    stream.close();
  }
  if (stalled) throw new UpstreamStall(`no upstream data for ${o.stallMs / 1000} s`);
  return bytes;
}

/** Settings of a {@link TsUpstream}. */
export interface TsUpstreamOptions {
  readonly client: EngineClient;
  /** The session's `playback_url` (already checked to be on the engine's origin). */
  readonly url: string;
  readonly stallMs: number;
  readonly sink: UpstreamSink;
  readonly recorder: Recorder;
}

/** A TS engine session: every run is a new connection, so its first byte starts a new generation. */
export class TsUpstream implements Upstream {
  readonly kind = 'ts';
  readonly #o: TsUpstreamOptions;

  constructor(options: TsUpstreamOptions) {
    this.#o = options;
  }

  run(signal: AbortSignal): Promise<number> {
    const o = this.#o;
    return pumpTs({
      client: o.client,
      url: o.url,
      signal,
      stallMs: o.stallMs,
      // A new connection joins the broadcast at an arbitrary byte: never splice it onto the old one.
      onFirstByte: () => o.sink.discontinuity(),
      onChunk: (chunk, now) => o.sink.data(chunk, now),
      holdMs: o.sink.holdMs ? (now) => o.sink.holdMs!(now) : undefined,
      recorder: o.recorder,
    });
  }
}
