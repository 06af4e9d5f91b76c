// HLS upstreams, integration: an engine that offers only HLS (engine-sim hlsOnly) feeds the same
// ring as a TS engine, so HLS players get the gateway's own segments and TS players the concatenation.
// Several players cost one engine session, and each engine segment is fetched once (a counting proxy in
// front of the engine sees every upstream request). --upstream hls forces HLS on any engine;
// --upstream ts never falls back.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import {
  type CountingProxy,
  fetchPlaylist,
  fetchSegment,
  PlaylistHistory,
  sleep,
  startCountingProxy,
} from './support/hls-tools.js';
import { checkTs, openTs } from './support/ts-reader.js';

interface Played {
  readonly history: PlaylistHistory;
  readonly segments: number;
  /** Segments that did not start with PAT, PMT and a keyframe, or were not 200. */
  readonly bad: string[];
}

/** A player that follows the RFC reload rules: poll the playlist, fetch each new segment once, in order,
 * until `enough` segments were played (or the deadline passed). */
async function playHls(url: string, enough: number, deadlineMs = 60_000): Promise<Played> {
  const history = new PlaylistHistory();
  const bad: string[] = [];
  let next = -1;
  let segments = 0;
  const end = Date.now() + deadlineMs;
  while (segments < enough && Date.now() < end) {
    const r = await fetchPlaylist(url);
    if (r.playlist) {
      history.add(r.playlist);
      for (const s of r.playlist.segments) {
        if (s.seq < next) continue;
        const seg = await fetchSegment(s.uri);
        if (seg.status !== 200 || !seg.ts.startsWithPsiAndKeyframe) bad.push(`${s.seq}: ${seg.status}`);
        segments++;
        next = s.seq + 1;
      }
    }
    await sleep(1000);
  }
  return { history, segments, bad };
}

describe('auto mode with an HLS-only engine', () => {
  let sim: EngineSim;
  let proxy: CountingProxy;
  let gw: GatewayProc;
  before(async () => {
    sim = await startEngineSim({ port: 0, hlsOnly: true });
    proxy = await startCountingProxy(sim.url);
    gw = await startGateway([
      ...['--engine', proxy.url, '--shards', '2', '--hls-segment-seconds', '2'],
      ...['--failover-after', '1', '--grace-seconds', '1'],
    ]);
  });
  after(async () => {
    await gw?.stop();
    await proxy?.close();
    await sim?.close();
  });

  test('HLS and TS players of one stream: one engine session, each engine segment fetched once', async () => {
    const id = 'd1'.repeat(20);
    const playlist = `${gw.url}/ace/manifest.m3u8?id=${id}`;
    // Three players (a little apart) and a TS viewer; each plays until it has had enough media.
    const players = [0, 1, 2].map((i) => sleep(i * 300).then(() => playHls(playlist, 4)));
    const tsViewer = openTs(`${gw.url}/ace/getstream?id=${id}`);
    assert.ok(await tsViewer.waitBytes(2001 * 188, 60_000), 'the TS viewer gets media');
    const played = await Promise.all(players);
    const ts = await tsViewer.close();
    // The engine segments fetched so far: at least the 3 the owner starts with and those played since.
    assert.ok(
      await waitFor(() => proxy.paths.filter((p) => p.startsWith('/ace/c/')).length >= 5, 30_000),
      'engine segments were fetched',
    );

    const api = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
    assert.equal(api.upstream, 'hls', 'the owner fell back to the engine playlist');
    const stats = sim.stats();
    assert.equal(stats.sessionsStarted, 1, 'one engine session for every player');
    assert.equal(stats.playbackConnectionsTotal, 0);
    const starts = proxy.paths.filter(
      (p) => p.startsWith('/ace/getstream') || p.startsWith('/ace/manifest.m3u8'),
    );
    assert.equal(starts.length, 2, `a refused getstream, then one manifest start: ${starts.join(' ')}`);
    const segs = proxy.paths.filter((p) => p.startsWith('/ace/c/'));
    assert.ok(segs.length >= 5, `engine segments fetched: ${segs.length}`);
    assert.equal(new Set(segs).size, segs.length, 'no engine segment fetched twice');
    // In order, consecutive: every segment the engine listed since the start was taken (none skipped).
    const seqs = segs.map((p) => Number(/\/(\d+)\.ts$/.exec(p)![1]));
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1);

    for (const p of played) {
      assert.deepEqual(p.history.violations, []);
      assert.deepEqual(p.bad, [], 'every gateway segment starts with PAT, PMT, keyframe');
      assert.ok(p.segments >= 4, `player got ${p.segments} segments`);
    }
    assert.equal(ts.status, 200);
    const c = checkTs(ts.bytes);
    assert.ok(c.packets > 2000, `TS viewer got ${c.packets} packets`);
    assert.equal(c.syncErrors, 0);
    assert.ok(c.startsWithPsiAndKeyframe, `first PIDs ${c.firstPids.join(',')}`);
    assert.equal(c.ccErrors, 0, 'the engine segments concatenate seamlessly');
  });

  test('a lost engine session is replaced; the playlist continues with a discontinuity', async () => {
    const id = 'd2'.repeat(20);
    const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
    const history = new PlaylistHistory();
    /** Polls once; true when `done` holds for the history. */
    const pollUntil = (done: () => boolean) => async () => {
      const r = await fetchPlaylist(url);
      if (r.playlist) history.add(r.playlist);
      return done();
    };
    assert.ok(
      await waitFor(
        pollUntil(() => (history.last?.segments.length ?? 0) >= 2),
        15_000,
        700,
      ),
    );
    let before: { session: { commandUrl: string; playbackSessionId: string } | null } = { session: null };
    // Owner stats reach the API once a second.
    await waitFor(async () => {
      before = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
      return before.session !== null;
    }, 5000);
    assert.ok(before.session);
    // The engine forgets the session (as after an engine restart): playlist polls answer 404 from now on.
    await fetch(`${before.session.commandUrl}?method=stop`);
    assert.ok(
      await waitFor(
        pollUntil(() => history.discontinuities().length >= 1),
        20_000,
        700,
      ),
      'a discontinuity after the new session',
    );
    assert.deepEqual(history.violations, []);
    // Owner stats reach the API once a second: wait for the new session to show.
    let after = { upstream: '', session: null as { playbackSessionId: string } | null };
    const replaced = await waitFor(async () => {
      after = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
      return after.session !== null && after.session.playbackSessionId !== before.session?.playbackSessionId;
    }, 5000);
    assert.ok(replaced, 'a new engine session');
    assert.equal(after.upstream, 'hls');
    const disc = history.discontinuities()[0]!;
    const listed = history.last?.segments.find((s) => s.seq === disc);
    assert.ok(listed, 'the first segment of the new session is listed');
    const seg = await fetchSegment(listed.uri);
    assert.ok(seg.ts.startsWithPsiAndKeyframe);
  });
});

