/**
 * `--api-key-file` on the main thread: the key is read at start-up (config/load.ts) and read again on
 * SIGHUP and when the file changes (once it is unchanged across a check, like the channel catalog and the
 * tokens file), so a key is replaced without a restart. A new key goes to main's admin routes and to every
 * shard (the live socket) at once; the old one admits nothing from then on. A file that is missing, empty
 * or holds no valid key is logged in one line and the key in use is kept. The key itself is never logged.
 */
import { readApiKeyFile } from '../config/load.js';
import { ConfigError } from '../config/types.js';
import type { Logger } from '../log.js';
import type { AdminGate } from './admin-gate.js';
import { SettledFileWatch } from './file-watch.js';

/** How often the file's modification time is checked (a rename over it is seen too). */
const WATCH_INTERVAL_MS = 1000;

export class ApiKeyFile {
  readonly #path: string;
  readonly #gate: AdminGate;
  readonly #publish: (key: string) => void;
  readonly #log: Logger;
  #watch: SettledFileWatch | null = null;
  readonly #onSignal = (): void => {
    this.reload('SIGHUP');
  };

  /** `publish` hands a new key to the shards. */
  constructor(path: string, gate: AdminGate, publish: (key: string) => void, log: Logger) {
    this.#path = path;
    this.#gate = gate;
    this.#publish = publish;
    this.#log = log;
  }

  watch(): void {
    if (this.#watch !== null) return;
    process.on('SIGHUP', this.#onSignal);
    this.#watch = new SettledFileWatch(this.#path, WATCH_INTERVAL_MS, () => this.reload('file changed'));
  }

  stop(): void {
    if (this.#watch === null) return;
    process.off('SIGHUP', this.#onSignal);
    this.#watch.stop();
    this.#watch = null;
  }

  /** Reads the file again; true when its key is in use (changed or not). */
  reload(reason: string): boolean {
    let key: string;
    try {
      key = readApiKeyFile(this.#path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.#log.warn({ reason, error: err.message }, 'API key file not reloaded; keeping the key in use');
      return false;
    }
    const changed = key !== this.#gate.key;
    if (changed) {
      this.#gate.key = key;
      this.#publish(key);
    }
    this.#log.info({ reason, changed }, 'API key file reloaded');
    return true;
  }
}
