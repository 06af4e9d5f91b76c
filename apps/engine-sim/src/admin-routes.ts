// Test-only admin surface: /sim/stats, /sim/faults (GET/POST/DELETE) and POST /sim/kill.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refreshLiveFaults, type SimContext } from './context.js';
import { type Faults, parseFaults } from './faults.js';
import { sendJson } from './respond.js';
import type { EngineSimStats } from './stats.js';

const MAX_BODY_BYTES = 64 * 1024;
const HEX40 = /^[0-9a-fA-F]{40}$/;

export function snapshotStats(ctx: SimContext): EngineSimStats {
  const sessions = [...ctx.sessions.all()].map((s) => s.info());
  return {
    ...structuredClone(ctx.counters),
    sessionsActive: ctx.sessions.size,
    loopRenders: ctx.renderer.renders,
    sessions,
  };
}

/** Sets admin faults for new sessions and live ones; `content` scopes them to one id or infohash. */
export function setAdminFaults(ctx: SimContext, faults: Faults, content?: string): void {
  if (content === undefined) ctx.admin.global = { ...faults };
  else ctx.admin.byContent.set(content.toLowerCase(), { ...faults });
  refreshLiveFaults(ctx);
}

/** Clears admin faults (all, or one content's). */
export function clearAdminFaults(ctx: SimContext, content?: string): void {
  if (content === undefined) {
    ctx.admin.global = {};
    ctx.admin.byContent.clear();
  } else ctx.admin.byContent.delete(content.toLowerCase());
  refreshLiveFaults(ctx);
}

/** Drops every playback connection now; returns how many. */
export function killAll(ctx: SimContext): number {
  let n = 0;
  for (const s of [...ctx.sessions.all()]) {
    for (const c of [...s.connections]) {
      c.end('killed');
      n++;
    }
  }
  return n;
}

export async function handleAdmin(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /sim/stats':
      return sendJson(res, 200, snapshotStats(ctx));
    case 'GET /sim/faults':
      return sendJson(res, 200, ctx.admin.snapshot());
    case 'POST /sim/faults': {
      const body = await readJson(req);
      if (!body.ok) return sendJson(res, 400, { error: body.error });
      const { content, ...rest } = body.value;
      if (content !== undefined && (typeof content !== 'string' || !HEX40.test(content))) {
        return sendJson(res, 400, { error: 'content must be a 40-hex content id or infohash.' });
      }
      const parsed = parseFaults(rest, true);
      if (!parsed.ok) return sendJson(res, 400, { error: parsed.error });
      setAdminFaults(ctx, parsed.faults, content as string | undefined);
      return sendJson(res, 200, ctx.admin.snapshot());
    }
    case 'DELETE /sim/faults': {
      const content = url.searchParams.get('content') ?? undefined;
      clearAdminFaults(ctx, content);
      return sendJson(res, 200, ctx.admin.snapshot());
    }
    case 'POST /sim/kill':
      return sendJson(res, 200, { killed: killAll(ctx) });
    default:
      return sendJson(res, 404, { error: `no route ${route}` });
  }
}

type JsonBody = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, error: `The body exceeds ${MAX_BODY_BYTES} bytes.` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, error: 'The body must be a JSON object.' };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false, error: 'The body is not valid JSON.' };
  }
}
