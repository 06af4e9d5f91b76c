/**
 * Metrics with the real components: `promtool check metrics` accepts a live /metrics, and a real Prometheus
 * server (the Debian `prometheus` binary, started here with a temporary config and TSDB on a loopback port)
 * scrapes the gateway every second; a PromQL `histogram_quantile` over the exported latency buckets then
 * returns a value. Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e prometheus
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { freePort } from '../test/support/free-port.js';
import { type GatewayProc, getJson, startGateway, waitFor } from '../test/support/gateway-proc.js';
import { readTs } from '../test/support/ts-reader.js';

const QUERY =
  'histogram_quantile(0.99, sum by (le) (rate(shardcast_operation_duration_seconds_bucket{operation="mpegts_chunk_read",outcome="success"}[30s])))';

let sim: EngineSim;
let gw: GatewayProc;
let prom: ChildProcess | null = null;
let promUrl = '';
let dir = '';
let playing: Promise<unknown> = Promise.resolve();

/** Runs a command with `input` on stdin; resolves with its exit code and output. */
function run(cmd: string, args: string[], input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, out }));
    p.stdin.end(input);
  });
}

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2']);
  // A viewer for the whole test: chunk reads, joins and segments keep the histograms moving.
  playing = readTs(`${gw.url}/ace/getstream?id=${'5'.repeat(40)}`, 40_000);
  dir = mkdtempSync(join(tmpdir(), 'shardcast-prom-'));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: shardcast',
    '    scrape_interval: 1s',
    '    scrape_timeout: 900ms',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${gw.port}']`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  prom = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prom.stderr!.resume();
});

after(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (prom.exitCode === null) prom.kill('SIGKILL');
  }
  await gw?.stop();
  await playing.catch(() => {});
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('promtool check metrics accepts a live /metrics', async () => {
  // Wait for the shards' first figures so the body has every family with data.
  assert.ok(
    await waitFor(
      async () =>
        (await (await fetch(`${gw.url}/metrics`)).text()).includes('shardcast_client_sent_bytes_total{'),
      10_000,
    ),
  );
  const body = await (await fetch(`${gw.url}/metrics`)).text();
  const r = await run('promtool', ['check', 'metrics'], body);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), '', 'no lint findings');
});

test('a real Prometheus scrapes the gateway and histogram_quantile over its buckets returns a value', async () => {
  assert.ok(
    await waitFor(
      async () => (await fetch(`${promUrl}/-/ready`).catch(() => null))?.status === 200,
      20_000,
      250,
    ),
    'prometheus is up',
  );
  let up: any = null;
  assert.ok(
    await waitFor(
      async () => {
        up = (await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent('up{job="shardcast"}')}`))
          .body;
        return up?.data?.result?.[0]?.value?.[1] === '1';
      },
      15_000,
      500,
    ),
    `the gateway target is up: ${JSON.stringify(up)}`,
  );
  let q: any = null;
  assert.ok(
    await waitFor(
      async () => {
        q = (await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent(QUERY)}`)).body;
        const v = Number(q?.data?.result?.[0]?.value?.[1]);
        return Number.isFinite(v) && v > 0;
      },
      20_000,
      500,
    ),
    `histogram_quantile returned a value: ${JSON.stringify(q)}`,
  );
  assert.equal(q.status, 'success');
  const p99 = Number(q.data.result[0].value[1]);
  assert.ok(p99 > 0 && p99 <= 60, `p99 chunk read in seconds, within the ladder (${p99})`);
  // A counter the gateway keeps on main scrapes too.
  const bytes = (
    await getJson(
      `${promUrl}/api/v1/query?query=${encodeURIComponent('sum(shardcast_client_sent_bytes_total)')}`,
    )
  ).body;
  assert.ok(Number(bytes.data.result[0].value[1]) > 0);
});
