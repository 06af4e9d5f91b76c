// A closed ring's memory goes back to the OS once collected: its data and index buffers are mapped from
// the OS (a SharedArrayBuffer with a maxByteLength), not taken from malloc, where glibc keeps freed
// multi-MiB chunks in its heap after the first one raised its mmap threshold.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { capacityForBudget, createRing, RingReader } from '../src/index.js';

const MIB = 1024 * 1024;
const RINGS = 16;
const RING_BYTES = 6 * MIB;
const ROUNDS = 3;

function rssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('ring memory', () => {
  it('data and index buffers are fixed-size buffers mapped from the OS; views have fixed lengths', () => {
    const h = createRing({ capacityPackets: 1024 });
    for (const buffer of [h.data, h.index]) {
      // ES2024 properties; the repo's lib is ES2023.
      const b = buffer as SharedArrayBuffer & { growable: boolean; maxByteLength: number };
      assert.equal(b.growable, true, 'allocated with a maxByteLength (OS-mapped)');
      assert.equal(b.maxByteLength, b.byteLength, 'never grows');
    }
    const r = new RingReader(h);
    assert.equal(r.capacityBytes, h.data.byteLength);
  });

  it(
    'rings opened and closed round after round do not keep their bytes resident',
    { skip: process.platform !== 'linux' && 'reads /proc' },
    async () => {
      const gc = collector();
      const settle = async (): Promise<void> => {
        // Backing stores are freed by V8's sweeper after the collection: collect twice with a pause.
        for (let i = 0; i < 2; i++) {
          gc();
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      await settle();
      const base = rssBytes();
      const capacityPackets = capacityForBudget(RING_BYTES);
      let touched = 0;
      for (let round = 0; round < ROUNDS; round++) {
        let rings = Array.from({ length: RINGS }, () => createRing({ capacityPackets }));
        for (const h of rings) new Uint8Array(h.data, 0, h.data.byteLength).fill(0x47);
        touched = rings.reduce((n, h) => n + h.data.byteLength, 0);
        rings = [];
        await settle();
      }
      // Poll: the sweeper may finish a little later on a busy machine.
      let grown = rssBytes() - base;
      for (let i = 0; i < 25 && grown > touched / 4; i++) {
        await settle();
        grown = rssBytes() - base;
      }
      assert.ok(
        grown <= touched / 4,
        `RSS grew ${(grown / MIB).toFixed(0)} MiB after ${ROUNDS} rounds of ${(touched / MIB).toFixed(0)} MiB of rings`,
      );
    },
  );
});
