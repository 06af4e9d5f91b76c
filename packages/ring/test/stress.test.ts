// Multi-thread stress: one writer thread, fast and slow reader threads, one record reader, all
// on one small ring. Every region a reader accepts is checked packet by packet (sequence
// number, CC per PID, torn-packet guards); a single corrupt accepted region fails the test.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createRing } from '../src/index.js';
import { CTL_GO, CTL_READY, type Role, type StressInput, type StressResult } from './stress-worker.js';

const CAPACITY_PACKETS = 8192; // 1.5 MB: a few ms of the writer at full speed
const WRITE_MS = 1500;
const READER_DEADLINE_MS = 4000;
const TEST_TIMEOUT_MS = 20_000;
const ROLES: readonly Role[] = ['writer', 'fast', 'fast', 'slow', 'slow', 'edge', 'meta'];

const workers: Worker[] = [];
after(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

function start(input: StressInput): Promise<StressResult> {
  const worker = new Worker(new URL('./stress-worker.js', import.meta.url), { workerData: input });
  workers.push(worker);
  return new Promise((resolve, reject) => {
    worker.once('message', (result: StressResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`${input.role} worker exited with ${code} before reporting`)),
    );
  });
}

describe('ring under concurrent threads', () => {
  it(
    'never accepts a torn region, detects every lap, and fast readers keep most data',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const handles = createRing({ capacityPackets: CAPACITY_PACKETS, segmentSlots: 16 });
      const control = new SharedArrayBuffer(16);
      const ctl = new Int32Array(control);
      const runs = ROLES.map((role) =>
        start({ role, handles, control, durationMs: WRITE_MS, deadlineMs: READER_DEADLINE_MS, sleepMs: 3 }),
      );
      // start everyone together: wait (bounded) until all workers are ready, then GO
      const readyBy = Date.now() + 10_000;
      while (Atomics.load(ctl, CTL_READY) < ROLES.length && Date.now() < readyBy) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(Atomics.load(ctl, CTL_READY), ROLES.length, 'all workers started');
      Atomics.store(ctl, CTL_GO, 1);
      Atomics.notify(ctl, CTL_GO);
      const results = await Promise.all(runs);

      const writer = results.find((r) => r.role === 'writer')!;
      const of = (role: Role) => results.filter((r) => r.role === role);
      const summary = results.map((r) => ({
        ...r,
        acceptedShare: r.spanBytes ? r.acceptedBytes / r.spanBytes : 0,
      }));
      const detail = JSON.stringify(summary);
      for (const r of summary) {
        const share =
          r.role === 'fast' || r.role === 'slow' ? ` accepted ${(100 * r.acceptedShare).toFixed(1)}%` : '';
        t.diagnostic(
          `${r.role}: span ${(r.spanBytes / 1e6).toFixed(1)} MB${share}, regions ok ${r.acceptedRegions}, ` +
            `lapped ${r.lappedRegions} (torn ${r.tornCaught}), skips ${r.skipsBeforeRead}, records ${r.recordsChecked}`,
        );
      }

      assert.ok(
        writer.spanBytes > 20 * CAPACITY_PACKETS * 188,
        `writer lapped the ring many times: ${detail}`,
      );
      for (const r of results) assert.equal(r.corruptAccepted, 0, `no corrupt region accepted: ${detail}`);
      for (const r of of('fast')) {
        assert.ok(r.acceptedRegions > 0, `fast reader accepted regions: ${detail}`);
        assert.ok(r.acceptedBytes >= 0.5 * r.spanBytes, `fast reader kept most of the stream: ${detail}`);
      }
      const slow = of('slow');
      assert.ok(
        slow.every((r) => r.lappedRegions > 0),
        `slow readers were lapped mid-send and it was detected: ${detail}`,
      );
      assert.ok(
        slow.reduce((n, r) => n + r.tornCaught, 0) > 0,
        `some rejected regions really were torn (the check is exercised): ${detail}`,
      );
      const edge = of('edge')[0]!;
      assert.ok(
        edge.lappedRegions > 0 && edge.acceptedRegions > 0,
        `edge reader raced the writer: ${detail}`,
      );
      const meta = of('meta')[0]!;
      assert.ok(meta.recordsChecked > 0, `records were read: ${detail}`);
      assert.equal(
        meta.inconsistentRecords,
        0,
        `every RAP/segment/generation copy was consistent: ${detail}`,
      );
    },
  );
});
