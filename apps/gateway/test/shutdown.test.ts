// Graceful shutdown: SIGTERM stops accepting, ends clients, stops engine sessions, exits within seconds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, startGateway, waitFor } from './support/gateway-proc.js';
import { readTs } from './support/ts-reader.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

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

/** Stops `gateway` while `pending` waits on it: the request gets 503 SC_ERR_SHUTTING_DOWN, and the exit is clean. */
async function stopWhilePending(gateway: GatewayProc, pending: Promise<Response>): Promise<void> {
  const stopped = gateway.stop();
  const r = await pending;
  assert.equal(r.status, 503);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'SC_ERR_SHUTTING_DOWN');
  assert.equal((await stopped).code, 0);
}
test('SIGTERM ends clients cleanly, stops the engine sessions and exits 0 within 3 s', async () => {
  const receiving = [false, false];
  const reads = ['1', '2'].map((d, i) =>
    readTs(`${gw.url}/ace/getstream?id=${d.repeat(40)}`, 30_000, () => {
      receiving[i] = true;
    }),
  );
  assert.ok(await waitFor(() => receiving.every(Boolean), 10_000), 'both clients are playing');
  assert.equal(sim.stats().playbackConnections, 2, 'two upstreams running');
  const { code, ms } = await gw.stop();
  assert.equal(code, 0);
  assert.ok(ms < 3000, `exited in ${ms} ms`);
  const results = await Promise.all(reads);
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.ok(r.closedByServer, 'the server ended the response');
    assert.ok(r.bytes.length > 0);
  }
  assert.equal(sim.stats().sessionsStopped, 2, 'each engine session got command_url?method=stop');
  assert.equal(sim.stats().playbackConnections, 0);
});

test('a client waiting for a stream to open at shutdown gets 503 SC_ERR_SHUTTING_DOWN, not a hang-up', async () => {
  const slow = await startEngineSim({ port: 0, faults: { startDelayMs: 5000 } });
  const gw2 = await startGateway(['--engine', slow.url, '--shards', '1']);
  try {
    const pending = fetch(`${gw2.url}/ace/getstream?id=${'7'.repeat(40)}`);
    assert.ok(await waitFor(() => slow.stats().startRequests === 1, 3000), 'the stream is opening');
    await stopWhilePending(gw2, pending);
  } finally {
    await gw2.stop();
    await slow.close();
  }
});

