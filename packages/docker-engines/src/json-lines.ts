/**
 * Splits the Docker events stream (one JSON object per line) into objects. Chunks may cut a line
 * anywhere; the partial line is carried to the next chunk. A line that is not JSON is counted and
 * skipped, and a line longer than the bound is dropped: a broken daemon cannot grow our memory.
 */

/** Events are a few hundred bytes; anything this long is not an event. */
export const MAX_LINE_BYTES = 256 * 1024;

export class JsonLineSplitter {
  readonly #decoder = new TextDecoder();
  #partial = '';
  #dropping = false;
  /** Lines that were not JSON or were too long. */
  bad = 0;

  /** Feeds a chunk; returns the complete objects it finished. */
  push(chunk: Uint8Array | string): unknown[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const out: unknown[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = this.#partial + text.slice(start, nl);
      this.#partial = '';
      start = nl + 1;
      if (this.#dropping) {
        this.#dropping = false;
        continue;
      }
      this.#parse(line, out);
    }
    const rest = text.slice(start);
    if (this.#dropping) return out;
    if (this.#partial.length + rest.length > MAX_LINE_BYTES) {
      this.#partial = '';
      this.#dropping = true;
      this.bad++;
    } else {
      this.#partial += rest;
    }
    return out;
  }

  #parse(line: string, out: unknown[]): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    try {
      out.push(JSON.parse(trimmed));
    } catch {
      this.bad++;
    }
  }
}
