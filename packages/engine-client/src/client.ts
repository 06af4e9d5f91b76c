import { randomUUID } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { guardedLookup, sourceMayReach } from './address.js';
import { type ByteStream, fromEngineStream, openByteStream, Redirected } from './byte-stream.js';
import { Deadline } from './deadline.js';
import { EngineError, isEngineError, toErrorData } from './errors.js';
import {
  type Follow,
  getJson,
  MAX_REDIRECTS,
  mapError,
  readBody,
  type SendOptions,
  send,
  type Transport,
  tooManyRedirects,
} from './http.js';
import { type ClientConfig, validateOptions } from './options.js';
import { checkExtra, checkKey, checkPid } from './params.js';
import { parseSession } from './session.js';
import { parseStat, parseStatus, parseVersion } from './stats.js';
import { openStream } from './stream.js';
import type {
  CallOptions,
  EngineClientOptions,
  EngineHealth,
  EngineSession,
  EngineStat,
  EngineStream,
  EngineVersion,
  FetchOptions,
  OpenByteStreamOptions,
  OpenStreamOptions,
  ResolvedUrl,
  StartSessionOptions,
  StopOptions,
  StopResult,
} from './types.js';
import { parseHttpUrl, rebase, withQueryParam } from './urls.js';

/** Idle keep-alive sockets outlive an HLS poll interval (target durations are 1–10 s). */
const KEEP_ALIVE_MS = 10_000;
/** A `get_status` answer is a few hundred bytes. */
const MAX_STATUS_BYTES = 64 * 1024;
const DEFAULT_FETCH_TEXT_MAX_BYTES = 1024 * 1024;
const DEFAULT_FETCH_BYTES_MAX_BYTES = 32 * 1024 * 1024;
/** Engines answer a handful of internal origins at most; bound what an engine can teach us. */
const MAX_ADVERTISED_ORIGINS = 8;

/**
 * HTTP client of one AceStream engine (docs/engine-api.md). Every call has a deadline, every failure
 * is an {@link EngineError} with a stable code, and no URL off the engine's origin is fetched (a client made
 * with `source: true` serves a listed URL source instead: redirects and other hosts, see address.ts).
 * Safe to share between callers of one thread; not transferable between threads.
 */
export class EngineClient {
  readonly #cfg: ClientConfig;
  readonly #t: Transport;
  readonly #ownsDispatcher: boolean;
  readonly #advertised = new Set<string>();
  readonly #byteStreams = new Set<{ close(): void }>();
  /** Abandoned starts, each until its answer came and the session it yielded was stopped. */
  readonly #abandoned = new Set<Promise<void>>();
  /** A URL source's connect-time address guard (see address.ts). */
  readonly #lookup: LookupFunction | undefined;
  #closed = false;

