/**
 * `POST /api/v1/channels/<id>/check` (API key): tries each source of a channel for a few seconds and
 * reports, per source, whether it answered, whether its bytes carry PAT/PMT and a keyframe, and the
 * bitrate, codecs and resolution the media probe reads from them.
 *
 * A check never touches a playing channel's stream: an AceStream source gets its own short-lived engine
 * session (a fresh `pid`, stopped afterwards) and a URL source its own connection, closed afterwards. The
 * engine is not counted as busy with a stream, the source table's results and penalties are left alone,
 * and nothing but the catalog's own sources (and segments on an HLS source's own origin) is fetched.
 * The sample is 4 MiB at most, probed on the main thread (the only stream bytes main ever reads).
 */
import { randomUUID } from 'node:crypto';
import { EngineClient, type EngineSession, isEngineError } from '@shardcast/engine-client';
import type { EngineRegistry } from '@shardcast/engines';
import { parsePlaylist } from '@shardcast/hls';
import { type MediaInfo, type ProbeCounts, probeTs } from '@shardcast/media-probe';
import type { Channel } from '../channels/catalog.js';
import { type ChannelSource, isHlsUrl } from '../channels/source.js';
import { redactUrl } from './channel-view.js';

/** Longest one source is tried (session start, connect and sample together). */
export const SOURCE_CHECK_MS = 4000;
/** Longest a whole check runs: the shards give main 10 s to answer an API request. */
const CHECK_BUDGET_MS = 8000;
/** Sources tried at once within one check. */
const PARALLEL_SOURCES = 8;
/** Checks running at once gateway-wide (each opens up to PARALLEL_SOURCES upstream connections). */
export const MAX_RUNNING_CHECKS = 4;
/** Enough media to stop early: this many seconds of video with a keyframe. */
const ENOUGH_MEDIA_SECONDS = 1.5;
/** Most bytes kept of one source's sample. */
const MAX_SAMPLE_BYTES = 4 * 1024 * 1024;
/** How often the growing sample is probed while it arrives. */
const PROBE_EVERY_MS = 400;
/** HLS: the newest segments of the playlist that are fetched. */
const HLS_SEGMENTS = 2;
const TS_PACKET = 188;

export interface SourceCheck {
  readonly index: number;
  /** The source as `/api/v1/streams` shows it (a URL without its query). */
  readonly source: string;
  readonly kind: ChannelSource['kind'];
  /** Answered, with PAT/PMT and a keyframe in its bytes: a player would start on it. */
  readonly ok: boolean;
  /** The engine started a session / the URL answered 2xx. */
  readonly answered: boolean;
  /** Why it is not ok (null when ok). */
  readonly error: string | null;
  /** The engine that was asked (AceStream sources), else null. */
  readonly engine: string | null;
  /** How the bytes came: progressive `ts` or an `hls` playlist (null when nothing answered). */
  readonly upstream: 'ts' | 'hls' | null;
  /** From the request to the first media byte, ms (null: no byte). */
  readonly first_byte_ms: number | null;
  /** How long the source was tried, ms. */
  readonly checked_ms: number;
  readonly bytes: number;
  readonly pat_pmt: boolean;
  readonly keyframe: boolean;
  /** From the sample's bytes over the media time it covers (else over wall-clock time), kbit/s. */
  readonly bitrate_kbps: number | null;
  readonly video: {
    readonly codec: string;
    readonly profile: string | null;
    readonly width: number | null;
    readonly height: number | null;
    readonly frame_rate: number | null;
  } | null;
  readonly audio: {
    readonly codec: string;
    readonly sample_rate: number | null;
    readonly channels: number | null;
  } | null;
}

export interface ChannelCheck {
  readonly channel: string;
  /** At least one source is ok. */
  readonly ok: boolean;
  readonly checked_at: string;
  readonly sources: SourceCheck[];
}

export class ChannelChecker {
  readonly #registry: EngineRegistry;
  readonly #running = new Map<string, Promise<ChannelCheck>>();
  /** Shutdown: ends every running check (each stops its engine session) and starts none. */
  readonly #stopping = new AbortController();

