// HLS upstreams: the owner's HLS upstream against a scripted fake engine on loopback. It must
// append every new segment once and in order, turn gaps and upstream discontinuities into discontinuities,
// skip what it cannot fetch, fetch nothing off the engine's origin, refuse what it cannot ingest, and time
// each segment fetch.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EngineClient, EngineError } from '@shardcast/engine-client';
import { Recorder } from '@shardcast/metrics';
import { TS_PACKET_SIZE } from '@shardcast/mpegts';
import { createLogger } from '../src/log.js';
import { HlsUpstream } from '../src/shard/owner/hls-upstream.js';
import { type UpstreamSink, UpstreamStall, UpstreamUnsupported } from '../src/shard/owner/upstream.js';
import { offersOnlyHls, UpstreamModes } from '../src/shard/owner/upstream-mode.js';

/** A fake engine: a scripted playlist, segments by number, every request path recorded. */
interface FakeEngine {
  readonly url: string;
  playlist: string;
  /** Segment numbers that answer 404. */
  readonly missing: Set<number>;
  /** Segment numbers whose body is not MPEG-TS. */
  readonly notTs: Set<number>;
  readonly paths: string[];
  close(): Promise<void>;
}

/** Segment `n`: two TS packets (sync bytes at 0 and 188) carrying n in bytes 4-5. */
function segmentBytes(n: number): Uint8Array {
  const b = new Uint8Array(2 * TS_PACKET_SIZE);
  b[0] = 0x47;
  b[TS_PACKET_SIZE] = 0x47;
  b[4] = n & 0xff;
  b[5] = n >> 8;
  return b;
}

