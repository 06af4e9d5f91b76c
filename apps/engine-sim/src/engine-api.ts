// Engine-level API: health (`/server/api?...method=get_status`) and version
// (`/webui/api/service?method=get_version`), as docs/engine-api.md describes them.
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { sendJson } from './respond.js';

/** The AceStream version this simulator claims to be. */
export const SIM_ENGINE_VERSION = '3.2.3';
const SIM_ENGINE_CODE = 3020300;

export function handleServerApi(ctx: SimContext, res: ServerResponse, url: URL): void {
  const method = url.searchParams.get('method');
  if (method !== 'get_status') {
    sendJson(res, 200, { result: null, error: 'unknown method' });
    return;
  }
  const statusError = ctx.admin.global.statusError ?? ctx.options.faults.statusError;
  if (statusError !== undefined) {
    sendJson(res, 200, { result: null, error: statusError });
    return;
  }
  const speed = Math.round((ctx.renderer.plan.bytesPerSecond / 1024) * ctx.counters.playbackConnections);
  sendJson(res, 200, {
    result: { status: 1, speed_down: speed, speed_up: Math.round(speed / 25), peers: ctx.sessions.size * 8 },
    error: null,
  });
}

export function handleWebUiService(res: ServerResponse, url: URL): void {
  if (url.searchParams.get('method') !== 'get_version') {
    sendJson(res, 200, { result: null, error: 'unknown method' });
    return;
  }
  sendJson(res, 200, {
    result: { code: SIM_ENGINE_CODE, platform: 'linux', version: SIM_ENGINE_VERSION, websocket_port: 0 },
    error: null,
  });
}
