// Lifecycle events: orchestrator delivery never blocks its caller, is bounded (overflow is
// counted), retries 5xx and network errors with backoff, gives up on other 4xx, keeps one stream's
// events in order, and sends `Authorization: Bearer <key>`.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { OrchestratorQueue } from '../src/control/orchestrator-queue.js';
import { waitFor } from './support/gateway-proc.js';

interface Received {
  readonly path: string;
  readonly auth: string | undefined;
  readonly body: any;
}

let server: Server;
let base: string;
const received: Received[] = [];
/** Status to answer per call of a path (then 200). */
const script = new Map<string, number[]>();
let holdMs = 0;

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      const statuses = script.get(req.url ?? '') ?? [];
      const status = statuses.shift() ?? 200;
      setTimeout(() => {
        received.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(status).end();
      }, holdMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orch/`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('delivers with the bearer key; a 503 is retried; a 400 is given up at once', async () => {
  received.length = 0;
  const failures: string[] = [];
  const q = new OrchestratorQueue({
    url: base,
    key: 'sekrit',
    backoffBaseMs: 20,
    onFailure: (e, why) => failures.push(`${e.name}: ${why}`),
  });
  script.set('/orch/events/stream_started', [503, 503]);
  script.set('/orch/events/stream_ended', [400]);
  assert.equal(q.enqueue({ name: 'stream_started', body: { n: 1 }, orderKey: 'a' }), true);
  assert.equal(q.enqueue({ name: 'stream_ended', body: { n: 2 }, orderKey: 'b' }), true);
  assert.ok(await waitFor(() => (q.stats.sent.get('stream_started') ?? 0) === 1, 5000));
  assert.ok(await waitFor(() => (q.stats.failed.get('stream_ended') ?? 0) === 1, 5000));
  assert.equal(q.stats.retries, 2);
  assert.deepEqual(failures, ['stream_ended: HTTP 400']);
  assert.ok(received.every((r) => r.auth === 'Bearer sekrit'));
  assert.equal(received.filter((r) => r.path === '/orch/events/stream_started').length, 3);
  await q.close(1000);
});

test('events of one stream keep their order through retries; other streams are not held up', async () => {
  received.length = 0;
  const q = new OrchestratorQueue({ url: base, backoffBaseMs: 50 });
  script.set('/orch/events/stream_started', [500]);
  q.enqueue({ name: 'stream_started', body: { stream: 's1' }, orderKey: 's1' });
  q.enqueue({ name: 'stream_ended', body: { stream: 's1' }, orderKey: 's1' });
  script.set('/orch/events/stream_ended', []);
  q.enqueue({ name: 'stream_ended', body: { stream: 's2' }, orderKey: 's2' });
  assert.ok(
    await waitFor(() => q.stats.queued === 0 && q.stats.inFlight === 0 && received.length === 4, 5000),
  );
  const ok = received.filter((r) => r.body.stream === 's1').map((r) => r.path);
  assert.deepEqual(ok, [
    '/orch/events/stream_started',
    '/orch/events/stream_started',
    '/orch/events/stream_ended',
  ]);
  assert.equal(received[0]!.body.stream, 's1');
  assert.equal(received[1]!.body.stream, 's2', 's2 went out while s1 waited for its retry');
  await q.close(1000);
});

test('a slow orchestrator: enqueue stays instant, the bounded queue overflows and counts it', async () => {
  received.length = 0;
  holdMs = 300;
  const q = new OrchestratorQueue({ url: base, maxQueue: 5, concurrency: 1 });
  let accepted = 0;
  for (let i = 0; i < 50; i++) {
    if (q.enqueue({ name: 'stream_started', body: { i }, orderKey: `k${i}` })) accepted++;
  }
  // enqueue is synchronous: the 50 calls returned before the orchestrator answered anything.
  assert.equal(received.length, 0, 'enqueue never waits for the network');
  assert.equal(accepted, 6, 'one in flight plus five queued');
  assert.equal(q.stats.overflow.get('stream_started'), 44);
  holdMs = 0;
  await q.close(5000);
  assert.equal((q.stats.sent.get('stream_started') ?? 0) + (q.stats.failed.get('stream_started') ?? 0), 6);
});

test('a dead orchestrator: retries with backoff, then counts failures; close() returns by its deadline', async () => {
  const q = new OrchestratorQueue({
    url: 'http://127.0.0.1:1/',
    attempts: 3,
    backoffBaseMs: 10,
    timeoutMs: 500,
  });
  q.enqueue({ name: 'stream_started', body: {}, orderKey: 'x' });
  assert.ok(await waitFor(() => q.stats.failed.get('stream_started') === 1, 5000));
  assert.equal(q.stats.retries, 2);
  q.enqueue({ name: 'stream_ended', body: {}, orderKey: 'x' });
  await q.close(200);
  assert.equal(q.stats.failed.get('stream_ended'), 1, 'what close() could not deliver is counted');
  assert.equal(
    q.enqueue({ name: 'stream_ended', body: {}, orderKey: 'x' }),
    false,
    'closed: refused, counted',
  );
});