describe('--upstream hls and --upstream ts', () => {
  let tsEngine: EngineSim;
  let hlsOnly: EngineSim;
  let forcedHls: GatewayProc;
  let forcedTs: GatewayProc;
  before(async () => {
    tsEngine = await startEngineSim({ port: 0 });
    hlsOnly = await startEngineSim({ port: 0, hlsOnly: true });
    forcedHls = await startGateway(['--engine', tsEngine.url, '--shards', '1', '--upstream', 'hls']);
    forcedTs = await startGateway([
      ...['--engine', hlsOnly.url, '--shards', '1', '--upstream', 'ts', '--failover-after', '1'],
    ]);
  });
  after(async () => {
    await forcedHls?.stop();
    await forcedTs?.stop();
    await tsEngine?.close();
    await hlsOnly?.close();
  });

  test('--upstream hls ingests the playlist of an engine that also offers TS', async () => {
    const id = 'd3'.repeat(20);
    const viewer = openTs(`${forcedHls.url}/ace/getstream?id=${id}`);
    assert.ok(await viewer.waitBytes(3 * 188, 30_000), 'the viewer gets media');
    const ts = await viewer.close();
    assert.ok(checkTs(ts.bytes).startsWithPsiAndKeyframe);
    // Owner stats reach the API once a second.
    let api: any = null;
    await waitFor(async () => {
      api = (await getJson(`${forcedHls.url}/api/v1/streams/${id}`)).body;
      return api?.upstream !== null;
    }, 10_000);
    assert.equal(api.upstream, 'hls');
    const s = tsEngine.stats();
    assert.equal(s.startRequests, 1, 'no getstream attempt');
    assert.equal(s.playbackConnectionsTotal, 0);
    assert.equal(s.sessions[0]?.format, 'hls');
  });

  test('--upstream ts does not fall back: an HLS-only engine fails the stream', async () => {
    const r = await getJson(`${forcedTs.url}/ace/getstream?id=${'d4'.repeat(20)}`);
    assert.equal(r.status, 502);
    assert.equal(r.body.error.code, 'SC_ERR_UPSTREAM_FAILED');
    assert.equal(hlsOnly.stats().sessionsStarted, 0);
  });
});

describe('an engine whose only playlist is encrypted', () => {
  let engine: Server;
  let engineUrl = '';
  let gw: GatewayProc;
  const segmentRequests: string[] = [];
  before(async () => {
    // Just enough of the AceStream API: no getstream, an HLS session whose playlist uses AES-128.
    engine = createServer((req, res) => {
      const url = new URL(req.url ?? '/', engineUrl);
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/ace/getstream') return json(404, { response: null, error: 'HLS only' });
      if (url.pathname === '/ace/manifest.m3u8') {
        return json(200, {
          response: {
            playback_url: `${engineUrl}/hls/enc.m3u8`,
            stat_url: `${engineUrl}/ace/stat/x/${'1'.repeat(40)}`,
            command_url: `${engineUrl}/ace/cmd/x/${'1'.repeat(40)}`,
            playback_session_id: '1'.repeat(40),
            is_live: 1,
          },
          error: null,
        });
      }
      if (url.pathname === '/hls/enc.m3u8') {
        res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl' });
        return res.end(
          '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n' +
            '#EXT-X-KEY:METHOD=AES-128,URI="/key"\n#EXTINF:2.0,\n/seg/5.ts\n#EXTINF:2.0,\n/seg/6.ts\n',
        );
      }
      if (url.pathname.startsWith('/seg/') || url.pathname === '/key') segmentRequests.push(url.pathname);
      if (url.pathname.startsWith('/ace/cmd/')) return json(200, { response: 'ok', error: null });
      if (url.pathname === '/server/api') return json(200, { result: { peers: 1 } });
      json(404, { response: null, error: 'not found' });
    });
    await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
    engineUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
    gw = await startGateway(['--engine', engineUrl, '--shards', '1']);
  });
  after(async () => {
    await gw?.stop();
    engine?.closeAllConnections();
    await new Promise<void>((r) => (engine ? engine.close(() => r()) : r()));
  });

  test('the player gets 502 naming the encrypted playlist; no key or segment is fetched', async () => {
    const r = await getJson(`${gw.url}/ace/manifest.m3u8?id=${'d5'.repeat(20)}`);
    assert.equal(r.status, 502);
    assert.equal(r.body.error.code, 'SC_ERR_UPSTREAM_FAILED');
    assert.match(r.body.error.message, /encrypted \(EXT-X-KEY METHOD=AES-128\)/);
    assert.deepEqual(segmentRequests, []);
  });
});
