/**
 * The channel catalog on the main thread: loaded at start-up, reloaded on SIGHUP and when the file
 * changes, and edited through the admin API (`GET/PUT/DELETE /api/v1/channels[/<id>]`, API key), whose
 * writes go to the file atomically. An edit first checks the file: one changed by hand since it was last
 * loaded (before the watcher saw it) is loaded first and the edit applied on top; one that does not parse
 * is left alone and the edit refused. The write keeps what the operator wrote into that file and the
 * gateway does not know (top-level keys, and the extra keys of each channel still there). A reload or an
 * edit closes only the streams of channels whose source lists changed (or that are gone); a playing
 * channel whose sources did not change goes on untouched.
 */
import { type Catalog, type Channel, channelFromJson, checkChannels } from '../channels/catalog.js';
import {
  CatalogFileError,
  catalogJsonOf,
  digestOf,
  parseCatalogBytes,
  readCatalogBytes,
  readCatalogFile,
  writeCatalogFile,
} from '../channels/catalog-file.js';
import { CHANNEL_FIELDS, channelJson } from '../channels/render.js';
import { type ChannelSource, sourceText } from '../channels/source.js';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { AdminGate } from './admin-gate.js';
import { type ApiRequest, type ApiResponse, apiError, decodePathSegment, json } from './api-response.js';
import type { ChannelChecker } from './channel-check.js';
import type { ChannelSources } from './channel-sources.js';
import type { StreamDirectory } from './directory.js';
import { SettledFileWatch } from './file-watch.js';

/** How often the file's modification time is checked (a rename over it is seen too). */
const WATCH_INTERVAL_MS = 1000;
const PREFIX = '/api/v1/channels';
const CHECK_PATH = /^\/api\/v1\/channels\/([^/]+)\/check$/;

