/**
 * One MPEG-TS upstream connection: pull `playback_url` over one keep-alive connection and hand every
 * chunk to the ingest. A watchdog closes the connection when nothing arrives for `stallMs` (the owner
 * then reconnects); shorter gaps are the client pump's business (null packets).
 */
import type { EngineClient } from '@shardcast/engine-client';
import type { Recorder } from '@shardcast/metrics';

const HEADERS_TIMEOUT_MS = 15_000;

export class UpstreamStall extends Error {
  override readonly name = 'UpstreamStall';
}

export interface PumpOptions {
  readonly client: EngineClient;
  readonly url: string;
  readonly signal: AbortSignal;
  readonly stallMs: number;
  readonly onFirstByte: () => void;
  readonly onChunk: (chunk: Uint8Array, nowMs: number) => void;
  readonly recorder: Recorder;
}

/** Resolves with the bytes received when the upstream ends cleanly; rejects on error or stall. */
export async function pumpTs(o: PumpOptions): Promise<number> {
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
