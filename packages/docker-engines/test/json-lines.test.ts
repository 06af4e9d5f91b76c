import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { JsonLineSplitter, MAX_LINE_BYTES } from '../src/json-lines.js';

const events = [
  { Type: 'container', Action: 'start', Actor: { ID: 'a', Attributes: { name: 'é-engine' } } },
  { Type: 'container', Action: 'die', Actor: { ID: 'a', Attributes: { exitCode: '0' } } },
  { Type: 'network', Action: 'connect' },
];
const wire = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));

test('property: splitting the stream at any offsets gives the same events', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 20 }), (cuts) => {
      const s = new JsonLineSplitter();
      const out: unknown[] = [];
      let prev = 0;
      for (const c of [...cuts.sort((a, b) => a - b), wire.length]) {
        out.push(...s.push(wire.subarray(prev, c)));
        prev = c;
      }
      assert.deepEqual(out, events);
      assert.equal(s.bad, 0);
    }),
    { numRuns: 300 },
  );
});

test('a line that is not JSON is counted and skipped', () => {
  const s = new JsonLineSplitter();
  assert.deepEqual(s.push('{"a":1}\nnot json\n\n{"b":2}\n'), [{ a: 1 }, { b: 2 }]);
  assert.equal(s.bad, 1);
});

test('an endless line is dropped without growing memory; the next line parses', () => {
  const s = new JsonLineSplitter();
  const chunk = 'x'.repeat(64 * 1024);
  for (let i = 0; i < (MAX_LINE_BYTES / chunk.length) * 3; i++) assert.deepEqual(s.push(chunk), []);
  assert.equal(s.bad, 1);
  assert.deepEqual(s.push('tail\n{"ok":true}\n'), [{ ok: true }]);
});
