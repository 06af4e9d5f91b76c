/**
 * An incremental HTTP/1.1 response parser (RFC 9112) for the load generator: bytes in, callbacks out, no
 * copies of body bytes (views into the socket's chunks). It knows exactly what a player needs: the status
 * line, headers, and a body delimited by Content-Length (§6.3 rule 5), chunked coding (§7.1) or the end of
 * the connection (§6.3 rule 8). After a complete response it is ready for the next one (keep-alive).
 */

const CR = 0x0d;
const LF = 0x0a;
/** Largest response head accepted; a longer one is a protocol error. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line (hex digits plus extensions). */
const MAX_CHUNK_LINE = 1024;
const EMPTY = Buffer.alloc(0);
/** onError detail when the connection ends inside a response. */
export const CLOSED_INSIDE = 'the connection closed inside a response';

export interface ResponseHead {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
}

export interface ResponseHandler {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
  /** A protocol violation; the connection must be dropped. */
  onError(detail: string): void;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'close' | 'done';

export class ResponseParser {
  readonly #handler: ResponseHandler;
  #state: State = 'head';
  #head: Buffer[] = [];
  /** The last (up to) 3 bytes of the head so far: a CRLFCRLF may span several reads. */
  #tail: Buffer = EMPTY;
  #headBytes = 0;
  #remaining = 0;
  #line = '';
  #noBody = false;

  constructor(handler: ResponseHandler) {
    this.#handler = handler;
  }

  /** The next response answers a HEAD request (headers only, whatever they announce). */
  expectNoBody(noBody: boolean): void {
    this.#noBody = noBody;
  }

  get inBody(): boolean {
    return this.#state !== 'head' && this.#state !== 'done';
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      switch (this.#state) {
        case 'head':
          off = this.#readHead(chunk, off);
          if (off < 0) return;
          break;
        case 'length': {
          const n = Math.min(this.#remaining, chunk.length - off);
          this.#handler.onBody(chunk.subarray(off, off + n));
          off += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case 'close':
          this.#handler.onBody(off === 0 ? chunk : chunk.subarray(off));
          return;
        case 'chunk-size':
        case 'trailers':
          off = this.#readLine(chunk, off);
          if (off < 0) return;
          break;
        case 'chunk-data': {
          const n = Math.min(this.#remaining, chunk.length - off);
          this.#handler.onBody(chunk.subarray(off, off + n));
          off += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf':
          // The CRLF after chunk data (§7.1); tolerate a bare LF.
          if (chunk[off] === CR) off++;
          else if (chunk[off] === LF) {
            off++;
            this.#state = 'chunk-size';
          } else return this.#fail('chunk data is not followed by CRLF');
          break;
        case 'done':
          // Bytes after a complete response without a request for them.
          return this.#fail('unexpected bytes after the response');
      }
    }
  }

  /** The connection ended. */
  eof(): void {
    if (this.#state === 'close') this.#finish();
    else if (this.#state !== 'done' && !(this.#state === 'head' && this.#headBytes === 0))
      this.#fail(CLOSED_INSIDE);
  }

  /** Ready for the next response on the same connection. */
  next(): void {
    this.#state = 'head';
    this.#head = [];
    this.#headBytes = 0;
    this.#tail = EMPTY;
  }

  #finish(): void {
    this.#state = 'done';
    this.#handler.onEnd();
  }

  #fail(detail: string): void {
    this.#state = 'done';
    this.#handler.onError(detail);
  }

  // Returns the offset after the head, or -1 when more bytes are needed (or on error).
  #readHead(chunk: Buffer, off: number): number {
    const end = findHeadEnd(chunk, off, this.#tail);
    if (end < 0) {
      const piece = chunk.subarray(off);
      this.#head.push(piece);
      this.#headBytes += piece.length;
      this.#tail = Buffer.concat([this.#tail, piece.subarray(Math.max(0, piece.length - 3))]).subarray(-3);
      if (this.#headBytes > MAX_HEAD_BYTES) this.#fail('response head too large');
      return -1;
    }
    this.#head.push(chunk.subarray(off, end));
    const text = Buffer.concat(this.#head).toString('latin1');
    this.#head = [];
    this.#headBytes = 0;
    this.#tail = EMPTY;
    const head = parseHead(text);
    if (!head) {
      this.#fail('malformed status line');
      return -1;
    }
    // 1xx responses precede the real one (§15.2).
    if (head.status >= 100 && head.status < 200) return end;
    this.#handler.onHead(head);
    if (this.#state === 'done') return -1; // the handler gave up on this response
    const te = head.headers.get('transfer-encoding');
    const cl = head.headers.get('content-length');
    if (this.#noBody || head.status === 204 || head.status === 304) this.#finish();
    else if (te !== undefined && /chunked\s*$/i.test(te)) {
      this.#state = 'chunk-size';
      this.#line = '';
    } else if (cl !== undefined) {
      const n = Number(cl);
      if (!Number.isSafeInteger(n) || n < 0) {
        this.#fail('invalid Content-Length');
        return -1;
      }
      this.#remaining = n;
      if (n === 0) this.#finish();
      else this.#state = 'length';
    } else this.#state = 'close';
    return end;
  }

  // Chunk-size lines and trailer lines; returns the offset after the line or -1 when more is needed.
  #readLine(chunk: Buffer, off: number): number {
    const lf = chunk.indexOf(LF, off);
    const piece = chunk.toString('latin1', off, lf < 0 ? chunk.length : lf);
    this.#line += piece;
    if (this.#line.length > MAX_CHUNK_LINE) {
      this.#fail('chunk-size line too long');
      return -1;
    }
    if (lf < 0) return -1;
    const line = this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line;
    this.#line = '';
    if (this.#state === 'trailers') {
      if (line === '') this.#finish();
      return lf + 1;
    }
    const semi = line.indexOf(';');
    const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) {
      this.#fail('invalid chunk size');
      return -1;
    }
    const size = Number.parseInt(hex, 16);
    if (size === 0) this.#state = 'trailers';
    else {
      this.#remaining = size;
      this.#state = 'chunk-data';
    }
    return lf + 1;
  }
}

// Offset just after CRLFCRLF, or -1. `tail` is the end of the head so far: the terminator may span reads.
function findHeadEnd(chunk: Buffer, off: number, tail: Buffer): number {
  if (tail.length > 0) {
    const joint = Buffer.concat([tail, chunk.subarray(off, off + 3)]);
    const at = joint.indexOf('\r\n\r\n', 0, 'latin1');
    if (at >= 0) return off + at + 4 - tail.length;
  }
  const at = chunk.indexOf('\r\n\r\n', off, 'latin1');
  return at >= 0 ? at + 4 : -1;
}

function parseHead(text: string): ResponseHead | null {
  const lines = text.split(/\r?\n/);
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { status: Number(m[1]), headers };
}
