/**
 * Docker engines, gateway level, against the real private daemon: two engine containers, a stream with three
 * progressive TS clients, and the container feeding it is killed mid-stream. The engine leaves the registry
 * (Docker `die` event), main tells the owner at once (directory.engineGone → `engineLost`), the stream moves
 * to the other container and the clients keep their sockets and keep receiving media.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { getJson } from '../test/support/gateway-proc.js';
import { checkTs, readTs } from '../test/support/ts-reader.js';
import {
  E2eDocker,
  type EngineContainer,
  engine,
  engines,
  freePort,
  simStats,
  startDockerGateway,
  until,
} from './docker-support.js';

const CONTENT_ID = 'fa110e4e7c1d2b3a4958677685940a1b2c3d4e5f';
const TS_PACKET_SIZE = 188;
const CLIENTS = 3;
/** The gateway's default --failover-after: failed attempts before the owner switches engine by itself. */
const FAILOVER_AFTER = 3;
const READ_MS = 12_000;
/** Media has to keep arriving this long after the kill (the read ends READ_MS after it started). */
const PLAYING_AFTER_KILL_MS = 6000;

let docker: E2eDocker;
let gw: GatewayProc;
let pair: EngineContainer[];

interface StreamRow {
  key: { value: string };
  state: string;
  engine: { id: string; url: string };
  failovers: number;
  generation: number;
}

async function streamRow(): Promise<StreamRow | undefined> {
  const r = await getJson(`${gw.url}/api/v1/streams`);
  return (r.body.streams as StreamRow[]).find((s) => s.key.value === CONTENT_ID);
}

before(async () => {
  docker = new E2eDocker();
  await docker.checkPrerequisites();
  gw = await startDockerGateway(docker);
  pair = await Promise.all([
    docker.createEngine('gw-failover-a', await freePort()),
    docker.createEngine('gw-failover-b', await freePort()),
  ]);
  await Promise.all(pair.map((c) => docker.start(c.id)));
  // Both listed by the gateway, and both engine-sims answering on their ports.
  await until(
    async () => {
      const ids = new Set((await engines(gw)).map((e) => e.id));
      return pair.every((c) => ids.has(c.engineId));
    },
    5000,
    'both engines listed',
  );
  await until(
    async () => {
      const ok = await Promise.all(
        pair.map((c) =>
          simStats(c).then(
            () => true,
            () => false,
          ),
        ),
      );
      return ok.every(Boolean);
    },
    15_000,
    'both engine-sims listening',
  );
});

after(async () => {
  await gw?.stop();
  await docker?.removeAll();
});

test('killing the engine container mid-stream fails the stream over; its clients keep playing', async (t) => {
  const url = `${gw.url}/ace/getstream?id=${CONTENT_ID}`;
  const reads = Array.from({ length: CLIENTS }, () => readTs(url, READ_MS));
  const t0 = performance.now();
  await until(async () => (await streamRow())?.state === 'live', 5000, 'the stream live');
  const first = (await streamRow())!;
  const dying = pair.find((c) => c.engineId === first.engine.id);
  const other = pair.find((c) => c.engineId !== first.engine.id)!;
  assert.ok(dying, `the stream runs on one of the containers (${first.engine.id})`);
  await new Promise((r) => setTimeout(r, 2000));

  const killAt = performance.now() - t0;
  await docker.kill(dying.id);
  const goneMs =
    (await until(async () => (await engine(gw, dying.engineId)) === undefined, 5000, 'engine gone')) - t0;
  t.diagnostic(
    `killed at ${killAt.toFixed(0)} ms, engine left the list ${(goneMs - killAt).toFixed(0)} ms later`,
  );
  const movedAt = await until(
    async () => (await streamRow())?.engine.id === other.engineId,
    10_000,
    'the stream on the other engine',
  );
  t.diagnostic(`stream on the other engine ${(movedAt - t0 - killAt).toFixed(0)} ms after the kill`);

  const results = await Promise.all(reads);
  const now = (await streamRow())!;
  assert.equal(now.engine.id, other.engineId);
  assert.equal(now.engine.url, other.url);
  assert.equal(now.failovers, 1);
  assert.ok(now.generation >= 1, 'the ring moved to a new generation');
  assert.equal((await simStats(other)).sessionsStarted, 1, 'the other container took the stream');
  // Main told the owner, and the owner acted on it: it failed over before reaching its own failure
  // count (--failover-after, default 3 failed attempts on the dead engine).
  assert.ok(
    gw.logs.some((l) => l.msg === 'engine gone; failing the stream over' && l.engine === dying.url),
    'directory.engineGone fired for the stream',
  );
  const failover = gw.logs.find((l) => l.msg === 'stream failing over' && l.from === dying.url);
  assert.ok(failover, 'the directory logged the failover');
  // By time, not line order: shard and main lines reach stdout through different threads.
  const attempts = gw.logs.filter(
    (l) =>
      (l.msg === 'upstream failed' || l.msg === 'upstream ended') &&
      l.engine === dying.url &&
      Number(l.time) <= Number(failover.time),
  );
  t.diagnostic(`${attempts.length} failed upstream attempt(s) on the dead engine before the failover`);
  assert.ok(attempts.length < FAILOVER_AFTER, `failed over after ${attempts.length} attempts`);

  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false, 'the client kept its socket');
    const c = checkTs(r.bytes);
    assert.ok(c.startsWithPsiAndKeyframe);
    assert.equal(c.syncErrors, 0, 'never spliced mid-packet');
    // Counters restart with the new upstream: at most one break per PID, at the switch.
    assert.ok(
      c.ccErrors <= c.pids,
      `continuity breaks only at the switch (${c.ccErrors} for ${c.pids} PIDs)`,
    );
    // Media, not just the null packets that bridge the switch, from 2 s after the kill on.
    const bytesBefore = r.arrivals.filter((x) => x.atMs <= killAt + 2000).reduce((n, x) => n + x.bytes, 0);
    const tail = checkTs(r.bytes.subarray(bytesBefore - (bytesBefore % TS_PACKET_SIZE)));
    const media = tail.packets - tail.nullPackets - tail.syncErrors;
    const lastAt = r.arrivals.at(-1)!.atMs;
    assert.ok(media > 1000, `media kept flowing after the kill (${media} media packets from 2 s after it)`);
    assert.ok(
      lastAt > killAt + PLAYING_AFTER_KILL_MS,
      `still playing ${(lastAt - killAt).toFixed(0)} ms after the kill`,
    );
  }
});
