// Test support for the HLS suites: fetch and parse the gateway's playlist, fetch segments, check the RFC
// 8216 invariants across successive playlists, and a counting HTTP proxy in front of an engine-sim (every
// request path the gateway sends upstream is recorded).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MediaPlaylist, parseMediaPlaylist, parsePlaylist } from '@shardcast/hls';
import { type Dispatcher, fetch, type Headers, type RequestInit, type Response } from 'undici';
import { checkTs, type TsCheck } from './ts-reader.js';

/** undici's fetch options; `dispatcher` pins a player to its own connection(s). */
export type FetchInit = RequestInit & { dispatcher?: Dispatcher };
/** What sends the requests: undici's fetch, or a wrapper of it (the cluster tests retry as players do). */
export type Fetcher = (url: string, init?: FetchInit) => Promise<Response>;

export interface PlaylistFetch {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed playlist when the answer was 200 and parsed. */
  readonly playlist: MediaPlaylist | null;
}

/**
 * The media playlist each player (its `init` object; one shared player without) was sent to by the
 * gateway's multivariant answer: reloads go there, as a real player's do, so a player keeps its session.
 */
const variants = new WeakMap<object, Map<string, string>>();
const NO_INIT = {};

/** Fetches a playlist as a player does: a multivariant answer is followed to its variant (remembered). */
export async function fetchPlaylist(
  url: string,
  init?: FetchInit,
  send: Fetcher = fetch,
): Promise<PlaylistFetch> {
  let known = variants.get(init ?? NO_INIT);
  if (!known) {
    known = new Map();
    variants.set(init ?? NO_INIT, known);
  }
  const target = known.get(url) ?? url;
  const r = await send(target, init);
  const text = await r.text();
  if (r.status === 200 && text.includes('#EXT-X-STREAM-INF')) {
    const master = parsePlaylist(text, target);
    const variant = master.ok && master.value.kind === 'master' ? master.value.variants[0]?.uri : undefined;
    // A variant that answers with a master again is a gateway bug: report it, do not loop.
    if (!variant || target !== url) return { status: r.status, headers: r.headers, text, playlist: null };
    known.set(url, variant);
    return fetchPlaylist(url, init, send);
  }
  const parsed = r.status === 200 ? parseMediaPlaylist(text, target) : null;
  return { status: r.status, headers: r.headers, text, playlist: parsed?.ok ? parsed.value : null };
}

export interface SegmentFetch {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
  readonly ts: TsCheck;
}

export async function fetchSegment(
  url: string,
  init?: FetchInit,
  send: Fetcher = fetch,
): Promise<SegmentFetch> {
  const r = await send(url, init);
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, bytes, ts: checkTs(bytes) };
}

/** Waits until the stream at `url` lists a segment (following the multivariant answer); its URL path. */
export async function newestSegmentPath(url: string, ms: number): Promise<string | null> {
  return poll(async () => {
    const r = await fetchPlaylist(url);
    const seg = r.playlist?.segments.at(-1)?.uri;
    return r.status === 200 && seg ? new URL(seg).pathname : null;
  }, ms);
}

/** Polls `fn` until it returns a value or `ms` pass. */
export async function poll<T>(fn: () => Promise<T | null>, ms: number, stepMs = 200): Promise<T | null> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one segment looked like in a playlist, to compare across playlist versions. */
interface SeenSegment {
  readonly discontinuity: boolean;
  readonly discontinuitySequence: number;
  readonly uri: string;
  readonly durationUs: number;
}

/**
 * Records successive playlists of one stream and the RFC 8216 rules across them: a constant target
 * duration >= every rounded EXTINF (§4.3.3.1), a media sequence that never goes backwards (§6.2.2), a
 * segment's URI, duration, discontinuity flag and Discontinuity Sequence Number never change (§6.2.2),
 * and contiguous sequence numbers. Violations are collected as sentences.
 */
export class PlaylistHistory {
  readonly violations: string[] = [];
  readonly playlists: MediaPlaylist[] = [];
  readonly #seen = new Map<number, SeenSegment>();
  #targetDuration = -1;
  #mediaSequence = -1;
  #discontinuitySequence = -1;

  add(p: MediaPlaylist): void {
    this.playlists.push(p);
    const v = this.violations;
    if (this.#targetDuration < 0) this.#targetDuration = p.targetDuration;
    if (p.targetDuration !== this.#targetDuration) {
      v.push(`target duration changed ${this.#targetDuration} -> ${p.targetDuration}`);
    }
    if (p.mediaSequence < this.#mediaSequence) {
      v.push(`media sequence went backwards ${this.#mediaSequence} -> ${p.mediaSequence}`);
    }
    if (p.discontinuitySequence < this.#discontinuitySequence) {
      v.push(
        `discontinuity sequence went backwards ${this.#discontinuitySequence} -> ${p.discontinuitySequence}`,
      );
    }
    this.#mediaSequence = p.mediaSequence;
    this.#discontinuitySequence = p.discontinuitySequence;
    if (p.endList) v.push('EXT-X-ENDLIST in a live playlist');
    for (const s of p.segments) {
      if (Math.round(s.durationUs / 1e6) > p.targetDuration) {
        v.push(`EXTINF ${s.durationUs / 1e6} rounds above the target duration ${p.targetDuration}`);
      }
      const before = this.#seen.get(s.seq);
      const now: SeenSegment = {
        discontinuity: s.discontinuity,
        discontinuitySequence: s.discontinuitySequence,
        uri: s.uri,
        durationUs: s.durationUs,
      };
      if (!before) this.#seen.set(s.seq, now);
      else if (
        before.discontinuity !== now.discontinuity ||
        before.discontinuitySequence !== now.discontinuitySequence ||
        before.uri !== now.uri ||
        before.durationUs !== now.durationUs
      ) {
        v.push(
          `segment ${s.seq} changed between playlists: ${JSON.stringify(before)} -> ${JSON.stringify(now)}`,
        );
      }
    }
  }

  /** Every distinct segment seen, by seq. */
  get segments(): ReadonlyMap<number, SeenSegment> {
    return this.#seen;
  }

  /** Seqs of segments listed with EXT-X-DISCONTINUITY. */
  discontinuities(): number[] {
    return [...this.#seen.entries()].filter(([, s]) => s.discontinuity).map(([seq]) => seq);
  }

  get last(): MediaPlaylist | undefined {
    return this.playlists.at(-1);
  }
}

/** A transparent HTTP proxy in front of an engine that records every request path. */
export interface CountingProxy {
  readonly url: string;
  /** Request paths (with query) in arrival order. */
  readonly paths: string[];
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // The engine builds its URLs from Host: keep the proxy's own, so every URL it answers names the proxy.
        headers: { ...req.headers },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
