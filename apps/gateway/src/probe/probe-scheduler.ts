/**
 * When to probe (main thread): shortly after a stream is ready, shortly after each generation change (new
 * upstream or engine), every `intervalMs` while it lives, and a few quick follow-ups while the samples are
 * too short to tell everything. The short delay keeps analysis away from a stream's first moments (the
 * owner is busy starting it, clients are joining) and lets the ring gather media worth probing. At most one
 * job per stream is in flight. Main hands the pool the ring's handles and keeps the answers; it never
 * reads a media byte itself.
 */
import { isComplete, type MediaInfo } from '@shardcast/media-probe';
import type { RingHandles } from '@shardcast/ring';
import type { Logger } from '../log.js';
import type { ProbeTask } from './probe-job.js';
import type { PoolOutcome } from './probe-pool.js';

export const PROBE_INTERVAL_MS = 30_000;
/** Delay after ready or a generation change before probing. */
export const PROBE_SETTLE_MS = 2000;
const RETRY_MS = 2000;
const MAX_RETRIES = 5;
const TICK_MS = 1000;
/** ~4 s of a 8 Mbit/s stream: several GOPs of anything a gateway carries. */
export const PROBE_MAX_BYTES = 4 * 1024 * 1024;

/** What the scheduler needs to know about a stream (StreamEntry fits). */
export interface ProbeTarget {
  readonly id: number;
  readonly token: string;
  readonly state: string;
  readonly ring: RingHandles;
  readonly control: { generation(): number };
}

export interface ProbeTargets {
  entries(): Iterable<ProbeTarget>;
  byId(id: number): ProbeTarget | undefined;
}

export interface ProbeRunner {
  run(task: ProbeTask): Promise<PoolOutcome>;
}

/** `media` of `/api/v1/streams/<id>`: the probe's answer plus when and for which generation. */
export type StreamMedia = MediaInfo & { readonly probed_at: string; readonly generation: number };

export type ProbeResult = 'ok' | 'no-data' | 'torn' | 'no-program' | 'shed' | 'error';

interface StreamProbe {
  inFlight: boolean;
  /** When the last probe started; 0 = never. */
  lastAtMs: number;
  /** No probe before this (settling after ready or an upstream change). */
  notBeforeMs: number;
  /** Generation the last probe was asked for. */
  generation: number;
  /** A new generation seen by tick(), waiting out the settle delay. */
  pendingGeneration: number;
  retries: number;
  media: StreamMedia | null;
  fingerprint: string;
}

export interface ProbeSchedulerOptions {
  readonly intervalMs?: number;
  readonly maxBytes?: number;
  readonly now?: () => number;
}

export class ProbeScheduler {
  readonly #targets: ProbeTargets;
  readonly #runner: ProbeRunner;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #streams = new Map<number, StreamProbe>();
  readonly #results = new Map<ProbeResult, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(targets: ProbeTargets, runner: ProbeRunner, log: Logger, opts: ProbeSchedulerOptions = {}) {
    this.#targets = targets;
    this.#runner = runner;
    this.#log = log;
    this.#intervalMs = opts.intervalMs ?? PROBE_INTERVAL_MS;
    this.#maxBytes = opts.maxBytes ?? PROBE_MAX_BYTES;
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.tick(), TICK_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The stream became playable: probe it once it settled. */
  streamReady(id: number): void {
    const target = this.#targets.byId(id);
    if (!target || this.#streams.has(id)) return;
    const generation = target.control.generation();
    this.#streams.set(id, {
      inFlight: false,
      lastAtMs: 0,
      notBeforeMs: this.#now() + PROBE_SETTLE_MS,
      generation,
      pendingGeneration: generation,
      retries: 0,
      media: null,
      fingerprint: '',
    });
  }

  forget(id: number): void {
    this.#streams.delete(id);
  }

  media(id: number): StreamMedia | null {
    return this.#streams.get(id)?.media ?? null;
  }

  /** Every stream's latest media, for the Prometheus info metric. */
  *allMedia(): IterableIterator<[number, StreamMedia]> {
    for (const [id, s] of this.#streams) if (s.media !== null) yield [id, s.media];
  }

  /** Probe outcomes since start, by result. */
  results(): ReadonlyMap<ProbeResult, number> {
    return this.#results;
  }

  /** One scheduling pass (the timer calls it every second; tests may call it directly). */
  tick(): void {
    const now = this.#now();
    for (const target of this.#targets.entries()) {
      if (target.state !== 'live') continue;
      const s = this.#streams.get(target.id);
      if (!s || s.inFlight) continue;
      const generation = target.control.generation();
      if (generation !== s.generation && generation !== s.pendingGeneration) {
        s.pendingGeneration = generation;
        s.notBeforeMs = now + PROBE_SETTLE_MS;
      }
      if (now < s.notBeforeMs) continue;
      const since = now - s.lastAtMs;
      const due =
        s.lastAtMs === 0 ||
        generation !== s.generation ||
        since >= this.#intervalMs ||
        (s.retries < MAX_RETRIES && since >= RETRY_MS && (s.media === null || !isComplete(s.media)));
      if (due) this.#probe(target, s);
    }
  }

  #probe(target: ProbeTarget, s: StreamProbe): void {
    if (s.inFlight) return;
    s.inFlight = true;
    s.lastAtMs = this.#now();
    const generation = target.control.generation();
    if (generation !== s.generation) s.retries = 0;
    s.generation = generation;
    void this.#runner
      .run({ ring: target.ring, maxBytes: this.#maxBytes })
      .then((out) => {
        s.inFlight = false;
        this.#count(out.ok ? 'ok' : out.reason);
        // The stream closed meanwhile: its answer has nowhere to go.
        if (this.#streams.get(target.id) !== s) return;
        if (!out.ok || !isComplete(out.media)) s.retries++;
        if (!out.ok) return;
        s.media = {
          ...out.media,
          probed_at: new Date(this.#now()).toISOString(),
          generation: out.generation,
        };
        this.#logChange(target, s);
      })
      .catch((err: unknown) => {
        // Never an unhandled rejection on main for an optional analysis.
        s.inFlight = false;
        this.#log.error({ err, stream: target.token }, 'probe result handling failed');
      });
  }

  #count(result: ProbeResult): void {
    this.#results.set(result, (this.#results.get(result) ?? 0) + 1);
  }

  /** One log line per stream when what it carries is first known or changes (not per probe). */
  #logChange(target: ProbeTarget, s: StreamProbe): void {
    const m = s.media!;
    const v = m.video;
    const a = m.audio;
    const fingerprint = `${v?.codec}/${v?.profile}/${v?.width}x${v?.height}@${v?.frame_rate}|${a?.codec}/${a?.sample_rate}/${a?.channels}`;
    if (fingerprint === s.fingerprint) return;
    s.fingerprint = fingerprint;
    this.#log.info(
      {
        stream: target.token,
        video: v && {
          codec: v.codec,
          profile: v.profile,
          width: v.width,
          height: v.height,
          fps: v.frame_rate,
        },
        audio: a && { codec: a.codec, sampleRate: a.sample_rate, channels: a.channels },
      },
      'stream media probed',
    );
  }
}
