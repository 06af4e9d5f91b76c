// Request dispatch. Every handler answers; nothing throws out of here (a bug becomes a 500 envelope).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdmin } from './admin-routes.js';
import type { SimContext } from './context.js';
import { handleServerApi, handleWebUiService } from './engine-api.js';
import { sendEngineError } from './respond.js';
import {
  handleCommand,
  handlePlayback,
  handlePlaylist,
  handleSegment,
  handleStat,
} from './session-routes.js';
import { handleStart } from './start-handler.js';

const PLAYBACK = /^\/ace\/r\/([0-9a-fA-F]{40})\/([0-9a-f]{40})$/;
const PLAYLIST = /^\/ace\/m\/([0-9a-fA-F]{40})\/([0-9a-f]{40})\.m3u8$/;
const SEGMENT = /^\/ace\/c\/([0-9a-f]{40})\/(\d{1,15})\.ts$/;
const STAT = /^\/ace\/stat\/([0-9a-fA-F]{40})\/([0-9a-f]{40})$/;
const COMMAND = /^\/ace\/cmd\/([0-9a-fA-F]{40})\/([0-9a-f]{40})$/;

export function route(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  dispatch(ctx, req, res).catch((err: unknown) => {
    if (res.headersSent) res.destroy();
    else sendEngineError(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
  });
}

async function dispatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://engine-sim.invalid');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path.startsWith('/sim/')) return handleAdmin(ctx, req, res, url);
  if (method !== 'GET' && method !== 'HEAD') return sendEngineError(res, 405, `method ${method} not allowed`);
  if (path === '/ace/getstream') return handleStart(ctx, req, res, url, 'ts');
  if (path === '/ace/manifest.m3u8') return handleStart(ctx, req, res, url, 'hls');
  let m = PLAYBACK.exec(path);
  if (m) return handlePlayback(ctx, req, res, m[1]!, m[2]!);
  m = PLAYLIST.exec(path);
  if (m) return handlePlaylist(ctx, req, res, m[1]!, m[2]!);
  m = SEGMENT.exec(path);
  if (m) return handleSegment(ctx, req, res, m[1]!, Number(m[2]));
  m = STAT.exec(path);
  if (m) return handleStat(ctx, res, m[1]!, m[2]!);
  m = COMMAND.exec(path);
  if (m) return handleCommand(ctx, res, url, m[1]!, m[2]!);
  if (path === '/server/api') return handleServerApi(ctx, res, url);
  if (path === '/webui/api/service') return handleWebUiService(res, url);
  return sendEngineError(res, 404, `not found: ${path}`);
}
