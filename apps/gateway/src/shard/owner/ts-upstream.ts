/**
 * One MPEG-TS upstream connection: pull `playback_url` over one keep-alive connection and hand every
 * chunk to the ingest. A watchdog closes the connection when no media progress arrives for `stallMs`: no
 * bytes at all, or bytes that carry no media of the program (sync lost for good, an HTML error page, only
 * null packets, one PID the PMT does not list). The owner then reconnects and, if that does not help,
 * fails over; shorter gaps are the client pump's business (null packets).
 */
import type { EngineClient } from '@shardcast/engine-client';
import type { Recorder } from '@shardcast/metrics';
import { SYNC_BYTE, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type Upstream, UpstreamNotTs, type UpstreamSink, UpstreamStall } from './upstream.js';

const HEADERS_TIMEOUT_MS = 15_000;
/**
 * A connection of a stream that has not played yet is judged on its first PROBE_BYTES (or on all of a
 * shorter body): MPEG-TS has a sync byte every 188 bytes, and without SYNC_RUN of them in a row it is not
 * TS (a JSON or HTML error answered with 200, any other body) and the connection has failed.
 */
const PROBE_BYTES = 8 * 1024;
const SYNC_RUN = 5;
/**
 * Once the stream plays, upstream reads are coalesced (see ByteStream.coalesce): after a read that drained the
 * socket, reading waits until ~16 KiB should have gathered at the source's rate, at most COALESCE_MS. A live
 * source writes every few milliseconds, and reading each write on its own costs a wake-up, a system call and a
 * pass of the ingest (demuxer, filter, ring write, bookkeeping) for a couple of kilobytes. Players do not
 * notice: the client pump batches its writes by up to 100 ms anyway, and a fast source or a backlog is read
 * as it comes. A stream that has not played yet reads at once, so a cold start is not delayed. Measured:
 * 128 real-time streams cost the shards about a fifth less CPU (README, "Performance").
 */
export const COALESCE_MS = 100;

/**
 * Whether `data` holds a run of sync bytes at packet spacing from one of the first 188 offsets: SYNC_RUN of
 * them, or (`final`, a body that ended) as many as fit, at least two.
 */
export function hasTsSync(data: Uint8Array, final: boolean): boolean {
  for (let q = 0; q < TS_PACKET_SIZE && q < data.length; q++) {
    let run = 0;
    for (let at = q; at < data.length && run < SYNC_RUN && data[at] === SYNC_BYTE; at += TS_PACKET_SIZE)
      run++;
    if (run >= SYNC_RUN) return true;
    if (final && run >= 2 && q + run * TS_PACKET_SIZE >= data.length) return true;
  }
  return false;
}

interface PumpOptions {
  readonly client: EngineClient;
  readonly url: string;
  readonly signal: AbortSignal;
  readonly stallMs: number;
  readonly onFirstByte: () => void;
  /** Hands a chunk on; true when it carried media progress (only that feeds the watchdog). */
  readonly onChunk: (chunk: Uint8Array, nowMs: number) => boolean;
  /** Backpressure towards the engine (see UpstreamSink.holdMs). */
  readonly holdMs?: (nowMs: number) => number;
  readonly recorder: Recorder;
  /** Check the first bytes for MPEG-TS sync (a stream not yet playing); see PROBE_BYTES. */
  readonly probe: boolean;
  /** Whether the stream has played (then reads are coalesced, see COALESCE_MS). */
  readonly playing: () => boolean;
}

/**
 * Resolves with the bytes received when the upstream ends cleanly; rejects on error or stall. The body comes as
 * views of the connection's one read buffer (no allocation per read); the ingest copies them into the ring.
 */
async function pumpTs(o: PumpOptions): Promise<number> {
  const stream = await o.client.openByteStream(o.url, {
    signal: o.signal,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
  });
  let bytes = 0;
  // Last media progress (or the connection start), moved on by time spent holding.
  let lastMs = Date.now();
  let stalled = false;
  // The first bytes, while they are being checked (a copy: chunks are views of a reused buffer).
  let probe: Uint8Array | null = o.probe ? new Uint8Array(PROBE_BYTES) : null;
  let probed = 0;
  let notTs = false;
  /** Judges the probed bytes (`final`: the body ended); false when they are not MPEG-TS. */
  const judge = (final: boolean): boolean => {
    const ok = probe === null || hasTsSync(probe.subarray(0, probed), final);
    probe = null;
    return ok;
  };
  let holdTimer: ReturnType<typeof setTimeout> | undefined;
  let coalescing = false;
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastMs >= o.stallMs) {
        stalled = true;
        stream.close();
      }
    },
    Math.min(1000, o.stallMs / 2),
  );
  // Not reading is the backpressure: TCP slows the engine down. Waiting is not a stall, so the media clock
  // moves by the time held (not to now: a braked engine that sends no media still stalls).
  const hold = (ms: number): void => {
    stream.pause();
    const heldFrom = Date.now();
    holdTimer = setTimeout(() => {
      holdTimer = undefined;
      const heldTo = Date.now();
      lastMs += heldTo - heldFrom;
      const more = o.holdMs!(heldTo);
      if (more > 0) hold(more);
      else stream.resume();
    }, ms);
  };
  try {
    await stream.pipe((chunk) => {
      const t0 = performance.now();
      const now = Date.now();
      if (bytes === 0) o.onFirstByte();
      bytes += chunk.length;
      if (probe !== null) {
        const n = Math.min(chunk.length, PROBE_BYTES - probed);
        probe.set(chunk.subarray(0, n), probed);
        probed += n;
        if (probed === PROBE_BYTES && !judge(false)) {
          notTs = true;
          stream.close();
          return;
        }
      }
      if (o.onChunk(chunk, now)) lastMs = now;
      if (!coalescing && o.playing()) {
        coalescing = true;
        stream.coalesce(COALESCE_MS);
      }
      o.recorder.recordUs('mpegts_chunk_read', (performance.now() - t0) * 1000, true);
      // One read can hold several chunks of a chunked body: a hold already running covers them all.
      if (holdTimer !== undefined) return;
      const ms = o.holdMs?.(now) ?? 0;
      if (ms > 0 && !o.signal.aborted) hold(ms);
    });
  } catch (err) {
    if (notTs) throw notTsError(probed);
    if (stalled) throw stallError(o.stallMs, bytes);
    // A failed read counts as a failure of the time since the last good chunk.
    o.recorder.recordUs('mpegts_chunk_read', (Date.now() - lastMs) * 1000, false);
    throw err;
  } finally {
    clearInterval(watchdog);
    clearTimeout(holdTimer);
    stream.close();
  }
  if (notTs) throw notTsError(probed);
  if (stalled) throw stallError(o.stallMs, bytes);
  // A body shorter than the probe (a short error answer) is judged on what came.
  if (probed > 0 && !judge(true)) throw notTsError(probed);
  return bytes;
}

function notTsError(bytes: number): UpstreamNotTs {
  return new UpstreamNotTs(`the upstream sent no MPEG-TS (no packet sync in its first ${bytes} bytes)`);
}

function stallError(stallMs: number, bytes: number): UpstreamStall {
  // The bytes say which kind: a silent engine, or one that kept sending something that is not media.
  return new UpstreamStall(`no upstream media for ${stallMs / 1000} s (${bytes} bytes on this connection)`);
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
      // Only a stream that has not played yet: a playing one keeps the stall and resync path.
      probe: !(o.sink.playing?.() ?? true),
      playing: () => o.sink.playing?.() ?? true,
    });
  }
}
