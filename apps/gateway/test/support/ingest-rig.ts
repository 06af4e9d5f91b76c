// An owner's Ingest on its own, outside any shard: the set-up of the ingest tests (what it lets into the
// ring, its pacing brake). 2 s segments, cut at 6 s at the latest; a new stream's first generation.
import { coldStartPlan } from '@shardcast/hls';
import type { RingWriter } from '@shardcast/ring';
import type { HlsTiming } from '../../src/hls-timing.js';
import { Ingest } from '../../src/shard/owner/ingest.js';

const INGEST_TIMING: HlsTiming = {
  targetSeconds: 2,
  maxSeconds: 6,
  targetDuration: 6,
  windowSeconds: 30,
  viewerTimeoutMs: 30_000,
  coldStart: coldStartPlan(2, 6),
  firstSegmentDeadlineMs: 20_000,
};

/** An Ingest writing through `writer`: generation 0, segment and discontinuity numbers from 0. */
export function testIngest(writer: RingWriter): Ingest {
  return new Ingest(writer, 0, INGEST_TIMING, { seq: 0, discontinuitySeq: 0, resumed: false });
}
