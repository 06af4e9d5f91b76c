/**
 * `GET /epg.xml`: the XMLTV guide the operator configures (`--epg`, a file or an http(s) URL; gzip
 * files are unpacked), reduced to the catalog's `tvg_id`s, cached, and sent gzip-compressed to clients
 * that accept it. A URL is fetched again every `EPG_REFRESH_MS`; a file when its modification time
 * changes. A guide whose root element is not `<tv>` is a failed load. A failed load keeps the guide
 * already loaded and is retried after `RETRY_FIRST_MS`, doubling up to `RETRY_MAX_MS` (a URL; a file is
 * read again when it changes). Loads start only on that schedule, never once per request: a client
 * cannot make the gateway hammer the guide's server. Only the configured source is ever fetched.
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { Catalog } from '../channels/catalog.js';
import type { Logger } from '../log.js';
import { type ApiRequest, type ApiResponse, apiError } from './api-response.js';
import type { EpgJob, EpgReply } from './epg-worker.js';

const WORKER_ENTRY = new URL('./epg-worker.js', import.meta.url);

const EPG_REFRESH_MS = 6 * 3600 * 1000;
/** After a failed load of a URL: the first retry, doubling after each further failure up to the max. */
const RETRY_FIRST_MS = 60_000;
const RETRY_MAX_MS = 30 * 60_000;
const NOT_XMLTV = 'The configured guide is not XMLTV.';
const FETCH_TIMEOUT_MS = 60_000;
/** Largest guide read (uncompressed): national guides run to a few hundred MB. */
const MAX_EPG_BYTES = 512 * 1024 * 1024;
const XML_TYPE = 'application/xml; charset=utf-8';

interface Loaded {
  /** The unpacked guide (UTF-8), shared with the thread that renders it. */
  readonly guide: SharedArrayBuffer;
  readonly chars: number;
  readonly atMs: number;
  readonly mtimeMs: number;
}

export interface EpgClock {
  /** Milliseconds; `Date.now` unless a test drives the schedule. */
  now(): number;
}

interface Rendered {
  readonly catalog: Catalog;
  readonly loaded: Loaded;
  readonly xml: string;
  readonly gzip: Uint8Array;
}

/**
 * Runs one guide job on a thread of its own (see epg-worker.ts): seconds of work for a national guide
 * that must not stop main. A whole buffer of its own moves to the thread; a view into a larger one (a
 * pooled Buffer) is copied.
 */
function runGuideJob(job: EpgJob): Promise<EpgReply> {
  return new Promise<EpgReply>((resolve) => {
    const b = job.op === 'load' ? job.bytes : null;
    const own =
      b !== null &&
      b.byteOffset === 0 &&
      b.buffer instanceof ArrayBuffer &&
      b.byteLength === b.buffer.byteLength;
    const worker = new Worker(WORKER_ENTRY, {
      workerData: job,
      transferList: own ? [b.buffer as ArrayBuffer] : [],
    });
    let settled = false;
    const settle = (r: EpgReply) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    worker.once('message', settle);
    worker.once('error', (err) => settle({ error: `the guide thread failed: ${err.message}` }));
    worker.once('exit', (code) => settle({ error: `the guide thread exited (${code})` }));
  });
}

/** `--epg` names a file that is not there (one sentence, for start-up). */
export class EpgSourceError extends Error {
  override readonly name = 'EpgSourceError';
}

export class EpgService {
  readonly #source: string | undefined;
  readonly #catalog: () => Catalog;
  readonly #log: Logger;
  #loaded: Loaded | null = null;
  #rendered: Rendered | null = null;
  #loading: Promise<void> | null = null;
  /** The render under way, shared by concurrent requests. */
  #rendering: Promise<Rendered | null> | null = null;
  readonly #clock: EpgClock;
  /** A URL is not fetched again before this time. */
  #nextLoadMs = 0;
  /** Failed loads in a row. */
  #failures = 0;
  /** The last failure was a guide that is not XMLTV (the 503's message says so). */
  #notXmltv = false;
  /** The modification time and size of the file last read and found wrong: not read again until it changes. */
  #badFile: string | null = null;
  /** A file is looked at on each request: the same failure is logged once, not per request. */
  #lastWarning: string | null = null;

  constructor(source: string | undefined, catalog: () => Catalog, log: Logger, clock: EpgClock = Date) {
    this.#source = source;
    this.#catalog = catalog;
    this.#log = log;
    this.#clock = clock;
  }