  constructor(options: EngineClientOptions) {
    this.#cfg = validateOptions(options);
    this.#ownsDispatcher = this.#cfg.dispatcher === undefined;
    this.#lookup = this.#cfg.source ? guardedLookup(this.#cfg.origin.hostname) : undefined;
    const connect = { timeout: this.#cfg.timeoutMs, ...(this.#lookup ? { lookup: this.#lookup } : {}) };
    const dispatcher: Dispatcher =
      this.#cfg.dispatcher ?? new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, connect });
    this.#t = { dispatcher, headers: this.#cfg.headers };
  }

  /** The configured engine origin, e.g. `http://127.0.0.1:6878`. */
  get engine(): string {
    return this.#cfg.origin.origin;
  }

  /** Starts a session (`/ace/getstream` or `/ace/manifest.m3u8` with `format=json`). */
  async startSession(o: StartSessionOptions): Promise<EngineSession> {
    const key = checkKey(o.key);
    const pid = checkPid(o.pid ?? randomUUID());
    const extra = checkExtra(o.extra);
    const format = o.format;
    if (format !== 'ts' && format !== 'hls') {
      throw new EngineError('SC_ERR_ENGINE_BAD_REQUEST', 'format must be "ts" or "hls".');
    }
    const url = new URL(format === 'hls' ? '/ace/manifest.m3u8' : '/ace/getstream', this.#cfg.origin);
    url.searchParams.set(key.kind, key.value);
    for (const [name, value] of extra) url.searchParams.set(name, value);
    url.searchParams.set('pid', pid);
    url.searchParams.set('format', 'json');
    const what = this.#what(format === 'hls' ? 'manifest.m3u8' : 'getstream');
    const signal = o.signal;
    // Nothing sent yet: nothing to abandon.
    if (signal?.aborted) throw callerAborted();
    // Not the caller's signal: an engine may start the session although the request went away (AceStream
    // does not reliably cancel a start whose client disconnects), so the request always runs to its answer.
    const start = this.#json(url.href, what, this.#cfg.startTimeoutMs).then((json) => {
      const session = parseSession(json, { origin: this.#cfg.origin, pid, format, what });
      if (session.advertisedOrigin !== undefined && this.#advertised.size < MAX_ADVERTISED_ORIGINS) {
        this.#advertised.add(session.advertisedOrigin);
      }
      return session;
    });
    if (!signal) return start;
    return new Promise<EngineSession>((resolve, reject) => {
      const onAbort = (): void => {
        reject(callerAborted());
        this.#abandon(start);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      start.then(
        (session) => {
          signal.removeEventListener('abort', onAbort);
          resolve(session);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /**
   * Starts whose caller gave up, and the stops of the sessions they yielded, until done: see
   * {@link EngineClient.settle}.
   */
  get abandoned(): number {
    return this.#abandoned.size;
  }

  /**
   * Waits, at most `ms`, until every abandoned start has had its answer and the stop of the session it
   * yielded was sent (shutdown, before {@link EngineClient.close}, which cuts what is left). Never throws.
   */
  async settle(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (this.#abandoned.size > 0) {
      const left = end - Date.now();
      if (left <= 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      });
      await Promise.race([Promise.allSettled([...this.#abandoned]), timedOut]);
      clearTimeout(timer);
    }
  }

  /**
   * The caller gave up on a start that is under way: its request runs on (bounded by the start timeout),
   * and a session it yields is stopped at once, else the engine would keep it with nobody to stop it.
   */
  #abandon(start: Promise<EngineSession>): void {
    const done: Promise<void> = start
      .then(
        (session) => this.stop(session.commandUrl).then(noop),
        () => undefined,
      )
      .finally(() => this.#abandoned.delete(done));
    this.#abandoned.add(done);
  }

  /** Reads a session's statistics from its `statUrl`. */
  async stat(statUrl: string, o: CallOptions = {}): Promise<EngineStat> {
    const what = this.#what('stat');
    const url = this.#requireEngineUrl(statUrl, what);
    return parseStat(await this.#json(url, what, o.timeoutMs, o.signal), what);
  }

  /** Best effort `command_url?method=stop`: returns a result unless `throwOnError`. */
  async stop(commandUrl: string, o: StopOptions = {}): Promise<StopResult> {
    const what = this.#what('stop');
    const deadline = new Deadline(o.timeoutMs ?? this.#cfg.timeoutMs, o.signal, what);
    try {
      const url = this.#requireEngineUrl(withQueryParam(commandUrl, 'method', 'stop'), what);
      const res = await send(this.#t, url, this.#send(deadline, what));
      await res.body.dump();
      return { ok: true, status: res.statusCode };
    } catch (err) {
      const error = mapError(err, deadline, what);
      if (o.throwOnError) throw error;
      return { ok: false, error: toErrorData(error) };
    } finally {
      deadline.dispose();
    }
  }

  /** Health probe: healthy iff HTTP 200 with a JSON `result`. Never throws. */
  async getStatus(o: CallOptions = {}): Promise<EngineHealth> {
    const what = this.#what('get_status');
    const url = new URL('/server/api?api_version=3&method=get_status', this.#cfg.origin).href;
    const deadline = new Deadline(o.timeoutMs ?? this.#cfg.timeoutMs, o.signal, what);
    try {
      const res = await send(this.#t, url, this.#send(deadline, what));
      const bytes = await readBody(res, MAX_STATUS_BYTES, what);
      if (res.statusCode !== 200) {
        throw new EngineError('SC_ERR_ENGINE_HTTP_STATUS', `${what}: HTTP ${res.statusCode}`, {
          status: res.statusCode,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new EngineError('SC_ERR_ENGINE_BAD_RESPONSE', `${what}: answer is not JSON`);
      }
      const r = parseStatus(json, what);
      const health: EngineHealth = { healthy: true };
      if (r.speedDownKBps !== undefined) health.speedDownKBps = r.speedDownKBps;
      if (r.speedUpKBps !== undefined) health.speedUpKBps = r.speedUpKBps;
      if (r.peers !== undefined) health.peers = r.peers;
      return health;
    } catch (err) {
      return { healthy: false, error: toErrorData(mapError(err, deadline, what)) };
    } finally {
      deadline.dispose();
    }
  }

  /** Engine version (`/webui/api/service?method=get_version`). */
  async getVersion(o: CallOptions = {}): Promise<EngineVersion> {
    const what = this.#what('get_version');
    const url = new URL('/webui/api/service?method=get_version', this.#cfg.origin).href;
    return parseVersion(await this.#json(url, what, o.timeoutMs, o.signal), what);
  }

  /** Opens a long-lived GET on an engine URL (the owner pump's playback stream). */
  async openStream(url: string, o: OpenStreamOptions = {}): Promise<EngineStream> {
    return this.#openStream(url, o, 0);
  }

  async #openStream(url: string, o: OpenStreamOptions, spent: number): Promise<EngineStream> {
    const what = this.#what('stream');
    const follow = this.#follow(what).follow;
    if (follow) follow.spent = spent;
    return openStream(this.#t, {
      url: this.#requireEngineUrl(url, what),
      what,
      signal: o.signal,
      headersTimeoutMs: o.headersTimeoutMs ?? this.#cfg.timeoutMs,
      bodyTimeoutMs: o.bodyTimeoutMs ?? 0,
      ...(follow ? { follow } : {}),
    });
  }

  /**
   * Like {@link EngineClient.openStream}, but the body is handed to a callback as views of one reused buffer
   * (see byte-stream.ts): no allocation per read, for pumps that read for days. Plain `http:` engines go
   * straight to a socket; https or a caller's own dispatcher fall back to undici behind the same interface.
   */
  async openByteStream(url: string, o: OpenByteStreamOptions = {}): Promise<ByteStream> {
    const what = this.#what('stream');
    let checked = this.#requireEngineUrl(url, what);
    const headersTimeoutMs = o.headersTimeoutMs ?? this.#cfg.timeoutMs;
    // A URL source's redirects: each hop is a new connection (an https one goes through undici, which follows the rest).
    for (let hops = 0; ; hops++) {
      try {
        return await this.#openByteStream(checked, what, headersTimeoutMs, o.signal, hops);
      } catch (err) {
        if (!(err instanceof Redirected)) throw err;
        if (hops === MAX_REDIRECTS) throw tooManyRedirects(what, err.status);
        checked = this.#redirect(err.location, checked, what);
      }
    }
  }

  async #openByteStream(
    checked: string,
    what: string,
    headersTimeoutMs: number,
    signal: AbortSignal | undefined,
    spent: number,
  ): Promise<ByteStream> {
    const parsed = new URL(checked);
    if (parsed.protocol !== 'http:' || !this.#ownsDispatcher) {
      // undici follows the rest of the chain within what is left of the 5 (an http→https chain got 10).
      return fromEngineStream(await this.#openStream(checked, { signal, headersTimeoutMs }, spent));
    }
    if (this.#closed) throw new EngineError('SC_ERR_ENGINE_ABORTED', `${what}: engine client is closed`);
    // Tracked so that close() ends them, as destroying the undici agent ends its streams.
    const entry = { close: noop };
    this.#byteStreams.add(entry);
    try {
      const s = await openByteStream({
        url: parsed,
        what,
        headers: this.#t.headers,
        signal,
        headersTimeoutMs,
        onFinish: () => this.#byteStreams.delete(entry),
        ...(this.#cfg.source ? { redirects: true } : {}),
        ...(this.#lookup ? { lookup: this.#lookup } : {}),
      });
      entry.close = () => s.close();
      if (this.#closed) s.close();
      return s;
    } catch (err) {
      this.#byteStreams.delete(entry);
      throw err;
    }
  }

  /** GETs an engine URL into one freshly allocated array (HLS segments); bounded by `maxBytes`. */
  async fetchBytes(url: string, o: FetchOptions = {}): Promise<Uint8Array> {
    return (await this.#fetch(url, o.maxBytes ?? DEFAULT_FETCH_BYTES_MAX_BYTES, o)).bytes;
  }

  /** Like {@link EngineClient.fetchBytes}, decoded as UTF-8 (HLS playlists); default limit 1 MiB. */
  async fetchText(url: string, o: FetchOptions = {}): Promise<string> {
    return (await this.fetchTextAt(url, o)).text;
  }

  /**
   * Like {@link EngineClient.fetchText}, with the URL that answered: for a URL source, the last one after
   * redirects, which the playlist's relative URIs resolve against (RFC 8216 §4.1).
   */
  async fetchTextAt(url: string, o: FetchOptions = {}): Promise<{ text: string; url: string }> {
    const got = await this.#fetch(url, o.maxBytes ?? DEFAULT_FETCH_TEXT_MAX_BYTES, o);
    return { text: new TextDecoder().decode(got.bytes), url: got.url };
  }

  async #fetch(url: string, maxBytes: number, o: FetchOptions): Promise<{ bytes: Uint8Array; url: string }> {
    const what = this.#what('fetch');
    const checked = this.#requireEngineUrl(url, what);
    const deadline = new Deadline(o.timeoutMs ?? this.#cfg.timeoutMs, o.signal, what);
    try {
      const opts = { ...this.#send(deadline, what), ...this.#follow(what) };
      const res = await send(this.#t, checked, opts);
      return { bytes: await readBody(res, maxBytes, what), url: opts.follow?.at ?? checked };
    } catch (err) {
      throw mapError(err, deadline, what);
    } finally {
      deadline.dispose();
    }
  }

  /** True iff `url` is http(s), without credentials, on this engine's configured origin. */
  isEngineUrl(url: string): boolean {
    return parseHttpUrl(url)?.origin === this.#cfg.origin.origin;
  }

  /**
   * Resolves a reference from an engine answer (e.g. a segment URI in the engine's playlist,
   * relative to `base`) to a fetchable engine URL. URLs on an origin the engine itself
   * advertised in a session answer are rebased like session URLs; any other host is refused
   * with `SC_ERR_ENGINE_URL_REFUSED`.
   */
  resolveUrl(ref: string, base: string = this.engine): ResolvedUrl {
    const what = this.#what('resolve');
    const baseUrl = this.#requireEngineUrl(base, what);
    const url = parseHttpUrl(ref, baseUrl);
    // A URL source's playlist may name any host (a CDN), within the address guard.
    if (this.#cfg.source) return { url: this.#requireEngineUrl(ref, what, baseUrl), rebased: false };
    if (url?.origin === this.#cfg.origin.origin) return { url: url.href, rebased: false };
    if (url && this.#advertised.has(url.origin))
      return { url: rebase(url, this.#cfg.origin).href, rebased: true };
    throw new EngineError('SC_ERR_ENGINE_URL_REFUSED', `${what}: not an engine URL`);
  }

  /** Closes the client's own Agent, aborting anything in flight; a shared dispatcher is left alone. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of this.#byteStreams) s.close();
    this.#byteStreams.clear();
    if (this.#ownsDispatcher) await this.#t.dispatcher.destroy();
  }

  #what(call: string): string {
    return `engine ${this.#cfg.origin.origin} ${call}`;
  }

  #send(deadline: Deadline, what: string, ms?: number): SendOptions {
    const timeout = ms ?? this.#cfg.timeoutMs;
    return { deadline, what, headersTimeoutMs: timeout, bodyTimeoutMs: timeout };
  }

  /**
   * `url` (relative to `base`, if given) checked: on the engine's origin, or for a URL source any http(s)
   * URL without credentials that the address guard lets through.
   */
  #requireEngineUrl(url: string, what: string, base?: string): string {
    if (this.#cfg.source) {
      const u = parseHttpUrl(url, base);
      if (!u)
        throw new EngineError('SC_ERR_ENGINE_URL_REFUSED', `${what}: not an http(s) URL without credentials`);
      if (!sourceMayReach(this.#cfg.origin.hostname, u.hostname)) {
        throw new EngineError(
          'SC_ERR_ENGINE_URL_REFUSED',
          `${what}: ${u.hostname} is an internal address; a source on a public host may not lead there`,
        );
      }
      return u.href;
    }
    if (!this.isEngineUrl(url)) {
      throw new EngineError('SC_ERR_ENGINE_URL_REFUSED', `${what}: not an engine URL`);
    }
    return parseHttpUrl(url)!.href;
  }

  /** A URL source follows redirects; an engine's 3xx stays a status error. */
  #follow(what: string): { follow?: Follow } {
    if (!this.#cfg.source) return {};
    return { follow: { to: (location, from) => this.#redirect(location, from, what) } };
  }

  /** The next hop of a URL source's redirect, checked like any URL it names (never logged: it may hold credentials). */
  #redirect(location: string, from: string, what: string): string {
    try {
      return this.#requireEngineUrl(location, what, from);
    } catch (err) {
      if (!isEngineError(err)) throw err;
      throw new EngineError(
        'SC_ERR_ENGINE_URL_REFUSED',
        `${what}: redirect refused (${redirectWhy(err.message, what)})`,
      );
    }
  }

  async #json(url: string, what: string, ms: number | undefined, signal?: AbortSignal): Promise<unknown> {
    const timeout = ms ?? this.#cfg.timeoutMs;
    const deadline = new Deadline(timeout, signal, what);
    try {
      return await getJson(this.#t, url, this.#send(deadline, what, timeout));
    } catch (err) {
      throw mapError(err, deadline, what);
    } finally {
      deadline.dispose();
    }
  }
}

function noop(): void {}

function callerAborted(): EngineError {
  return new EngineError('SC_ERR_ENGINE_ABORTED', 'engine call aborted by the caller');
}

/** The reason part of a refusal made by #requireEngineUrl (after its `what: `). */
function redirectWhy(message: string, what: string): string {
  return message.startsWith(`${what}: `) ? message.slice(what.length + 2) : message;
}
