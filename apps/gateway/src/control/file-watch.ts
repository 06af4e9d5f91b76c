/**
 * Watches a file the operator edits (the channel catalog, the tokens file) and reports a change once the
 * file has stopped changing: its size, modification time and inode were the same at two checks in a row.
 * A file rewritten in place while it is being read is a prefix of the new file, and a prefix of an M3U
 * playlist is a valid, shorter playlist: `curl provider/list.m3u > tv.m3u` from a cron job was read half
 * written, and every channel not yet written was dropped and its viewers cut, until the next check.
 * An atomic replacement (a rename over the file, as the admin API writes) is reported one check later.
 */
import { type Stats, statSync, unwatchFile, watchFile } from 'node:fs';

export class SettledFileWatch {
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #onSettled: () => void;
  /** The file as seen at the last check that found a change, while that change is not yet reported. */
  #pending: Stats | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(path: string, intervalMs: number, onSettled: () => void) {
    this.#path = path;
    this.#intervalMs = intervalMs;
    this.#onSettled = onSettled;
    watchFile(path, { interval: intervalMs }, (cur, prev) => {
      if (!changed(cur, prev)) return;
      this.#pending = cur;
      this.#arm();
    });
  }

  stop(): void {
    unwatchFile(this.#path);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = null;
  }

  /** One more check after an interval: unchanged since the change was seen, it is reported. */
  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const seen = this.#pending;
      if (seen === null) return;
      let now: Stats | undefined;
      try {
        now = statSync(this.#path, { throwIfNoEntry: false });
      } catch {
        now = undefined;
      }
      if (now && changed(now, seen)) {
        // Still being written: wait for a check that finds it as it was.
        this.#pending = now;
        this.#arm();
        return;
      }
      this.#pending = null;
      this.#onSettled();
    }, this.#intervalMs);
    this.#timer.unref();
  }
}

function changed(a: Stats, b: Stats): boolean {
  return a.mtimeMs !== b.mtimeMs || a.ino !== b.ino || a.size !== b.size;
}
