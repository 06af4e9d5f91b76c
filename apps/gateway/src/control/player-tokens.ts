/**
 * The player-token file on the main thread: read at start-up, reloaded on SIGHUP and when the file
 * changes (like the channel catalog). A reload that parses goes to every shard and to main's export routes
 * at once; a file that no longer parses is logged and the tokens in use are kept.
 *
 * What a reload does to clients: a removed token opens nothing from then on (401), a token still listed
 * keeps its client count and gets its new `max_clients` and `channels`. Clients already admitted that the
 * new file no longer allows are cut (token-cuts.ts): those of a removed token, those of a stream the
 * token's `channels` now leave out, and the newest beyond a lowered `max_clients`.
 */
import { type PlayerToken, readTokenFile, TokenFileError } from '../access/token-file.js';
import { nextTokenTable, type TokenGate, type TokenTable, tokenTable } from '../access/token-gate.js';
import type { Logger } from '../log.js';
import { SettledFileWatch } from './file-watch.js';

/** How often the file's modification time is checked (a rename over it is seen too). */
const WATCH_INTERVAL_MS = 1000;

export interface TokenSinks {
  /** Shards get the new table (and a respawned shard the latest one); `reason` names the reload. */
  publish(table: TokenTable, reason: string): void;
  /** Main's own gates (the export routes). */
  readonly gates: readonly TokenGate[];
}

export class PlayerTokens {
  readonly #path: string;
  readonly #log: Logger;
  #table: TokenTable;
  #sinks: TokenSinks | null = null;
  #watching = false;
  #watch: SettledFileWatch | null = null;
  readonly #onSignal = (): void => {
    this.reload('SIGHUP');
  };

  /** Start-up: throws TokenFileError (one sentence) when the file is missing or invalid. */
  constructor(path: string, log: Logger, shards = 1) {
    this.#path = path;
    this.#log = log;
    this.#table = tokenTable(readTokenFile(path), shards);
  }

  get table(): TokenTable {
    return this.#table;
  }

  /** Starts reloading on SIGHUP and file changes, publishing each new table to `sinks`. */
  watch(sinks: TokenSinks): void {
    if (this.#watching) return;
    this.#watching = true;
    this.#sinks = sinks;
    process.on('SIGHUP', this.#onSignal);
    // Reloaded once the file stopped changing, like the channel catalog (see file-watch.ts).
    this.#watch = new SettledFileWatch(this.#path, WATCH_INTERVAL_MS, () => this.reload('file changed'));
  }

  stop(): void {
    if (!this.#watching) return;
    this.#watching = false;
    process.off('SIGHUP', this.#onSignal);
    this.#watch?.stop();
    this.#watch = null;
  }

  /** Reads the file again; true when the new tokens are in use. Logs names, never tokens. */
  reload(reason: string): boolean {
    let tokens: PlayerToken[];
    try {
      tokens = readTokenFile(this.#path);
    } catch (err) {
      if (!(err instanceof TokenFileError)) throw err;
      this.#log.warn({ reason, error: err.message }, 'tokens file not reloaded; keeping the tokens in use');
      return false;
    }
    const next = nextTokenTable(this.#table, tokens);
    if (next === null) {
      this.#log.warn({ reason }, 'tokens file not reloaded: too many tokens still have clients');
      return false;
    }
    const before = new Map(this.#table.tokens.map((t) => [t.token, t.name]));
    const after = new Set(tokens.map((t) => t.token));
    const removed = [...before].filter(([token]) => !after.has(token)).map(([, name]) => name);
    const added = tokens.filter((t) => !before.has(t.token)).map((t) => t.name);
    this.#table = next;
    if (this.#sinks) {
      this.#sinks.publish(next, reason);
      for (const g of this.#sinks.gates) g.update(next);
    }
    this.#log.info({ reason, tokens: tokens.length, added, removed }, 'tokens file reloaded');
    return true;
  }
}
