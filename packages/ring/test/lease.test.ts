import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRing, RingControl, RingWriter } from '../src/index.js';
import { H_LEASE, LEASE_COUNT_MASK } from '../src/layout.js';

// Two RingControl objects over the same buffers stand for two threads; each CAS is atomic, so
// interleavings are modelled by ordering the calls.
function pair() {
  const handles = createRing({ capacityPackets: 4 });
  return { handles, shard: new RingControl(handles), main: new RingControl(handles) };
}

describe('lease word', () => {
  it('counts acquires and releases, visible from every control object', () => {
    const { shard, main } = pair();
    assert.equal(shard.tryAcquire(), true);
    assert.equal(shard.tryAcquire(), true);
    assert.equal(main.readers, 2);
    assert.equal(main.release(), true);
    assert.equal(shard.readers, 1);
  });

  it('release without a lease is refused and leaves the word unchanged', () => {
    const { shard } = pair();
    assert.equal(shard.release(), false);
    assert.equal(shard.readers, 0);
    shard.markClosing();
    assert.equal(shard.release(), false);
    assert.equal(shard.closing, true);
  });

  it('tryClose succeeds only from exactly zero readers', () => {
    const { shard, main } = pair();
    shard.tryAcquire();
    assert.equal(main.tryClose(), false);
    assert.equal(main.closed, false);
    shard.release();
    assert.equal(main.tryClose(), true);
    assert.equal(shard.closed, true);
    assert.equal(shard.state, 'closed');
  });

  it('no acquire succeeds after close, and closing twice is refused', () => {
    const { shard, main } = pair();
    assert.equal(main.tryClose(), true);
    assert.equal(shard.tryAcquire(), false);
    assert.equal(shard.readers, 0);
    assert.equal(main.tryClose(), false);
  });

  it('a join that lands before the close CAS wins; the close fails', () => {
    const { shard, main } = pair();
    assert.equal(main.readers, 0); // main decides to close...
    assert.equal(shard.tryAcquire(), true); // ...but a client joins first
    assert.equal(main.tryClose(), false);
    assert.equal(shard.closed, false);
  });

  it('markClosing stops new leases while holders drain, then tryClose finishes', () => {
    const { shard, main } = pair();
    shard.tryAcquire();
    main.markClosing();
    assert.equal(shard.tryAcquire(), false);
    assert.equal(main.closing, true);
    assert.equal(main.closed, false);
    assert.equal(main.tryClose(), false);
    assert.equal(shard.release(), true);
    assert.equal(main.tryClose(), true);
    assert.equal(main.closed, true);
  });

  it('the attach counter shows a client that joined and left during the grace period', () => {
    const { shard, main } = pair();
    shard.tryAcquire();
    shard.release();
    const seen = main.attachCount; // grace period starts
    assert.equal(seen, 1);
    shard.tryAcquire();
    shard.release();
    assert.equal(main.readers, 0);
    assert.notEqual(main.attachCount, seen, 'someone came and went');
    main.tryClose();
    shard.tryAcquire();
    assert.equal(main.attachCount, 2, 'failed acquires are not counted');
  });

  it('refuses a lease when the count is saturated instead of overflowing into the flags', () => {
    const { handles, shard } = pair();
    Atomics.store(new Int32Array(handles.header), H_LEASE / 4, LEASE_COUNT_MASK);
    assert.equal(shard.tryAcquire(), false);
    assert.equal(shard.closing, false);
  });
});

describe('state word', () => {
  it('the writer publishes states; closed is final', () => {
    const { handles, main } = pair();
    const writer = new RingWriter(handles);
    assert.equal(writer.setState('live'), true);
    assert.equal(main.state, 'live');
    assert.equal(writer.setState('stalled'), true);
    assert.equal(main.state, 'stalled');
    main.tryClose();
    assert.equal(writer.setState('live'), false);
    assert.equal(main.state, 'closed');
  });

  it('compareAndSetState only changes the expected state', () => {
    const { handles, main } = pair();
    new RingWriter(handles).setState('live');
    assert.equal(main.compareAndSetState('stalled', 'failed'), false);
    assert.equal(main.state, 'live');
    assert.equal(main.compareAndSetState('live', 'failed'), true);
    assert.equal(main.state, 'failed');
  });

  it('rejects unknown state names', () => {
    const { handles } = pair();
    assert.throws(() => new RingWriter(handles).setState('paused' as never), RangeError);
  });
});
