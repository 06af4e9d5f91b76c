/**
 * A long-lived HTTP/1.1 GET read straight off a `net` socket into one reused buffer.
 *
 * An upstream MPEG-TS pump reads a few hundred times a second for days. Through a Node stream every read
 * costs a fresh 64 KiB buffer plus an exact-size copy, and undici adds its own per-chunk objects; under
 * glibc malloc that churn keeps the process's arenas growing (memory freed in one thread, reused in
 * another, never returned). Here the socket reads into a buffer this stream owns (`onread`), the body is
 * handed out as views of it, and nothing is allocated per read. The price is that a view is valid only
 * during the callback: the caller copies what it keeps (the ingest writes the bytes into the ring).
 *
 * Only what a media upstream needs: plain `http:`, one GET, a 2xx answer read to its end (Content-Length,
 * chunked, or until close). Everything else (https, a caller's own undici dispatcher) goes through undici
 * with the same interface (see {@link fromEngineStream}).
 */
import net, { type LookupFunction } from 'node:net';
import { Deadline } from './deadline.js';
import { EngineError } from './errors.js';
import { mapError, redirectLocation } from './http.js';
import type { EngineStream } from './types.js';

/** Socket read buffer: as large as one read of a busy loopback socket. */
const READ_BUFFER_BYTES = 64 * 1024;
/** A read shorter than this drained the socket (see ByteStream.coalesce). */
const DRAINED_READ_BYTES = READ_BUFFER_BYTES / 2;
/** What a coalescing pause lets gather by default: well under any TCP receive window. */
const NAP_AIM_BYTES = 16 * 1024;
/** A shorter pause is not worth a timer: the socket is read as bytes come. */
const MIN_NAP_MS = 2;

/**
 * How long to stop reading after a read that drained the socket (see ByteStream.coalesce): the time
 * `aimBytes` take at the rate of the last window (`bytes` in `elapsedMs`), at most `maxMs`; 0 below MIN_NAP_MS.
 */
export function napMs(maxMs: number, aimBytes: number, bytes: number, elapsedMs: number): number {
  if (bytes <= 0 || elapsedMs <= 0) return 0;
  const ms = Math.min(maxMs, Math.floor((aimBytes * elapsedMs) / bytes));
  return ms >= MIN_NAP_MS ? ms : 0;
}
/** Longest status line plus headers accepted (undici's default is 16 KiB too). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Longest chunk-size line (hex size plus extensions). */
const MAX_CHUNK_LINE = 1024;

/** A response body delivered as views of a reused buffer. */
export interface ByteStream {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /**
   * Hands every body byte to `onData`, in order. A view is valid only during the call (copy what you keep).
   * Resolves when the body ends or after `close()`; rejects with an {@link EngineError} on failure.
   * Call once.
   */
  pipe(onData: (view: Uint8Array) => void): Promise<void>;
  /** Stops reading (TCP then slows the sender down) until `resume()`. */
  pause(): void;
  resume(): void;
  /**
   * Read coalescing: with `maxMs` > 0, a read that found the socket drained (less than half the read buffer)
   * is followed by a pause without reading, so the next read takes everything that arrived meanwhile in one
   * go. The pause lasts as long as `aimBytes` take to arrive at the rate the sender kept since the previous
   * one, at most `maxMs`, and none when that is under 2 ms. A sender that writes a little every few
   * milliseconds (a paced live source) then costs one wake-up, one system call and one pass of the caller per
   * pause instead of one per write; a fast sender (a backlog, an unpaced source) is read as it comes, and
   * since a pause only ever lets `aimBytes` (16 KiB) gather, far less than a TCP receive window, the sender
   * never waits on it. 0 (the default) reads whenever bytes arrive, and ends a pause in progress.
   */
  coalesce(maxMs: number, aimBytes?: number): void;
  /** Idempotent; releases the socket at once. */
  close(): void;
}

export interface ByteStreamParams {
  url: URL;
  what: string;
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
  headersTimeoutMs: number;
  /** Called once when the stream ends, however it ends. */
  onFinish?: () => void;
  /** A redirect answer rejects with a {@link Redirected} instead of a status error (a URL source). */
  redirects?: boolean;
  /** Name resolution of the connection (a URL source's address guard). */
  lookup?: LookupFunction;
}

