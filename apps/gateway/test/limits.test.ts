// Limits answer 503 with Retry-After and a JSON error, and never cost another viewer its stream.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

/** Enough bytes to know a client is being served (PAT, PMT and the start of a GOP). */
const SERVED_BYTES = 64 * 1024;
const DEADLINE_MS = 20_000;

let sim: EngineSim;
before(async () => {
  sim = await startEngineSim({ port: 0 });
});
after(async () => {
  await sim?.close();
});

/** Waits until no stream of `gw` counts a TS client (a shard counts one until it sees the close). */
function noTsClients(gw: GatewayProc): Promise<boolean> {
  return waitFor(
    async () =>
      (await getJson(`${gw.url}/api/v1/streams`)).body.streams.every((s: any) => s.clients.ts === 0),
    DEADLINE_MS,
  );
}

describe('stream limit', () => {
  let gw: GatewayProc;
  before(async () => {
    gw = await startGateway(['--engine', sim.url, '--shards', '1', '--max-streams', '1']);
  });
  after(() => gw?.stop());

  test('a second stream is refused with 503 + Retry-After while the first keeps playing', async () => {
    const first = openTs(`${gw.url}/ace/getstream?id=${'3'.repeat(40)}`);
    assert.ok(await first.waitBytes(SERVED_BYTES, DEADLINE_MS), 'the first stream plays');
    const second = await getJson(`${gw.url}/ace/getstream?id=${'4'.repeat(40)}`);
    assert.equal(second.status, 503);
    assert.equal(second.headers.get('retry-after'), '5');
    assert.equal(second.body.error.code, 'SC_ERR_STREAM_LIMIT');
    // The refusal cost the first viewer nothing: it keeps receiving valid TS.
    const more = first.received() + SERVED_BYTES;
    assert.ok(await first.waitBytes(more, DEADLINE_MS), 'the first stream keeps playing');
    const r = await first.close();
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false);
    assert.equal(checkTs(r.bytes).ccErrors, 0);
  });
});

describe('client limits', () => {
  let gw: GatewayProc;
  before(async () => {
    gw = await startGateway([
      '--engine',
      sim.url,
      '--shards',
      '1',
      '--max-clients-per-stream',
      '2',
      '--max-clients',
      '3',
    ]);
  });
  after(() => gw?.stop());

  test('clients beyond the per-stream cap get 503 SC_ERR_STREAM_CLIENT_LIMIT', async () => {
    const url = `${gw.url}/ace/getstream?id=${'5'.repeat(40)}`;
    const clients = [openTs(url), openTs(url)];
    for (const c of clients) assert.ok(await c.waitBytes(SERVED_BYTES, DEADLINE_MS), 'both clients play');
    const c = await getJson(url);
    assert.equal(c.status, 503);
    assert.equal(c.body.error.code, 'SC_ERR_STREAM_CLIENT_LIMIT');
    assert.ok(c.headers.get('retry-after'));
    for (const r of await Promise.all(clients.map((x) => x.close()))) {
      assert.equal(r.status, 200);
      assert.equal(r.closedByServer, false);
    }
  });

  test('clients beyond the shard cap get 503 SC_ERR_CLIENT_LIMIT', async () => {
    // The previous test's clients must be gone first (the shard counts them until it sees the close).
    assert.ok(await noTsClients(gw), 'the previous clients are gone');
    const clients = ['6', '7', '8'].map((d) => openTs(`${gw.url}/ace/getstream?id=${d.repeat(40)}`));
    for (const c of clients) assert.ok(await c.waitBytes(SERVED_BYTES, DEADLINE_MS), 'three clients play');
    const d = await getJson(`${gw.url}/ace/getstream?id=${'9'.repeat(40)}`);
    assert.equal(d.status, 503);
    assert.equal(d.body.error.code, 'SC_ERR_CLIENT_LIMIT');
    for (const r of await Promise.all(clients.map((x) => x.close()))) {
      assert.equal(r.status, 200);
      assert.equal(r.closedByServer, false);
    }
  });
});

