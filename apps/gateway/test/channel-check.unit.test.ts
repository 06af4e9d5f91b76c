// The channel checker in-process: a source that never answers is given up at the per-source budget and
// reported as such; a channel checked twice at once shares one run; more channels than the checker runs
// at once are refused (the route answers 503 SC_ERR_CHECK_BUSY).
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import type { Channel } from '../src/channels/catalog.js';
import { parseSource } from '../src/channels/source.js';
import { ChannelChecker, MAX_RUNNING_CHECKS, SOURCE_CHECK_MS } from '../src/control/channel-check.js';

let server: Server;
let base: string;
const held: ServerResponse[] = [];

before(async () => {
  // Takes every request and never answers it.
  server = createServer((_req, res) => {
    held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function channel(id: string): Channel {
  const s = parseSource(`${base}/${id}.ts?key=secret`);
  assert.equal(s.error, null);
  return { id, number: '1', name: id, group: null, logo: null, tvgId: null, sources: [s.source!] };
}

test('a silent source is given up at the budget; runs are shared per channel and bounded overall', async () => {
  const checker = new ChannelChecker(new EngineRegistry({ maxStreamsPerEngine: 1 }));
  const t0 = Date.now();
  const runs = Array.from({ length: MAX_RUNNING_CHECKS }, (_, i) => checker.check(channel(`c${i}`)));
  for (const r of runs) assert.ok(r, 'a check starts');
  assert.equal(checker.check(channel('c0')), runs[0], 'the same channel shares the running check');
  assert.equal(checker.check(channel('one-too-many')), null, 'one channel more than the bound is refused');
  const results = await Promise.all(runs as Array<NonNullable<(typeof runs)[number]>>);
  const took = Date.now() - t0;
  assert.ok(took >= SOURCE_CHECK_MS - 100 && took < SOURCE_CHECK_MS + 3000, `given up after ${took} ms`);
  for (const r of results) {
    assert.equal(r.ok, false);
    const s = r.sources[0]!;
    assert.equal(s.answered, false);
    assert.equal(s.bytes, 0);
    assert.match(s.error!, /^no answer within \d+(\.\d)? s$/);
    assert.equal(s.source, `${base}/${r.channel}.ts?…`, 'the query is not shown');
  }
  assert.ok(checker.check(channel('after')), 'a slot is free again once the checks ended');
});

test('an AceStream source is never checked on an engine that is starting, draining or being removed', async () => {
  const registry = new EngineRegistry({ maxStreamsPerEngine: 1 });
  // Nothing listens on these ports: the session start fails at once, only the engine asked matters.
  registry.add({ id: 'leaving', url: 'http://127.0.0.1:2', source: 'docker' });
  registry.setLifecycle('leaving', 'stopping');
  registry.add({ id: 'full', url: 'http://127.0.0.1:3', source: 'static' });
  registry.assign('full');
  const s = parseSource('acestream://0123456789abcdef0123456789abcdef01234567');
  assert.equal(s.error, null);
  const ch: Channel = {
    id: 'ace',
    number: '2',
    name: 'ace',
    group: null,
    logo: null,
    tvgId: null,
    sources: [s.source!],
  };
  const r = await new ChannelChecker(registry).check(ch)!;
  assert.equal(r.sources[0]!.engine, 'http://127.0.0.1:3', 'a ready engine, even at its cap');
  registry.setLifecycle('full', 'draining');
  const none = await new ChannelChecker(registry).check(ch)!;
  assert.equal(none.sources[0]!.engine, null);
  assert.equal(none.sources[0]!.error, 'no healthy engine to ask');
});

test('stop ends a running check at once and stops its engine session', async () => {
  const stops: string[] = [];
  let playing = false;
  const engine = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ace/getstream') {
      const origin = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          response: {
            playback_url: `${origin}/play/1`,
            stat_url: `${origin}/stat/1`,
            command_url: `${origin}/cmd/1`,
            playback_session_id: 'check-session',
            is_live: 1,
          },
          error: null,
        }),
      );
    } else if (url.pathname === '/play/1') {
      playing = true;
      res.writeHead(200, { 'Content-Type': 'video/mp2t' });
      held.push(res); // headers, then nothing: the check waits for media
    } else if (url.pathname === '/cmd/1') {
      stops.push(url.searchParams.get('method') ?? '');
      res.end('{"response": "ok", "error": null}');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
  try {
    const registry = new EngineRegistry({ maxStreamsPerEngine: 1 });
    registry.add({
      id: 'e',
      url: `http://127.0.0.1:${(engine.address() as AddressInfo).port}`,
      source: 'static',
    });
    const s = parseSource('acestream://0123456789abcdef0123456789abcdef01234567');
    const ch: Channel = {
      id: 'ace',
      number: '2',
      name: 'ace',
      group: null,
      logo: null,
      tvgId: null,
      sources: [s.source!],
    };
    const checker = new ChannelChecker(registry);
    const run = checker.check(ch)!;
    for (let i = 0; !playing && i < 300; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(playing, 'the check reads the playback URL');
    const t0 = Date.now();
    await checker.stop();
    assert.ok(Date.now() - t0 < 1500, `stopped in ${Date.now() - t0} ms, not at the budget`);
    assert.deepEqual(stops, ['stop'], 'its engine session was stopped');
    assert.equal((await run).sources[0]!.bytes, 0);
    assert.equal(checker.check(ch), null, 'no check starts after stop');
  } finally {
    engine.closeAllConnections();
    await new Promise<void>((r) => engine.close(() => r()));
  }
});