  constructor(registry: EngineRegistry) {
    this.#registry = registry;
  }

  /** Null when MAX_RUNNING_CHECKS other channels are being checked; a channel checked twice shares one run. */
  check(channel: Channel): Promise<ChannelCheck> | null {
    const same = this.#running.get(channel.id);
    if (same) return same;
    if (this.#running.size >= MAX_RUNNING_CHECKS || this.#stopping.signal.aborted) return null;
    const run = this.#run(channel).finally(() => this.#running.delete(channel.id));
    this.#running.set(channel.id, run);
    return run;
  }

  /**
   * Shutdown: cuts the running checks short and waits until each has stopped its engine session and
   * closed its connections (a few seconds at most), so no check session outlives the gateway.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await Promise.allSettled([...this.#running.values()]);
  }

  async #run(channel: Channel): Promise<ChannelCheck> {
    const startedMs = Date.now();
    const results: SourceCheck[] = new Array(channel.sources.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= channel.sources.length) return;
        const left = CHECK_BUDGET_MS - (Date.now() - startedMs);
        const source = channel.sources[i]!;
        results[i] =
          left < 1000
            ? notTried(i, source, 'not tried: the check ran out of time (too many sources)')
            : await checkSource(
                i,
                source,
                Math.min(SOURCE_CHECK_MS, left),
                this.#registry,
                this.#stopping.signal,
              );
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_SOURCES, channel.sources.length) }, worker));
    return {
      channel: channel.id,
      ok: results.some((r) => r.ok),
      checked_at: new Date(startedMs).toISOString(),
      sources: results,
    };
  }
}

/** What one attempt gathered, turned into a SourceCheck at the end. */
interface Attempt {
  engine: string | null;
  upstream: 'ts' | 'hls' | null;
  answered: boolean;
  error: string | null;
  firstByteMs: number | null;
  chunks: Uint8Array[];
  bytes: number;
  /** Media duration the playlist gave for the fetched HLS segments, s (0 for TS). */
  hlsSeconds: number;
  /** From the first byte to the last, ms (TS). */
  spanMs: number;
}

async function checkSource(
  index: number,
  source: ChannelSource,
  budgetMs: number,
  registry: EngineRegistry,
  stopping: AbortSignal,
): Promise<SourceCheck> {
  const t0 = performance.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), budgetMs);
  const onStop = (): void => abort.abort();
  stopping.addEventListener('abort', onStop, { once: true });
  if (stopping.aborted) abort.abort();
  const a: Attempt = {
    engine: null,
    upstream: null,
    answered: false,
    error: null,
    firstByteMs: null,
    chunks: [],
    bytes: 0,
    hlsSeconds: 0,
    spanMs: 0,
  };
  let client: EngineClient | null = null;
  let session: EngineSession | null = null;
  try {
    if (source.kind === 'url') {
      client = new EngineClient({ baseUrl: new URL(source.url).origin, timeoutMs: budgetMs, source: true });
      if (isHlsUrl(source.url)) await sampleHls(client, source.url, a, t0, abort.signal);
      else await sampleTs(client, source.url, a, t0, abort.signal);
    } else {
      // At its cap an engine may still be asked (a check is no stream); one starting, draining or being
      // removed may not: its answer would say nothing about the source.
      const engine =
        registry.select() ?? registry.list().find((e) => e.healthy && e.lifecycle === 'ready') ?? null;
      if (!engine) throw new CheckError('no healthy engine to ask');
      a.engine = engine.url;
      client = new EngineClient({ baseUrl: engine.url, timeoutMs: budgetMs, startTimeoutMs: budgetMs });
      session = await client.startSession({
        key: { kind: source.kind === 'id' ? 'id' : 'infohash', value: source.hex },
        // A pid of its own: the engine opens a session beside a playing one, never takes it over.
        pid: `check-${randomUUID()}`,
        format: 'ts',
        signal: abort.signal,
      });
      a.answered = true;
      if (session.format === 'hls') await sampleHls(client, session.playbackUrl, a, t0, abort.signal);
      else await sampleTs(client, session.playbackUrl, a, t0, abort.signal);
    }
  } catch (err) {
    if (err instanceof CheckError) a.error = err.message;
    else if (abort.signal.aborted)
      a.error ??= null; // the budget ran out: judged on what arrived
    else a.error = errorText(err);
  } finally {
    clearTimeout(timer);
    stopping.removeEventListener('abort', onStop);
    abort.abort();
    if (client && session) await client.stop(session.commandUrl, { timeoutMs: 2000 }).catch(() => undefined);
    // A start cut short runs on to its answer; the session it yields is stopped before the client closes.
    await client?.settle(2000);
    await client?.close().catch(() => undefined);
  }
  return judge(index, source, a, performance.now() - t0);
}

