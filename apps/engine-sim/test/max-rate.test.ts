// --rate max: unpaced, as fast as the socket drains, still valid and seamless TS; many sessions at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EngineSim, startEngineSim } from '../src/index.js';
import { CONTENT_ID, checkTs, readStream, startSession, strictlyIncreasing } from './helpers.js';

const VIDEO_PID = 0x100;
const READ_BYTES = 12_000_000;

describe('unpaced playback', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, rate: 'max' });
  });
  after(() => sim.close());

  it('streams many loops back to back without a continuity or PCR error', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=max`);
    const read = await readStream(s.playback_url, READ_BYTES, 20_000);
    assert.equal(read.end, 'limit');
    const ts = checkTs(read.body.subarray(0, read.body.length - (read.body.length % 188)), VIDEO_PID);
    assert.equal(ts.syncErrors, 0);
    assert.equal(ts.ccErrors, 0);
    assert.ok(strictlyIncreasing(ts.pcrs));
    assert.ok(ts.packets * 188 > 10 * 1_128_000);
  });

  it('serves 50 concurrent sessions and counts their bytes', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 50 }, (_, i) => startSession(sim.url, `id=${CONTENT_ID}&pid=many-${i}`)),
    );
    assert.equal(new Set(sessions.map((s) => s.playback_session_id)).size, 50);
    const reads = await Promise.all(sessions.map((s) => readStream(s.playback_url, 200_000, 10_000)));
    for (const r of reads) {
      assert.equal(r.body.length, 200_000);
      assert.equal(checkTs(r.body.subarray(0, 199_924), VIDEO_PID).ccErrors, 0);
    }
    const stats = sim.stats();
    assert.ok(stats.bytesSent >= 50 * 200_000);
    assert.ok(stats.sessionsActive >= 50);
  });
});
