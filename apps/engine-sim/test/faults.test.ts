// Faults on demand: per query parameter, as start-up defaults, and through the admin endpoint.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { type EngineSim, startEngineSim } from '../src/index.js';
import { CONTENT_ID, checkTs, getJson, INFOHASH, readStream, startSession } from './helpers.js';

const BYTES_PER_SECOND = 141_000;
const VIDEO_PID = 0x100;

describe('start faults (query parameters)', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, rate: 'max' });
  });
  after(() => sim.close());

  it('startDelayMs answers late', async () => {
    const t0 = performance.now();
    const { body } = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&startDelayMs=300`);
    assert.equal(body.error, null);
    // A timer never fires early by more than clock rounding.
    assert.ok(performance.now() - t0 >= 290);
    assert.equal(sim.stats().faults.startDelays, 1);
  });

  it('a start whose client leaves during startDelayMs still opens its session, as AceStream does', async () => {
    const before = sim.stats();
    const ac = new AbortController();
    const gone = fetch(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=left&startDelayMs=300`, {
      signal: ac.signal,
    }).catch(() => undefined);
    while (sim.stats().startRequests === before.startRequests) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await gone;
    while (sim.stats().startsUnanswered === before.startsUnanswered)
      await new Promise((r) => setTimeout(r, 10));
    const now = sim.stats();
    assert.equal(now.sessionsStarted, before.sessionsStarted + 1);
    assert.ok(
      now.sessions.some((s) => s.pid === 'left'),
      'the session is open, waiting for a stop',
    );
  });

  it('startError answers the JSON error envelope and starts no session', async () => {
    const started = sim.stats().sessionsStarted;
    const res = await getJson(
      `${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&startError=swarm%20not%20found`,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { response: null, error: 'swarm not found' });
    assert.equal(sim.stats().sessionsStarted, started);
    assert.equal(sim.stats().faults.startErrors, 1);
  });

  it('startStatus answers an HTTP 5xx', async () => {
    const res = await getJson(`${sim.url}/ace/manifest.m3u8?id=${CONTENT_ID}&format=json&startStatus=503`);
    assert.equal(res.status, 503);
    assert.equal(res.body.response, null);
    assert.equal(sim.stats().faults.startStatuses, 1);
  });

  it('rejects an invalid fault value', async () => {
    const res = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&stallForS=-1`);
    assert.equal(res.status, 400);
    assert.match(res.body.error, /stallForS must be/);
  });

  it('zeroByteEof answers 200 and ends without a byte', async () => {
    const read = await readStream(
      `${sim.url}/ace/getstream?id=${CONTENT_ID}&pid=z&zeroByteEof=1`,
      1000,
      5000,
    );
    assert.equal(read.status, 200);
    assert.equal(read.body.length, 0);
    assert.equal(read.end, 'end');
    assert.equal(sim.stats().faults.zeroByteEofs, 1);
  });

  it('dropAfterBytes cuts the connection after exactly that many bytes', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=drop&dropAfterBytes=100000`);
    const read = await readStream(s.playback_url, 10_000_000, 5000);
    assert.equal(read.body.length, 100_000);
    assert.equal(read.end, 'error');
    assert.equal(sim.stats().faults.drops, 1);
  });
});

