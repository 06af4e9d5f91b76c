// With --grace-seconds 0 a stream that has just become playable is not closed before the viewers it was
// opened for have leased its ring: main answers their shards with `opened`, and each shard leases the
// ring only when that reply arrives. Closing in between made the viewer's shard open the stream again (a
// second engine session, a slower join). Time is simulated (node:test mock timers), so nothing here
// depends on how fast the machine is.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { JOIN_ALLOWANCE_MS } from '../src/control/directory.js';
import { directoryRig } from './support/directory-rig.js';

const KEY = { kind: 'id', hex: 'cd'.repeat(20) } as const;

test('grace 0: a stream just gone live waits for its viewers, then closes if none leases it', () => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
  try {
    const { dir, sent } = directoryRig({ args: ['--grace-seconds', '0'] });
    dir.open(1, 5, KEY);
    const entry = [...dir.entries()][0]!;
    dir.ownerReady(entry.id);
    assert.ok(
      sent.some(([shard, m]) => shard === 1 && m.type === 'opened'),
      'the viewer’s shard got its reply',
    );
    // The reaper runs several times before the shard's lease shows up: the stream stays.
    mock.timers.tick(JOIN_ALLOWANCE_MS - 1);
    assert.equal(entry.state, 'live', 'not closed before its viewer could lease it');
    assert.ok(!sent.some(([, m]) => m.type === 'disown'), 'the owner was not told to stop');
    // Nobody came: grace 0 closes it once the allowance is over.
    mock.timers.tick(1000);
    assert.equal(entry.state, 'closing');
    assert.ok(sent.some(([, m]) => m.type === 'disown'));
    dir.closeAll('test');
  } finally {
    mock.timers.reset();
  }
});
