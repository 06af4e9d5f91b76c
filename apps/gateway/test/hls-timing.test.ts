// Window and retention bounds: the timing every thread derives from the configuration, and the
// relation between --ring-mb, the stream bitrate and RFC 8216 §6.2.2 retention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listingMarginBytes, listingMarginSeconds, requiredRingSeconds, Segmenter } from '@shardcast/hls';
import { capacityForBudget, TS_PACKET_SIZE } from '@shardcast/ring';
import { loadConfig } from '../src/config/load.js';
import { hlsTiming, windowOptions } from '../src/hls-timing.js';

const config = (...argv: string[]) => loadConfig(argv, {}).config;
const MIB = 1024 * 1024;

test('defaults: 4 s segments, constant target duration 6, a 30 s window, 30 s viewer timeout', () => {
  const t = hlsTiming(config());
  assert.equal(t.targetSeconds, 4);
  assert.equal(t.targetDuration, 6);
  assert.equal(t.windowSeconds, 30);
  assert.equal(t.viewerTimeoutMs, 30_000);
  // Cold start (see coldStartPlan): the first 4 s segment, answered 2 s after it ended; 10 s listed at once.
  assert.deepEqual(t.coldStart, {
    startTargetSeconds: [],
    minListedSeconds: 4,
    phaseSeconds: 2,
    enoughListedSeconds: 10,
  });
  assert.equal(t.firstSegmentDeadlineMs, 20_000);
  assert.equal(hlsTiming(config('--hls-viewer-timeout-seconds', '3')).viewerTimeoutMs, 3000);
});

test('the segmenter and every renderer agree on the target duration for any segment length', () => {
  for (const seconds of ['1', '2', '4', '5.5', '7', '10', '30']) {
    const t = hlsTiming(config('--hls-segment-seconds', seconds));
    const seg = new Segmenter({
      targetSeconds: t.targetSeconds,
      maxSeconds: t.maxSeconds,
      startTargetSeconds: t.coldStart.startTargetSeconds,
    });
    assert.equal(seg.targetDurationHeader, t.targetDuration, `segment seconds ${seconds}`);
    assert.ok(t.targetDuration >= t.targetSeconds);
    assert.ok(t.windowSeconds >= 3 * t.targetDuration, 'never shorter than 3 × TD (RFC 8216 §6.2.2)');
  }
});

test('the ring size needed for full retention, and what the default 48 MiB ring covers', () => {
  const t = hlsTiming(config());
  // W + 3 × (TD + 0.5) = 30 + 19.5.
  assert.equal(listingMarginSeconds(windowOptions(t)), 49.5);
  assert.equal(requiredRingSeconds(windowOptions(t)), 86);
  const ringBytes = capacityForBudget(48 * MIB) * TS_PACKET_SIZE;
  const maxBps = (ringBytes * 8) / requiredRingSeconds(windowOptions(t));
  // The README states this figure: full window and retention up to ~4.5 Mbit/s with the defaults.
  assert.ok(maxBps > 4.5e6 && maxBps < 4.7e6, `${maxBps} bit/s`);
});

test('the listing margin: full when the ring is big enough, shrunk (never negative) when it is not', () => {
  const t = hlsTiming(config());
  const bps = 2_000_000;
  const bytesPerSecond = bps / 8;
  assert.equal(listingMarginBytes(windowOptions(t), 100 * MIB, 0), 0, 'unknown bitrate: no margin');
  assert.equal(listingMarginBytes(windowOptions(t), 100 * MIB, bps), 49.5 * bytesPerSecond);
  // A 30 s ring: the margin leaves the newest 4 × TD = 24 s listable.
  const small = 30 * bytesPerSecond;
  assert.equal(listingMarginBytes(windowOptions(t), small, bps), small - 24 * bytesPerSecond);
  assert.equal(listingMarginBytes(windowOptions(t), 10 * bytesPerSecond, bps), 0);
});
