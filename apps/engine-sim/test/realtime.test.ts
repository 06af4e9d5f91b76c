// Read >= 10 s of a playback stream over HTTP from the shardcast-engine-sim CLI at --rate 1: every packet
// starts with 0x47, continuity counters are continuous per PID, PCR is monotonic across loop boundaries,
// the content's own bitrate is nominal (fixture bytes / 8 s), and delivery is paced to real time: never
// ahead of the content clock. A slow machine may deliver late; it takes longer and still passes.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CONTENT_ID, checkTs, readStream, spawnSim, startSession, strictlyIncreasing } from './helpers.js';

const NOMINAL_BYTES_PER_SECOND = 1_128_000 / 8;
const FIXTURE_BYTES = 1_128_000;
const CONTENT_S = 10.5;
const PCR_HZ = 27_000_000;
/** A pacing tick or two: the first batch goes out at once. */
const TICK_SLACK_MS = 250;
const VIDEO_PID = 0x100;

describe('real-time playback from the CLI at --rate 1', () => {
  let child: ChildProcess;
  let url: string;
  before(async () => {
    ({ child, url } = await spawnSim(['--rate', '1']));
  });
  after(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('delivers >= 10 s of valid, seamless TS at the nominal bitrate, paced to real time', async () => {
    const s = await startSession(url, `id=${CONTENT_ID}&pid=realtime`);
    const want = Math.ceil(NOMINAL_BYTES_PER_SECOND * CONTENT_S);
    const read = await readStream(s.playback_url, want, 120_000);
    assert.equal(read.status, 200);
    assert.equal(read.headers['content-type'], 'video/mp2t');
    assert.equal(read.end, 'limit', `the stream ended early (${read.body.length} of ${want} bytes)`);
    const whole = read.body.subarray(0, read.body.length - (read.body.length % 188));
    const ts = checkTs(whole, VIDEO_PID);
    assert.equal(ts.syncErrors, 0, 'every packet starts with 0x47');
    assert.equal(ts.ccErrors, 0, 'continuity counters continuous per PID');
    // More bytes than one loop in one contiguous read: at least one loop boundary was crossed.
    assert.ok(whole.length > FIXTURE_BYTES, `${whole.length} bytes cannot span a loop boundary`);
    assert.ok(strictlyIncreasing(ts.pcrs), 'PCR strictly increasing across loop boundaries');
    const spanS = (ts.pcrs.at(-1)! - ts.pcrs[0]!) / PCR_HZ;
    assert.ok(spanS >= 10, `only ${spanS.toFixed(2)} s of content`);
    // The content's bitrate, by its own clock, is the fixture's.
    const ratio = whole.length / spanS / NOMINAL_BYTES_PER_SECOND;
    assert.ok(Math.abs(ratio - 1) <= 0.02, `content bitrate ${(ratio * 100).toFixed(1)} % of nominal`);
    // Real time: the span of content took at least as long to arrive as it lasts.
    assert.ok(
      read.elapsedMs >= spanS * 1000 - TICK_SLACK_MS,
      `${spanS.toFixed(2)} s of content arrived in ${read.elapsedMs.toFixed(0)} ms: faster than real time`,
    );
  });
});
