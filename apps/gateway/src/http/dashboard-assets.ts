/**
 * The operator dashboard's static files, built by `npm run build` (scripts/build-dashboard.mjs) into
 * apps/dashboard/dist with content-hashed names and a gzip and brotli copy of each. A shard loads them all
 * into memory when it starts and answers from there: no disk access per request. The index is
 * revalidated on every load (`no-cache`, ETag); the hashed assets never change and are cached for a year.
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { readFileSync } from 'node:fs';
import type { HeaderList } from './cors.js';
import { Reply, type RequestContext } from './respond.js';

/** Where the build writes the dashboard, relative to this compiled module (apps/gateway/dist/src/http). */
export const DASHBOARD_DIR = new URL('../../../../dashboard/dist/', import.meta.url);
/** URL prefix of the hashed assets (index.html names them absolutely, so `/` and `/dashboard/` both work). */
export const ASSET_PREFIX = '/dashboard/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

type Encoding = 'br' | 'gzip' | 'identity';

interface ManifestEntry {
  readonly type: string;
  readonly immutable: boolean;
  readonly etag: string;
}

export interface DashboardAsset {
  readonly type: string;
  readonly immutable: boolean;
  /** Strong ETag of the identity body; encoded bodies get it with the encoding appended. */
  readonly etag: string;
  readonly bodies: Readonly<Record<Encoding, Buffer>>;
}

export class DashboardAssets {
  readonly #files: ReadonlyMap<string, DashboardAsset>;
  readonly index: DashboardAsset;

  private constructor(files: Map<string, DashboardAsset>, index: DashboardAsset) {
    this.#files = files;
    this.index = index;
  }

  /** Loads every file of the manifest; throws (one sentence) when the dashboard was not built. */
  static load(dir: URL = DASHBOARD_DIR): DashboardAssets {
    let manifest: { index: string; files: Record<string, ManifestEntry> };
    try {
      manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
    } catch (err) {
      throw new Error(`the dashboard is not built (${(err as Error).message}); run npm run build`);
    }
    const files = new Map<string, DashboardAsset>();
    for (const [rel, entry] of Object.entries(manifest.files)) {
      const read = (suffix: string): Buffer => readFileSync(new URL(rel + suffix, dir));
      files.set(rel, {
        type: entry.type,
        immutable: entry.immutable,
        etag: entry.etag,
        bodies: { identity: read(''), gzip: read('.gz'), br: read('.br') },
      });
    }
    const index = files.get(manifest.index);
    if (!index) throw new Error('the dashboard manifest names no index file; run npm run build');
    return new DashboardAssets(files, index);
  }

  /** The asset at `/dashboard/assets/<name>`, or undefined. */
  asset(name: string): DashboardAsset | undefined {
    return this.#files.get(`assets/${name}`);
  }

  /** Every asset's relative path (tests). */
  names(): string[] {
    return [...this.#files.keys()];
  }
}

/**
 * The encoding to send for an `Accept-Encoding` header: brotli, then gzip, then none. A coding with
 * `q=0` is refused; `*` stands for any coding not named.
 */
export function chooseEncoding(acceptEncoding: string): Encoding {
  const q = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name.trim(), Number.isFinite(weight) ? weight : 0);
  }
  const accepts = (coding: string): boolean => (q.get(coding) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return 'identity';
}

/** What a handler copies from the request for `serveAsset` (HttpRequest is invalid after it returns). */
export interface AssetRequest {
  readonly acceptEncoding: string;
  readonly ifNoneMatch: string;
}

export function assetRequest(req: HttpRequest): AssetRequest {
  return { acceptEncoding: req.getHeader('accept-encoding'), ifNoneMatch: req.getHeader('if-none-match') };
}

/** Answers one asset: 200 with the chosen encoding, or 304 when the browser holds this version. */
export function serveAsset(
  res: HttpResponse,
  ctx: RequestContext,
  asset: DashboardAsset,
  ar: AssetRequest,
): void {
  const encoding = chooseEncoding(ar.acceptEncoding);
  const etag = encoding === 'identity' ? asset.etag : `${asset.etag.slice(0, -1)}-${encoding}"`;
  const headers: [string, string][] = [
    ['Cache-Control', asset.immutable ? IMMUTABLE : REVALIDATE],
    ['ETag', etag],
    ['Vary', 'Accept-Encoding'],
    ['X-Content-Type-Options', 'nosniff'],
  ];
  if (!asset.immutable) headers.push(['X-Frame-Options', 'DENY'], ['Referrer-Policy', 'no-referrer']);
  const reply = new Reply(res, ctx);
  if (ar.ifNoneMatch !== '' && ar.ifNoneMatch.split(',').some((t) => t.trim() === etag)) {
    reply.end(304, headers as HeaderList, null);
    return;
  }
  headers.push(['Content-Type', asset.type]);
  if (encoding !== 'identity') headers.push(['Content-Encoding', encoding]);
  reply.end(200, headers as HeaderList, asset.bodies[encoding]);
}
