/**
 * Main's view of the channel catalog for playback: which channel a key names, the order in which a
 * channel's sources are tried, and each source's last result. A source that failed goes to the back of the
 * order for the penalty time (`--source-penalty-seconds`), across the channel's stream lifetimes, so a dead
 * AceStream id is not retried first by every new viewer.
 */
import type { Catalog, Channel } from '../channels/catalog.js';
import { type ChannelSource, sourceText } from '../channels/source.js';

export interface SourceResult {
  readonly result: 'ok' | 'failed';
  /** Why it failed (null when ok). */
  readonly reason: string | null;
  readonly atMs: number;
  /** Until when it is tried last (failed only). */
  readonly penaltyUntilMs: number;
}

export class ChannelSources {
  #byId = new Map<string, Channel>();
  #catalog: Catalog = { channels: [] };
  readonly #results = new Map<string, SourceResult>();
  readonly #penaltyMs: number;

  constructor(penaltySeconds: number) {
    this.#penaltyMs = penaltySeconds * 1000;
  }

  get catalog(): Catalog {
    return this.#catalog;
  }

  /** Replaces the catalog (start-up, reload, admin writes). Results of sources still listed are kept. */
  set(catalog: Catalog): void {
    this.#catalog = catalog;
    this.#byId = new Map(catalog.channels.map((c) => [c.id, c]));
    const listed = new Set(catalog.channels.flatMap((c) => c.sources.map((s) => resultKey(c.id, s))));
    for (const k of this.#results.keys()) if (!listed.has(k)) this.#results.delete(k);
  }

  get(id: string): Channel | undefined {
    return this.#byId.get(id);
  }

  /**
   * Indices of `sources` to try, best first, leaving out `exclude`: sources in list order, except that
   * those still under a penalty come last (the one whose penalty ends first, first).
   */
  order(
    channelId: string,
    sources: readonly ChannelSource[],
    exclude: ReadonlySet<number>,
    nowMs: number,
  ): number[] {
    const fresh: number[] = [];
    const penalised: Array<[number, number]> = [];
    for (let i = 0; i < sources.length; i++) {
      if (exclude.has(i)) continue;
      const r = this.#results.get(resultKey(channelId, sources[i]!));
      if (r && r.result === 'failed' && r.penaltyUntilMs > nowMs) penalised.push([i, r.penaltyUntilMs]);
      else fresh.push(i);
    }
    penalised.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    return [...fresh, ...penalised.map(([i]) => i)];
  }

  failed(channelId: string, source: ChannelSource, reason: string, nowMs: number): void {
    this.#results.set(resultKey(channelId, source), {
      result: 'failed',
      reason,
      atMs: nowMs,
      penaltyUntilMs: nowMs + this.#penaltyMs,
    });
  }

  succeeded(channelId: string, source: ChannelSource, nowMs: number): void {
    this.#results.set(resultKey(channelId, source), {
      result: 'ok',
      reason: null,
      atMs: nowMs,
      penaltyUntilMs: 0,
    });
  }

  result(channelId: string, source: ChannelSource): SourceResult | undefined {
    return this.#results.get(resultKey(channelId, source));
  }
}

function resultKey(channelId: string, s: ChannelSource): string {
  return `${channelId}\n${sourceText(s)}`;
}
