// Reading a .cpuprofile: busy time, self time, categories by stack, line ticks, the skipped start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CpuProfile, summarizeProfile } from '../src/profile/summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// root → (idle); root → tick (pump) → cork callback; root → read (ingest); root → (garbage collector)
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 5, 6] },
    { id: 2, callFrame: frame('(idle)') },
    {
      id: 3,
      callFrame: frame('tick', 'file:///x/apps/gateway/dist/src/shard/ts-pump.js', 133),
      children: [4],
      positionTicks: [{ line: 147, ticks: 2 }],
    },
    {
      id: 4,
      callFrame: frame('', 'file:///x/apps/gateway/dist/src/shard/ts-pump.js', 252),
      positionTicks: [
        { line: 253, ticks: 3 },
        { line: 258, ticks: 1 },
      ],
    },
    { id: 5, callFrame: frame('onBody', 'file:///x/node_modules/undici/lib/dispatcher/client-h1.js', 695) },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // 10 samples of 1000 µs: 2 idle, 2 tick, 4 cork callback, 1 undici, 1 GC
  samples: [2, 2, 3, 4, 4, 3, 4, 4, 5, 6],
  timeDeltas: Array.from({ length: 10 }, () => 1000),
};

const CATS = [
  { name: 'pump', pattern: /ts-pump\.js/ },
  { name: 'ingest', pattern: /undici/ },
];

test('busy time, self time per function and categories by stack', () => {
  const s = summarizeProfile(PROFILE, { categories: CATS });
  assert.equal(s.totalUs, 10_000);
  assert.equal(s.idleUs, 2000);
  assert.equal(s.busyUs, 8000);
  assert.deepEqual(s.self[0], { name: '(anonymous) apps/gateway/dist/src/shard/ts-pump.js:253', us: 4000 });
  assert.deepEqual(s.self[1], { name: 'tick apps/gateway/dist/src/shard/ts-pump.js:134', us: 2000 });
  // The cork callback's samples belong to the pump through its parent frame.
  assert.deepEqual(s.categories, [
    { name: 'pump', us: 6000 },
    { name: 'ingest', us: 1000 },
    { name: 'garbage collector', us: 1000 },
  ]);
});

test('line ticks of the matching files, against all busy ticks', () => {
  const s = summarizeProfile(PROFILE, { linesOf: /ts-pump/ });
  assert.equal(s.busyTicks, 8);
  assert.deepEqual(
    s.lines.map((l) => [l.line, l.ticks]),
    [
      [253, 3],
      [147, 2],
      [258, 1],
    ],
  );
});

test('skipping the start leaves its samples out (categories default to other)', () => {
  const s = summarizeProfile(PROFILE, { skipUs: 5000 });
  assert.equal(s.totalUs, 6000);
  assert.equal(s.busyUs, 6000);
  assert.deepEqual(
    s.categories.map((c) => c.name),
    ['other', 'garbage collector'],
  );
});
