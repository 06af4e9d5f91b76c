// The zapping benchmark's figures: the first decodable video packet is found after PAT and PMT however the
// bytes are split into reads, and not before PSI or in bytes without a keyframe; nearest-rank percentiles.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import {
  isRandomAccessPacket,
  parsePmtPacket,
  readPid,
  TS_PACKET_SIZE,
  type VideoCodec,
} from '@shardcast/mpegts';
import fc from 'fast-check';
import { KeyframeWatch, percentile } from '../src/bench/zap.js';

const fixture = readFileSync(DEFAULT_FIXTURE);

/** Offset of the packet after which the watch must report (the fixture's first keyframe), found directly. */
function firstKeyframeEnd(): number {
  let video = -1;
  let codec: VideoCodec | null = null;
  for (let off = 0; off + TS_PACKET_SIZE <= fixture.length; off += TS_PACKET_SIZE) {
    const pid = readPid(fixture, off);
    if (video < 0) {
      const pmt = pid > 0x1f ? parsePmtPacket(fixture, off) : null;
      if (pmt?.video) {
        video = pmt.video.pid;
        codec = pmt.video.codec as VideoCodec;
      }
      continue;
    }
    if (pid === video && isRandomAccessPacket(fixture, off, codec)) return off + TS_PACKET_SIZE;
  }
  throw new Error('fixture without keyframe');
}

test('the keyframe is reported in the read that completes its packet, however reads are cut', () => {
  const end = firstKeyframeEnd();
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: end + 4000 }), { maxLength: 12 }), (cuts) => {
      const w = new KeyframeWatch();
      let at = 0;
      let reportedAt = -1;
      for (const c of [...new Set(cuts)].sort((a, b) => a - b).concat(end + 5000)) {
        if (w.push(fixture.subarray(at, c)) && reportedAt < 0) reportedAt = c;
        at = c;
      }
      // Reported by the first read whose end reaches the keyframe packet's end, not earlier.
      const sorted = [...new Set(cuts)].sort((a, b) => a - b).concat(end + 5000);
      assert.equal(
        reportedAt,
        sorted.find((c) => c >= end),
      );
    }),
    { numRuns: 100 },
  );
});

test('no keyframe before PAT/PMT or in bytes with no video start', () => {
  const w = new KeyframeWatch();
  assert.equal(w.push(Buffer.alloc(TS_PACKET_SIZE * 20, 0)), false, 'zeros are not packets');
  assert.equal(
    new KeyframeWatch().push(fixture.subarray(0, firstKeyframeEnd() - 1)),
    false,
    'one byte short',
  );
  // The keyframe packet without the PAT/PMT before it: the watch does not know the video PID yet.
  const end = firstKeyframeEnd();
  assert.equal(
    new KeyframeWatch().push(fixture.subarray(end - TS_PACKET_SIZE, end + 100 * TS_PACKET_SIZE)),
    false,
  );
});

test('nearest-rank percentiles', () => {
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.equal(percentile([5], 99), 5);
  assert.equal(percentile([4, 1, 3, 2], 50), 2);
  assert.equal(percentile([4, 1, 3, 2], 99), 4);
  assert.equal(
    percentile(
      Array.from({ length: 100 }, (_, i) => i + 1),
      99,
    ),
    99,
  );
});
