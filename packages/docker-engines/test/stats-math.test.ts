import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeStats, memoryWithoutCache, parseDockerTime, type StatsJson, toSample } from '../src/index.js';

/** A one-shot answer as Docker 20.10 on cgroup v1 gives it (only the fields we read). */
function v1(o: {
  read: string;
  cpuNs: number;
  systemNs: number;
  rx?: number;
  tx?: number;
  rd?: number;
  wr?: number;
}): StatsJson {
  return {
    read: o.read,
    cpu_stats: {
      cpu_usage: { total_usage: o.cpuNs, percpu_usage: [0, 0] },
      system_cpu_usage: o.systemNs,
      online_cpus: 2,
    },
    memory_stats: {
      usage: 50_000_000,
      limit: 1_000_000_000,
      stats: { cache: 20_000_000, inactive_file: 5_000_000 },
    },
    networks: { eth0: { rx_bytes: o.rx ?? 0, tx_bytes: o.tx ?? 0 }, eth1: { rx_bytes: 1000, tx_bytes: 0 } },
    blkio_stats: {
      io_service_bytes_recursive: [
        { op: 'Read', value: o.rd ?? 0 },
        { op: 'Write', value: o.wr ?? 0 },
        { op: 'Total', value: (o.rd ?? 0) + (o.wr ?? 0) },
      ],
    },
  };
}

test('CPU %: container CPU time over host CPU time per core; 100 = one full core', () => {
  // 2 s apart on a 2-core host: the host's CPU clock advances 4 s (4e9 ns) in total.
  const a = toSample(v1({ read: '2026-01-05T10:00:00.000000000Z', cpuNs: 1e9, systemNs: 100e9 }), 1000);
  const b = toSample(v1({ read: '2026-01-05T10:00:02.000000000Z', cpuNs: 2.5e9, systemNs: 104e9 }), 3000);
  const s = computeStats(a, b);
  assert.ok(s);
  assert.equal(s.cpuPercent, 75, '1.5 s of CPU in 2 s of wall time');
});

test('CPU %: without system_cpu_usage the daemon timestamps give the elapsed time', () => {
  const mk = (read: string, cpuNs: number) => {
    const j = v1({ read, cpuNs, systemNs: 0 });
    delete j.cpu_stats!.system_cpu_usage;
    return j;
  };
  const a = toSample(mk('2026-01-05T10:00:00.5Z', 0), 0);
  const b = toSample(mk('2026-01-05T10:00:01.5Z', 0.25e9), 99_999);
  assert.equal(computeStats(a, b)?.cpuPercent, 25);
});

test('CPU %: a busy loop on one core reads about 100, capped at the core count', () => {
  const a = toSample(v1({ read: '2026-01-05T10:00:00Z', cpuNs: 0, systemNs: 10e9 }), 0);
  const b = toSample(v1({ read: '2026-01-05T10:00:01Z', cpuNs: 1e9, systemNs: 12e9 }), 1000);
  assert.equal(computeStats(a, b)?.cpuPercent, 100);
  const c = toSample(v1({ read: '2026-01-05T10:00:02Z', cpuNs: 4e9, systemNs: 14e9 }), 2000);
  assert.equal(
    computeStats(b, c)?.cpuPercent,
    200,
    '3 s of CPU in 1 s on 2 cores is jitter: capped at 2 cores',
  );
});

test('memory without page cache: cgroup v1 subtracts `cache`, cgroup v2 `inactive_file`', () => {
  assert.equal(memoryWithoutCache({ usage: 50e6, stats: { cache: 20e6, inactive_file: 5e6 } }), 30e6);
  assert.equal(memoryWithoutCache({ usage: 50e6, stats: { inactive_file: 5e6, file: 8e6 } }), 45e6);
  assert.equal(memoryWithoutCache({ usage: 10e6, stats: { cache: 20e6 } }), 0, 'never negative');
  assert.equal(memoryWithoutCache(undefined), 0);
});

test('network and block IO are byte rates summed over interfaces and devices', () => {
  const a = toSample(
    v1({ read: '2026-01-05T10:00:00Z', cpuNs: 0, systemNs: 1e9, rx: 1000, tx: 500, rd: 0, wr: 0 }),
    0,
  );
  const b = toSample(
    v1({ read: '2026-01-05T10:00:02Z', cpuNs: 0, systemNs: 5e9, rx: 5000, tx: 2500, rd: 8192, wr: 4096 }),
    2000,
  );
  const s = computeStats(a, b);
  assert.ok(s);
  assert.deepEqual(
    [s.netRxBytesPerSec, s.netTxBytesPerSec, s.blockReadBytesPerSec, s.blockWriteBytesPerSec],
    [2000, 1000, 4096, 2048],
  );
  assert.equal(s.memoryBytes, 30e6);
  assert.equal(s.memoryLimitBytes, 1e9);
  assert.equal(s.atMs, 2000, 'the sample time is our clock at the answer');
});

test('cgroup v2 block IO spells ops in lower case', () => {
  const j: StatsJson = {
    blkio_stats: {
      io_service_bytes_recursive: [
        { op: 'read', value: 7 },
        { op: 'write', value: 9 },
      ],
    },
  };
  const s = toSample(j, 0);
  assert.deepEqual([s.blockReadBytes, s.blockWriteBytes], [7, 9]);
});

test('a counter that went backwards (container restarted) is a zero rate, not a negative one', () => {
  const a = toSample(v1({ read: '2026-01-05T10:00:00Z', cpuNs: 9e9, systemNs: 1e9, rx: 9000 }), 0);
  const b = toSample(v1({ read: '2026-01-05T10:00:01Z', cpuNs: 1e8, systemNs: 3e9, rx: 10 }), 1000);
  const s = computeStats(a, b);
  assert.equal(s?.cpuPercent, 0);
  assert.equal(s?.netRxBytesPerSec, 0);
});

test('two samples with no time between them give no stats', () => {
  const a = toSample(v1({ read: '2026-01-05T10:00:00Z', cpuNs: 0, systemNs: 1e9 }), 500);
  assert.equal(computeStats(a, a), null);
});

test('Docker timestamps keep sub-millisecond digits; the zero time is null', () => {
  const frac = parseDockerTime('2026-01-05T10:00:00.123456789Z')! - parseDockerTime('2026-01-05T10:00:00Z')!;
  assert.ok(Math.abs(frac - 123.456789) < 1e-3, `microseconds kept: ${frac}`);
  assert.equal(parseDockerTime('0001-01-01T00:00:00Z'), null);
  assert.equal(parseDockerTime('yesterday'), null);
  assert.equal(parseDockerTime(undefined), null);
});
