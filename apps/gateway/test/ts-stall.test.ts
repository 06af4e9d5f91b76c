// Issue 3: the upstream stalls for 5 s → clients receive TS null packets, keep their sockets and resume.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { readPid, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type GatewayProc, startGateway } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

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

/** Counts media (non-null) and null packets per 500 ms of arrival time. */
function timeline(): { t0: number; onChunk: (c: Buffer) => void; media: number[]; nulls: number[] } {
  const t0 = Date.now();
  const media: number[] = [];
  const nulls: number[] = [];
  let carry = 0; // chunk boundaries need not be packet boundaries
  return {
    t0,
    media,
    nulls,
    onChunk: (c) => {
      const slot = Math.floor((Date.now() - t0) / 500);
      media[slot] ??= 0;
      nulls[slot] ??= 0;
      for (
        let i = (TS_PACKET_SIZE - carry) % TS_PACKET_SIZE;
        i + TS_PACKET_SIZE <= c.length;
        i += TS_PACKET_SIZE
      ) {
        if (readPid(c, i) === 0x1fff) nulls[slot]!++;
        else media[slot]!++;
      }
      carry = (carry + c.length) % TS_PACKET_SIZE;
    },
  };
}

test('a 5 s upstream stall keeps clients connected with null packets, then resumes', async () => {
  const url = `${gw.url}/ace/getstream?id=${'d'.repeat(40)}`;
  const lines = [timeline(), timeline()];
  const reads = lines.map((l) => readTs(url, 11_000, l.onChunk));
  await new Promise((r) => setTimeout(r, 2000));
  const stallAt = Date.now();
  sim.setFaults({ stallAfterS: 0, stallForS: 5 });
  const results = await Promise.all(reads);
  for (const [i, r] of results.entries()) {
    // Slots are counted from each timeline's own start; look from one second into the stall.
    const stallSlot = Math.floor((stallAt - lines[i]!.t0) / 500) + 2;
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false, 'the client kept its socket through the stall');
    const c = checkTs(r.bytes);
    assert.equal(c.syncErrors, 0);
    assert.equal(c.ccErrors, 0, 'the stream continues exactly where it paused');
    const { media, nulls } = lines[i]!;
    // Deep in the stall: no media, but keep-alive null packets every half second.
    for (let s = stallSlot; s < stallSlot + 6; s++) {
      assert.equal(media[s] ?? 0, 0, `no media in slot ${s} of the stall`);
      assert.ok((nulls[s] ?? 0) >= 2, `keep-alive null packets in slot ${s} (${nulls[s] ?? 0})`);
    }
    // After the stall: media again, at the stream's pace.
    const afterStall = media.slice(stallSlot + 9).reduce((a, b) => a + (b ?? 0), 0);
    assert.ok(afterStall > 1000, `media resumed after the stall (${afterStall} packets)`);
  }
  assert.equal(sim.stats().sessionsStarted, 1, 'a 5 s stall is waited out, not reconnected');
});
