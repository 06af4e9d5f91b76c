// HLS viewers: an HLS player holds no socket, so a presence lease stands in for it. While players
// poll, the stream stays open (beyond the grace period) and they are counted; once they stop, they stop
// counting after --hls-viewer-timeout-seconds and the stream closes after the grace period.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { Agent } from 'undici';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist, fetchSegment, sleep } from './support/hls-tools.js';

const VIEWER_TIMEOUT_S = 5;
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway([
    ...['--engine', sim.url, '--shards', '2', '--hls-segment-seconds', '2'],
    // A viewer timeout well above the players' poll interval (0.7 s): a loaded machine can delay a poll by
    // a second or two, and that must not read as a player that left.
    ...['--hls-viewer-timeout-seconds', String(VIEWER_TIMEOUT_S), '--grace-seconds', '1'],
  ]);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('polling HLS players keep the stream open and count; silent ones stop counting and it closes', async () => {
  const id = 'e1'.repeat(20);
  const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
  let polling = true;
  // Each player on its own keep-alive connection, as a real player is (the kernel picks its shard).
  const agents = [new Agent({ connections: 1 }), new Agent({ connections: 1 })];
  const player = async (agent: string, dispatcher: Agent): Promise<number> => {
    let fetched = 0;
    const init = { headers: { 'User-Agent': agent }, dispatcher };
    while (polling) {
      const r = await fetchPlaylist(url, init);
      const last = r.playlist?.segments.at(-1);
      if (last && (await fetchSegment(last.uri, init)).status === 200) fetched++;
      await sleep(700);
    }
    return fetched;
  };
  const players = [player('hls.js/1.5 test-a', agents[0]!), player('ExoPlayer test-b', agents[1]!)];
  let counted = 0;
  try {
    // Poll for well beyond the viewer timeout plus the grace period.
    for (let i = 0; i < VIEWER_TIMEOUT_S + 4; i++) {
      await sleep(1000);
      const r = await getJson(`${gw.url}/api/v1/streams/${id}`);
      assert.equal(r.status, 200, 'the stream stays open while polled');
      counted = Math.max(counted, r.body.clients.hls);
    }
  } finally {
    polling = false;
    const fetched = await Promise.all(players);
    await Promise.all(agents.map((a) => a.close()));
    for (const n of fetched) assert.ok(n > 0);
  }
  assert.equal(counted, 2, 'two HLS viewers (one session each)');
  assert.equal(sim.stats().sessionsStopped, 0);

  // Silent now: the viewer timeout (swept every second), the grace, then the engine session is stopped.
  const t0 = Date.now();
  assert.ok(
    await waitFor(async () => (await getJson(`${gw.url}/api/v1/streams/${id}`)).status === 404, 30_000, 200),
    'the stream closed after its HLS viewers went quiet',
  );
  const ms = Date.now() - t0;
  // The last poll may have come up to one poll interval before t0; without viewers counted at all the
  // stream would close after the 1 s grace alone.
  assert.ok(ms >= (VIEWER_TIMEOUT_S - 1) * 1000, `not before the viewer timeout (${ms} ms)`);
  assert.ok(await waitFor(() => sim.stats().sessionsStopped === 1, 3000), 'engine session stopped');
  assert.equal(sim.stats().sessionsStarted, 1, 'one engine session for both players');
});
