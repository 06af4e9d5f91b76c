// The growth table's pure parts: the plan the issue asks for, the players arguments (warm-up included),
// the rows, the notes that say what bounded a point, the marginal cost of each step, and sockstat parsing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  find,
  type GrowthRun,
  growthPlan,
  growthPlayerArgs,
  growthSection,
  growthSteps,
  growthStepsSection,
  pointWarnings,
  rssRingsFull,
  streamRate,
  uniquePoints,
} from '../src/bench/growth-table.js';
import { freePort } from '../src/bench/procs.js';
import { benchCommand } from '../src/bench/results.js';
import { parsePlayersArgs } from '../src/players/options.js';
import { runPlayers } from '../src/players/runner.js';
import { UsageError } from '../src/util/args.js';
import { parseSockstatTcpPages } from '../src/util/proc-stats.js';

const MIB = 1024 * 1024;
const RATE = 141_000;

function run(o: Partial<GrowthRun> & { streams: number; clients: number }): GrowthRun {
  return {
    system: 'shardcast',
    joined: o.clients,
    connectedAtEnd: o.clients,
    egressBytesPerS: o.clients * RATE,
    wallS: 20,
    cpuS: 4,
    cpuSysS: 2,
    cpuSPerGB: 0.7,
    rssIdleBytes: 80 * MIB,
    rssEndBytes: 150 * MIB,
    ringResidentBytes: 20 * MIB,
    kernelTcpIdleBytes: 1 * MIB,
    kernelTcpEndBytes: 11 * MIB,
    stallEvents: 0,
    stalledPlayers: 0,
    errors: 0,
    errorKinds: {},
    skips: 0,
    drops: 0,
    joinWarmP99Ms: 10,
    playersCpuS: 6,
    engineCpuS: 1,
    loopDelayP99Ms: 20,
    ...o,
  };
}

describe('plan', () => {
  test('full: 500 to 4,000 clients on 8 streams, 1 to 128 streams under 1,000 clients', () => {
    const p = growthPlan(false, 48);
    assert.deepEqual(
      p.clientSeries.map((x) => [x.streams, x.clients]),
      [
        [8, 500],
        [8, 1000],
        [8, 2000],
        [8, 4000],
      ],
    );
    assert.deepEqual(
      p.streamSeries.map((x) => [x.streams, x.clients]),
      [
        [1, 1000],
        [8, 1000],
        [32, 1000],
        [128, 1000],
      ],
    );
    // Every reference point is also a gateway point, so it has a row to sit in.
    const keys = new Set(uniquePoints(p).map((x) => `${x.streams}x${x.clients}`));
    for (const r of p.referenceAt) assert.ok(keys.has(`${r.streams}x${r.clients}`));
  });
  test('the point both series share runs once', () => {
    const pts = uniquePoints(growthPlan(false, 48));
    assert.equal(pts.length, 7);
    assert.equal(pts.filter((x) => x.streams === 8 && x.clients === 1000).length, 1);
  });
  test('the players arguments parse, and the window opens after ramp + warm-up', () => {
    for (const quick of [true, false]) {
      const plan = growthPlan(quick, 48);
      for (const pt of uniquePoints(plan)) {
        const cli = parsePlayersArgs(growthPlayerArgs(plan, pt));
        assert.notEqual(cli, 'help');
        if (cli === 'help') continue;
        assert.equal(cli.options.ts, pt.clients);
        assert.equal(cli.options.ids.length, pt.streams);
        assert.equal(cli.options.rampUpS, plan.rampS);
        assert.equal(cli.options.warmUpS, plan.warmUpS);
        assert.equal(cli.options.durationS - cli.options.rampUpS - cli.options.warmUpS, plan.windowS);
        assert.equal(cli.options.validate, 'join');
      }
    }
  });
});

describe('players --warm-up', () => {
  test('defaults to 0; ramp-up plus warm-up must leave a window', () => {
    const cli = parsePlayersArgs(['--ts', '1']);
    assert.ok(cli !== 'help' && cli.options.warmUpS === 0);
    for (const argv of [
      ['--ts', '1', '--duration', '10', '--ramp-up', '5', '--warm-up', '5'],
      ['--ts', '1', '--duration', '10', '--warm-up', '-1'],
      ['--ts', '1', '--warm-up', 'abc'],
    ]) {
      assert.throws(
        () => parsePlayersArgs(argv),
        (e: unknown) => e instanceof UsageError && /warm-up/.test(e.message),
        argv.join(' '),
      );
    }
  });
  test('the report window starts ramp-up + warm-up after the players start', async () => {
    // A port just freed: the players fail to connect, and the run still keeps its clock.
    const port = await freePort();
    const cli = parsePlayersArgs([
      '--url',
      `http://127.0.0.1:${port}`,
      '--ts',
      '2',
      '--no-prewarm',
      '--duration',
      '1.5',
      '--ramp-up',
      '0.25',
      '--warm-up',
      '0.5',
    ]);
    assert.ok(cli !== 'help');
    const r = await runPlayers(cli.options);
    assert.equal(r.windowStartMs - r.startedAtMs, 750);
    assert.ok(r.windowEndMs > r.windowStartMs);
  });
});

