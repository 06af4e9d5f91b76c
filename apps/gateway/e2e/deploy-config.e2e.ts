/**
 * The shipped deployment files pass their own tools: `haproxy -c`, `promtool check config`,
 * `promtool check rules` and `promtool test rules` (the recording rules' cluster-wide sums and quantile,
 * and the alerts' timing, against synthetic series).
 * Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e deploy-config
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DOCKER_DIR = fileURLToPath(new URL('../../../../docker/', import.meta.url));

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: DOCKER_DIR, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('haproxy -c accepts docker/haproxy.cfg', () => {
  const r = run('haproxy', ['-c', '-f', 'haproxy.cfg']);
  assert.equal(r.code, 0, r.out);
});

test('promtool accepts the Prometheus config and its rules', () => {
  const config = run('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
  assert.equal(config.code, 0, config.out);
  const rules = run('promtool', ['check', 'rules', 'prometheus/rules.yml']);
  assert.equal(rules.code, 0, rules.out);
  assert.match(rules.out, /SUCCESS: 11 rules found/);
});

test('promtool test rules: cluster sums, the p99 over all nodes, alert timing', () => {
  const r = run('promtool', ['test', 'rules', 'prometheus/rules.test.yml']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});
