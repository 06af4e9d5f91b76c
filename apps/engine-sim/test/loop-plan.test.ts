// The committed fixture loops seamlessly: timestamps and continuity counters run on across boundaries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readPid, TIMESTAMP_WRAP, TS_PACKET_SIZE, TsDemuxer } from '@shardcast/mpegts';
import { LoopPlanError, planLoop } from '../src/loop-plan.js';
import { LoopRenderer } from '../src/loop-renderer.js';
import { DEFAULT_FIXTURE } from '../src/options.js';
import { checkTs, strictlyIncreasing } from './helpers.js';

const bytes = new Uint8Array(readFileSync(DEFAULT_FIXTURE));
const plan = planLoop(bytes, 2);
const VIDEO_PID = 0x100;

/** Demuxes loops [from, from + count) back to back; returns PCRs and video DTS (or PTS) in order. */
function replay(renderer: LoopRenderer, from: number, count: number) {
  const d = new TsDemuxer();
  const pcr: number[] = [];
  const dts: number[] = [];
  const parts = Array.from({ length: count }, (_, k) => renderer.loop(from + k));
  for (const part of parts) {
    for (const e of d.push(part).events) {
      if (e.kind === 'pcr') pcr.push(e.pcr);
      if (e.kind === 'video') dts.push(e.dts >= 0 ? e.dts : e.pts);
    }
  }
  return { pcr, dts, stats: d.stats, all: Buffer.concat(parts) };
}

describe('loop plan of the committed fixture', () => {
  it('is 8.000 s of CBR at 141 000 bytes/s with 2 s GOP-aligned segments', () => {
    assert.equal(plan.packetCount, 6000);
    assert.equal(plan.duration90k, 720_000);
    assert.equal(plan.bytesPerSecond, 141_000);
    assert.deepEqual(
      plan.segments.map((s) => s.durationS),
      [2, 2, 2, 2],
    );
    // Every segment opens with a PAT.
    for (const s of plan.segments) assert.equal(readPid(bytes, s.start * TS_PACKET_SIZE), 0);
    assert.equal(plan.segments.at(-1)!.end, plan.segments[0]!.start + plan.packetCount);
  });

  it('paces packets by PCR: times rise from 0 to just under the loop duration', () => {
    assert.equal(plan.packetTimes[0], 0);
    assert.ok(strictlyIncreasing(Array.from(plan.packetTimes)));
    assert.ok(plan.packetTimes[plan.packetCount - 1]! < plan.durationS);
  });

  it('keeps PCR, DTS and continuity counters seamless across loop boundaries', () => {
    const { pcr, dts, stats, all } = replay(new LoopRenderer(plan), 3, 3);
    assert.equal(stats.continuityErrors, 0);
    assert.ok(strictlyIncreasing(pcr));
    assert.ok(strictlyIncreasing(dts));
    assert.equal(checkTs(all, VIDEO_PID).ccErrors, 0);
    // Loop 4 is loop 3 shifted by exactly D.
    assert.equal(pcr[pcr.length / 3]! - pcr[0]!, plan.duration90k * 300);
  });

  it('wraps 33-bit timestamps modulo 2^33 without breaking continuity counters', () => {
    const wrapLoop = Math.floor(TIMESTAMP_WRAP / plan.duration90k);
    const { dts, stats } = replay(new LoopRenderer(plan), wrapLoop, 2);
    assert.equal(stats.continuityErrors, 0);
    assert.ok(dts.every((t) => t >= 0 && t < TIMESTAMP_WRAP));
    assert.ok(
      dts.some((t, i) => i > 0 && t < dts[i - 1]!),
      'the wrap is inside these two loops',
    );
  });

  it('refuses bytes that are not whole packets', () => {
    assert.throws(() => planLoop(bytes.subarray(0, 1000), 2), LoopPlanError);
    assert.throws(() => planLoop(new Uint8Array(188), 2), LoopPlanError);
  });
});
