// Test helper: drives a Segmenter the way the owner pump does, from a synthetic elementary stream.
import type { Segment } from '../src/index.js';
import type { Segmenter } from '../src/segmenter.js';

export const PACKET = 188;
export const PTS_HZ = 90_000;
export const PTS_WRAP = 2 ** 33;

/** One video access unit of the synthetic stream. */
export interface Frame {
  /** Decode-order PTS offset from the stream start, in 90 kHz ticks (may reorder for B-frames). */
  readonly pts: number;
  readonly key: boolean;
  /** TS packets the frame occupies. */
  readonly packets: number;
}

/** Which timing the synthetic stream exposes to the segmenter. */
export type Timing = 'pts' | 'pcr' | 'wall';

/** Feeds frames to a segmenter, tracking cursor, PTS base, PCR and wall clock. */
export class Feeder {
  cursor = 0;
  readonly segments: Segment[] = [];
  constructor(
    readonly seg: Segmenter,
    readonly timing: Timing = 'pts',
    public ptsBase = 0,
    public wallMs = 1_700_000_000_000,
  ) {}

  #take(out: readonly Segment[]): void {
    for (const s of out) this.segments.push(s);
  }

  /** Bytes before any frame (e.g. a stream joined mid-GOP): `packets` packets of no interest. */
  junk(packets: number): void {
    this.cursor += packets * PACKET;
  }

  /** Feeds frames; `t0Ms` is the wall time of frame 0 (frames arrive in real time). */
  frames(list: readonly Frame[]): void {
    const startPts = list[0]?.pts ?? 0;
    const startWall = this.wallMs;
    for (const f of list) {
      const pts = (this.ptsBase + f.pts) % PTS_WRAP;
      const now = startWall + Math.round(((f.pts - startPts) * 1000) / PTS_HZ);
      // One ingest chunk per frame: the pump ticks first, then feeds that chunk's events.
      this.#take(this.seg.tick(now, this.cursor));
      this.wallMs = now;
      if (this.timing === 'pcr') {
        // PCR runs ~700 ms behind PTS; in 27 MHz units (ISO/IEC 13818-1 §2.4.2.2).
        const pcr = (((pts - 63_000 + PTS_WRAP) % PTS_WRAP) * 300) % (PTS_WRAP * 300);
        this.#take(this.seg.pcr(this.cursor, pcr));
      }
      if (f.key) this.#take(this.seg.randomAccess(this.cursor, this.timing === 'pts' ? pts : undefined));
      else if (this.timing === 'pts') this.#take(this.seg.videoPes(this.cursor, pts));
      this.cursor += f.packets * PACKET;
    }
  }

  discontinuity(generation: number): void {
    this.#take(this.seg.discontinuity(this.cursor, generation));
  }

  flush(): void {
    this.#take(this.seg.flush(this.cursor));
  }
}

/** Frames at `fps` for `seconds`, a keyframe every `gopSeconds` (0 = only the first frame). */
export function gopFrames(seconds: number, fps: number, gopSeconds: number, startPts = 0): Frame[] {
  const out: Frame[] = [];
  const n = Math.round(seconds * fps);
  const gop = gopSeconds > 0 ? Math.max(1, Math.round(gopSeconds * fps)) : Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    out.push({ pts: startPts + Math.round((i * PTS_HZ) / fps), key: i % gop === 0, packets: 3 });
  }
  return out;
}

/** Frames built from a list of GOP lengths (seconds). */
export function gopsFrames(gops: readonly number[], fps: number, startPts = 0): Frame[] {
  const out: Frame[] = [];
  let t = 0;
  for (const g of gops) {
    const n = Math.max(1, Math.round(g * fps));
    for (let i = 0; i < n; i++) {
      out.push({ pts: startPts + Math.round(((t + i) * PTS_HZ) / fps), key: i === 0, packets: 2 + (i % 3) });
    }
    t += n;
  }
  return out;
}

/** EXTINF as a player sees it: the 3-decimal value, rounded to the nearest integer (RFC 8216 §4.3.3.1). */
export function roundedExtinf(durationUs: number): number {
  return Math.round(Math.round(durationUs / 1000) / 1000);
}