describe('engine failures reach the player as JSON errors', () => {
  let bad: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    bad = await startEngineSim({ port: 0, faults: { startError: 'content not found' } });
    gw = await startGateway(['--engine', bad.url, '--shards', '1', '--failover-after', '1']);
  });
  after(async () => {
    await gw?.stop();
    await bad?.close();
  });

  test('an engine that refuses the content gives 502 SC_ERR_UPSTREAM_FAILED quickly', async () => {
    const t0 = Date.now();
    const r = await getJson(`${gw.url}/ace/getstream?id=${'a1'.repeat(20)}`);
    assert.equal(r.status, 502);
    assert.equal(r.body.error.code, 'SC_ERR_UPSTREAM_FAILED');
    assert.ok(Date.now() - t0 < 10_000, 'no wait for the open deadline');
    const list = await getJson(`${gw.url}/api/v1/streams`);
    assert.equal(list.body.streams.length, 0, 'the failed stream is gone');
  });
});

/**
 * An engine in front of the simulator that holds session starts (`/ace/getstream`) until `release()`:
 * the test knows every request of a crowd reached the gateway while the stream was still opening.
 */
interface GatedEngine {
  readonly url: string;
  /** Session starts received (held or passed). */
  starts(): number;
  /** Holds session starts from now on. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

async function gatedEngine(target: string): Promise<GatedEngine> {
  let open = false;
  let starts = 0;
  const held: Array<() => void> = [];
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const up = httpRequest(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers, agent: false },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/ace/getstream')) {
      starts++;
      if (!open) {
        held.push(() => forward(req, res));
        return;
      }
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    starts: () => starts,
    hold: () => {
      open = false;
    },
    release: () => {
      open = true;
      for (const go of held.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A GET whose request has left this process (the gateway has it), and its answer. A 200 (a live stream,
 * whose body never ends) stays open, still counted by the gateway, until `close()`.
 */
function sentGet(url: string): {
  sent: Promise<void>;
  status: Promise<{ status: number; code: string | null }>;
  close: () => void;
} {
  let req!: ReturnType<typeof httpRequest>;
  const status = new Promise<{ status: number; code: string | null }>((resolve, reject) => {
    req = httpRequest(url, { agent: false }, (res) => {
      if (res.statusCode === 200) {
        res.resume();
        res.on('error', () => {});
        resolve({ status: 200, code: null });
        return;
      }
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: JSON.parse(text).error.code }));
    });
    req.on('error', reject);
  });
  const sent = new Promise<void>((resolve) => req.on('finish', () => resolve()));
  req.end();
  return { sent, status, close: () => req.destroy() };
}

function tally(answers: Array<{ status: number; code: string | null }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = a.code ?? String(a.status);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('client limits hold for a crowd that arrives while its stream opens', () => {
  let gate: GatedEngine;
  let gw: GatewayProc;
  before(async () => {
    gate = await gatedEngine(sim.url);
    gw = await startGateway([
      '--engine',
      gate.url,
      '--shards',
      '1',
      '--max-clients-per-stream',
      '2',
      '--max-clients',
      '3',
    ]);
  });
  after(async () => {
    await gw?.stop();
    await gate?.close();
  });

  /** Sends every URL at once and lets the stream(s) open only once the gateway has all the requests. */
  async function crowd(urls: string[], streams: number): Promise<Record<string, number>> {
    gate.hold();
    const before = gate.starts();
    const gets = urls.map((u) => sentGet(u));
    await Promise.all(gets.map((g) => g.sent));
    assert.ok(await waitFor(() => gate.starts() >= before + streams, DEADLINE_MS), 'the streams are opening');
    gate.release();
    // Every answer while the clients that play keep playing (each counts until it leaves).
    const answers = tally(await Promise.all(gets.map((g) => g.status)));
    for (const g of gets) g.close();
    return answers;
  }

  test('five first requests of one stream: two play, three get 503 SC_ERR_STREAM_CLIENT_LIMIT', async () => {
    const url = `${gw.url}/ace/getstream?id=${'c1'.repeat(20)}`;
    const answers = await crowd([url, url, url, url, url], 1);
    assert.deepEqual(answers, { '200': 2, SC_ERR_STREAM_CLIENT_LIMIT: 3 });
  });

  test('four first requests of two streams on a shard capped at three clients: one gets 503 SC_ERR_CLIENT_LIMIT', async () => {
    // The previous test's clients must be gone first (the shard counts them until it sees the close).
    assert.ok(await noTsClients(gw), 'the previous clients are gone');
    const a = `${gw.url}/ace/getstream?id=${'c2'.repeat(20)}`;
    const b = `${gw.url}/ace/getstream?id=${'c3'.repeat(20)}`;
    const answers = await crowd([a, a, b, b], 2);
    assert.deepEqual(answers, { '200': 3, SC_ERR_CLIENT_LIMIT: 1 });
  });
});