class CheckError extends Error {}

/** Reads a progressive TS body until the sample tells enough, the budget ends, or the body does. */
async function sampleTs(
  client: EngineClient,
  url: string,
  a: Attempt,
  t0: number,
  signal: AbortSignal,
): Promise<void> {
  a.upstream = 'ts';
  const stream = await client.openStream(url, { signal, headersTimeoutMs: SOURCE_CHECK_MS });
  try {
    if (stream.statusCode < 200 || stream.statusCode > 299) throw new CheckError(`HTTP ${stream.statusCode}`);
    a.answered = true;
    let firstMs = 0;
    let probedMs = 0;
    for await (const chunk of stream.body) {
      if (chunk.length === 0) continue;
      const now = performance.now();
      if (a.firstByteMs === null) {
        a.firstByteMs = now - t0;
        firstMs = now;
      }
      a.chunks.push(chunk);
      a.bytes += chunk.length;
      a.spanMs = now - firstMs;
      if (a.bytes >= MAX_SAMPLE_BYTES) return;
      if (now - probedMs >= PROBE_EVERY_MS) {
        probedMs = now;
        if (enough(a)) return;
      }
    }
    if (a.bytes === 0) throw new CheckError('the stream ended without a byte');
  } finally {
    stream.close();
  }
}

/** Loads the playlist (a master one is followed to its best variant) and fetches its newest segments. */
async function sampleHls(
  client: EngineClient,
  url: string,
  a: Attempt,
  t0: number,
  signal: AbortSignal,
): Promise<void> {
  a.upstream = 'hls';
  let playlistUrl = url;
  for (let hop = 0; ; hop++) {
    // Relative URIs resolve against the URL that answered, after redirects (RFC 8216 §4.1).
    const got = await client.fetchTextAt(playlistUrl, { signal });
    const parsed = parsePlaylist(got.text, got.url);
    a.answered = true;
    if (!parsed.ok) throw new CheckError(`the HLS playlist is invalid: ${parsed.error.message}`);
    const p = parsed.value;
    if (p.kind === 'master') {
      if (hop > 0 || p.variants.length === 0)
        throw new CheckError('the HLS playlist names no media playlist');
      const best = p.variants.reduce((x, y) => (y.bandwidth > x.bandwidth ? y : x));
      playlistUrl = client.resolveUrl(best.uri, got.url).url;
      continue;
    }
    const segments = p.segments.filter((s) => !s.gap).slice(-HLS_SEGMENTS);
    if (segments.length === 0) throw new CheckError('the HLS playlist lists no segment yet');
    for (const seg of segments) {
      let segUrl: string;
      try {
        segUrl = client.resolveUrl(seg.uri, got.url).url;
      } catch {
        // An engine's off its origin; a URL source's on an internal address it may not lead to.
        throw new CheckError('the HLS playlist names segments the gateway may not fetch');
      }
      const bytes = await client.fetchBytes(segUrl, { signal, maxBytes: MAX_SAMPLE_BYTES });
      a.firstByteMs ??= performance.now() - t0;
      a.chunks.push(bytes);
      a.bytes += bytes.length;
      a.hlsSeconds += seg.durationUs / 1e6;
    }
    return;
  }
}

interface Probed {
  readonly media: MediaInfo | null;
  readonly keyframes: number;
}

