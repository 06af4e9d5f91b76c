// Issue 3, slow clients: a client that reads nothing for 30 s does not grow the gateway's memory beyond its
// bound and does not delay other clients; one stuck past the deadline is closed (counted); one that falls
// too far behind skips to the newest keyframe (counted) with PAT/PMT first.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

/** A client that sends its request and then never reads a byte. */
function deadReader(port: number, path: string): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      s.pause();
      resolve(s);
    });
    s.on('error', () => {});
  });
}

describe('a client that reads nothing', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    // 8× real time fills the socket buffers in seconds instead of minutes.
    sim = await startEngineSim({ port: 0, rate: 8 });
    // A 4 MiB ring is full after the warm-up, so ring pages touched later do not count as growth.
    gw = await startGateway([
      '--engine',
      sim.url,
      '--shards',
      '2',
      '--ring-mb',
      '4',
      '--client-lag-seconds',
      '600',
    ]);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  test('for 30 s: memory stays bounded, the other client is not delayed, the dead one is dropped', async (t) => {
    const path = `/ace/getstream?id=${'f'.repeat(40)}`;
    const warm = await readTs(`${gw.url}${path}`, 5000);
    assert.equal(warm.status, 200);
    const rssBefore = gw.rss();
    const dead = await deadReader(gw.port, path);
    const healthy = await readTs(`${gw.url}${path}`, 30_000);
    const rssAfter = gw.rss();
    const { body } = await getJson(`${gw.url}/api/v1/streams/${'f'.repeat(40)}`);
    dead.destroy();

    // 30 s at 8× the fixture's 1.13 Mbit/s is ~34 MB; a gateway that queued it for the dead client would
    // show most of that (minus a few MB of kernel socket buffers). The bound is one write (~64 KiB) plus noise.
    const grewMb = (rssAfter - rssBefore) / 1048576;
    assert.ok(grewMb < 10, `gateway RSS grew ${grewMb.toFixed(1)} MB while a client read nothing for 30 s`);
    // It filled the socket buffers within seconds, then stayed blocked past the 8 s deadline: closed, counted.
    assert.equal(body.clients.ts, 1, 'only the healthy client is left');
    assert.equal(body.drops, 1, 'the dead client was dropped and counted');

    const c = checkTs(healthy.bytes);
    assert.equal(c.ccErrors, 0);
    const expected = sim.bytesPerSecond * 8 * 30;
    assert.ok(
      healthy.bytes.length > expected * 0.9,
      `healthy client got ${healthy.bytes.length} of ~${expected} bytes`,
    );
    let gap = 0;
    for (let i = 1; i < healthy.arrivals.length; i++)
      gap = Math.max(gap, healthy.arrivals[i]!.atMs - healthy.arrivals[i - 1]!.atMs);
    t.diagnostic(`longest gap ${gap} ms`);
    assert.ok(gap < 500, `longest gap for the healthy client ${gap} ms`);
  });
});

describe('slow-client policy', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    sim = await startEngineSim({ port: 0, rate: 8 });
    gw = await startGateway([
      '--engine',
      sim.url,
      '--shards',
      '1',
      '--client-stuck-seconds',
      '5',
      '--client-lag-seconds',
      '1',
    ]);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  test('a client stuck past the deadline is closed and counted as a drop', async () => {
    const id = '1'.repeat(40);
    const dead = await deadReader(gw.port, `/ace/getstream?id=${id}`);
    // A paused socket does not notice the server's close, so watch the gateway's own counters: the client
    // fills ~4 MB of socket buffers (a few seconds at 8×), then stays blocked 5 s, then is dropped.
    const stream = `${gw.url}/api/v1/streams/${id}`;
    const dropped = await waitFor(
      async () => {
        const s = await getJson(stream);
        return s.status === 200 && s.body.drops >= 1 && s.body.clients.ts === 0;
      },
      20_000,
      250,
    );
    dead.destroy();
    assert.ok(dropped, 'the stuck client was closed and counted');
  });

  test('a client that falls behind skips to the newest keyframe, PAT/PMT first', async () => {
    const id = '2'.repeat(40);
    // Stops reading for 6 s: ~4 s fill the socket buffers, then the gateway is blocked for ~2 s (under the
    // 5 s stuck deadline). When it reads again it is more than 1 s behind live at the rate bytes arrive.
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const s = connect({ port: gw.port, host: '127.0.0.1' }, () => {
        s.write(`GET /ace/getstream?id=${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      });
      s.on('data', (d: Buffer) => chunks.push(d));
      setTimeout(() => s.pause(), 1000);
      setTimeout(() => s.resume(), 7000);
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 10_000);
    });
    const s = await getJson(`${gw.url}/api/v1/streams/${id}`);
    assert.equal(s.status, 200);
    assert.ok(s.body.skips >= 1, `skips counted (${s.body.skips})`);
    // The body still is valid TS after the skips: sync everywhere (chunked framing stripped by hand).
    const raw = Buffer.concat(chunks);
    const body = dechunk(raw.subarray(raw.indexOf('\r\n\r\n') + 4));
    const c = checkTs(body);
    assert.equal(c.syncErrors, 0);
    assert.ok(c.startsWithPsiAndKeyframe);
  });
});

/** Strips HTTP/1.1 chunked framing (complete chunks only). */
function dechunk(buf: Buffer): Uint8Array {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', i);
    if (nl < 0) break;
    const size = Number.parseInt(buf.subarray(i, nl).toString(), 16);
    if (!(size > 0) || nl + 2 + size > buf.length) break;
    out.push(buf.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
  const all = Buffer.concat(out);
  return all.subarray(0, all.length - (all.length % 188));
}