  /**
   * Start-up: a guide file must be there (a mistyped path would otherwise only show as a 503 and a
   * warning once someone asks for /epg.xml). What it holds is judged when it is loaded; a URL is fetched
   * only when asked for. Throws one sentence.
   */
  checkSource(): string | null {
    const source = this.#source;
    if (source === undefined || isUrl(source)) return null;
    let code: string | null;
    try {
      code = statSync(source).isFile() ? null : 'not a file';
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    }
    // Not there yet is no error: a grabber (a cron job, a sidecar container) may write it after start-up,
    // and it is loaded once it appears. Anything else at that path stops start-up.
    if (code === 'ENOENT')
      return `the guide file ${source} is not there (yet): /epg.xml answers 503 until it is`;
    if (code !== null) throw new EpgSourceError(`Cannot read the guide file ${source} (${code}).`);
    return null;
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return apiError('SC_ERR_METHOD_NOT_ALLOWED');
    if (this.#source === undefined) return apiError('SC_ERR_NO_EPG');
    await this.#refreshIfDue();
    const loaded = this.#loaded;
    if (!loaded) return apiError('SC_ERR_EPG_UNAVAILABLE', this.#notXmltv ? NOT_XMLTV : undefined);
    const r = await this.#render(this.#catalog(), loaded);
    if (!r) return apiError('SC_ERR_EPG_UNAVAILABLE');
    const headers: Record<string, string> = {
      'Content-Type': XML_TYPE,
      'Cache-Control': 'no-cache',
      Vary: 'Accept-Encoding',
    };
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      return { status: 200, headers: { ...headers, 'Content-Encoding': 'gzip' }, body: '', bytes: r.gzip };
    }
    return { status: 200, headers, body: r.xml };
  }

  /** The guide reduced to the catalog, from the cache or the guide thread; null when that failed. */
  async #render(catalog: Catalog, loaded: Loaded): Promise<Rendered | null> {
    for (;;) {
      const r = this.#rendered;
      if (r && r.catalog === catalog && r.loaded === loaded) return r;
      if (!this.#rendering) break;
      await this.#rendering; // another catalog or guide: render ours after it
    }
    const ids = [...new Set(catalog.channels.flatMap((c) => (c.tvgId ? [c.tvgId] : [])))];
    const rendering = runGuideJob({ op: 'render', guide: loaded.guide, ids }).then((reply) => {
      if (reply.error !== null || reply.xml === undefined || reply.gzip === undefined) {
        this.#log.warn({ error: reply.error }, 'guide not rendered');
        return null;
      }
      const r: Rendered = { catalog, loaded, xml: reply.xml, gzip: reply.gzip };
      if (this.#loaded === loaded) this.#rendered = r;
      return r;
    });
    this.#rendering = rendering;
    try {
      return await rendering;
    } finally {
      if (this.#rendering === rendering) this.#rendering = null;
    }
  }

  async #refreshIfDue(): Promise<void> {
    const source = this.#source!;
    if (isUrl(source) && this.#clock.now() < this.#nextLoadMs) return;
    this.#loading ??= this.#load(source).finally(() => {
      this.#loading = null;
    });
    await this.#loading;
  }

  async #load(source: string): Promise<void> {
    let bytes: Uint8Array;
    let mtimeMs = 0;
    let fileKey: string | null = null;
    try {
      if (isUrl(source)) {
        const res = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        if (!res.ok) {
          await res.body?.cancel();
          throw new Error(`HTTP ${res.status}`);
        }
        bytes = new Uint8Array(await res.arrayBuffer());
      } else {
        const st = await stat(source);
        fileKey = `${st.mtimeMs}:${st.size}`;
        if (this.#loaded?.mtimeMs === st.mtimeMs || this.#badFile === fileKey) return;
        if (st.size > MAX_EPG_BYTES) throw new Error(`larger than ${MAX_EPG_BYTES} bytes`);
        bytes = await readFile(source);
        mtimeMs = st.mtimeMs;
      }
    } catch (err) {
      // The source URL may carry a key: it is not logged.
      this.#failed(fileKey, false, (err as Error).message);
      return;
    }
    // Unpacked, decoded and checked on the guide thread, which keeps the text.
    const reply = await runGuideJob({ op: 'load', bytes, maxBytes: MAX_EPG_BYTES });
    if (reply.error !== null || reply.guide === undefined || reply.chars === undefined) {
      this.#failed(fileKey, reply.notXmltv === true, reply.error ?? 'not loaded');
      return;
    }
    const chars = reply.chars;
    this.#loaded = { guide: reply.guide, chars, atMs: this.#clock.now(), mtimeMs };
    this.#rendered = null;
    this.#failures = 0;
    this.#notXmltv = false;
    this.#badFile = null;
    this.#lastWarning = null;
    this.#nextLoadMs = this.#clock.now() + EPG_REFRESH_MS;
    this.#log.info({ bytes: chars }, 'guide loaded');
  }

  #failed(fileKey: string | null, notXmltv: boolean, error: string): void {
    const retryMs = Math.min(RETRY_FIRST_MS * 2 ** this.#failures, RETRY_MAX_MS);
    this.#failures++;
    this.#nextLoadMs = this.#clock.now() + retryMs;
    this.#notXmltv = notXmltv;
    this.#badFile = fileKey;
    const url = isUrl(this.#source!);
    if (!url && error === this.#lastWarning) return;
    this.#lastWarning = error;
    const retry = url ? { retryInS: retryMs / 1000 } : {};
    const msg = this.#loaded ? 'guide not loaded; keeping the one in use' : 'guide not loaded';
    this.#log.warn({ error, ...retry }, msg);
  }
}

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}