/** What `openByteStream` rejects with for a redirect when asked to (`redirects`): the caller follows it. */
export class Redirected {
  constructor(
    readonly location: string,
    readonly status: number,
  ) {}
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** States of the chunked decoder. */
const Chunk = {
  /** Reading the hex size line. */
  Size: 0,
  /** `left` bytes of data to go. */
  Data: 1,
  /** The CRLF after the data. */
  DataEnd: 2,
  /** Trailer lines after the last chunk, until an empty line. */
  Trailer: 3,
  Done: 4,
} as const;

function badResponse(what: string, detail: string): EngineError {
  return new EngineError('SC_ERR_ENGINE_BAD_RESPONSE', `${what}: invalid HTTP (${detail})`);
}

function lost(what: string, detail: string): EngineError {
  return new EngineError('SC_ERR_ENGINE_CONNECTION_LOST', `${what}: connection lost (${detail})`);
}

/** Incremental HTTP/1.1 chunked-body decoder that yields views of its input. */
class ChunkedDecoder {
  #state: number = Chunk.Size;
  #left = 0;
  #line = '';

  get done(): boolean {
    return this.#state === Chunk.Done;
  }

  /** Calls `emit` with the data parts of `buf`; throws a message on a framing error. */
  decode(buf: Uint8Array, emit: (view: Uint8Array) => void): void {
    let i = 0;
    const n = buf.length;
    while (i < n && this.#state !== Chunk.Done) {
      if (this.#state === Chunk.Data) {
        const take = Math.min(this.#left, n - i);
        emit(buf.subarray(i, i + take));
        i += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = Chunk.DataEnd;
        continue;
      }
      // Line-oriented states: collect up to LF.
      const byte = buf[i++]!;
      if (byte !== 0x0a) {
        if (byte !== 0x0d) this.#line += String.fromCharCode(byte);
        if (this.#line.length > MAX_CHUNK_LINE) throw new Error('chunk line too long');
        continue;
      }
      const line = this.#line;
      this.#line = '';
      if (this.#state === Chunk.DataEnd) {
        if (line !== '') throw new Error('no CRLF after chunk data');
        this.#state = Chunk.Size;
      } else if (this.#state === Chunk.Size) {
        const hex = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new Error('bad chunk size');
        this.#left = Number.parseInt(hex, 16);
        this.#state = this.#left === 0 ? Chunk.Trailer : Chunk.Data;
      } else if (line === '') {
        this.#state = Chunk.Done;
      }
    }
  }
}

/** What the caller's callback threw: it rejects pipe() as it is, not as a bad response. */
class CallerError {
  constructor(readonly cause: unknown) {}
}

interface Head {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
}

const STATUS_RE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

/** Parses a response head (without its final CRLFCRLF); throws a message when malformed. */
function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const m = STATUS_RE.exec(lines[0] ?? '');
  if (!m) throw new Error('bad status line');
  const headers: Record<string, string | string[] | undefined> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('bad header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = [prev, value];
  }
  return { statusCode: Number(m[1]), headers };
}

function framing(head: Head): Framing {
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    const last = String(te).split(',').pop()!.trim().toLowerCase();
    if (last !== 'chunked') throw new Error(`unsupported transfer-encoding ${String(te)}`);
    return { kind: 'chunked' };
  }
  const cl = head.headers['content-length'];
  if (cl !== undefined) {
    if (Array.isArray(cl) || !/^\d{1,15}$/.test(cl)) throw new Error('bad content-length');
    return { kind: 'length', left: Number(cl) };
  }
  return { kind: 'close' };
}

function requestHead(p: ByteStreamParams): string {
  const u = p.url;
  let head = `GET ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\n`;
  for (const [name, value] of Object.entries(p.headers)) head += `${name}: ${value}\r\n`;
  return `${head}accept: */*\r\n\r\n`;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Opens the GET; resolves once a 2xx head arrived (else rejects like undici's path would). */
export function openByteStream(p: ByteStreamParams): Promise<ByteStream> {
  return new Promise<ByteStream>((resolve, reject) => {
    const deadline = new Deadline(p.headersTimeoutMs, p.signal, p.what);
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let headBuf: Buffer | null = Buffer.alloc(0);
    let head: Head | null = null;
    let body: Framing = { kind: 'close' };
    let chunked: ChunkedDecoder | null = null;
    // Body bytes read before pipe() was called (only the rest of the read that held the head).
    let early: Buffer | null = null;
    let onData: ((view: Uint8Array) => void) | null = null;
    let settled = false; // the open promise
    let finished = false; // the body (pipe's promise)
    let closed = false;
    let held = false; // the caller's pause()
    let coalesceMs = 0;
    let napAim = NAP_AIM_BYTES;
    // The sender's rate since the last drained read: bytes read and since when (performance.now()).
    let rateBytes = 0;
    let rateFrom = 0;
    let napTimer: ReturnType<typeof setTimeout> | undefined; // a coalescing pause (see ByteStream.coalesce)
    let pipeResolve: (() => void) | null = null;
    let pipeReject: ((err: unknown) => void) | null = null;
    let failure: unknown = null;

    const hostname = p.url.hostname.startsWith('[') ? p.url.hostname.slice(1, -1) : p.url.hostname;
    const socket = net.connect({
      host: hostname,
      port: Number(p.url.port || 80),
      noDelay: true,
      ...(p.lookup ? { lookup: p.lookup } : {}),
      onread: { buffer, callback: (nread: number, buf: Uint8Array) => onRead(buf.subarray(0, nread)) },
    });

    /** Ends the body: resolve (clean) or reject, exactly once, and free everything. */
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(napTimer);
      napTimer = undefined;
      p.onFinish?.();
      deadline.dispose();
      deadline.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(err ?? lost(p.what, 'closed before the response'));
        return;
      }
      if (err !== null && !closed) {
        failure = err;
        pipeReject?.(err);
      } else pipeResolve?.();
    };

    const onAbort = (): void => finish(deadline.reason);
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    if (deadline.signal.aborted) onAbort();

    const deliver = (view: Uint8Array): void => {
      // After close() (even from inside the callback) the rest of a read is dropped.
      if (view.length === 0 || finished) return;
      if (onData === null) {
        early = early === null ? Buffer.from(view) : Buffer.concat([early, view]);
        return;
      }
      try {
        onData(view);
      } catch (err) {
        throw new CallerError(err);
      }
    };

    /** Body bytes of one read; true when the body is complete. */
    const bodyBytes = (view: Uint8Array): boolean => {
      if (body.kind === 'close') {
        deliver(view);
        return false;
      }
      if (body.kind === 'length') {
        const take = Math.min(body.left, view.length);
        deliver(view.subarray(0, take));
        body.left -= take;
        return body.left === 0;
      }
      chunked!.decode(view, deliver);
      return chunked!.done;
    };

    const onHead = (rest: Uint8Array): boolean => {
      const h = head!;
      const location = p.redirects ? redirectLocation(h.statusCode, h.headers) : undefined;
      if (location !== undefined) {
        finish(new Redirected(location, h.statusCode));
        return false;
      }
      if (h.statusCode < 200 || h.statusCode >= 300) {
        finish(
          new EngineError('SC_ERR_ENGINE_HTTP_STATUS', `${p.what}: HTTP ${h.statusCode}`, {
            status: h.statusCode,
          }),
        );
        return false;
      }
      body = framing(h);
      if (body.kind === 'chunked') chunked = new ChunkedDecoder();
      deadline.stopClock();
      const done = bodyBytes(rest);
      settled = true;
      resolve(stream);
      if (done) {
        finish(null);
        return false;
      }
      // Nothing more until pipe() is called.
      return reading();
    };

    /** Whether the socket should read on; pauses it when not. */
    const reading = (): boolean => {
      const on = onData !== null && !held && napTimer === undefined;
      if (!on) socket.pause();
      return on;
    };

    /** The onread callback: returning false pauses the socket. */
    const onRead = (view: Uint8Array): boolean => {
      if (finished) return false;
      try {
        if (head === null) {
          // The head is copied out of the reused buffer: it may take several reads.
          let all: Buffer = Buffer.concat([headBuf!, view]);
          for (;;) {
            const at = all.indexOf(CRLFCRLF);
            if (at < 0) break;
            const parsed = parseHead(all.toString('latin1', 0, at));
            all = all.subarray(at + 4);
            // Interim answers (100 Continue, 103 Early Hints) are skipped: the real one follows.
            if (parsed.statusCode < 200) continue;
            head = parsed;
            headBuf = null;
            return onHead(all);
          }
          if (all.length > MAX_HEAD_BYTES) throw new Error('response head too large');
          headBuf = all;
          return true;
        }
        if (bodyBytes(view)) {
          finish(null);
          return false;
        }
        if (coalesceMs > 0) {
          rateBytes += view.length;
          if (view.length < DRAINED_READ_BYTES && reading()) {
            const now = performance.now();
            const ms = napMs(coalesceMs, napAim, rateBytes, now - rateFrom);
            rateBytes = 0;
            rateFrom = now;
            if (ms > 0) {
              // Unreferenced: the socket keeps the process alive while it is open, the timer alone need not.
              napTimer = setTimeout(wake, ms).unref();
              socket.pause();
              return false;
            }
          }
        }
        return reading();
      } catch (err) {
        if (err instanceof CallerError) finish(err.cause);
        else if (err instanceof EngineError) finish(err);
        else finish(badResponse(p.what, err instanceof Error ? err.message : String(err)));
        return false;
      }
    };

    /** The end of a coalescing pause. */
    const wake = (): void => {
      napTimer = undefined;
      if (!finished && reading()) socket.resume();
    };

    socket.on('connect', () => socket.write(requestHead(p)));
    socket.on('error', (err) => finish(mapError(err, deadline, p.what)));
    socket.on('end', () => {
      if (head === null) finish(lost(p.what, 'closed before the response'));
      else if (body.kind === 'close') finish(null);
      else finish(lost(p.what, 'premature end of the body'));
    });
    socket.on('close', () => finish(lost(p.what, 'socket closed')));

    const stream: ByteStream = {
      get statusCode() {
        return head!.statusCode;
      },
      get headers() {
        return head!.headers;
      },
      pipe(fn) {
        if (onData !== null) throw new Error('pipe() may be called once');
        onData = fn;
        return new Promise<void>((res, rej) => {
          pipeResolve = res;
          pipeReject = rej;
          if (early !== null) {
            const bytes = early;
            early = null;
            try {
              fn(bytes);
            } catch (err) {
              // A body that already ended (it came with the head) has nobody left to reject for us.
              if (finished) rej(err);
              else finish(err);
              return;
            }
          }
          if (finished) {
            if (failure !== null) rej(failure);
            else res();
            return;
          }
          if (reading()) socket.resume();
        });
      },
      pause() {
        held = true;
        if (!finished) socket.pause();
      },
      resume() {
        held = false;
        if (!finished && reading()) socket.resume();
      },
      coalesce(ms, aim = NAP_AIM_BYTES) {
        coalesceMs = ms;
        napAim = aim;
        rateBytes = 0;
        rateFrom = performance.now();
        // Turned off: a pause in progress ends now.
        if (ms <= 0 && napTimer !== undefined) {
          clearTimeout(napTimer);
          wake();
        }
      },
      close,
    };

    function close(): void {
      if (closed) return;
      closed = true;
      finish(null);
    }
  });
}

/** The same interface over an undici {@link EngineStream} (https, or a caller's own dispatcher). */
export function fromEngineStream(s: EngineStream): ByteStream {
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let closed = false;
  const pause = (): void => {
    if (gate !== null) return;
    let open!: () => void;
    const promise = new Promise<void>((res) => {
      open = res;
    });
    gate = { promise, open };
  };
  const resume = (): void => {
    const g = gate;
    gate = null;
    g?.open();
  };
  return {
    statusCode: s.statusCode,
    headers: s.headers,
    async pipe(onData) {
      for await (const chunk of s.body) {
        onData(chunk);
        if (gate !== null) await gate.promise;
        if (closed) break;
      }
    },
    pause,
    resume,
    // undici reads in its own rhythm (https, a caller's dispatcher): not coalesced.
    coalesce() {},
    close() {
      closed = true;
      resume();
      s.close();
    },
  };
}
