// The HLS benchmark's independent latency probe: it measures a real server from a process of its own and
// reports the scheduling it got; the short time slice it asks for is what the kernel then shows.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { release } from 'node:os';
import { test } from 'node:test';
import { SLICE_NS, shortSlice, startLatencyProbe } from '../src/bench/latency-probe.js';

/** Whether this machine can take a custom SCHED_OTHER slice: Linux ≥ 6.12 on x86-64/arm64, python3. */
function sliceSupported(): boolean {
  const [major = 0, minor = 0] = release().split('.').map(Number);
  const kernel = major > 6 || (major === 6 && minor >= 12);
  const arch = process.arch === 'x64' || process.arch === 'arm64';
  const python = spawnSync('python3', ['-c', ''], { stdio: 'ignore' }).status === 0;
  return process.platform === 'linux' && kernel && arch && python && existsSync('/proc/self/sched');
}

function sliceOf(pid: number): number | null {
  const m = /^se\.slice\s*:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/sched`, 'utf8'));
  return m ? Number(m[1]) : null;
}

test('the short slice is taken where the kernel offers it, and the kernel then shows it', async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill());
  const pid = child.pid ?? 0;
  assert.ok(pid > 0);
  const took = shortSlice(pid);
  if (sliceSupported()) {
    assert.equal(took, true, 'Linux ≥ 6.12 with python3: the slice is set');
    if (sliceOf(pid) !== null) assert.equal(sliceOf(pid), SLICE_NS);
  } else {
    assert.equal(took, false, 'no support: the probe says it runs without the slice');
  }
});

test('the probe times a live server from its own process and names its scheduling', async (t) => {
  let served = 0;
  const server = createServer((_req, res) => {
    served++;
    res.end('#EXTM3U\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const probe = startLatencyProbe(`http://127.0.0.1:${port}/index.m3u8`, 10);
  while (served < 20) await new Promise((r) => setTimeout(r, 20));
  const r = await probe.stop();
  assert.equal(r.failures, 0);
  assert.ok(r.latency.count >= 19, `timed ${r.latency.count} requests`);
  assert.ok(r.latency.p50 > 0);
  assert.match(r.priority, /^(normal|nice -20|nice -20, slice 0\.1 ms|slice 0\.1 ms)$/);
  assert.equal(r.priority.includes('slice'), sliceSupported());
});