test('an admin request waiting on main at shutdown (a channel check) gets 503 SC_ERR_SHUTTING_DOWN, not a 500', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-shutdown-check-'));
  const catalog = join(dir, 'channels.json');
  writeFileSync(
    catalog,
    JSON.stringify({ channels: [{ id: 'news', name: 'News', sources: ['8'.repeat(40)] }] }),
  );
  const engine = await startEngineSim({ port: 0 });
  const gw2 = await startGateway(['--engine', engine.url, '--shards', '1', '--channels', catalog], {
    SHARDCAST_API_KEY: 'shutdown-key',
  });
  try {
    const pending = fetch(`${gw2.url}/api/v1/channels/news/check`, {
      method: 'POST',
      headers: { 'X-API-Key': 'shutdown-key' },
    });
    assert.ok(await waitFor(() => engine.stats().sessionsStarted === 1, 10_000), 'the check is under way');
    await stopWhilePending(gw2, pending);
  } finally {
    await gw2.stop();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A gateway (embedded simulator) whose listed shards are held until `release()`: before they listen, or
 * (`SHARDCAST_TEST_HOLD_SHUTDOWN`) at a graceful shutdown, after stopping their streams.
 */
function startHeld(
  shards: number,
  held: string,
  list: 'SHARDCAST_TEST_HOLD_SHARDS' | 'SHARDCAST_TEST_HOLD_SHUTDOWN' = 'SHARDCAST_TEST_HOLD_SHARDS',
) {
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-start-signal-'));
  const releaseFile = join(dir, 'release');
  const proc = spawn(
    process.execPath,
    [CLI, '--port', '0', '--host', '127.0.0.1', '--docker', 'off', '--shards', String(shards)],
    {
      env: {
        PATH: process.env.PATH,
        [list]: held,
        SHARDCAST_TEST_RELEASE_FILE: releaseFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const msgs: string[] = [];
  /** The port the shards listen on, once one said so. */
  let port = 0;
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const entry = JSON.parse(line) as { msg: unknown; port?: unknown };
        msgs.push(String(entry.msg));
        if (typeof entry.port === 'number' && entry.port > 0) port = entry.port;
      } catch {
        // not a log line
      }
    }
  });
  return {
    proc,
    msgs,
    exited,
    stderr: () => stderr,
    release: () => writeFileSync(releaseFile, ''),
    port: () => port,
    cleanup: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('SIGTERM while the gateway is still starting stops it cleanly once it is up (exit 0), not half started', async () => {
  // The embedded simulator (a child process) is started before the shards; shard 0 is held before it
  // listens, so the signal arrives while start-up is under way.
  const gw = startHeld(1, '0');
  try {
    assert.ok(
      await waitFor(() => gw.msgs.some((m) => /started the embedded engine simulator/.test(m)), 15_000),
      'start-up under way',
    );
    gw.proc.kill('SIGTERM');
    assert.ok(
      await waitFor(() => gw.msgs.includes('shutting down once started'), 10_000),
      'the signal was heard',
    );
    gw.release();
    const { code, signal } = await gw.exited;
    assert.equal(signal, null, 'not killed by the signal');
    assert.equal(code, 0);
    assert.ok(gw.msgs.includes('stopped'), 'the usual shutdown ran');
  } finally {
    gw.cleanup();
  }
});

test('a second signal exits 130 at once, also while a shard listens: no uWS abort (SIGABRT)', async () => {
  // Shard 0 listens, shard 1 is held: the gateway is still starting when both signals arrive.
  const gw = startHeld(2, '1');
  try {
    assert.ok(await waitFor(() => gw.msgs.includes('shard ready'), 15_000), 'shard 0 listens');
    gw.proc.kill('SIGTERM');
    assert.ok(
      await waitFor(() => gw.msgs.includes('shutting down once started'), 10_000),
      'the first signal was heard',
    );
    gw.proc.kill('SIGTERM');
    const { code, signal } = await gw.exited;
    assert.equal(signal, null, `not killed (${signal}); stderr: ${gw.stderr().slice(0, 300)}`);
    assert.equal(code, 130);
    assert.ok(gw.msgs.includes('second signal: exiting now'));
    assert.doesNotMatch(gw.stderr(), /uv loop|Assert/);
  } finally {
    gw.cleanup();
  }
});

test('a shard still stopping at the shutdown deadline closes its sockets before the exit (code 1), no uWS abort (SIGABRT)', async () => {
  // Shard 0 listens, then at shutdown holds its uWS app open past main's 5 s deadline.
  const gw = startHeld(1, '0', 'SHARDCAST_TEST_HOLD_SHUTDOWN');
  try {
    assert.ok(
      await waitFor(() => gw.msgs.includes('shard ready') && gw.port() > 0, 15_000),
      'shard 0 listens',
    );
    // A player's idle keep-alive connection: the shard holds it until its uWS app closes.
    const player = connect(gw.port(), '127.0.0.1');
    player.on('error', () => {});
    await new Promise<void>((resolve) => player.once('connect', () => resolve()));
    player.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise<void>((resolve) => player.once('data', () => resolve()));
    gw.proc.kill('SIGTERM');
    const { code, signal } = await gw.exited;
    player.destroy();
    assert.equal(signal, null, `not killed (${signal}); stderr: ${gw.stderr().slice(0, 300)}`);
    assert.equal(code, 1, 'not a clean shutdown');
    assert.ok(gw.msgs.includes('stopped'), 'the rest of the shutdown ran');
    assert.doesNotMatch(gw.stderr(), /uv loop|Assert/);
  } finally {
    gw.cleanup();
  }
});
