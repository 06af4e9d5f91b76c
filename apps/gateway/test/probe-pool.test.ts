// Stream insight: probe jobs run on a bounded piscina pool over the ring's shared memory (the
// job gets handles, never a copy), a full pool sheds jobs and counts them, and the scheduler probes on
// ready and after a generation change (once settled), periodically, and follows up while the answer is
// incomplete.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import type { MediaInfo } from '@shardcast/media-probe';
import { createRing, type RingHandles, RingWriter } from '@shardcast/ring';
import { pino } from 'pino';
import { type ProbeTask, sampleBuffer } from '../src/probe/probe-job.js';
import { type PoolOutcome, ProbePool } from '../src/probe/probe-pool.js';
import { PROBE_SETTLE_MS, ProbeScheduler, type ProbeTarget } from '../src/probe/probe-scheduler.js';

const fixture = readFileSync(DEFAULT_FIXTURE);
const FIXTURE = new Uint8Array(fixture.buffer, fixture.byteOffset, fixture.length);
const silent = pino({ level: 'silent' });

/** A ring holding the fixture, its first packets (PAT, PMT) as the PSI of a random-access point at 0. */
function fixtureRing(bytes = FIXTURE): RingHandles {
  const ring = createRing({ capacityPackets: 16384 });
  const w = new RingWriter(ring);
  w.write(bytes);
  w.markRandomAccess(0, FIXTURE.subarray(0, 2 * 188));
  return ring;
}

describe('ProbePool', () => {
  const pool = new ProbePool({ maxThreads: 1, maxQueue: 2 });
  after(() => pool.close());

  test('a job reads the ring from shared memory and reports the media', async () => {
    const out = await pool.run({ ring: fixtureRing(), maxBytes: 4 * 1024 * 1024 });
    assert.equal(out.ok, true);
    if (!out.ok) return;
    assert.equal(out.media.video?.codec, 'h264');
    assert.equal(out.media.video?.width, 640);
    assert.equal(out.media.video?.frame_rate, 25);
    assert.equal(out.media.audio?.sample_rate, 48000);
    assert.equal(out.generation, 0);
  });

  test('an empty ring is "no-data", not an error', async () => {
    const out = await pool.run({ ring: createRing({ capacityPackets: 1024 }), maxBytes: 1024 * 1024 });
    assert.deepEqual(out, { ok: false, reason: 'no-data', generation: 0 });
  });

  test('a burst beyond the queue bound is shed at once and counted', async () => {
    const ring = fixtureRing();
    const before = pool.stats;
    const runs: Promise<PoolOutcome>[] = [];
    for (let i = 0; i < 12; i++) runs.push(pool.run({ ring, maxBytes: 4 * 1024 * 1024 }));
    const outs = await Promise.all(runs);
    const shed = outs.filter((o) => !o.ok && o.reason === 'shed').length;
    const done = outs.filter((o) => o.ok).length;
    assert.ok(shed >= 12 - 3, `most of the burst was shed (${shed})`);
    assert.ok(done >= 1, 'the queued ones ran');
    assert.equal(pool.stats.shed - before.shed, shed);
    assert.equal(pool.stats.completed - before.completed, done);
  });
});

describe('ProbeScheduler', () => {
  const media = (complete: boolean): MediaInfo => ({
    video: {
      pid: 256,
      codec: 'h264',
      profile: 'Main',
      level: '3.0',
      width: 640,
      height: 360,
      frame_rate: 25,
      gop_frames: complete ? 25 : null,
      gop_seconds: complete ? 1 : null,
      interlaced: false,
    },
    audio: null,
    tracks: [],
    sampled_bytes: 1000,
    sampled_seconds: 1,
  });

  function harness() {
    let now = 1_000_000;
    let generation = 0;
    const ring = createRing({ capacityPackets: 1024 });
    const target: ProbeTarget = {
      id: 7,
      token: 'a'.repeat(40),
      state: 'live',
      ring,
      control: { generation: () => generation },
    };
    const calls: ProbeTask[] = [];
    let complete = false;
    const runner = {
      run: async (task: ProbeTask): Promise<PoolOutcome> => {
        calls.push(task);
        return { ok: true, media: media(complete), generation, parseMs: 1 };
      },
    };
    const targets = { entries: () => [target], byId: (id: number) => (id === 7 ? target : undefined) };
    const sched = new ProbeScheduler(targets, runner, silent, { intervalMs: 30_000, now: () => now });
    return {
      sched,
      calls,
      ring,
      advance: (ms: number) => {
        now += ms;
      },
      setGeneration: (g: number) => {
        generation = g;
      },
      setComplete: (c: boolean) => {
        complete = c;
      },
    };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  test('probes once settled after ready, follows up while incomplete, then every interval and after a generation change', async () => {
    const h = harness();
    h.sched.streamReady(7);
    h.sched.tick();
    assert.equal(h.calls.length, 0, 'not during the stream start');
    h.advance(PROBE_SETTLE_MS);
    h.sched.tick();
    await settle();
    assert.equal(h.calls.length, 1, 'probed once settled');
    assert.equal(h.calls[0]!.ring, h.ring, 'the job gets the ring handles themselves');
    assert.equal(h.sched.media(7)?.video?.gop_frames, null);
    h.advance(1000);
    h.sched.tick();
    assert.equal(h.calls.length, 1, 'no follow-up before the retry delay');
    h.setComplete(true);
    h.advance(1500);
    h.sched.tick();
    await settle();
    assert.equal(h.calls.length, 2, 'incomplete answer: followed up');
    assert.equal(h.sched.media(7)?.video?.gop_frames, 25);
    h.advance(5000);
    h.sched.tick();
    assert.equal(h.calls.length, 2, 'complete: no more follow-ups');
    h.setGeneration(1);
    h.sched.tick();
    assert.equal(h.calls.length, 2, 'a new upstream settles first');
    h.advance(PROBE_SETTLE_MS);
    h.sched.tick();
    await settle();
    assert.equal(h.calls.length, 3, 'generation change: probed again');
    assert.equal(h.sched.media(7)?.generation, 1);
    h.advance(29_000);
    h.sched.tick();
    assert.equal(h.calls.length, 3);
    h.advance(1000);
    h.sched.tick();
    await settle();
    assert.equal(h.calls.length, 4, 'periodic probe after the interval');
    h.sched.forget(7);
    assert.equal(h.sched.media(7), null);
    assert.equal(h.sched.results().get('ok'), 4);
  });

  test('at most one job per stream in flight', async () => {
    const h = harness();
    h.sched.streamReady(7);
    h.advance(PROBE_SETTLE_MS);
    h.sched.tick();
    h.setGeneration(3);
    h.advance(PROBE_SETTLE_MS);
    h.sched.tick();
    h.sched.streamReady(7);
    h.sched.tick();
    assert.equal(h.calls.length, 1);
    await settle();
  });
});

test("a probe thread's sample buffer is allocated once at its largest, not regrown for each new largest sample", () => {
  const max = 4 * 1024 * 1024;
  const first = sampleBuffer(10_000, max);
  assert.ok(first.length >= max + 188 * 4, `${first.length} bytes`);
  for (const total of [20_000, 1024 * 1024, max + 2 * 188]) assert.equal(sampleBuffer(total, max), first);
});