async function startFake(): Promise<FakeEngine> {
  const fake = {
    playlist: '',
    missing: new Set<number>(),
    notTs: new Set<number>(),
    paths: [] as string[],
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    fake.paths.push(path);
    if (path.startsWith('/live/') && path.endsWith('.m3u8')) {
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl' });
      res.end(fake.playlist);
      return;
    }
    const m = /^\/seg\/(\d+)\.ts$/.exec(path);
    if (m && !fake.missing.has(Number(m[1]))) {
      const n = Number(m[1]);
      res.writeHead(200, { 'Content-Type': 'video/mp2t' });
      res.end(fake.notTs.has(n) ? Buffer.from('\0\0\0\x18ftypisom-not-a-transport-stream') : segmentBytes(n));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"response":null,"error":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
}

/** A live media playlist of segments `from..to` (1 s each); `before` lines go before a given segment. */
function live(
  from: number,
  to: number,
  o: { disc?: number[]; endList?: boolean; head?: string[]; before?: Map<number, string[]> } = {},
): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${from}`];
  lines.push(...(o.head ?? []));
  for (let n = from; n <= to; n++) {
    lines.push(...(o.before?.get(n) ?? []));
    if (o.disc?.includes(n)) lines.push('#EXT-X-DISCONTINUITY');
    lines.push('#EXTINF:1.000,', `/seg/${n}.ts`);
  }
  if (o.endList) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** What the sink saw: segment numbers in order, with 'D' for each discontinuity. */
function recordingSink(): { events: Array<number | 'D'>; sink: UpstreamSink } {
  const events: Array<number | 'D'> = [];
  return {
    events,
    sink: {
      data: (c) => {
        events.push(c[4]! | (c[5]! << 8));
        return true;
      },
      discontinuity: () => events.push('D'),
    },
  };
}

const log = createLogger('silent');

describe('HLS upstream against a fake engine', () => {
  let fake: FakeEngine;
  let client: EngineClient;
  before(async () => {
    fake = await startFake();
    client = new EngineClient({ baseUrl: fake.url, timeoutMs: 2000 });
  });
  after(async () => {
    await client?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.paths.length = 0;
    fake.missing.clear();
    fake.notTs.clear();
  });

  function upstream(sink: UpstreamSink, recorder = new Recorder(), stallMs = 10_000) {
    return new HlsUpstream({
      client,
      playlistUrl: `${fake.url}/live/a.m3u8`,
      stallMs,
      sink,
      recorder,
      log,
    });
  }

  test('every new segment is appended once, in order, across polls; ENDLIST ends the run', async () => {
    const { events, sink } = recordingSink();
    const up = upstream(sink);
    fake.playlist = live(10, 15);
    const ac = new AbortController();
    const run = up.run(ac.signal);
    // The playlist grows by several segments between two polls: all of them must be taken, not the newest.
    await waitUntil(() => events.includes(15));
    fake.playlist = live(12, 19);
    await waitUntil(() => events.includes(19));
    fake.playlist = live(14, 21, { endList: true });
    const bytes = await run;
    // Live edge: the first poll takes the newest 3 (13..15), then 16..21 with nothing skipped or repeated.
    assert.deepEqual(events, ['D', 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    assert.equal(bytes, 9 * 2 * TS_PACKET_SIZE);
    const fetched = fake.paths.filter((p) => p.startsWith('/seg/'));
    assert.deepEqual(
      fetched,
      [13, 14, 15, 16, 17, 18, 19, 20, 21].map((n) => `/seg/${n}.ts`),
      'each once',
    );
  });

  test('a media-sequence gap and an upstream discontinuity each start a new timeline', async () => {
    const { events, sink } = recordingSink();
    const up = upstream(sink);
    fake.playlist = live(0, 2);
    const run = up.run(new AbortController().signal);
    await waitUntil(() => events.includes(2));
    // 3..5 fell out of the upstream window between two polls; 8 carries EXT-X-DISCONTINUITY.
    fake.playlist = live(6, 9, { disc: [8] });
    await waitUntil(() => events.includes(9));
    fake.playlist = live(6, 9, { disc: [8], endList: true });
    await run;
    assert.deepEqual(events, ['D', 0, 1, 2, 'D', 6, 7, 'D', 8, 9]);
  });

  test('an expired segment (404) is skipped with a discontinuity; the session goes on', async () => {
    const { events, sink } = recordingSink();
    const recorder = new Recorder();
    const up = upstream(sink, recorder);
    fake.missing.add(4);
    fake.playlist = live(3, 6, { endList: true });
    await up.run(new AbortController().signal);
    assert.deepEqual(events, ['D', 3, 'D', 5, 6]);
    // hls_segment_fetch is timed for every fetch, the failed one apart.
    const series = recorder.snapshot(Date.now()).series.filter((s) => s.op === 'hls_segment_fetch');
    assert.equal(series.find((s) => s.ok)?.count, 3);
    assert.equal(series.find((s) => !s.ok)?.count, 1);
  });

  test('segment URIs off the engine origin are never fetched', async () => {
    const other = await startFake();
    try {
      const { events, sink } = recordingSink();
      const up = upstream(sink);
      const lines = live(0, 2, { endList: true }).replace('/seg/1.ts', `${other.url}/seg/1.ts`);
      fake.playlist = lines;
      await up.run(new AbortController().signal);
      assert.deepEqual(other.paths, [], 'no request reached the foreign host');
      assert.deepEqual(events, ['D', 0, 'D', 2]);
    } finally {
      await other.close();
    }
  });

  test('a master playlist is followed to its best variant on the engine', async () => {
    const { events, sink } = recordingSink();
    const master =
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n/live/low.m3u8\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=900000\n/live/high.m3u8\n';
    const serve = await masterServer(master, live(0, 1, { endList: true }));
    try {
      const up = new HlsUpstream({
        client: serve.client,
        playlistUrl: `${serve.url}/master.m3u8`,
        stallMs: 10_000,
        sink,
        recorder: new Recorder(),
        log,
      });
      await up.run(new AbortController().signal);
      assert.deepEqual(events, ['D', 0, 1]);
      assert.ok(serve.paths.includes('/live/high.m3u8'), 'the higher-bandwidth variant was loaded');
      assert.ok(!serve.paths.includes('/live/low.m3u8'));
    } finally {
      await serve.close();
    }
  });

  for (const [name, playlist, message] of [
    [
      'an encrypted',
      live(0, 2, { head: ['#EXT-X-KEY:METHOD=AES-128,URI="/key"'] }),
      /encrypted \(EXT-X-KEY METHOD=AES-128\)/,
    ],
    ['an fMP4', live(0, 2, { head: ['#EXT-X-MAP:URI="/init.mp4"'] }), /fMP4 segments \(EXT-X-MAP\)/],
    ['a byte-range', live(0, 2, { before: new Map([[1, ['#EXT-X-BYTERANGE:1000@0']]]) }), /byte-range/],
  ] as const) {
    test(`${name} upstream playlist is refused with a clear error, nothing fetched`, async () => {
      const { events, sink } = recordingSink();
      fake.playlist = playlist;
      await assert.rejects(upstream(sink).run(new AbortController().signal), (err: unknown) => {
        assert.ok(err instanceof UpstreamUnsupported);
        assert.equal(err.retryable, false);
        assert.match(err.message, message);
        return true;
      });
      assert.deepEqual(events, []);
      assert.equal(fake.paths.filter((p) => p.startsWith('/seg/')).length, 0);
    });
  }

  test('segments that are not MPEG-TS are refused', async () => {
    const { sink } = recordingSink();
    fake.notTs.add(1);
    fake.playlist = live(0, 1);
    await assert.rejects(upstream(sink).run(new AbortController().signal), UpstreamUnsupported);
  });

  test('no new segment for the stall limit fails the run with UpstreamStall', async () => {
    const { events, sink } = recordingSink();
    fake.playlist = live(0, 2);
    await assert.rejects(
      upstream(sink, new Recorder(), 1500).run(new AbortController().signal),
      UpstreamStall,
    );
    assert.deepEqual(events, ['D', 0, 1, 2]);
  });

  test('abort ends the run quietly', async () => {
    const { sink } = recordingSink();
    fake.playlist = live(0, 2);
    const ac = new AbortController();
    const run = upstream(sink).run(ac.signal);
    setTimeout(() => ac.abort(), 300);
    assert.equal(typeof (await run), 'number');
  });
});

describe('upstream mode selection', () => {
  test('auto falls back to HLS on a getstream 404 or an engine text naming HLS, once per engine', () => {
    const m = new UpstreamModes('auto');
    assert.equal(m.formatFor('a'), 'ts');
    const notFound = new EngineError('SC_ERR_ENGINE_HTTP_STATUS', 'HTTP 404', { status: 404 });
    assert.equal(m.fallBack('a', notFound), true);
    assert.equal(m.formatFor('a'), 'hls');
    assert.equal(m.fallBack('a', notFound), false, 'already HLS: nothing to fall back to');
    assert.equal(m.formatFor('b'), 'ts', 'per engine');
    assert.equal(offersOnlyHls(new EngineError('SC_ERR_ENGINE_REJECTED', 'engine error "HLS only"')), true);
    assert.equal(offersOnlyHls(new EngineError('SC_ERR_ENGINE_REJECTED', 'content not found')), false);
    assert.equal(
      offersOnlyHls(new EngineError('SC_ERR_ENGINE_HTTP_STATUS', 'HTTP 500', { status: 500 })),
      false,
    );
    assert.equal(offersOnlyHls(new Error('HTTP 404')), false);
  });

  test('ts and hls are taken as configured', () => {
    const notFound = new EngineError('SC_ERR_ENGINE_HTTP_STATUS', 'HTTP 404', { status: 404 });
    const ts = new UpstreamModes('ts');
    assert.equal(ts.fallBack('a', notFound), false);
    assert.equal(ts.formatFor('a'), 'ts');
    assert.equal(new UpstreamModes('hls').formatFor('a'), 'hls');
  });
});

async function waitUntil(fn: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A second fake engine that serves a master playlist and the media playlist for any variant. */
async function masterServer(master: string, media: string) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    paths.push(path);
    const m = /^\/seg\/(\d+)\.ts$/.exec(path);
    if (path === '/master.m3u8') res.end(master);
    else if (path.startsWith('/live/')) res.end(media);
    else if (m) res.end(segmentBytes(Number(m[1])));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new EngineClient({ baseUrl: url, timeoutMs: 2000 });
  return {
    paths,
    url,
    client,
    close: async () => {
      await client.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