function probe(a: Attempt): Probed {
  const joined = Buffer.concat(a.chunks, a.bytes);
  const start = alignment(joined);
  const counts: ProbeCounts = { keyframes: 0 };
  if (start < 0) return { media: null, keyframes: 0 };
  const view = joined.subarray(start);
  const media = probeTs(view, view.length - (view.length % TS_PACKET), counts);
  return { media, keyframes: counts.keyframes };
}

function enough(a: Attempt): boolean {
  const p = probe(a);
  return p.media !== null && p.keyframes > 0 && (p.media.sampled_seconds ?? 0) >= ENOUGH_MEDIA_SECONDS;
}

/** The first offset where three packets in a row start with the sync byte, or -1. */
function alignment(b: Uint8Array): number {
  const last = Math.min(b.length - 3 * TS_PACKET, 64 * TS_PACKET);
  for (let i = 0; i <= last; i++) {
    if (b[i] === 0x47 && b[i + TS_PACKET] === 0x47 && b[i + 2 * TS_PACKET] === 0x47) return i;
  }
  return -1;
}

function judge(index: number, source: ChannelSource, a: Attempt, elapsedMs: number): SourceCheck {
  const p = a.bytes > 0 ? probe(a) : { media: null, keyframes: 0 };
  const m = p.media;
  const patPmt = m !== null;
  const keyframe = p.keyframes > 0;
  const mediaSeconds = a.upstream === 'hls' ? a.hlsSeconds : (m?.sampled_seconds ?? 0);
  const seconds = mediaSeconds >= 0.5 ? mediaSeconds : a.spanMs / 1000;
  const bitrate = a.bytes > 0 && seconds > 0 ? Math.round((a.bytes * 8) / seconds / 1000) : null;
  let error = a.error;
  if (error === null) {
    if (!a.answered) error = `no answer within ${Math.round(elapsedMs / 100) / 10} s`;
    else if (a.bytes === 0) error = `no media byte within ${Math.round(elapsedMs / 100) / 10} s`;
    else if (!patPmt) error = 'the bytes carry no PAT/PMT (not an MPEG-TS program)';
    else if (!keyframe) error = `no keyframe within ${Math.round(elapsedMs / 100) / 10} s`;
  }
  const ok = a.answered && patPmt && keyframe;
  return {
    index,
    source: sourceLabel(source),
    kind: source.kind,
    ok,
    answered: a.answered,
    error: ok ? null : error,
    engine: a.engine,
    upstream: a.upstream,
    first_byte_ms: a.firstByteMs === null ? null : Math.round(a.firstByteMs),
    checked_ms: Math.round(elapsedMs),
    bytes: a.bytes,
    pat_pmt: patPmt,
    keyframe,
    bitrate_kbps: bitrate,
    video: m?.video
      ? {
          codec: m.video.codec,
          profile: m.video.profile,
          width: m.video.width,
          height: m.video.height,
          frame_rate: m.video.frame_rate,
        }
      : null,
    audio: m?.audio
      ? { codec: m.audio.codec, sample_rate: m.audio.sample_rate, channels: m.audio.channels }
      : null,
  };
}

function notTried(index: number, source: ChannelSource, why: string): SourceCheck {
  return {
    index,
    source: sourceLabel(source),
    kind: source.kind,
    ok: false,
    answered: false,
    error: why,
    engine: null,
    upstream: null,
    first_byte_ms: null,
    checked_ms: 0,
    bytes: 0,
    pat_pmt: false,
    keyframe: false,
    bitrate_kbps: null,
    video: null,
    audio: null,
  };
}

function sourceLabel(s: ChannelSource): string {
  if (s.kind === 'url') return redactUrl(s.url);
  return s.kind === 'id' ? `acestream://${s.hex}` : `infohash:${s.hex}`;
}

/** An engine's or a URL's failure in one line, without any URL (a source URL may carry credentials). */
function errorText(err: unknown): string {
  if (isEngineError(err)) {
    const status = err.status;
    const msg = err.message.replace(/https?:\/\/\S+/g, '<url>');
    return status !== undefined && !msg.includes(String(status)) ? `${msg} (HTTP ${status})` : msg;
  }
  return err instanceof Error ? err.message.replace(/https?:\/\/\S+/g, '<url>') : String(err);
}
