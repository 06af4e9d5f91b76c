// --metrics-port: main serves /metrics, /metrics/performance, /ready and /health on a listener of its own,
// so a scrape never waits behind a shard's data-plane work; admin routes are not served there.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

let sim: EngineSim;
let gw: GatewayProc;
let metricsUrl = '';

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '1', '--metrics-port', '0']);
  const ready = gw.logs.find((l) => String(l.msg).startsWith('Shardcast ready'));
  const port = Number(ready?.metricsPort);
  assert.ok(port > 0 && port !== gw.port, `the ready line names the metrics port (${port})`);
  metricsUrl = `http://127.0.0.1:${port}`;
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('/metrics answers Prometheus text from main', async () => {
  const r = await fetch(`${metricsUrl}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await r.text();
  assert.match(text, /^shardcast_ready 1$/m);
  assert.match(text, /^# TYPE shardcast_operation_duration_seconds histogram$/m);
});

test('/metrics/performance, /ready and /health answer JSON', async () => {
  const perf = await getJson(`${metricsUrl}/metrics/performance?window=60`);
  assert.equal(perf.status, 200);
  assert.equal(perf.body.window_seconds, 60);
  assert.equal(typeof perf.body.operations, 'object');
  const bad = await getJson(`${metricsUrl}/metrics/performance?window=abc`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SC_ERR_BAD_WINDOW');
  // Ready once the first engine health probe has answered.
  let ready: Awaited<ReturnType<typeof getJson>> | null = null;
  await waitFor(async () => {
    ready = await getJson(`${metricsUrl}/ready`);
    return ready.status === 200;
  }, 20_000);
  assert.equal(ready!.status, 200);
  assert.equal(ready!.body.ready, true);
  const health = await getJson(`${metricsUrl}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
});

test('admin and player routes are not served on the metrics port', async () => {
  for (const path of ['/api/v1/streams', '/api/v1/engines', `/ace/getstream?id=${'a'.repeat(40)}`, '/']) {
    const r = await getJson(`${metricsUrl}${path}`);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.error.code, 'SC_ERR_NOT_FOUND');
  }
  const del = await getJson(`${metricsUrl}/api/v1/streams/${'a'.repeat(40)}`, { method: 'DELETE' });
  assert.equal(del.status, 404);
  assert.equal(sim.stats().startRequests, 0, 'no request reached an engine');
});

test('HEAD answers carry no body', async () => {
  const { status, length, body } = await new Promise<{ status: number; length: string; body: string }>(
    (resolve, reject) => {
      const req = request(`${metricsUrl}/metrics`, { method: 'HEAD' }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, length: String(res.headers['content-length']), body }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
  assert.equal(status, 200);
  assert.ok(Number(length) > 0, 'Content-Length is what GET would send');
  assert.equal(body, '');
});

/** Sends raw bytes on a new connection; resolves with everything the server sent before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(text));
    s.setEncoding('latin1');
    s.on('data', (c: string) => {
      out += c;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => s.end(), 3000).unref();
  });
}

test('HTTP/1.0 health checks (HAProxy default httpchk) and pipelined scrapes are answered', async () => {
  const port = Number(new URL(metricsUrl).port);
  const one = await raw(port, 'GET /health HTTP/1.0\r\n\r\n');
  assert.match(one, /^HTTP\/1\.[01] 200 /);
  assert.match(one, /"status":"ok"/);
  const piped = await raw(
    port,
    'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics/performance?window=abc HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  const statuses = [...piped.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [200, 400, 200], 'answered in order');
});

test('a request target that is no URL path is a 400, and the gateway stays up', async () => {
  const port = Number(new URL(metricsUrl).port);
  // node:http passes absolute-form targets through as they are; `http://[` is no URL at all. It threw on
  // main's loop and ended the whole gateway, players included.
  for (const target of ['http://[', 'http://%zz', 'http://x:99999/']) {
    const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 400 /, target);
    assert.match(answer, /"code":"SC_ERR_BAD_REQUEST"/, target);
  }
  assert.equal(gw.proc.exitCode, null, 'the gateway is still running');
  assert.equal((await getJson(`${metricsUrl}/health`)).status, 200);
  assert.equal((await getJson(`${gw.url}/health`)).status, 200, 'the public port still answers');
  // An absolute-form target that is a URL is served like its path.
  const absolute = await raw(port, `GET http://x/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.match(absolute, /^HTTP\/1\.1 200 /);
});

test('a method the metrics port does not serve is a 405 naming what it does (Allow), and OPTIONS says it too', async () => {
  for (const path of ['/metrics', '/metrics/performance', '/ready', '/health']) {
    for (const method of ['POST', 'DELETE', 'PUT']) {
      const r = await getJson(`${metricsUrl}${path}`, { method });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.body.error.code, 'SC_ERR_METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS', `${method} ${path}`);
    }
    const options = await fetch(`${metricsUrl}${path}`, { method: 'OPTIONS' });
    assert.equal(options.status, 204, `OPTIONS ${path}`);
    assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS');
  }
  assert.equal(
    (await getJson(`${metricsUrl}/nope`, { method: 'POST' })).status,
    404,
    'an unknown path stays 404',
  );
});