export class ChannelCatalog {
  readonly #path: string | undefined;
  readonly #sources: ChannelSources;
  readonly #directory: StreamDirectory;
  readonly #log: Logger;
  readonly #checker: ChannelChecker | null;
  readonly #gate: AdminGate;
  #format: 'json' | 'm3u' = 'json';
  /** Digest of the file as last loaded or written: a different file on disk was changed by someone else. */
  #digest = '';
  #watching = false;
  #watch: SettledFileWatch | null = null;
  readonly #onSignal = (): void => {
    this.reload('SIGHUP');
  };

  constructor(
    config: GatewayConfig,
    sources: ChannelSources,
    directory: StreamDirectory,
    log: Logger,
    checker: ChannelChecker | null = null,
    gate: AdminGate = new AdminGate(config.apiKey),
  ) {
    this.#gate = gate;
    this.#checker = checker;
    this.#path = config.channels;
    this.#sources = sources;
    this.#directory = directory;
    this.#log = log;
  }

  /** Start-up: the file must be valid (throws CatalogFileError with one sentence). */
  load(): void {
    if (this.#path === undefined) return;
    const file = readCatalogFile(this.#path);
    this.#format = file.format;
    this.#digest = file.digest;
    this.#sources.set(file.catalog);
    this.#log.info({ channels: file.catalog.channels.length, format: file.format }, 'channel catalog loaded');
  }

  /** Reloads on SIGHUP and on file changes (polled: editors and atomic writes replace the file). */
  watch(): void {
    if (this.#path === undefined || this.#watching) return;
    this.#watching = true;
    process.on('SIGHUP', this.#onSignal);
    // Reloaded once the file stopped changing: a playlist rewritten in place is not read half written.
    this.#watch = new SettledFileWatch(this.#path, WATCH_INTERVAL_MS, () => this.reload('file changed'));
  }

  stop(): void {
    if (!this.#watching || this.#path === undefined) return;
    this.#watching = false;
    process.off('SIGHUP', this.#onSignal);
    this.#watch?.stop();
    this.#watch = null;
  }

  /** Reads the file again; a bad file is logged and the catalog in use is kept. True when applied. */
  reload(reason: string): boolean {
    if (this.#path === undefined) return false;
    try {
      const file = readCatalogFile(this.#path);
      this.#format = file.format;
      this.#digest = file.digest;
      const closed = this.#apply(file.catalog);
      this.#log.info({ reason, channels: file.catalog.channels.length, closed }, 'channel catalog reloaded');
      return true;
    } catch (err) {
      if (!(err instanceof CatalogFileError)) throw err;
      this.#log.warn({ reason, error: err.message }, 'channel catalog not reloaded; keeping the one in use');
      return false;
    }
  }

  handles(path: string): boolean {
    return path === PREFIX || path.startsWith(`${PREFIX}/`);
  }

  handle(req: ApiRequest): ApiResponse | Promise<ApiResponse> {
    const denied = this.#gate.refusal(req);
    if (denied) return denied;
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (req.path === PREFIX) {
      if (!read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      return json(200, { channels: this.#sources.catalog.channels.map(channelJson) });
    }
    // The id as the client percent-encoded it (`/api/v1/channels/%6Eews` is `news`).
    const check = CHECK_PATH.exec(req.path);
    const id = decodePathSegment(check ? (check[1] ?? '') : req.path.slice(PREFIX.length + 1));
    if (id === null) return apiError('SC_ERR_BAD_PATH');
    if (check) return this.#check(req, id);
    if (read) {
      const found = this.#sources.get(id);
      return found ? json(200, channelJson(found)) : apiError('SC_ERR_CHANNEL_NOT_FOUND');
    }
    if (req.method !== 'PUT' && req.method !== 'DELETE') return apiError('SC_ERR_METHOD_NOT_ALLOWED');
    if (this.#path === undefined) return apiError('SC_ERR_NO_CATALOG');
    const onDisk = this.#catchUp(this.#path);
    if (onDisk.refused) return onDisk.refused;
    if (this.#format === 'm3u') return apiError('SC_ERR_CATALOG_READ_ONLY');
    const catalog = this.#sources.catalog;
    const existing = catalog.channels.find((c) => c.id === id);
    let next: Channel[];
    if (req.method === 'DELETE') {
      if (!existing) return apiError('SC_ERR_CHANNEL_NOT_FOUND');
      next = catalog.channels.filter((c) => c.id !== id);
    } else {
      if (req.bodyNotUtf8)
        return apiError(
          'SC_ERR_BAD_CHANNEL',
          'The body is not UTF-8 text: send the JSON channel object encoded as UTF-8.',
        );
      let body: unknown;
      try {
        // A byte order mark (Windows tools write one) is not part of the JSON.
        body = JSON.parse((req.body ?? '').replace(/^\uFEFF/, ''));
      } catch {
        return apiError('SC_ERR_BAD_CHANNEL', 'The body must be a JSON channel object.');
      }
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        // A field the catalog does not know would be dropped from the saved file without a word: a typo
        // (`grup`, `tvg-id` as in M3U) lost the group or the guide id while the API answered 201.
        const unknown = Object.keys(body).find((k) => !CHANNEL_FIELDS.includes(k));
        if (unknown !== undefined) return apiError('SC_ERR_BAD_CHANNEL', unknownField(unknown));
        const given = (body as { id?: unknown }).id;
        if (given !== undefined && given !== id)
          return apiError('SC_ERR_BAD_CHANNEL', 'The id in the body differs from the one in the path.');
        const fields: Record<string, unknown> = { ...body, id };
        // A replaced channel keeps its guide number unless the body names one (null: a new one). Media
        // servers map channels by it: an edit of the sources moved the channel after the highest number.
        if (existing && fields.number === undefined) fields.number = existing.number;
        body = fields;
      }
      const parsed = channelFromJson(body, 'channel');
      if (typeof parsed === 'string') return apiError('SC_ERR_BAD_CHANNEL', `${capital(parsed)}.`);
      next = existing
        ? catalog.channels.map((c) => (c.id === id ? parsed : c))
        : [...catalog.channels, parsed];
    }
    const checked = checkChannels(next);
    if (checked.error !== null) return apiError('SC_ERR_BAD_CHANNEL', `${capital(checked.error)}.`);
    try {
      // From the file as read just now: the keys an operator wrote by hand that the gateway does not know.
      this.#digest = writeCatalogFile(this.#path, checked.catalog, onDisk.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw err;
      this.#log.warn(
        { channel: id, action: req.method, file: this.#path, code, error: (err as Error).message },
        'channel catalog not saved; the catalog in use is unchanged',
      );
      return apiError('SC_ERR_CATALOG_WRITE', `Cannot save the channel catalog: ${errnoWords(code)}.`);
    }
    const closed = this.#apply(checked.catalog);
    this.#log.info({ channel: id, action: req.method, closed }, 'channel catalog edited');
    if (req.method === 'DELETE') return json(200, { deleted: id });
    const saved = checked.catalog.channels.find((c) => c.id === id);
    return json(existing ? 200 : 201, saved ? channelJson(saved) : null);
  }

  /**
   * Before an edit: a file that changed on disk since it was last loaded or written (a hand edit the watcher
   * has not seen yet) is loaded first, so the edit goes on top of it instead of over it. A file that does
   * not parse now is the operator's work in progress: the edit is refused (a response), the file left
   * alone. A missing file is written afresh by the edit. `file` is the JSON just read (null: none), whose
   * keys the gateway does not know the write keeps.
   */
  #catchUp(path: string): { refused: ApiResponse; file?: never } | { refused: null; file: unknown } {
    try {
      const bytes = readCatalogBytes(path);
      const read = { refused: null, file: catalogJsonOf(bytes) };
      if (digestOf(bytes) === this.#digest) return read;
      const file = parseCatalogBytes(path, bytes);
      this.#format = file.format;
      this.#digest = file.digest;
      const closed = this.#apply(file.catalog);
      this.#log.info(
        { reason: 'changed on disk before an API edit', channels: file.catalog.channels.length, closed },
        'channel catalog reloaded',
      );
      return read;
    } catch (err) {
      if (!(err instanceof CatalogFileError)) throw err;
      if (err.unreadable && err.reason === 'ENOENT') return { refused: null, file: null };
      if (err.unreadable) {
        this.#log.warn(
          { file: path, error: err.message },
          'channel catalog not saved; the catalog in use is unchanged',
        );
        return {
          refused: apiError(
            'SC_ERR_CATALOG_WRITE',
            `Cannot save the channel catalog: the file cannot be read back, ${errnoWords(err.reason)}.`,
          ),
        };
      }
      this.#log.warn(
        { file: path, error: err.message },
        'channel catalog edit refused: the file on disk is invalid',
      );
      return {
        refused: apiError(
          'SC_ERR_CATALOG_INVALID',
          `The channel file changed on disk and is not valid: ${err.reason}. Fix the file, then retry (it was left as it is).`,
        ),
      };
    }
  }

  /** `POST /api/v1/channels/<id>/check`: tries each source briefly, beside any playing stream. */
  async #check(req: ApiRequest, id: string): Promise<ApiResponse> {
    if (req.method !== 'POST') return apiError('SC_ERR_METHOD_NOT_ALLOWED');
    const channel = this.#sources.get(id);
    if (!channel) return apiError('SC_ERR_CHANNEL_NOT_FOUND');
    const run = this.#checker?.check(channel);
    if (!run) return apiError('SC_ERR_CHECK_BUSY');
    const result = await run;
    this.#log.info(
      {
        channel: id,
        ok: result.ok,
        sources: result.sources.map((s) => (s.ok ? 'ok' : (s.error ?? 'failed'))),
      },
      'channel sources checked',
    );
    return json(200, result);
  }

  /** Uses `catalog` from now on; closes the streams of channels it changed. Returns how many. */
  #apply(catalog: Catalog): number {
    this.#sources.set(catalog);
    let closed = 0;
    for (const e of [...this.#directory.entries()]) {
      if (!e.channel || e.state === 'closing') continue;
      const now = this.#sources.get(e.channel.id);
      if (now && sameSources(now.sources, e.channel.sources)) continue;
      this.#log.info(
        { stream: e.token },
        now ? 'channel sources changed; closing its stream' : 'channel removed; closing its stream',
      );
      this.#directory.closeChangedChannel(e.id, 'channel changed');
      closed++;
    }
    return closed;
  }
}

function unknownField(key: string): string {
  // The name as JSON (control characters escaped), cut short: it is the caller's text.
  const shown = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
  return `Channel has an unknown field ${shown}: the fields are ${CHANNEL_FIELDS.slice(0, -1).join(', ')} and ${CHANNEL_FIELDS.at(-1)}.`;
}

function sameSources(a: readonly ChannelSource[], b: readonly ChannelSource[]): boolean {
  return a.length === b.length && a.every((s, i) => sourceText(s) === sourceText(b[i]!));
}

/** An errno code in plain words, with the code: `permission denied (EACCES)`. */
function errnoWords(code: string): string {
  const words: Record<string, string> = {
    ENOENT: 'its directory does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is exceeded',
    ENOTDIR: 'a part of its path is not a directory',
    EISDIR: 'the path is a directory',
    EIO: 'an I/O error',
    // rename(2) cannot replace a mount point: a catalog mounted into a container as a single file
    // (`-v ./channels.json:/etc/shardcast/channels.json`).
    EBUSY:
      'the file is a mount point (a single file mounted into a container?) and cannot be replaced atomically; mount its directory instead',
  };
  const w = words[code];
  return w ? `${w} (${code})` : code;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
