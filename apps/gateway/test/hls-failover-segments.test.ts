// What the gateway serves across an engine failover, byte by byte, against the engine's own loop (the
// sim sends the same frames every loop, only timestamps move): every audio and video PES of every segment
// is whole and equal to the engine's, so nothing is torn or spliced at a cut. In particular the old
// engine's tail (cut when the engine died, usually in the middle of a frame) ends before the frame it was
// sending: Chromium fails to decode across a torn frame and hls.js then stops at the discontinuity. The
// first segment after EXT-X-DISCONTINUITY opens with PAT, PMT and a keyframe, and decode timestamps never
// go backwards without the tag.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { DEFAULT_FIXTURE, type EngineSim, planLoop, startEngineSim } from '@shardcast/engine-sim';
import { PAT_PID, parsePatPacket, parsePmtPacket, readPid, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist, fetchSegment, sleep } from './support/hls-tools.js';
import { type PesUnit, pesUnits } from './support/pes-units.js';

/** The gateway's default segment target (s): the tail of the old engine is shorter. */
const TARGET_SECONDS = 4;
/** How far into an open segment the engine dies (ms): a tail well over the one second that is kept. */
const KILL_INTO_SEGMENT_MS = 2000;
const POLL_MS = 200;
const PTS_MODULUS = 2 ** 33;

let a: EngineSim;
let b: EngineSim;
let gw: GatewayProc;

before(async () => {
  a = await startEngineSim({ port: 0 });
  b = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', a.url, '--engine', b.url, '--shards', '2']);
});
after(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
});

/** The engine's loop: each elementary stream's PES payloads by timestamp phase within the loop. */
function loopUnits(): { pids: Set<number>; videoPid: number; byPhase: Map<string, PesUnit>; period: number } {
  const bytes = new Uint8Array(readFileSync(DEFAULT_FIXTURE));
  const period = planLoop(bytes, TARGET_SECONDS).duration90k;
  let pmtPid = -1;
  for (let off = 0; off < bytes.length; off += TS_PACKET_SIZE) {
    const pid = readPid(bytes, off);
    if (pid === PAT_PID && pmtPid < 0) pmtPid = parsePatPacket(bytes, off)?.programs[0]?.pmtPid ?? -1;
    else if (pid === pmtPid) {
      const pmt = parsePmtPacket(bytes, off)!;
      const pids = new Set(pmt.streams.map((s) => s.pid));
      const byPhase = new Map<string, PesUnit>();
      for (const u of pesUnits(bytes, pids).units) byPhase.set(`${u.pid}@${u.pts % period}`, u);
      return { pids, videoPid: pmt.video!.pid, byPhase, period };
    }
  }
  throw new Error('the fixture has no PMT');
}

interface Served {
  readonly seq: number;
  readonly discontinuity: boolean;
  readonly durationUs: number;
  readonly bytes: Uint8Array;
  readonly startsWithPsiAndKeyframe: boolean;
}

test('segments around an engine failover: whole PES only, PSI and a keyframe after the discontinuity', async () => {
  const loop = loopUnits();
  const id = 'e5'.repeat(20);
  const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
  const served = new Map<number, Served>();
  /** Polls the playlist like a player and downloads every new segment. */
  const pollOnce = async (): Promise<void> => {
    const r = await fetchPlaylist(url);
    for (const s of r.playlist?.segments ?? []) {
      if (served.has(s.seq)) continue;
      const seg = await fetchSegment(s.uri);
      assert.equal(seg.status, 200, `segment ${s.seq}`);
      served.set(s.seq, {
        seq: s.seq,
        discontinuity: s.discontinuity,
        durationUs: s.durationUs,
        bytes: seg.bytes,
        startsWithPsiAndKeyframe: seg.ts.startsWithPsiAndKeyframe,
      });
    }
  };
  const pollUntil = (done: () => boolean, ms: number): Promise<boolean> =>
    waitFor(
      async () => {
        await pollOnce();
        return done();
      },
      ms,
      POLL_MS,
    );

  assert.ok(await pollUntil(() => served.size >= 2, 20_000), 'two segments of the first engine');
  // Kill the engine a while into an open segment, so its tail is long enough to be listed.
  const cutSoFar = served.size;
  assert.ok(await pollUntil(() => served.size > cutSoFar, 15_000), 'a segment was just cut');
  await sleep(KILL_INTO_SEGMENT_MS);
  const stream = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  await (stream.engine.url === a.url ? a : b).close();
  const discAt = (): number => [...served.values()].find((s) => s.discontinuity)?.seq ?? -1;
  assert.ok(
    await pollUntil(() => discAt() >= 0 && served.has(discAt() + 1), 30_000),
    'two segments of the other engine',
  );
  const now = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  assert.equal(now.failovers, 1);
  assert.notEqual(now.engine.url, stream.engine.url);

  const disc = discAt();
  const tail = served.get(disc - 1);
  assert.ok(tail, 'the old engine tail was listed');
  assert.ok(
    tail.durationUs < TARGET_SECONDS * 1e6,
    `the segment before the change is a tail (${tail.durationUs} µs)`,
  );
  assert.ok(
    served.get(disc)!.startsWithPsiAndKeyframe,
    'the first segment after the change opens with PAT, PMT, keyframe',
  );

  const seqs = [...served.keys()].sort((x, y) => x - y);
  let lastDts = -1;
  for (const seq of seqs) {
    const seg = served.get(seq)!;
    const what = `segment ${seq}${seq === disc - 1 ? ' (the tail)' : ''}${seq === disc ? ' (after the change)' : ''}`;
    assert.ok(seg.startsWithPsiAndKeyframe, `${what} opens with PAT, PMT, keyframe`);
    const scan = pesUnits(seg.bytes, loop.pids);
    assert.deepEqual([...scan.orphans], [], `${what}: no PES torn at the front`);
    if (seg.discontinuity) lastDts = -1;
    for (const u of scan.units) {
      const engine = loop.byPhase.get(`${u.pid}@${u.pts % loop.period}`);
      assert.ok(engine, `${what}: PID ${u.pid} PTS ${u.pts} is a frame the engine sent`);
      assert.equal(u.payload.length, engine.payload.length, `${what}: PID ${u.pid} PTS ${u.pts} whole`);
      assert.ok(
        Buffer.from(u.payload).equals(engine.payload),
        `${what}: PID ${u.pid} PTS ${u.pts} unchanged`,
      );
      if (u.pid !== loop.videoPid) continue;
      // Decode order never goes back within a timeline (33-bit wrap aside).
      if (lastDts >= 0) {
        const step = (u.dts - lastDts + PTS_MODULUS) % PTS_MODULUS;
        assert.ok(step > 0 && step < PTS_MODULUS / 2, `${what}: DTS ${lastDts} -> ${u.dts}`);
      }
      lastDts = u.dts;
    }
  }
});