describe('tables', () => {
  const plan = growthPlan(false, 48);
  const runs: GrowthRun[] = [
    ...plan.clientSeries.map((p, i) =>
      run({ ...p, cpuS: 2 + 2 * i, rssEndBytes: (100 + 10 * (i + 1)) * MIB, ringResidentBytes: 40 * MIB }),
    ),
    ...plan.streamSeries
      .filter((p) => p.streams !== 8)
      .map((p) => run({ ...p, cpuS: 2 + p.streams / 10, ringResidentBytes: p.streams * 5 * MIB })),
    run({ system: 'reference', streams: 8, clients: 4000, cpuSPerGB: 0.6 }),
  ];

  test('one row per series point (the shared point twice), then the reference rows', () => {
    const s = growthSection({ plan, shards: 2, runs, errors: [], seconds: 300, pinning: 'pinned' });
    assert.equal(s.rows.length, 4 + 4 + 1);
    assert.ok(s.rows.every((r) => r.length === s.head.length));
    const top = s.rows[3]!;
    assert.deepEqual(top.slice(0, 4), ['clients', '8', '4000', '500']);
    assert.equal(top[s.head.indexOf('reference CPU s/GB')], '0.60');
    // A planned reference point that did not run (128 streams here) adds no row.
    assert.deepEqual(
      s.rows.filter((r) => r[0] === 'reference').map((r) => r.slice(1, 3)),
      [['8', '4000']],
    );
  });
  test('a point that did not run is a row of dashes, and its failure is a note', () => {
    const partial = runs.filter((r) => !(r.streams === 128 && r.system === 'shardcast'));
    const s = growthSection({
      plan,
      shards: 2,
      runs: partial,
      errors: ['gateway, 1000 clients on 128 streams: boom'],
      seconds: 1,
      pinning: 'pinned',
    });
    const row = s.rows.find((r) => r[0] === 'streams' && r[1] === '128')!;
    assert.deepEqual(
      row.slice(4),
      s.head.slice(4).map(() => '-'),
    );
    assert.ok(s.notes.some((n) => n === 'failed: gateway, 1000 clients on 128 streams: boom'));
  });
  test('rings full: RSS minus the rings written plus every ring', () => {
    const r = run({ streams: 128, clients: 1000, rssEndBytes: 900 * MIB, ringResidentBytes: 600 * MIB });
    assert.equal(rssRingsFull(r, 48), (300 + 128 * 48) * MIB);
  });
  test('marginal cost per step', () => {
    const steps = growthSteps(plan, runs);
    assert.equal(steps.length, 6);
    const c = steps[0]!;
    assert.equal(c.series, 'clients');
    assert.equal(c.added, 500);
    assert.equal(c.coresAdded, 0.1);
    assert.equal(c.rssAddedBytes, 10 * MIB);
    const s = steps.find((x) => x.series === 'streams' && x.to.streams === 128)!;
    assert.equal(s.added, 96);
    assert.ok(Math.abs(s.coresAdded! - 0.48) < 1e-9);
    const t = growthStepsSection(plan, runs);
    assert.equal(t.rows.length, 6);
    assert.equal(t.rows[0]![3], '0.200');
  });
});

describe('what bounded a point', () => {
  test('a healthy point has no warning', () => {
    assert.deepEqual(pointWarnings(run({ streams: 8, clients: 1000 }), RATE), []);
  });
  test('a saturated load CPU, server core, short egress and lost clients are each said', () => {
    const w = pointWarnings(
      run({
        streams: 8,
        clients: 4000,
        playersCpuS: 17,
        engineCpuS: 1.5,
        cpuS: 19,
        egressBytesPerS: 4000 * RATE * 0.9,
        joined: 3990,
        connectedAtEnd: 3980,
      }),
      RATE,
    );
    assert.equal(w.length, 5);
    assert.match(w[0]!, /load CPU was saturated/);
    assert.match(w[1]!, /server's core was saturated \(0\.95 cores\)/);
    assert.match(w[2]!, /fell behind/);
    assert.match(w[3]!, /only 3990 of 4000 clients joined/);
    assert.match(w[4]!, /10 clients were no longer connected/);
    const lost = pointWarnings(run({ streams: 8, clients: 100, connectedAtEnd: 90 }), RATE);
    assert.deepEqual(lost.length, 1);
    assert.match(lost[0]!, /10 clients were no longer connected/);
  });
  test('the stream rate is the median egress per client of the gateway runs', () => {
    const runs = [
      run({ streams: 1, clients: 10, egressBytesPerS: 10 * 100 }),
      run({ streams: 1, clients: 10, egressBytesPerS: 10 * 140 }),
      run({ streams: 1, clients: 10, egressBytesPerS: 10 * 150 }),
      run({ system: 'reference', streams: 1, clients: 10, egressBytesPerS: 10 * 1 }),
    ];
    assert.equal(streamRate(runs), 140);
    assert.equal(streamRate([]), null);
    assert.equal(find(runs, { streams: 1, clients: 10 }, 'reference')?.egressBytesPerS, 10);
  });
});

test("sockstat: the TCP line's mem field, in pages", () => {
  const text = 'sockets: used 1072\nTCP: inuse 1020 orphan 0 tw 438 alloc 1020 mem 811\nUDP: inuse 0 mem 0\n';
  assert.equal(parseSockstatTcpPages(text), 811);
  assert.equal(parseSockstatTcpPages('UDP: inuse 0 mem 7\n'), null);
  assert.equal(parseSockstatTcpPages(''), null);
});

test("the results name the command as typed, flags after npm's --", () => {
  assert.equal(benchCommand(false, 'growth'), 'npm run bench -- --only growth');
  assert.equal(benchCommand(true, 'growth'), 'npm run bench -- --quick --only growth');
  assert.equal(benchCommand(true, undefined), 'npm run bench -- --quick');
  assert.equal(benchCommand(false, undefined), 'npm run bench');
});
