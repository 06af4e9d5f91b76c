// Stop via command_url ends the session (and its playback), is counted, and stat then says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EngineSim, startEngineSim } from '../src/index.js';
import { CONTENT_ID, getJson, readStream, startSession } from './helpers.js';

describe('session stop', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, rate: 'max' });
  });
  after(() => sim.close());

  it('stat answers live statistics while the session runs', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=stat`);
    const { body } = await getJson(s.stat_url);
    assert.equal(body.error, null);
    const r = body.response;
    for (const key of ['peers', 'speed_down', 'speed_up', 'downloaded', 'uploaded']) {
      assert.equal(typeof r[key], 'number', key);
    }
    assert.match(r.livepos.pos, /^\d{10}$/);
    assert.match(r.livepos.live_first, /^\d{10}$/);
    assert.match(r.livepos.live_last, /^\d{10}$/);
  });

  it('command_url?method=stop ends the session, its playback, and is counted', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=stop`);
    const before = sim.stats();
    // Open playback, stop while it streams: the stream must end.
    const reading = readStream(s.playback_url, 500_000_000, 10_000);
    await waitFor(() => sim.stats().playbackConnections > before.playbackConnections);
    const stop = await getJson(`${s.command_url}?method=stop`);
    assert.deepEqual(stop.body, { response: 'ok', error: null });
    const read = await reading;
    assert.notEqual(read.end, 'limit');
    const after = sim.stats();
    assert.equal(after.sessionsStopped, before.sessionsStopped + 1);
    assert.equal(after.sessionsActive, before.sessionsActive - 1);
    assert.ok(!after.sessions.some((x) => x.id === s.playback_session_id));
  });

  it('stat and stop after the stop answer the unknown-session envelope', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=gone`);
    await getJson(`${s.command_url}?method=stop`);
    const stat = await getJson(s.stat_url);
    assert.deepEqual(stat.body, { response: null, error: 'unknown playback session id' });
    const again = await getJson(`${s.command_url}?method=stop`);
    assert.deepEqual(again.body, { response: null, error: 'unknown playback session id' });
    const play = await readStream(s.playback_url, 1000, 2000);
    assert.equal(play.status, 404);
  });

  it('a new start after a stop gets a new session', async () => {
    const a = await startSession(sim.url, `id=${CONTENT_ID}&pid=again`);
    await getJson(`${a.command_url}?method=stop`);
    const b = await startSession(sim.url, `id=${CONTENT_ID}&pid=again`);
    assert.notEqual(a.playback_session_id, b.playback_session_id);
  });
});

describe('idle sessions', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, sessionIdleSeconds: 0.1 });
  });
  after(() => sim.close());

  it('end after sitting idle, counted apart from stops', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=idle`);
    await waitFor(() => sim.stats().sessionsExpired === 1);
    assert.equal(sim.stats().sessionsStopped, 0);
    const stat = await getJson(s.stat_url);
    assert.equal(stat.body.error, 'unknown playback session id');
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached within 2 s');
}
