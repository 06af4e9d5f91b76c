/**
 * `GET /epg.xml`: the XMLTV guide the operator configures (`--epg`, a file or an http(s) URL; gzip
 * files are unpacked), reduced to the catalog's `tvg_id`s, cached, and sent gzip-compressed to clients
 * that accept it. A URL is fetched again every `EPG_REFRESH_MS`; a file when its modification time
 * changes. A failed refresh keeps the guide already loaded. Only the configured source is ever fetched.
 */
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Catalog } from '../channels/catalog.js';
import { reduceXmltv } from '../channels/xmltv.js';
import type { Logger } from '../log.js';
import { type ApiRequest, type ApiResponse, apiError } from './api-response.js';

const EPG_REFRESH_MS = 6 * 3600 * 1000;
const FETCH_TIMEOUT_MS = 60_000;
/** Largest guide read (uncompressed): national guides run to a few hundred MB. */
const MAX_EPG_BYTES = 512 * 1024 * 1024;
const XML_TYPE = 'application/xml; charset=utf-8';

interface Loaded {
  readonly text: string;
  readonly atMs: number;
  readonly mtimeMs: number;
}

interface Rendered {
  readonly catalog: Catalog;
  readonly loaded: Loaded;
  readonly xml: string;
  readonly gzip: Uint8Array;
}

export class EpgService {
  readonly #source: string | undefined;
  readonly #catalog: () => Catalog;
  readonly #log: Logger;
  #loaded: Loaded | null = null;
  #rendered: Rendered | null = null;
  #loading: Promise<void> | null = null;

  constructor(source: string | undefined, catalog: () => Catalog, log: Logger) {
    this.#source = source;
    this.#catalog = catalog;
    this.#log = log;
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return apiError('SC_ERR_METHOD_NOT_ALLOWED');
    if (this.#source === undefined) return apiError('SC_ERR_NO_EPG');
    await this.#refreshIfDue();
    const loaded = this.#loaded;
    if (!loaded) return apiError('SC_ERR_EPG_UNAVAILABLE');
    const catalog = this.#catalog();
    let r = this.#rendered;
    if (!r || r.catalog !== catalog || r.loaded !== loaded) {
      const ids = new Set(catalog.channels.flatMap((c) => (c.tvgId ? [c.tvgId] : [])));
      const reduced = reduceXmltv(loaded.text, ids);
      if (!reduced) return apiError('SC_ERR_EPG_UNAVAILABLE', 'The configured guide is not XMLTV.');
      r = { catalog, loaded, xml: reduced.xml, gzip: gzipSync(reduced.xml) };
      this.#rendered = r;
    }
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

  async #refreshIfDue(): Promise<void> {
    const source = this.#source!;
    const loaded = this.#loaded;
    if (loaded && /^https?:\/\//i.test(source) && Date.now() - loaded.atMs < EPG_REFRESH_MS) return;
    this.#loading ??= this.#load(source).finally(() => {
      this.#loading = null;
    });
    await this.#loading;
  }

  async #load(source: string): Promise<void> {
    try {
      if (/^https?:\/\//i.test(source)) {
        const res = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const bytes = new Uint8Array(await res.arrayBuffer());
        this.#loaded = { text: decode(bytes), atMs: Date.now(), mtimeMs: 0 };
      } else {
        const st = await stat(source);
        if (this.#loaded && this.#loaded.mtimeMs === st.mtimeMs) return;
        if (st.size > MAX_EPG_BYTES) throw new Error(`larger than ${MAX_EPG_BYTES} bytes`);
        this.#loaded = { text: decode(await readFile(source)), atMs: Date.now(), mtimeMs: st.mtimeMs };
      }
      this.#log.info({ bytes: this.#loaded.text.length }, 'guide loaded');
    } catch (err) {
      // The source URL may carry a key: it is not logged.
      this.#log.warn({ error: (err as Error).message }, 'guide not loaded; keeping the one in use');
    }
  }
}

function decode(bytes: Uint8Array): string {
  const raw =
    bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes, { maxOutputLength: MAX_EPG_BYTES }) : bytes;
  if (raw.length > MAX_EPG_BYTES) throw new Error(`larger than ${MAX_EPG_BYTES} bytes`);
  return new TextDecoder().decode(raw);
}
