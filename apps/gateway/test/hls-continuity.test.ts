// Playlist conformance across upstream changes: the media sequence never goes backwards and
// stays contiguous through a forced reconnect (engine drops the connection), an engine failover (the
// engine dies) and a stream re-creation; each upstream change puts EXT-X-DISCONTINUITY before the first
// segment after it, and EXT-X-DISCONTINUITY-SEQUENCE counts the tags that aged out of the window.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist, fetchSegment, PlaylistHistory, sleep } from './support/hls-tools.js';

let a: EngineSim;
let b: EngineSim;
let gw: GatewayProc;

before(async () => {
  a = await startEngineSim({ port: 0 });
  b = await startEngineSim({ port: 0 });
  gw = await startGateway([
    ...['--engine', a.url, '--engine', b.url, '--shards', '2'],
    // 1 s segments and the shortest window (3 × TD = 18 s): tags age out within the test.
    ...['--hls-segment-seconds', '1', '--hls-window-seconds', '6'],
    // A viewer counts for 5 s after its last poll: the watcher polls every 700 ms, and a loaded machine can
    // delay a poll by a second or two, which must not close the stream in the middle of test 1.
    ...['--failover-after', '2', '--grace-seconds', '1', '--hls-viewer-timeout-seconds', '5'],
  ]);
});
after(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
});

/** Polls a playlist like a player (every 700 ms) into a history until stopped. */
function watch(url: string): { history: PlaylistHistory; stop: () => Promise<void> } {
  const history = new PlaylistHistory();
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await fetchPlaylist(url).catch(() => null);
      if (r?.playlist) history.add(r.playlist);
      await sleep(700);
    }
  })();
  return {
    history,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Seqs seen are one contiguous run: no number skipped, none reused. */
function assertContiguous(history: PlaylistHistory): void {
  const seqs = [...history.segments.keys()].sort((x, y) => x - y);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `seq after ${seqs[i - 1]}`);
}

test('media sequence and discontinuities through a forced reconnect and an engine failover', async () => {
  const id = 'c1'.repeat(20);
  const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
  const w = watch(url);
  try {
    assert.ok(await waitFor(() => (w.history.last?.segments.length ?? 0) >= 3, 15_000), 'three segments');
    const stream = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
    const [first, other] = stream.engine.url === a.url ? [a, b] : [b, a];

    // 1. Forced reconnect on the same engine: it drops the playback connection.
    assert.ok(first.kill() >= 1);
    assert.ok(
      await waitFor(() => w.history.discontinuities().length >= 1, 15_000),
      'reconnect discontinuity',
    );

    // 2. Failover: the engine goes away for good; the other one takes the stream.
    await first.close();
    assert.ok(await waitFor(() => w.history.discontinuities().length >= 2, 20_000), 'failover discontinuity');
    assert.equal(other.stats().sessionsStarted, 1, 'the other engine took the stream');

    // 3. The first tag ages out of the 18 s window: the discontinuity sequence counts it.
    assert.ok(
      await waitFor(() => (w.history.last?.discontinuitySequence ?? 0) >= 1, 30_000),
      'EXT-X-DISCONTINUITY-SEQUENCE moved on',
    );
  } finally {
    await w.stop();
  }
  const h = w.history;
  assert.deepEqual(h.violations, [], 'RFC 8216 rules hold across playlists');
  assertContiguous(h);
  const discs = h.discontinuities();
  assert.ok(discs.length >= 2, `discontinuities at ${discs.join(', ')}`);
  // Each flagged segment carries the next Discontinuity Sequence Number.
  const numbers = discs.map((seq) => h.segments.get(seq)!.discontinuitySequence);
  for (let i = 1; i < numbers.length; i++) assert.equal(numbers[i], numbers[i - 1]! + 1);
  // Once the first tag left the window, the header equals its number (§4.3.3.3).
  const last = h.last!;
  const firstListed = last.segments[0]!;
  assert.equal(
    last.discontinuitySequence,
    firstListed.discontinuitySequence - (firstListed.discontinuity ? 1 : 0),
  );
  assert.ok(last.discontinuitySequence >= 1);
  // The first segment after the failover starts with PAT, PMT and a keyframe of the new engine's stream.
  const after = h.last!.segments.find((s) => s.seq === discs[1]);
  if (after) {
    const seg = await fetchSegment(after.uri);
    assert.equal(seg.status, 200);
    assert.ok(seg.ts.startsWithPsiAndKeyframe);
  }
  const api = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  assert.equal(api.failovers, 1);
  assert.ok(api.generation >= 2, `generation ${api.generation}: one per upstream change`);
});

test('a re-created stream continues the media sequence with a discontinuity', async () => {
  const id = 'c2'.repeat(20);
  const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
  const w = watch(url);
  assert.ok(await waitFor(() => (w.history.last?.segments.length ?? 0) >= 3, 15_000));
  await w.stop();
  const before = w.history.last!;
  const lastSeq = before.segments.at(-1)!.seq;
  const lastDisc = before.segments.at(-1)!.discontinuitySequence;
  // Nobody polls: the HLS viewer times out (5 s), the grace period (1 s) passes, the stream closes.
  assert.ok(
    await waitFor(async () => (await getJson(`${gw.url}/api/v1/streams/${id}`)).status === 404, 15_000, 250),
    'the stream closed',
  );
  const again = await fetchPlaylist(url);
  assert.ok(again.playlist, again.text);
  const head = again.playlist.segments[0]!;
  assert.ok(again.playlist.mediaSequence > lastSeq, `${again.playlist.mediaSequence} > ${lastSeq}`);
  assert.equal(head.discontinuity, true, 'the new life starts with EXT-X-DISCONTINUITY');
  assert.equal(head.discontinuitySequence, lastDisc + 1);
  assert.equal(again.playlist.discontinuitySequence, lastDisc, 'the header continues the old count');
  // The old stream's segment URLs never name new bytes: an old seq is simply gone.
  const old = await getJson(before.segments[0]!.uri);
  assert.equal(old.status, 404);
});
