// The README's first command: with no engine configured (and no Docker), the gateway runs the built-in
// engine simulator as its upstream, logs a ready-to-play URL, answers /health, and that URL plays.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

let gw: GatewayProc;

before(async () => {
  gw = await startGateway(['--shards', '2'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
});
after(async () => {
  await gw?.stop();
});

test('logs why Docker discovery is off and that the simulator started', () => {
  const msgs = gw.logs.map((l) => String(l.msg));
  assert.ok(
    msgs.some((m) => /Docker discovery is off/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(msgs.some((m) => /started the embedded engine simulator/.test(m)));
});

test('/health answers', async () => {
  const r = await getJson(`${gw.url}/health`);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ok');
});

test('the logged URL plays: PAT, PMT, keyframe, valid TS', async () => {
  const ready = gw.logs.find((l) => String(l.msg).startsWith('Shardcast ready'));
  const m = /play (http:\/\/\S+)/.exec(String(ready?.msg));
  assert.ok(m, 'the ready line carries a play URL');
  const r = await readTs(m[1]!, 3000);
  assert.equal(r.status, 200);
  const c = checkTs(r.bytes);
  assert.ok(c.packets > 1000);
  assert.ok(c.startsWithPsiAndKeyframe);
  assert.equal(c.ccErrors, 0);
});

test('on an IPv6 address the logged URL brackets it, and plays', async () => {
  const v6 = await startGateway(['--shards', '1', '--host', '::1'], {
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  });
  try {
    const ready = v6.logs.find((l) => String(l.msg).startsWith('Shardcast ready'));
    const m = /play (http:\/\/\S+)/.exec(String(ready?.msg));
    assert.ok(m, 'the ready line carries a play URL');
    assert.equal(new URL(m[1]!).host, `[::1]:${v6.port}`);
    const r = await readTs(m[1]!, 1000);
    assert.equal(r.status, 200);
    assert.ok(checkTs(r.bytes).startsWithPsiAndKeyframe);
  } finally {
    await v6.stop();
  }
});

test('the engines API lists the embedded simulator, healthy', async () => {
  const r = await getJson(`${gw.url}/api/v1/engines`);
  assert.equal(r.body.engines.length, 1);
  assert.equal(r.body.engines[0].source, 'embedded');
  assert.equal(r.body.engines[0].healthy, true);
});
