// Lifecycle events: with --events-url pointing at a receiver, a stream that is played and then
// left sends exactly one stream_started and one stream_ended (documented shapes, Bearer key). With the
// receiver down, the stream plays just the same and the undelivered events are counted in /metrics.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { parseExposition, sumOf } from './support/exposition.js';
import { type GatewayProc, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

const KEY = 'orchestrator-key-123';
let sim: EngineSim;
let receiver: Server;
let up: GatewayProc;
let down: GatewayProc;
const received: Array<{ path: string; auth: string | undefined; body: any }> = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sim = await startEngineSim({ port: 0 });
  [up, down] = await Promise.all([
    startGateway([
      '--engine',
      sim.url,
      '--shards',
      '1',
      '--grace-seconds',
      '1',
      '--events-url',
      receiverUrl,
      '--events-key',
      KEY,
    ]),
    // Nothing listens on port 1: every delivery fails at once.
    startGateway(['--engine', sim.url, '--shards', '1', '--events-url', 'http://127.0.0.1:1']),
  ]);
});
after(async () => {
  await up?.stop();
  await down?.stop();
  await sim?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

test('one stream_started and one stream_ended per stream, documented shapes, Bearer key', async () => {
  const id = '3'.repeat(40);
  const r = await readTs(`${up.url}/ace/getstream?id=${id}`, 2000);
  assert.equal(r.status, 200);
  assert.ok(await waitFor(() => received.some((x) => x.path === '/events/stream_ended'), 6000), 'ended sent');
  // Nothing else trickles in afterwards.
  await new Promise((res) => setTimeout(res, 500));
  assert.deepEqual(
    received.map((x) => x.path),
    ['/events/stream_started', '/events/stream_ended'],
  );
  assert.ok(received.every((x) => x.auth === `Bearer ${KEY}`));
  const started = received[0]!.body;
  const simPort = Number(new URL(sim.url).port);
  assert.deepEqual(Object.keys(started).sort(), ['container_id', 'engine', 'labels', 'session', 'stream']);
  assert.equal(started.container_id, null, 'a static engine has no container');
  assert.deepEqual(started.engine, { host: '127.0.0.1', port: simPort });
  assert.deepEqual(started.stream, { key_type: 'content_id', key: id });
  assert.match(started.session.playback_session_id, /^[0-9a-f]{40}$/);
  assert.match(started.session.stat_url, /\/ace\/stat\//);
  assert.match(started.session.command_url, /\/ace\/cmd\//);
  assert.equal(started.session.is_live, 1);
  assert.equal(started.labels.stream_id, `${id}|${started.session.playback_session_id}`);
  assert.deepEqual(received[1]!.body, {
    container_id: null,
    stream_id: started.labels.stream_id,
    reason: 'normal',
  });
  const e = parseExposition(await (await fetch(`${up.url}/metrics`)).text());
  assert.equal(sumOf(e, 'shardcast_orchestrator_events_sent_total'), 2);
  assert.equal(sumOf(e, 'shardcast_orchestrator_events_failed_total'), 0);
});

test('a dead orchestrator: the stream plays normally, failures are counted', async () => {
  const id = '4'.repeat(40);
  const r = await readTs(`${down.url}/ace/getstream?id=${id}`, 3000);
  assert.equal(r.status, 200);
  assert.equal(r.closedByServer, false);
  const c = checkTs(r.bytes);
  assert.ok(c.startsWithPsiAndKeyframe);
  assert.ok(r.bytes.length > 200_000, `media flowed (${r.bytes.length} bytes)`);
  assert.equal(c.syncErrors, 0);
  let e = parseExposition('');
  // Four attempts with 0.5 s, 1 s, 2 s backoff: given up within ~4 s of the session start.
  assert.ok(
    await waitFor(
      async () => {
        e = parseExposition(await (await fetch(`${down.url}/metrics`)).text());
        return sumOf(e, 'shardcast_orchestrator_events_failed_total', { event: 'stream_started' }) === 1;
      },
      8000,
      250,
    ),
    'the undeliverable stream_started is counted',
  );
  assert.ok(sumOf(e, 'shardcast_orchestrator_event_retries_total') >= 3);
  assert.equal(sumOf(e, 'shardcast_orchestrator_events_sent_total'), 0);
});
