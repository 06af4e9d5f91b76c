import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDockerHost } from '../src/index.js';

test('no DOCKER_HOST: the default socket', () => {
  assert.deepEqual(resolveDockerHost(undefined), {
    ok: true,
    target: { kind: 'unix', socketPath: '/var/run/docker.sock', endpoint: 'unix:///var/run/docker.sock' },
  });
  assert.equal(resolveDockerHost('  ').ok, true);
});

test('unix:// and tcp:// addresses', () => {
  const u = resolveDockerHost('unix:///tmp/d/docker.sock');
  assert.ok(u.ok && u.target.kind === 'unix' && u.target.socketPath === '/tmp/d/docker.sock');
  const t = resolveDockerHost('tcp://10.0.0.1:2375');
  assert.ok(t.ok && t.target.kind === 'tcp' && t.target.host === '10.0.0.1' && t.target.port === 2375);
  const d = resolveDockerHost('tcp://dockerd');
  assert.ok(d.ok && d.target.kind === 'tcp' && d.target.port === 2375);
});

test('unsupported forms are one sentence each', () => {
  const reason = (v: string, tls?: string) => {
    const r = resolveDockerHost(v, tls);
    return r.ok ? 'ok' : r.reason;
  };
  assert.match(reason('unix://relative.sock'), /absolute socket path/);
  assert.match(reason('tcp://h:2376'), /needs TLS/);
  assert.match(reason('tcp://h:2375', '1'), /needs TLS/);
  assert.match(reason('ssh://me@h'), /scheme "ssh" is not supported/);
  assert.match(reason('tcp://[bad'), /not a valid tcp/);
});
