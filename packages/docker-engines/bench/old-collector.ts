/**
 * The stats collector of the system Shardcast replaces, for comparison: every 2 s it lists
 * every container on the host, then asks `stats?stream=false` (the daemon waits for two samples, 1–2 s)
 * for each engine container. `sequential` is how the old code ran (one call after another); `burst` fires
 * the whole cycle's calls at once, the "fast" variant with the biggest spikes.
 */
import { request } from 'node:http';

const FIXED_INTERVAL_MS = 2000;
const CALL_TIMEOUT_MS = 10_000;

export type OldMode = 'sequential' | 'burst';

interface Container {
  Id: string;
  Labels?: Record<string, string>;
}

function get(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: CALL_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export class OldCollector {
  /** Container id → wall-clock ms of its latest sample. */
  readonly sampledAt = new Map<string, number>();
  readonly #socketPath: string;
  readonly #mode: OldMode;
  readonly #label: string;
  #running = false;
  #loop: Promise<void> | null = null;

  constructor(socketPath: string, mode: OldMode, label = 'shardcast.engine') {
    this.#socketPath = socketPath;
    this.#mode = mode;
    this.#label = label;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const all = (await get(this.#socketPath, '/containers/json').catch(() => [])) as Container[];
      const engines = all.filter((c) => c.Labels?.[this.#label] !== undefined);
      const sample = async (c: Container) => {
        await get(this.#socketPath, `/containers/${c.Id}/stats?stream=false`).catch(() => null);
        this.sampledAt.set(c.Id, Date.now());
      };
      if (this.#mode === 'burst') await Promise.all(engines.map(sample));
      else for (const c of engines) if (this.#running) await sample(c);
      await new Promise((r) => setTimeout(r, FIXED_INTERVAL_MS));
    }
  }
}
