// The start-up ping of a Docker daemon: a socket that accepts connections but never answers is a timeout
// (named so); one that refuses connections is no timeout; a daemon that answers is fine.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { probeDaemon, startupTimeoutCause } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'shardcast-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const unix = (socketPath: string) => ({
  kind: 'unix' as const,
  socketPath,
  endpoint: `unix://${socketPath}`,
});

test('a socket that accepts and never answers is a timeout, named with the deadline', async () => {
  const sock = join(dir, 'silent.sock');
  const srv = createNetServer(() => {});
  await new Promise<void>((r) => srv.listen(sock, r));
  try {
    const r = await probeDaemon(unix(sock), 100);
    assert.deepEqual(r, { ok: false, timeout: true, error: 'timeout: no reply within 0.1 s' });
    assert.equal(startupTimeoutCause(5000), 'timeout: no reply within 5 s');
  } finally {
    srv.close();
  }
});

test('a socket nobody listens on is refused, not a timeout; a daemon that answers is fine', async () => {
  const missing = await probeDaemon(unix(join(dir, 'none.sock')), 5000);
  assert.equal(missing.ok, false);
  assert.equal(!missing.ok && missing.timeout, false);
  assert.match(!missing.ok ? missing.error : '', /^ENOENT/);
  const sock = join(dir, 'daemon.sock');
  const srv = createServer((_req, res) => res.end('OK'));
  await new Promise<void>((r) => srv.listen(sock, r));
  try {
    assert.deepEqual(await probeDaemon(unix(sock), 5000), { ok: true });
  } finally {
    srv.close();
  }
});
