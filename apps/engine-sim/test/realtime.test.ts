// Issue 2, "done means": read >= 10 s of a playback stream over HTTP from the shardcast-engine-sim CLI at
// --rate 1; every packet starts with 0x47, continuity counters are continuous per PID, PCR is monotonic
// across loop boundaries, and the delivered bitrate is within 5 % of nominal (fixture bytes / 8 s).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CONTENT_ID, checkTs, readStream, spawnSim, startSession, strictlyIncreasing } from './helpers.js';

const NOMINAL_BYTES_PER_SECOND = 1_128_000 / 8;
const FIXTURE_BYTES = 1_128_000;
const READ_MS = 10_500;
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

  it('delivers >= 10 s of valid, seamless TS at the nominal bitrate', async () => {
    const s = await startSession(url, `id=${CONTENT_ID}&pid=realtime`);
    const read = await readStream(s.playback_url, 50_000_000, READ_MS);
    assert.equal(read.status, 200);
    assert.equal(read.headers['content-type'], 'video/mp2t');
    const whole = read.body.subarray(0, read.body.length - (read.body.length % 188));
    const ts = checkTs(whole, VIDEO_PID);
    assert.equal(ts.syncErrors, 0, 'every packet starts with 0x47');
    assert.equal(ts.ccErrors, 0, 'continuity counters continuous per PID');
    // More bytes than one loop in one contiguous read: at least one loop boundary was crossed.
    assert.ok(whole.length > FIXTURE_BYTES, `${whole.length} bytes cannot span a loop boundary`);
    assert.ok(strictlyIncreasing(ts.pcrs), 'PCR strictly increasing across loop boundaries');
    assert.ok(read.elapsedMs >= 10_000, `read only ${read.elapsedMs} ms`);
    const rate = read.body.length / (read.elapsedMs / 1000);
    const ratio = rate / NOMINAL_BYTES_PER_SECOND;
    assert.ok(
      Math.abs(ratio - 1) <= 0.05,
      `delivered ${rate.toFixed(0)} B/s, ${(ratio * 100).toFixed(1)} % of nominal`,
    );
  });
});
