// The upstream stalls for 5 s → clients receive TS null packets, keep their sockets and resume.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { readPid, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type GatewayProc, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

/** Arrival times (ms, Date.now()) of media (non-null) and null packets, from a client's chunks. */
function timeline(): { onChunk: (c: Buffer) => void; media: number[]; nulls: number[] } {
  const media: number[] = [];
  const nulls: number[] = [];
  let carry = 0; // chunk boundaries need not be packet boundaries
  return {
    media,
    nulls,
    onChunk: (c) => {
      const now = Date.now();
      for (
        let i = (TS_PACKET_SIZE - carry) % TS_PACKET_SIZE;
        i + TS_PACKET_SIZE <= c.length;
        i += TS_PACKET_SIZE
      ) {
        if (readPid(c, i) === 0x1fff) nulls.push(now);
        else media.push(now);
      }
      carry = (carry + c.length) % TS_PACKET_SIZE;
    },
  };
}

/** The longest pause between consecutive times, with where it started. */
function longestGap(times: number[]): { ms: number; from: number; to: number } {
  let best = { ms: 0, from: 0, to: 0 };
  for (let i = 1; i < times.length; i++) {
    const ms = times[i]! - times[i - 1]!;
    if (ms > best.ms) best = { ms, from: times[i - 1]!, to: times[i]! };
  }
  return best;
}

const STALL_S = 5;
const DEADLINE_MS = 30_000;

test('a 5 s upstream stall keeps clients connected with null packets, then resumes', async () => {
  const url = `${gw.url}/ace/getstream?id=${'d'.repeat(40)}`;
  const lines = [timeline(), timeline()];
  const clients = lines.map((l) => openTs(url, l.onChunk));
  for (const c of clients) assert.ok(await c.waitBytes(128 * 1024, DEADLINE_MS), 'clients play');
  const stallAt = Date.now();
  sim.setFaults({ stallAfterS: 0, stallForS: STALL_S });
  // Wait until each client has had plenty of media again after the stall ended (by the engine's clock).
  const resumed = (l: (typeof lines)[number]): boolean =>
    l.media.filter((t) => t > stallAt + STALL_S * 1000).length > 1000;
  assert.ok(await waitFor(() => lines.every(resumed), DEADLINE_MS), 'media resumed after the stall');
  const results = await Promise.all(clients.map((c) => c.close()));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false, 'the client kept its socket through the stall');
    const c = checkTs(r.bytes);
    assert.equal(c.syncErrors, 0);
    assert.equal(c.ccErrors, 0, 'the stream continues exactly where it paused');
    const { media, nulls } = lines[i]!;
    // The stall shows as one long pause in media (the gateway holds no seconds of media back)...
    const gap = longestGap(media);
    assert.ok(gap.ms >= (STALL_S - 1) * 1000, `the media pause was ${gap.ms} ms`);
    assert.ok(gap.from >= stallAt - 1000, 'the pause is the stall');
    // ...filled with keep-alive null packets (every 250 ms after 1 s of silence), so the socket never
    // goes quiet for long: players time out after ~10 s of silence, some after 3-5 s.
    const during = nulls.filter((t) => t > gap.from && t < gap.to);
    assert.ok(during.length >= 4, `keep-alive null packets during the stall (${during.length})`);
    const quiet = longestGap([...media, ...nulls].sort((x, y) => x - y));
    assert.ok(quiet.ms < 3000, `the socket went quiet for ${quiet.ms} ms`);
  }
  assert.equal(sim.stats().sessionsStarted, 1, 'a 5 s stall is waited out, not reconnected');
});
