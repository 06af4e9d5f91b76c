// At --tuner-count (or --max-streams), a stream that no viewer holds any more (its grace period) gives its
// place to a new open, like a tuner freed when its viewer tunes away. Before, Plex or Jellyfin zapping
// on a full tuner got 503 SC_ERR_TUNER_LIMIT for the whole grace period. A stream a viewer holds is never
// closed for another. Time is simulated (node:test mock timers) and leases are counted by the test.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { RingControl } from '@shardcast/ring';
import { parseJsonCatalog } from '../src/channels/catalog.js';
import { JOIN_ALLOWANCE_MS } from '../src/control/directory.js';
import { directoryRig } from './support/directory-rig.js';

const hex = (c: string) => c.repeat(40);

function setup(extra: string[]) {
  const { dir, messages: sent } = directoryRig({ shards: 1, args: ['--ring-mb', '1', ...extra] });
  const parsed = parseJsonCatalog(
    JSON.stringify({
      channels: ['a', 'b', 'c'].map((c, i) => ({ id: `ch-${c}`, number: i + 1, name: c, sources: [hex(c)] })),
    }),
  );
  assert.ok(parsed.catalog, JSON.stringify(parsed));
  dir.channels.set(parsed.catalog);
  const reply = (reqId: number) => sent.find((m) => m.type === 'opened' && m.reqId === reqId);
  /** The error code of an `opened` reply, or null (opened) / undefined (no reply yet). */
  const refusal = (reqId: number) => {
    const r = reply(reqId);
    return r && r.type === 'opened' ? (r.error?.code ?? null) : undefined;
  };
  /** Opens the key and makes it live (a viewer's lease is the test's own RingControl on its ring). */
  const play = (reqId: number, key: { kind: 'channel' | 'id'; hex: string }) => {
    dir.open(0, reqId, key);
    const entry = [...dir.entries()].find((e) => e.key.hex === key.hex);
    assert.ok(entry, `${key.hex} opened`);
    dir.ownerReady(entry.id);
    return entry;
  };
  return { dir, sent, reply, refusal, play };
}

test('a full tuner: a channel nobody watches any more makes room for the next one at once', () => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
  try {
    const { dir, reply, refusal, play } = setup(['--tuner-count', '2', '--grace-seconds', '5']);
    const a = play(1, { kind: 'channel', hex: 'ch-a' });
    const b = play(2, { kind: 'channel', hex: 'ch-b' });
    const leaseA = new RingControl(a.ring);
    const leaseB = new RingControl(b.ring);
    assert.ok(leaseA.tryAcquire() && leaseB.tryAcquire(), 'both channels watched');
    mock.timers.tick(JOIN_ALLOWANCE_MS + 1000);
    // Both tuners are watched: the third channel is refused, and neither watched one is touched.
    dir.open(0, 3, { kind: 'channel', hex: 'ch-c' });
    assert.equal(refusal(3), 'SC_ERR_TUNER_LIMIT');
    assert.equal(a.state, 'live');
    assert.equal(b.state, 'live');
    // The viewer of a tunes away (its lease goes) and tunes to c within the grace period.
    leaseA.release();
    mock.timers.tick(400);
    dir.open(0, 4, { kind: 'channel', hex: 'ch-c' });
    assert.equal(reply(4), undefined, 'c is opening, not refused');
    assert.equal(a.state, 'closing', 'the unwatched channel gave its tuner');
    assert.equal(b.state, 'live', 'the watched one plays on');
    assert.ok([...dir.entries()].some((e) => e.key.hex === 'ch-c'));
    dir.closeAll('test');
  } finally {
    mock.timers.reset();
  }
});

test('a full --max-streams: an idle /ace stream makes room; a stream just gone live keeps its join allowance', () => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
  try {
    const { dir, reply, refusal, play } = setup(['--max-streams', '1', '--grace-seconds', '5']);
    const first = play(1, { kind: 'id', hex: hex('1') });
    // Just gone live: its viewers may not have leased it yet, so it is not taken.
    dir.open(0, 2, { kind: 'id', hex: hex('2') });
    assert.equal(refusal(2), 'SC_ERR_STREAM_LIMIT');
    assert.equal(first.state, 'live');
    mock.timers.tick(JOIN_ALLOWANCE_MS + 200);
    dir.open(0, 3, { kind: 'id', hex: hex('2') });
    assert.equal(reply(3), undefined, 'opening, not refused');
    assert.equal(first.state, 'closing');
    dir.closeAll('test');
  } finally {
    mock.timers.reset();
  }
});
