// HLS from the ring: what a player gets from the gateway's HLS routes — playlist headers and
// RFC 8216 tags, segments that each start with PAT, PMT and a keyframe, CORS/HEAD/OPTIONS, 404 JSON for
// unknown and expired segments, and a deadline (503 + Retry-After) on the wait for a new stream's first
// segment.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';
import { fetchPlaylist, fetchSegment, PlaylistHistory, poll, sleep } from './support/hls-tools.js';

const ID = 'b1'.repeat(20);

describe('HLS serving (TS upstream, 2 s segments, 2 shards)', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    sim = await startEngineSim({ port: 0 });
    gw = await startGateway(['--engine', sim.url, '--shards', '2', '--hls-segment-seconds', '2']);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  const playlistUrl = (id = ID) => `${gw.url}/ace/manifest.m3u8?id=${id}`;

  test('the live playlist follows RFC 8216 and every listed segment starts with PAT, PMT, keyframe', async () => {
    const history = new PlaylistHistory();
    const first = await fetchPlaylist(playlistUrl());
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(first.headers.get('cache-control'), 'no-cache');
    assert.equal(first.headers.get('access-control-allow-origin'), '*');
    assert.ok(first.playlist, first.text);
    history.add(first.playlist);
    // Wait for four segments, polling like a player (every target duration / 2 at most).
    const four = await poll(
      async () => {
        const p = await fetchPlaylist(playlistUrl());
        if (p.playlist) history.add(p.playlist);
        return p.playlist && p.playlist.segments.length >= 4 ? p : null;
      },
      20_000,
      1000,
    );
    assert.ok(four?.playlist, 'four segments within 20 s');
    const p = four.playlist;
    assert.deepEqual(history.violations, []);
    assert.equal(p.targetDuration, 6, 'constant TD from the hard maximum (6 s)');
    assert.equal(p.endList, false);
    assert.equal(
      p.independentSegments,
      true,
      'EXT-X-INDEPENDENT-SEGMENTS: every segment starts at a keyframe',
    );
    assert.match(four.text, /^#EXT-X-VERSION:3$/m);
    assert.match(four.text, /^#EXT-X-DISCONTINUITY-SEQUENCE:0$/m);
    // EXT-X-PROGRAM-DATE-TIME dates the first segment, close to now.
    const pdt = p.segments[0]!.programDateTimeMs;
    assert.ok(pdt !== undefined && Math.abs(Date.now() - pdt) < 60_000, `program date time ${pdt}`);
    // Consecutive sequence numbers, relative URIs under /ace/hls/<stream>/.
    for (let i = 0; i < p.segments.length; i++) {
      const s = p.segments[i]!;
      assert.equal(s.seq, p.mediaSequence + i);
      assert.equal(new URL(s.uri).pathname, `/ace/hls/${ID}/${s.seq}.ts`);
    }
    for (const s of p.segments) {
      const seg = await fetchSegment(s.uri);
      assert.equal(seg.status, 200);
      assert.equal(seg.headers.get('content-type'), 'video/mp2t');
      assert.equal(seg.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(seg.headers.get('access-control-allow-origin'), '*');
      assert.equal(Number(seg.headers.get('content-length')), seg.bytes.length);
      assert.equal(seg.bytes.length % 188, 0);
      assert.equal(seg.ts.syncErrors, 0);
      assert.ok(
        seg.ts.startsWithPsiAndKeyframe,
        `segment ${s.seq} starts with PIDs ${seg.ts.firstPids.join(',')}`,
      );
      // 2 s of a ~1.1 Mbit/s stream.
      assert.ok(seg.bytes.length > 150_000 && seg.bytes.length < 600_000, `segment size ${seg.bytes.length}`);
    }
    assert.ok(Math.round(p.segments[0]!.durationUs / 1000) >= 1900, 'segments of about 2 s');
  });

  test('HEAD answers headers with the body length and no body; OPTIONS preflights', async () => {
    const p = (await fetchPlaylist(playlistUrl())).playlist!;
    const uri = p.segments.at(-1)!.uri;
    const get = await fetchSegment(uri);
    const head = await fetch(uri, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(get.bytes.length));
    assert.equal(head.headers.get('content-type'), 'video/mp2t');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const pHead = await fetch(playlistUrl(), { method: 'HEAD' });
    assert.equal(pHead.status, 200);
    assert.equal(pHead.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.ok(Number(pHead.headers.get('content-length')) > 100);
    for (const url of [playlistUrl(), uri]) {
      const o = await fetch(url, {
        method: 'OPTIONS',
        headers: { Origin: 'http://player.example', 'Access-Control-Request-Method': 'GET' },
      });
      assert.equal(o.status, 204);
      assert.equal(o.headers.get('access-control-allow-origin'), '*');
      assert.match(o.headers.get('access-control-allow-methods') ?? '', /GET.*OPTIONS/);
      assert.match(o.headers.get('access-control-allow-headers') ?? '', /Range/);
    }
  });

  test('unknown segments answer 404 with a JSON error', async () => {
    const p = (await fetchPlaylist(playlistUrl())).playlist!;
    const last = p.segments.at(-1)!.seq;
    for (const path of [
      `/ace/hls/${ID}/${last + 1000}.ts`, // not yet (or never) cut
      `/ace/hls/${ID}/0.ts`, // long before this stream's first segment
      `/ace/hls/${ID}/abc.ts`,
      `/ace/hls/${'c'.repeat(40)}/${last}.ts`, // no such stream
      `/ace/hls/not-a-key/${last}.ts`,
    ]) {
      const r = await getJson(`${gw.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.equal(r.body.error.code, 'SC_ERR_SEGMENT_NOT_FOUND', path);
    }
  });

  test("a new stream's first-segment wait ends at its deadline with 503 + Retry-After", async () => {
    const id = 'b2'.repeat(20);
    // The engine sends one second (a keyframe: the stream is playable), then nothing: no segment completes.
    sim.setFaults({ stallAfterS: 1, stallForS: 60 }, id);
    const t0 = Date.now();
    const r = await fetchPlaylist(playlistUrl(id));
    const ms = Date.now() - t0;
    assert.equal(r.status, 503, r.text);
    assert.equal(JSON.parse(r.text).error.code, 'SC_ERR_NOT_READY');
    assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    // The deadline is the length at which a first playlist is answered at once (coldStartPlan: 7 s for 2 s
    // segments), plus the hard maximum, plus 4 s: 17 s here, never the open deadline (30 s).
    assert.ok(ms >= 16_500 && ms < 29_000, `answered after ${ms} ms`);
    sim.clearFaults(id);
  });
});

describe('HLS retention in a small ring', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    // Twice real time into an 8 MiB ring: ~44 s of media (~22 s of wall time) before bytes are overwritten.
    sim = await startEngineSim({ port: 0, rate: 2 });
    gw = await startGateway([
      '--engine',
      sim.url,
      '--shards',
      '1',
      '--hls-segment-seconds',
      '2',
      '--ring-mb',
      '8',
    ]);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  test('listed segments are downloadable, removed ones stay so for a while, then answer 404 JSON', async () => {
    const url = `${gw.url}/ace/manifest.m3u8?id=${ID}`;
    const first = await fetchPlaylist(url);
    assert.ok(first.playlist, first.text);
    const oldest = first.playlist.segments[0]!;
    const history = new PlaylistHistory();
    let removedButServed = 0;
    let gone: Awaited<ReturnType<typeof getJson>> | null = null;
    const end = Date.now() + 45_000;
    while (Date.now() < end && !gone) {
      const p = (await fetchPlaylist(url)).playlist!;
      history.add(p);
      // A listed segment is one the ring will keep past its removal (RFC 8216 §6.2.2): always servable.
      for (const s of p.segments) {
        const seg = await fetchSegment(s.uri);
        assert.equal(seg.status, 200, `listed segment ${s.seq}`);
        assert.ok(seg.ts.startsWithPsiAndKeyframe);
      }
      if (p.mediaSequence > oldest.seq) {
        const r = await getJson(oldest.uri);
        if (r.status === 200) removedButServed++;
        else gone = r;
      }
      await sleep(500);
    }
    assert.deepEqual(history.violations, []);
    assert.ok(removedButServed > 0, 'a removed segment stayed downloadable after it left the playlist');
    assert.ok(gone, 'the oldest segment expired as the ring wrapped');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'SC_ERR_SEGMENT_NOT_FOUND');
  });
});
