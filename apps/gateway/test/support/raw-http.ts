// Raw HTTP/1.1 over node:net for tests that need exact bytes: pipelining, HEAD framing, odd requests.
// The parser is strict on purpose: a HEAD answer that carried a body, or a body longer than its
// Content-Length, shows up as the next answer not starting with a status line.
import { connect, type Socket } from 'node:net';

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A live body (MPEG-TS): stop reading at its headers. Only for the last request. */
  readonly streaming?: boolean;
}

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface RawResult {
  readonly responses: RawResponse[];
  /** The server closed the connection (before `timeoutMs`). */
  readonly closed: boolean;
  /** Bytes that did not parse as the next answer (should be empty). */
  readonly garbage: string;
  /** Every byte received. */
  readonly raw: Buffer;
}

export function requestText(r: RawRequest, version = 'HTTP/1.1'): string {
  const headers = r.headers ?? { Host: 'gateway.test' };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${r.method} ${r.path} ${version}\r\n${lines.join('')}\r\n`;
}

/**
 * One keep-alive connection. `send` writes bytes and parses the answers to `expect` in order; bytes left
 * over after them (a body a HEAD answer should not have had) are reported as garbage, by this call or
 * the next.
 */
export class RawConnection {
  readonly #socket: Socket;
  readonly #ready: Promise<void>;
  #buf = Buffer.alloc(0);
  #raw = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(port: number) {
    this.#socket = connect(port, '127.0.0.1');
    this.#ready = new Promise((resolve) => this.#socket.once('connect', () => resolve()));
    this.#socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#raw = Buffer.concat([this.#raw, d]);
      this.#wake?.();
    });
    const closed = (): void => {
      this.#closed = true;
      this.#wake?.();
    };
    this.#socket.on('close', closed);
    this.#socket.on('error', closed);
  }

  async send(bytes: string | Buffer, expect: readonly RawRequest[], timeoutMs = 10_000): Promise<RawResult> {
    await this.#ready;
    this.#raw = Buffer.alloc(0);
    if (!this.#closed) this.#socket.write(bytes);
    const responses: RawResponse[] = [];
    let garbage = '';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const req = expect[responses.length];
      if (req) {
        const parsed = parseOne(this.#buf, req);
        if (parsed === 'garbage') {
          garbage += this.#buf.toString('latin1');
          this.#buf = Buffer.alloc(0);
        } else if (parsed !== null) {
          responses.push(parsed.response);
          this.#buf = this.#buf.subarray(parsed.used);
          if (!req.streaming) continue;
          this.#buf = Buffer.alloc(0);
          break;
        }
      } else if (expect.length > 0) {
        // Whatever is left now follows the last answer: it should not exist.
        if (this.#buf.length > 0) garbage += this.#buf.toString('latin1');
        this.#buf = Buffer.alloc(0);
        break;
      }
      if (this.#closed || Date.now() >= deadline) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
    return { responses, closed: this.#closed, garbage, raw: this.#raw };
  }

  close(): void {
    this.#socket.destroy();
  }
}

/**
 * Sends `bytes` at once on a fresh connection and parses the answers to `expect` in order. Resolves once
 * every answer is parsed, or the server closed, or `timeoutMs` passed. With nothing expected, it waits
 * for the server to close.
 */
export async function exchange(
  port: number,
  bytes: string | Buffer,
  expect: readonly RawRequest[],
  timeoutMs = 10_000,
): Promise<RawResult> {
  const conn = new RawConnection(port);
  try {
    return await conn.send(bytes, expect, timeoutMs);
  } finally {
    conn.close();
  }
}

/** Sends `bytes` and waits until the server closes the connection (or `timeoutMs`). */
export async function sendAndWaitClose(
  port: number,
  bytes: string,
  timeoutMs: number,
): Promise<{ closed: boolean; raw: string; ms: number }> {
  const t0 = Date.now();
  const r = await exchange(port, bytes, [], timeoutMs);
  return { closed: r.closed, raw: r.raw.toString('latin1'), ms: Date.now() - t0 };
}

function parseOne(buf: Buffer, req: RawRequest): { response: RawResponse; used: number } | 'garbage' | null {
  if (buf.length >= 9 && !buf.subarray(0, 9).toString('latin1').startsWith('HTTP/1.1 ')) return 'garbage';
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  const start = end + 4;
  const bodyless = req.method === 'HEAD' || status === 204 || status === 304 || req.streaming;
  if (bodyless) return { response: { status, headers, body: Buffer.alloc(0) }, used: start };
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < start + n) return null;
    return { response: { status, headers, body: buf.subarray(start, start + n) }, used: start + n };
  }
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = [];
    let at = start;
    for (;;) {
      const nl = buf.indexOf('\r\n', at);
      if (nl < 0) return null;
      const size = Number.parseInt(buf.subarray(at, nl).toString('latin1'), 16);
      if (buf.length < nl + 2 + size + 2) return null;
      if (size === 0) return { response: { status, headers, body: Buffer.concat(chunks) }, used: nl + 4 };
      chunks.push(buf.subarray(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
  }
  // No length: the body runs to the close (not used by these tests' routes).
  return null;
}
