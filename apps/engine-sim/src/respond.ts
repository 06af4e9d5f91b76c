// Small response helpers: JSON bodies with a length, the AceStream envelope, plain text.
import type { ServerResponse } from 'node:http';

/** Sends `body` as JSON with Content-Length (and no caching: everything here is live state). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache',
  });
  res.end(text);
}

/** AceStream's `{"response": ..., "error": ...}` envelope (docs/engine-api.md). */
export function sendEnvelope(
  res: ServerResponse,
  status: number,
  response: unknown,
  error: string | null,
): void {
  sendJson(res, status, { response, error });
}

/** An AceStream error envelope: `{"response": null, "error": text}`. */
export function sendEngineError(res: ServerResponse, status: number, error: string): void {
  sendEnvelope(res, status, null, error);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache',
    'Access-Control-Allow-Origin': '*',
  });
  res.end(text);
}
