// HLS segments as CDNs and range-reading players fetch them: a strong ETag per segment (the same from
// every shard), 304 for If-None-Match, single byte ranges with 206 and Content-Range (suffix and open
// ranges, ranges that cross from the PAT/PMT prefix into the ring bytes), 416 past the end, If-Range.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { Agent, fetch } from 'undici';
import { noneMatch, rangeOf } from '../src/http/conditional.js';
import { type GatewayProc, startGateway } from './support/gateway-proc.js';
import { fetchPlaylist, poll } from './support/hls-tools.js';

describe('Range and If-None-Match rules in-process', () => {
  const E = '"a.1.5.x"';
  test('single ranges: first-last, open, suffix, clipped to the body', () => {
    assert.deepEqual(rangeOf('bytes=0-187', 1000, E), { kind: 'partial', start: 0, end: 187 });
    assert.deepEqual(rangeOf('bytes=900-', 1000, E), { kind: 'partial', start: 900, end: 999 });
    assert.deepEqual(rangeOf('bytes=-100', 1000, E), { kind: 'partial', start: 900, end: 999 });
    assert.deepEqual(rangeOf('bytes=-5000', 1000, E), { kind: 'partial', start: 0, end: 999 });
    assert.deepEqual(rangeOf('bytes=500-5000', 1000, E), { kind: 'partial', start: 500, end: 999 });
    // Positions too long to be read as numbers are past any end: clipped like any other.
    const huge = '9'.repeat(20);
    assert.deepEqual(rangeOf(`bytes=0-${huge}`, 1000, E), { kind: 'partial', start: 0, end: 999 });
    assert.deepEqual(rangeOf(`bytes=-${huge}`, 1000, E), { kind: 'partial', start: 0, end: 999 });
    assert.deepEqual(rangeOf(`bytes=${'0'.repeat(20)}1-2`, 1000, E), { kind: 'partial', start: 1, end: 2 });
    assert.deepEqual(rangeOf(' Bytes = 1-1', 1000, E), { kind: 'partial', start: 1, end: 1 });
  });
  test('unsatisfiable: a start at or past the end, an empty suffix', () => {
    assert.deepEqual(rangeOf('bytes=1000-', 1000, E), { kind: 'unsatisfiable' });
    assert.deepEqual(rangeOf('bytes=-0', 1000, E), { kind: 'unsatisfiable' });
    assert.deepEqual(rangeOf('bytes=1234567890123456-', 1000, E), { kind: 'unsatisfiable' });
    assert.deepEqual(rangeOf(`bytes=${'9'.repeat(20)}-`, 1000, E), { kind: 'unsatisfiable' });
  });
  test('ignored (whole body): no Range, other units, several ranges, malformed, If-Range not ours', () => {
    for (const h of ['', 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-1', 'bytes=-', 'bytes=a-b']) {
      assert.deepEqual(rangeOf(h, 1000, E), { kind: 'full' }, h);
    }
    assert.deepEqual(rangeOf('bytes=0-1', 1000, E, '"other"'), { kind: 'full' });
    assert.deepEqual(rangeOf('bytes=0-1', 1000, E, E), { kind: 'partial', start: 0, end: 1 });
  });
  test('If-None-Match: *, lists, weak forms', () => {
    assert.equal(noneMatch('', E), false);
    assert.equal(noneMatch('*', E), true);
    assert.equal(noneMatch(E, E), true);
    assert.equal(noneMatch(`"x", W/${E}`, E), true);
    assert.equal(noneMatch('"x", "y"', E), false);
  });
});

describe('segments over HTTP (2 shards)', () => {
  const ID = 'c7'.repeat(20);
  let sim: EngineSim;
  let gw: GatewayProc;
  let url = '';
  let full = new Uint8Array();
  let etag = '';

  before(async () => {
    sim = await startEngineSim({ port: 0 });
    gw = await startGateway(['--engine', sim.url, '--shards', '2', '--hls-segment-seconds', '1']);
    const playlist = `${gw.url}/ace/manifest.m3u8?id=${ID}`;
    const two = await poll(async () => {
      const p = await fetchPlaylist(playlist);
      return p.playlist && p.playlist.segments.length >= 2 ? p.playlist : null;
    }, 30_000);
    assert.ok(two, 'two segments');
    url = two.segments[0]!.uri;
    const r = await fetch(url);
    assert.equal(r.status, 200);
    full = new Uint8Array(await r.arrayBuffer());
    etag = r.headers.get('etag') ?? '';
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.match(etag, /^"[^",]+"$/, 'a strong ETag');
    assert.ok(full.length > 4 * 188, `${full.length} bytes`);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  /** One request on a connection of its own (either shard may answer). */
  async function get(headers: Record<string, string>, method = 'GET') {
    const agent = new Agent({ connections: 1, pipelining: 0 });
    try {
      const r = await fetch(url, { method, headers, dispatcher: agent });
      const body = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, headers: r.headers, body };
    } finally {
      await agent.close();
    }
  }

  test('every shard names a segment with the same ETag; another segment has another', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await get({})).headers.get('etag'), etag);
    const other = url.replace(/\/(\d+)\.ts/, (_, n) => `/${Number(n) + 1}.ts`);
    const r = await fetch(other);
    await r.arrayBuffer();
    assert.equal(r.status, 200);
    assert.notEqual(r.headers.get('etag'), etag);
  });

  test('If-None-Match with the ETag: 304 without a body; another tag: the segment', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await get({ 'If-None-Match': etag });
      assert.equal(r.status, 304);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers.get('etag'), etag);
      assert.equal(r.headers.get('cache-control'), (await get({}, 'HEAD')).headers.get('cache-control'));
    }
    const miss = await get({ 'If-None-Match': '"not-it"' });
    assert.equal(miss.status, 200);
    assert.deepEqual(miss.body, full);
  });

  test('byte ranges give exactly those bytes, across the PAT/PMT prefix and the ring', async () => {
    const n = full.length;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-187', 0, 187],
      ['bytes=100-500', 100, 500], // inside and across the first packets
      ['bytes=377-', 377, n - 1],
      ['bytes=-1000', n - 1000, n - 1],
      [`bytes=${n - 1}-${n + 50}`, n - 1, n - 1],
      [`bytes=1-${n - 2}`, 1, n - 2],
    ];
    for (const [range, start, end] of cases) {
      const r = await get({ Range: range });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${n}`, range);
      assert.equal(Number(r.headers.get('content-length')), end - start + 1, range);
      assert.deepEqual(r.body, full.subarray(start, end + 1), range);
    }
    // Ranges read back to back rebuild the segment.
    const parts: Uint8Array[] = [];
    const step = 7_001; // not a packet multiple: every piece starts mid-packet
    for (let at = 0; at < n; at += step) {
      parts.push((await get({ Range: `bytes=${at}-${Math.min(n, at + step) - 1}` })).body);
    }
    assert.deepEqual(Buffer.concat(parts), Buffer.from(full));
  });

  test('past the end: 416 with bytes */length, a JSON error no cache keeps; HEAD of a range: its headers, no body', async () => {
    for (const start of [String(full.length), '9'.repeat(20)]) {
      const r = await get({ Range: `bytes=${start}-` });
      assert.equal(r.status, 416, start);
      assert.equal(r.headers.get('content-range'), `bytes */${full.length}`);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.headers.get('etag'), null);
      assert.equal(JSON.parse(Buffer.from(r.body).toString()).error.code, 'SC_ERR_RANGE_NOT_SATISFIABLE');
      const head = await get({ Range: `bytes=${start}-` }, 'HEAD');
      assert.equal(head.status, 416);
      assert.equal(head.body.length, 0);
    }
    const h = await get({ Range: 'bytes=10-19' }, 'HEAD');
    assert.equal(h.status, 206);
    assert.equal(h.headers.get('content-length'), '10');
    assert.equal(h.headers.get('content-range'), `bytes 10-19/${full.length}`);
    assert.equal(h.body.length, 0);
  });

  test('one URL per segment: a sequence number with a leading zero is no segment', async () => {
    const padded = url.replace(/\/(\d+)\.ts/, (_, n) => `/0${n}.ts`);
    assert.notEqual(padded, url);
    const r = await fetch(padded);
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'SC_ERR_SEGMENT_NOT_FOUND');
  });

  test('a page on another origin may read the range and validator headers', async () => {
    const r = await get({ Range: 'bytes=0-9', Origin: 'https://player.example' });
    assert.equal(r.status, 206);
    const exposed = (r.headers.get('access-control-expose-headers') ?? '').split(/\s*,\s*/);
    for (const h of ['Content-Range', 'Accept-Ranges', 'ETag']) assert.ok(exposed.includes(h), h);
  });

  test('If-Range: a range only while the segment is the one named', async () => {
    const same = await get({ Range: 'bytes=0-9', 'If-Range': etag });
    assert.equal(same.status, 206);
    assert.deepEqual(same.body, full.subarray(0, 10));
    const changed = await get({ Range: 'bytes=0-9', 'If-Range': '"older"' });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body, full);
  });
});