describe('playback faults at real time', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, rate: 1 });
  });
  after(() => sim.close());

  it('stallForS sends nothing for a while, then resumes where it left off', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=stall&stallAfterS=0.3&stallForS=0.6`);
    const read = await readStream(s.playback_url, 10_000_000, 1200);
    assert.equal(sim.stats().faults.stalls, 1);
    // 1.2 s of wall time minus a 0.6 s stall: well under 0.9 s of content arrived.
    assert.ok(read.body.length < 0.9 * BYTES_PER_SECOND, `${read.body.length} bytes`);
    assert.ok(read.body.length > 0.3 * BYTES_PER_SECOND * 0.8, `${read.body.length} bytes`);
    assert.equal(checkTs(read.body, VIDEO_PID).ccErrors, 0);
  });

  it('garbageAfterS turns an open connection into garbage of the chosen kind, at the same pace', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=garbage&garbageAfterS=0.3&garbage=null-only`);
    const read = await readStream(s.playback_url, 10_000_000, 1200);
    assert.equal(sim.stats().faults.garbage, 1);
    const pids = packetPids(read.body);
    assert.ok(pids.length > 0.9 * (BYTES_PER_SECOND / 188), `${pids.length} packets: paced, not stopped`);
    // The program first (its own stuffing includes null packets), then only null packets: from about
    // 0.3 s of the 1.2 s read on.
    assert.ok(pids.slice(0, 100).includes(VIDEO_PID));
    const lastProgram = pids.findLastIndex((p) => p !== 0x1fff);
    assert.ok(
      lastProgram > 0 && lastProgram < pids.length / 2,
      `last program packet ${lastProgram} of ${pids.length}`,
    );
  });

  it('garbage alone is bad from the first byte: html, random bytes, one unlisted PID', async (t) => {
    // A sim that starts 2 s behind live writes that burst at once when the connection opens: the
    // garbage must already be in place for those first bytes, not only after a timer tick.
    const sim = await startEngineSim({ port: 0, rate: 1, burstSeconds: 2 });
    t.after(() => sim.close());
    // Each read stops after 40 packets' worth of bytes (a busy machine only takes longer).
    const html = await startSession(sim.url, `id=${CONTENT_ID}&pid=html&garbage=html`);
    const page = await readStream(html.playback_url, 188 * 40, 30_000);
    assert.match(Buffer.from(page.body.subarray(0, 100)).toString('latin1'), /^<!DOCTYPE html>/);
    const random = await startSession(sim.url, `id=${CONTENT_ID}&pid=random&garbage=random`);
    const noise = await readStream(random.playback_url, 188 * 40, 30_000);
    assert.ok(noise.body.length > 0);
    assert.ok(checkTs(noise.body, VIDEO_PID).syncErrors > 0, 'no packet structure');
    const single = await startSession(sim.url, `id=${CONTENT_ID}&pid=single&garbage=single-pid`);
    const one = await readStream(single.playback_url, 188 * 40, 30_000);
    const pids = new Set(packetPids(one.body));
    assert.deepEqual([...pids], [0x0abc]);
  });

  it('eofAfterS ends the stream cleanly', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=eof&eofAfterS=0.5`);
    const read = await readStream(s.playback_url, 10_000_000, 5000);
    assert.equal(read.end, 'end');
    assert.equal(sim.stats().faults.eofs, 1);
    assert.ok(read.body.length <= 1.0 * BYTES_PER_SECOND);
  });
});

describe('admin faults', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, rate: 1 });
  });
  after(() => sim.close());

  it('POST /sim/faults applies to new sessions; DELETE clears', async () => {
    const set = await getJson(`${sim.url}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ startError: 'engine overloaded' }),
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.faults, { startError: 'engine overloaded' });
    const failed = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=a1`);
    assert.equal(failed.body.error, 'engine overloaded');
    await getJson(`${sim.url}/sim/faults`, { method: 'DELETE' });
    const ok = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=a2`);
    assert.equal(ok.body.error, null);
  });

  it('statusError makes get_status fail until cleared', async () => {
    const status = () => getJson(`${sim.url}/server/api?api_version=3&method=get_status`);
    assert.equal((await status()).body.error, null);
    await getJson(`${sim.url}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ statusError: 'engine overloaded' }),
    });
    assert.deepEqual((await status()).body, { result: null, error: 'engine overloaded' });
    await getJson(`${sim.url}/sim/faults`, { method: 'DELETE' });
    assert.equal((await status()).body.error, null);
  });

  it('scopes faults to one content id or infohash', async () => {
    await getJson(`${sim.url}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ content: INFOHASH, startStatus: 502 }),
    });
    const other = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=s1`);
    assert.equal(other.status, 200);
    const hit = await getJson(`${sim.url}/ace/getstream?infohash=${INFOHASH}&format=json&pid=s2`);
    assert.equal(hit.status, 502);
    sim.clearFaults();
  });

  it('rejects unknown fault names', async () => {
    const res = await getJson(`${sim.url}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ explode: true }),
    });
    assert.equal(res.status, 400);
    assert.match(res.body.error, /Unknown fault "explode"/);
  });

  it('applies playback faults to live connections', async () => {
    const s = await startSession(sim.url, `id=${CONTENT_ID}&pid=live`);
    const reading = readStream(s.playback_url, 10_000_000, 5000);
    await waitFor(() => sim.stats().playbackConnections === 1);
    sim.setFaults({ eofAfterS: 0 });
    const read = await reading;
    assert.equal(read.end, 'end');
    sim.clearFaults();
  });

  it('POST /sim/kill drops every playback connection', async () => {
    const a = await startSession(sim.url, `id=${CONTENT_ID}&pid=k1`);
    const b = await startSession(sim.url, `infohash=${INFOHASH}&pid=k2`);
    const reads = [
      readStream(a.playback_url, 10_000_000, 5000),
      readStream(b.playback_url, 10_000_000, 5000),
    ];
    await waitFor(() => sim.stats().playbackConnections === 2);
    const kill = await getJson(`${sim.url}/sim/kill`, { method: 'POST' });
    assert.deepEqual(kill.body, { killed: 2 });
    for (const r of await Promise.all(reads)) assert.equal(r.end, 'error');
    assert.equal(sim.stats().faults.kills, 2);
    assert.equal(sim.stats().playbackConnections, 0);
  });
});

describe('fault defaults and HLS-only engines', () => {
  it('start-up faults apply to every new session', async () => {
    const sim = await startEngineSim({ port: 0, faults: { startError: 'warming up' } });
    try {
      const res = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json`);
      assert.equal(res.body.error, 'warming up');
    } finally {
      await sim.close();
    }
  });

  it('an HLS-only engine refuses getstream but serves the manifest', async () => {
    const sim = await startEngineSim({ port: 0, hlsOnly: true });
    try {
      const ts = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json`);
      assert.equal(ts.status, 404);
      assert.equal(ts.body.response, null);
      const direct = await readStream(`${sim.url}/ace/getstream?id=${CONTENT_ID}`, 1000, 2000);
      assert.equal(direct.status, 404);
      const hls = await getJson(`${sim.url}/ace/manifest.m3u8?id=${CONTENT_ID}&format=json`);
      assert.equal(hls.status, 200);
      assert.match(hls.body.response.playback_url, /\.m3u8$/);
    } finally {
      await sim.close();
    }
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached within 2 s');
}

/** PIDs of the whole packets in `data`, in order (sync byte checked). */
function packetPids(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 188 <= data.length; at += 188) {
    assert.equal(data[at], 0x47, `sync at ${at}`);
    out.push(((data[at + 1]! & 0x1f) << 8) | data[at + 2]!);
  }
  return out;
}
