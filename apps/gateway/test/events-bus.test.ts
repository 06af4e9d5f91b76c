// Lifecycle events: the bus is node:diagnostics_channel (anyone can subscribe by channel name),
// a bus delivers only its own events to its subscribers, a throwing listener is contained, and the
// orchestrator mapping turns sessions and closes into stream_started/stream_ended pairs.
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { CHANNEL_NAMES, type EngineBrief, EventBus, type LifecycleEvent } from '../src/control/event-bus.js';
import { endReason, OrchestratorEvents } from '../src/control/orchestrator-events.js';
import type { OrchestratorEvent, OrchestratorQueue } from '../src/control/orchestrator-queue.js';

const base = {
  streamId: 3,
  stream: 'a'.repeat(40),
  keyType: 'content_id' as const,
  key: 'a'.repeat(40),
  atMs: 1,
};
const engine: EngineBrief = { id: 'docker:abc', url: 'http://10.0.0.5:6878', containerId: 'abc' };

function session(id: string, eng = engine): LifecycleEvent {
  return {
    ...base,
    type: 'stream.session',
    engine: eng,
    session: {
      playbackSessionId: id,
      statUrl: `http://10.0.0.5:6878/ace/stat/x/${id}`,
      commandUrl: `http://10.0.0.5:6878/ace/cmd/x/${id}`,
      isLive: true,
    },
  };
}

function closed(reason: string, wasReady = true): LifecycleEvent {
  return { ...base, type: 'stream.closed', reason, wasReady, engine, ageMs: 10 };
}

describe('EventBus', () => {
  test('events reach channel subscribers by name, and only the publishing bus subscribers', () => {
    const a = new EventBus();
    const b = new EventBus();
    const seenA: string[] = [];
    const seenB: string[] = [];
    const external: unknown[] = [];
    const onExternal = (m: unknown) => external.push(m);
    diagnosticsChannel.subscribe(CHANNEL_NAMES['stream.closed'], onExternal);
    a.subscribe((e) => seenA.push(e.type));
    b.subscribe((e) => seenB.push(e.type));
    a.publish(closed('normal'));
    b.publish(session('s1'));
    diagnosticsChannel.unsubscribe(CHANNEL_NAMES['stream.closed'], onExternal);
    assert.deepEqual(seenA, ['stream.closed']);
    assert.deepEqual(seenB, ['stream.session']);
    assert.equal(external.length, 1);
    assert.equal((external[0] as LifecycleEvent).type, 'stream.closed');
    assert.equal(a.published().get('stream.closed'), 1);
    a.close();
    b.close();
  });

  test('a throwing listener is counted and never reaches the publisher', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('listener bug');
    });
    bus.subscribe((e) => seen.push(e.type));
    bus.publish(closed('normal'));
    assert.deepEqual(seen, ['stream.closed']);
    assert.equal(bus.listenerErrors, 1);
    bus.close();
    bus.publish(closed('normal'));
    assert.deepEqual(seen, ['stream.closed'], 'close() removed the subscriptions');
  });
});

describe('orchestrator events', () => {
  function harness() {
    const sent: OrchestratorEvent[] = [];
    const queue = { enqueue: (e: OrchestratorEvent) => sent.push(e) > 0 } as unknown as OrchestratorQueue;
    return { sent, events: new OrchestratorEvents(queue) };
  }

  test('one session, then a normal close: one started, one ended, in the documented shapes', () => {
    const { sent, events } = harness();
    events.handle(session('f'.repeat(40)));
    events.handle(closed('normal'));
    const id = `${'a'.repeat(40)}|${'f'.repeat(40)}`;
    assert.deepEqual(sent, [
      {
        name: 'stream_started',
        orderKey: '3',
        body: {
          container_id: 'abc',
          engine: { host: '10.0.0.5', port: 6878 },
          stream: { key_type: 'content_id', key: 'a'.repeat(40) },
          session: {
            playback_session_id: 'f'.repeat(40),
            stat_url: `http://10.0.0.5:6878/ace/stat/x/${'f'.repeat(40)}`,
            command_url: `http://10.0.0.5:6878/ace/cmd/x/${'f'.repeat(40)}`,
            is_live: 1,
          },
          labels: { stream_id: id },
        },
      },
      { name: 'stream_ended', orderKey: '3', body: { container_id: 'abc', stream_id: id, reason: 'normal' } },
    ]);
    assert.equal(events.open, 0);
  });

  test('a failover to a new session ends the old one (error) before starting the new one', () => {
    const { sent, events } = harness();
    events.handle(session('s1'));
    events.handle(session('s1')); // the same session reported again: nothing new
    events.handle(session('s2', { id: 'http://h:1', url: 'http://h:1', containerId: null }));
    events.handle(closed('stopped'));
    assert.deepEqual(
      sent.map((e) => [e.name, (e.body as any).reason ?? null, (e.body as any).container_id]),
      [
        ['stream_started', null, 'abc'],
        ['stream_ended', 'error', 'abc'],
        ['stream_started', null, null],
        ['stream_ended', 'stopped', null],
      ],
    );
  });

  test('a stream that never had a session sends nothing', () => {
    const { sent, events } = harness();
    events.handle(closed('failed_to_start', false));
    assert.deepEqual(sent, []);
  });

  test('close reasons map to normal | stopped | failed_to_start | error', () => {
    assert.equal(endReason({ reason: 'normal', wasReady: true }), 'normal');
    assert.equal(endReason({ reason: 'stopped', wasReady: true }), 'stopped');
    assert.equal(endReason({ reason: 'shutdown', wasReady: true }), 'stopped');
    assert.equal(endReason({ reason: 'shutdown', wasReady: false }), 'stopped');
    assert.equal(endReason({ reason: 'failed_to_start', wasReady: false }), 'failed_to_start');
    assert.equal(endReason({ reason: 'error', wasReady: false }), 'failed_to_start');
    assert.equal(endReason({ reason: 'error', wasReady: true }), 'error');
  });
});
