/**
 * Runs a set of players in this thread: the cold players first (one per stream, waited for, so the rest
 * join warm streams), then the others spread evenly over the ramp-up, all ended at the deadline. One timer
 * drives everything (starts, playout, read timeouts), so thousands of players cost one wake-up per tick.
 */
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodeHistogram } from '../util/histogram.js';
import { PlayerContext } from './context.js';
import { HlsPlayer } from './hls-player.js';
import { TsPlayer } from './ts-player.js';
import {
  type Counters,
  HIST_NAMES,
  type HistName,
  type PartialResult,
  type PlayerSpec,
  type PlayersOptions,
  type Target,
} from './types.js';

const TICK_MS = 50;
const LOOP_DELAY_RESOLUTION_MS = 10;
// Ramp steps no finer than this: players due in the same step start together.
const MIN_STEP_MS = 5;

type Player = TsPlayer | HlsPlayer;

export class PlayersRun {
  readonly ctx: PlayerContext;
  readonly #players: Player[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #windowClosedMs = 0;
  // The generator's own event-loop delay: when it is high, late bytes may be the generator's fault.
  readonly #loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  #wake: () => void = () => {};

  constructor(options: PlayersOptions, target: Target) {
    this.ctx = new PlayerContext(options, target);
  }

  /** Ends the prewarm or the run at the next step (Ctrl-C): the report covers what ran. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  get counters(): Counters {
    return this.ctx.counters;
  }

  #make(spec: PlayerSpec): Player {
    const p = spec.kind === 'ts' ? new TsPlayer(this.ctx, spec) : new HlsPlayer(this.ctx, spec);
    this.#players.push(p);
    return p;
  }

  /** Starts `specs` at once and waits until each joined or failed, at most `timeoutMs`. */
  async prewarm(specs: readonly PlayerSpec[], timeoutMs: number): Promise<void> {
    this.#ensureTicking();
    const joins = specs.map((s) => {
      const p = this.#make(s);
      p.start();
      return p.joined;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(joins),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        this.#wake = resolve;
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Starts `specs` evenly between `startMs` and `startMs + rampMs` (Date.now() clock, shared by threads),
   * opens the measurement window at `windowMs` and ends everything at `endMs`.
   */
  run(
    specs: readonly PlayerSpec[],
    startMs: number,
    rampMs: number,
    windowMs: number,
    endMs: number,
  ): Promise<void> {
    this.#ensureTicking();
    let next = 0;
    const spacing = specs.length > 1 ? rampMs / specs.length : 0;
    return new Promise((resolve) => {
      const step = (): void => {
        const now = Date.now();
        while (next < specs.length && now >= startMs + next * spacing) this.#make(specs[next++]!).start();
        if (!this.ctx.windowOpen && now >= windowMs) this.ctx.windowOpen = true;
        if (now >= endMs || this.#stopped) {
          // Bytes that arrive after this (a starved thread catching up) stay out of the window.
          this.ctx.windowOpen = false;
          this.#windowClosedMs = now;
          clearInterval(driver);
          resolve();
        }
      };
      const driver = setInterval(step, Math.min(TICK_MS, Math.max(MIN_STEP_MS, spacing)));
      step();
    });
  }

  #ensureTicking(): void {
    if (this.#timer) return;
    this.#loopDelay.enable();
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const p of this.#players) p.tick(now);
    }, TICK_MS);
  }

  /** Ends every player and returns this thread's results. */
  finish(): PartialResult {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#loopDelay.disable();
    const now = performance.now();
    for (const p of this.#players) p.finish(now);
    const ctx = this.ctx;
    const histograms = {} as Record<HistName, string>;
    for (const n of HIST_NAMES)
      histograms[n] = ctx.hist[n].totalCount > 0 ? encodeHistogram(ctx.hist[n]) : '';
    return {
      counters: { ...ctx.counters },
      totals: { ...ctx.totals },
      errorsByKind: Object.fromEntries(ctx.errorsByKind),
      histograms,
      windowBytes: ctx.windowBytes,
      windowSegments: ctx.windowSegments,
      stallsBySecond: Object.fromEntries(ctx.stallsBySecond),
      windowClosedMs: this.#windowClosedMs || Date.now(),
      loopDelayP99Ms: this.#loopDelay.count > 0 ? this.#loopDelay.percentile(99) / 1e6 : 0,
      loopDelayMaxMs: this.#loopDelay.count > 0 ? this.#loopDelay.max / 1e6 : 0,
    };
  }
}
