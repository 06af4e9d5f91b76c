/**
 * Logs lifecycle events from the bus: stream events at info (one line each, a handful per stream),
 * client events at debug (one per client, never per packet). Fields follow the log conventions:
 * `stream`, `engine`, `shard`, plus `event` with the bus type.
 */
import type { Logger } from '../log.js';
import type { EventBus, LifecycleEvent } from './event-bus.js';

export function logEvents(bus: EventBus, log: Logger): () => void {
  return bus.subscribe((e) => {
    const fields = eventFields(e);
    if (e.type === 'client.joined' || e.type === 'client.left') log.debug(fields, e.type);
    else log.info(fields, e.type);
  });
}

function eventFields(e: LifecycleEvent): Record<string, unknown> {
  switch (e.type) {
    case 'stream.opened':
      return { event: e.type, stream: e.stream, engine: e.engine.url, owner: e.owner };
    case 'stream.ready':
      return { event: e.type, stream: e.stream, engine: e.engine.url, openMs: e.openMs };
    case 'stream.session':
      return {
        event: e.type,
        stream: e.stream,
        engine: e.engine.url,
        playbackSessionId: e.session.playbackSessionId,
      };
    case 'stream.failover':
      return { event: e.type, stream: e.stream, from: e.from.url, to: e.to.url };
    case 'stream.closed':
      return { event: e.type, stream: e.stream, engine: e.engine.url, reason: e.reason, ageMs: e.ageMs };
    case 'engine.started':
      return { event: e.type, engine: e.engine.url, container: e.name, provisionMs: e.provisionMs };
    case 'engine.removed':
      return { event: e.type, engine: e.engine.url, container: e.name, reason: e.reason };
    case 'client.joined':
    case 'client.left':
      return { event: e.type, stream: e.stream, shard: e.shard, protocol: e.protocol, reason: e.reason };
    default: {
      const never: never = e;
      return { event: (never as LifecycleEvent).type };
    }
  }
}
