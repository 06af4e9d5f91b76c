// The engine's own HLS output from the same endless loop (RFC 8216): a live media playlist over a sliding
// window of GOP-aligned segments, a constant target duration and a media sequence that only grows, because
// segment numbers are global: segment s is segment (s mod S) of loop floor(s / S).
import { TS_PACKET_SIZE } from '@shardcast/mpegts';
import type { LiveClock } from './clock.js';
import type { LoopRenderer } from './loop-renderer.js';

/** Segments listed in the playlist. */
export const DEFAULT_HLS_WINDOW = 6;
// Segments that left the window stay downloadable this many extra windows (RFC 8216 §6.2.2).
const GRACE_WINDOWS = 2;

export interface PlaylistOptions {
  /** Content time (s) the playlist is rendered at (the live position, or a frozen one for faults). */
  readonly at: number;
  /** Wall clock (ms since epoch) that corresponds to `at`, for EXT-X-PROGRAM-DATE-TIME. */
  readonly wallMs: number;
  readonly segmentUrl: (seq: number) => string;
  readonly ended: boolean;
}

export class HlsLive {
  readonly #clock: LiveClock;
  readonly #renderer: LoopRenderer;
  readonly #window: number;
  readonly targetDuration: number;

  constructor(clock: LiveClock, renderer: LoopRenderer, window = DEFAULT_HLS_WINDOW) {
    this.#clock = clock;
    this.#renderer = renderer;
    this.#window = window;
    const longest = Math.max(...renderer.plan.segments.map((s) => s.durationS));
    // §4.3.3.1: every EXTINF rounded to the nearest integer must be <= the target duration.
    this.targetDuration = Math.max(1, Math.round(longest));
  }

  /** Global packet range [start, end) of segment `seq`. */
  range(seq: number): [number, number] {
    const { segments, packetCount } = this.#renderer.plan;
    const loop = Math.floor(seq / segments.length);
    const seg = segments[seq - loop * segments.length]!;
    return [loop * packetCount + seg.start, loop * packetCount + seg.end];
  }

  durationS(seq: number): number {
    const segments = this.#renderer.plan.segments;
    return segments[((seq % segments.length) + segments.length) % segments.length]!.durationS;
  }

  /** Newest segment whose last packet is due by content time `t`. */
  lastComplete(t: number): number {
    const per = this.#renderer.plan.segments.length;
    let seq = (Math.floor(t / this.#renderer.plan.durationS) + 2) * per;
    while (seq > 0 && this.#clock.packetTime(this.range(seq)[1]) > t) seq--;
    return seq;
  }

  /** True while segment `seq` may be fetched at content time `t`. */
  available(seq: number, t: number): boolean {
    const last = this.lastComplete(t);
    return Number.isSafeInteger(seq) && seq <= last && seq > last - this.#window * (1 + GRACE_WINDOWS);
  }

  /** The segment's bytes as views of rendered loops (two when it wraps into the next loop). */
  segment(seq: number): Buffer[] {
    const [start, end] = this.range(seq);
    const n = this.#renderer.plan.packetCount;
    const parts: Buffer[] = [];
    for (let g = start; g < end; ) {
      const loop = Math.floor(g / n);
      const stop = Math.min(end, (loop + 1) * n);
      parts.push(
        this.#renderer
          .loop(loop)
          .subarray((g - loop * n) * TS_PACKET_SIZE, (stop - loop * n) * TS_PACKET_SIZE),
      );
      g = stop;
    }
    return parts;
  }

  playlist(o: PlaylistOptions): string {
    const last = this.lastComplete(o.at);
    const first = Math.max(0, last - this.#window + 1);
    const firstStart = this.#clock.packetTime(this.range(first)[0]);
    const pdt = new Date(o.wallMs - (o.at - firstStart) * 1000).toISOString();
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      `#EXT-X-TARGETDURATION:${this.targetDuration}`,
      `#EXT-X-MEDIA-SEQUENCE:${first}`,
      // Every segment opens with PAT, PMT and a keyframe.
      '#EXT-X-INDEPENDENT-SEGMENTS',
      `#EXT-X-PROGRAM-DATE-TIME:${pdt}`,
    ];
    for (let seq = first; seq <= last; seq++) {
      lines.push(`#EXTINF:${this.durationS(seq).toFixed(3)},`, o.segmentUrl(seq));
    }
    if (o.ended) lines.push('#EXT-X-ENDLIST');
    return `${lines.join('\n')}\n`;
  }
}
