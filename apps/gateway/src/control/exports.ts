/**
 * The export routes, answered on the main thread (which holds the catalog): `/playlist.m3u` and the
 * HDHomeRun tuner emulation, at the root and under `/hdhr/<token>/` (media servers append the file names
 * to the tuner's BaseURL, so a token in the path reaches every request they make). URLs are absolute,
 * built from `--public-url`, else from the request's Host header.
 */

import { TokenGate } from '../access/token-gate.js';
import type { Catalog } from '../channels/catalog.js';
import {
  deviceIdFor,
  deviceXml,
  discoverJson,
  LINEUP_STATUS,
  lineupJson,
  type PlayerUrls,
  renderPlaylist,
  type Tuner,
} from '../channels/exports.js';
import type { GatewayConfig } from '../config/types.js';
import { FORWARDED_PROTO, isHost } from '../http/forwarded.js';
import { type ApiRequest, type ApiResponse, apiError, decodePathSegment, json } from './api-response.js';

const ROOT_FILES = new Set([
  '/playlist.m3u',
  '/discover.json',
  '/lineup.json',
  '/lineup_status.json',
  '/device.xml',
  '/lineup.post',
]);
const HDHR_PATH = /^\/hdhr\/([^/]{1,256})\/([a-z_.]+)$/;
const FRIENDLY_NAME = 'Shardcast';

export class ExportRoutes {
  readonly #config: GatewayConfig;
  readonly #catalog: () => Catalog;
  readonly #tokens: TokenGate;
  readonly #tuners: number;

  constructor(config: GatewayConfig, catalog: () => Catalog, tokens: TokenGate = new TokenGate(null)) {
    this.#config = config;
    this.#catalog = catalog;
    this.#tokens = tokens;
    this.#tuners = config.tunerCount ?? config.maxStreams;
  }

  handles(path: string): boolean {
    return ROOT_FILES.has(path) || path.startsWith('/hdhr/');
  }

  handle(req: ApiRequest): ApiResponse {
    let file = req.path;
    let token: string | null = null;
    const params = new URLSearchParams(req.query);
    if (file.startsWith('/hdhr/')) {
      const m = HDHR_PATH.exec(file);
      if (!m) return apiError('SC_ERR_NOT_FOUND');
      token = decodePathSegment(m[1] ?? '');
      file = `/${m[2]}`;
      if (!ROOT_FILES.has(file) || file === '/playlist.m3u') return apiError('SC_ERR_NOT_FOUND');
    } else {
      token = params.get('token');
    }
    const isPost = file === '/lineup.post';
    if (isPost ? req.method !== 'POST' : req.method !== 'GET' && req.method !== 'HEAD')
      return apiError('SC_ERR_METHOD_NOT_ALLOWED');
    const entry = this.#tokens.find(token);
    if (this.#tokens.enabled && entry === null) return apiError('SC_ERR_TOKEN_REQUIRED');
    // A token limited to some channels sees only those.
    const all = this.#catalog();
    const catalog =
      entry?.channels == null
        ? all
        : { channels: all.channels.filter((c) => entry.channels!.includes(c.id)) };
    const base = this.#base(req.headers.host, req.headers[FORWARDED_PROTO]);
    if (base === null) return apiError('SC_ERR_BAD_PARAM', 'The Host header is not a host name or address.');
    const withToken = this.#tokens.enabled ? token : null;
    const urls: PlayerUrls = { base, token: withToken };
    const tuner: Tuner = {
      friendlyName: FRIENDLY_NAME,
      deviceId: deviceIdFor(this.#config.publicUrl ?? `port:${this.#config.port}`),
      // A token's clients are its tuners: Plex plans recordings by TunerCount, and one beyond the
      // token's max_clients would fail when it starts (403 SC_ERR_TOKEN_LIMIT).
      tunerCount: Math.min(this.#tuners, entry?.maxClients ?? this.#tuners),
      baseUrl: withToken === null ? base : `${base}/hdhr/${encodeURIComponent(withToken)}`,
    };
    switch (file) {
      case '/playlist.m3u': {
        const format = params.get('format');
        if (format !== null && format !== 'hls' && format !== 'ts')
          return apiError('SC_ERR_BAD_PARAM', 'format must be "ts" or "hls".');
        return text(
          200,
          'audio/x-mpegurl; charset=utf-8',
          renderPlaylist(catalog, urls, format === 'hls' ? 'hls' : 'ts'),
        );
      }
      case '/discover.json':
        return json(200, discoverJson(tuner));
      case '/lineup.json':
        return json(200, lineupJson(catalog, urls));
      case '/lineup_status.json':
        return json(200, LINEUP_STATUS);
      case '/device.xml':
        return text(200, 'application/xml; charset=utf-8', deviceXml(tuner));
      default:
        // lineup.post?scan=start: a real tuner scans; ours knows its lineup already.
        return text(200, 'text/plain; charset=utf-8', '');
    }
  }

  /** `proto` is set only by a shard, from a trusted proxy's X-Forwarded-Proto. */
  #base(host: string | undefined, proto: string | undefined): string | null {
    if (this.#config.publicUrl !== undefined) return this.#config.publicUrl.replace(/\/+$/, '');
    if (!host || !isHost(host)) return null;
    return `${proto === 'https' ? 'https' : 'http'}://${host}`;
  }
}

function text(status: number, type: string, body: string): ApiResponse {
  return { status, headers: { 'Content-Type': type, 'Cache-Control': 'no-store' }, body };
}
