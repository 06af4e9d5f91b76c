// An engine that keeps its connection open but stops sending media (garbage bytes, an HTML error page, only
// null packets, one PID no PMT lists) is an upstream failure like a silent one: the owner reconnects, then
// fails over within --failover-seconds; TS clients keep their sockets and get the other engine's media,
// never the garbage; HLS marks the switch with EXT-X-DISCONTINUITY.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { readPid, TS_PACKET_SIZE, TsDemuxer } from '@shardcast/mpegts';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist } from './support/hls-tools.js';
import { checkTs, openTs, type TsRead } from './support/ts-reader.js';

/** The engine-sim's single-pid fault sends this PID, which the fixture's PMT does not list. */
const STRAY_PID = 0x0abc;
/** Stream bytes the clients must get from the new engine: about 2 s of the fixture. */
const AFTER_SWITCH_BYTES = 300_000;
const DEADLINE_MS = 40_000;
const FAILOVER_SECONDS = 5;
/**
 * What the switch may take beyond --failover-seconds: the media-progress check's tick, the new engine's
 * session start, this test's API polling, a busy 2-core machine (measured: 5.2–6.7 s in all).
 */
const FAILOVER_SLACK_MS = 5_000;

let a: EngineSim;
let b: EngineSim;
let gw: GatewayProc;

before(async () => {
  a = await startEngineSim({ port: 0 });
  b = await startEngineSim({ port: 0 });
  gw = await startGateway([
    '--engine',
    a.url,
    '--engine',
    b.url,
    '--shards',
    '2',
    '--stall-seconds',
    '2',
    '--failover-seconds',
    String(FAILOVER_SECONDS),
    // Only the silence clock fails over here: a count of failures must not do it first.
    '--failover-after',
    '50',
  ]);
});
after(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
});

/** Everything after byte `from` (a packet boundary) of a read, demuxed: was it playable media? */
function mediaAfter(r: TsRead, from: number): { keyframes: number; pcrs: number; syncLosses: number } {
  const d = new TsDemuxer();
  const res = d.push(r.bytes.subarray(from));
  let keyframes = 0;
  let pcrs = 0;
  for (const ev of res.events) {
    if (ev.kind === 'video' && ev.randomAccess) keyframes++;
    if (ev.kind === 'pcr') pcrs++;
  }
  return { keyframes, pcrs, syncLosses: d.stats.syncLosses };
}

function strayPackets(bytes: Uint8Array): number {
  let n = 0;
  for (let at = 0; at + TS_PACKET_SIZE <= bytes.length; at += TS_PACKET_SIZE) {
    if (readPid(bytes, at) === STRAY_PID) n++;
  }
  return n;
}

const KINDS = [
  { kind: 'html', id: 'a1'.repeat(20) },
  { kind: 'random', id: 'a2'.repeat(20) },
  { kind: 'null-only', id: 'a3'.repeat(20) },
  { kind: 'single-pid', id: 'a4'.repeat(20) },
] as const;

for (const { kind, id } of KINDS) {
  test(`an engine that turns to ${kind} on an open connection is failed over; clients keep playing`, async () => {
    const readers = [1, 2].map(() => openTs(`${gw.url}/ace/getstream?id=${id}`));
    const api = (): Promise<{ status: number; body: any }> => getJson(`${gw.url}/api/v1/streams/${id}`);
    // Playing on one engine first: clients have media before the fault.
    assert.ok(
      await waitFor(
        async () => (await api()).status === 200 && readers.every((r) => r.received() > 50_000),
        15_000,
      ),
      'the stream plays',
    );
    // A first HLS segment from this engine, so the playlist has a before and an after.
    const playlist = `${gw.url}/ace/manifest.m3u8?id=${id}`;
    let text = '';
    // (fetchPlaylist follows the multivariant answer to this player's session playlist, as players do.)
    const listed = async (re: RegExp): Promise<boolean> => {
      const res = await fetchPlaylist(playlist);
      text = res.text;
      return res.status === 200 && re.test(text);
    };
    assert.ok(await waitFor(() => listed(/^#EXTINF:/m), 20_000), `a first segment:\n${text}`);
    const first = (await api()).body;
    const [bad, good] = first.engine.url === a.url ? [a, b] : [b, a];
    const goodSessions = good.stats().sessionsStarted;
    // From now on this content on that engine is garbage, on the open connection and on every reconnect.
    bad.setFaults({ garbage: kind }, id);
    const faultAt = performance.now();
    let now: any = null;
    assert.ok(
      await waitFor(async () => {
        now = (await api()).body;
        return now.engine?.url === good.url;
      }, DEADLINE_MS),
      `the stream left the ${kind} engine (now on ${now?.engine?.url}, failovers ${now?.failovers})`,
    );
    const tookMs = performance.now() - faultAt;
    assert.ok(
      tookMs <= FAILOVER_SECONDS * 1000 + FAILOVER_SLACK_MS,
      `the ${kind} engine was left ${Math.round(tookMs)} ms after the fault (--failover-seconds ${FAILOVER_SECONDS})`,
    );
    assert.equal(now.failovers, 1);
    // Main names the new engine before the owner has started its session there: wait for the session.
    await waitFor(() => good.stats().sessionsStarted > goodSessions, DEADLINE_MS);
    assert.equal(good.stats().sessionsStarted, goodSessions + 1, 'the other engine took the stream');
    assert.ok(bad.stats().faults.garbage >= 1, 'the bad engine did send garbage');
    // Clients then get the new engine's media on the sockets they had.
    const marks = readers.map((r) => Math.floor(r.received() / TS_PACKET_SIZE) * TS_PACKET_SIZE);
    assert.ok(
      await waitFor(
        () => readers.every((r, i) => r.received() > marks[i]! + AFTER_SWITCH_BYTES),
        DEADLINE_MS,
      ),
      'media from the new engine reaches the clients',
    );
    assert.ok(
      await waitFor(() => listed(/^#EXT-X-DISCONTINUITY$/m), DEADLINE_MS, 250),
      `HLS marks the switch:\n${text}`,
    );
    const reads = await Promise.all(readers.map((r) => r.close()));
    for (const r of reads) {
      assert.equal(r.status, 200);
      assert.equal(r.closedByServer, false, 'the client kept its socket');
      const c = checkTs(r.bytes);
      assert.equal(c.syncErrors, 0, 'no garbage byte reached the client');
      assert.equal(strayPackets(r.bytes), 0, 'no packet of an unlisted PID reached the client');
    }
    for (const [i, r] of reads.entries()) {
      const m = mediaAfter(r, marks[i]!);
      assert.equal(m.syncLosses, 0);
      assert.ok(m.keyframes >= 1 && m.pcrs >= 10, `playable media after the switch: ${JSON.stringify(m)}`);
    }
  });
}
