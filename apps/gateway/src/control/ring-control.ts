/**
 * Main's handle on a stream ring: it allocates the SharedArrayBuffers (sized from --ring-mb) and reads
 * or CASes header words — leases, generation, bitrate, the segment index bounds. It never reads media bytes.
 */
import { capacityForBudget, createRing, RingControl, type RingHandles, RingReader } from '@shardcast/ring';
import type { HlsStart } from '../protocol.js';

export interface StreamRingControl {
  leaseCount(): number;
  attachCount(): number;
  /** CAS from zero readers to CLOSED; false when a client holds a lease. */
  tryClose(): boolean;
  /** Refuse new leases now (operator close, failure, shutdown); holders are detached by their shards. */
  forceClose(): void;
  generation(): number;
  bitrate(): number;
  /** Where a successor of this ring must continue its HLS numbering. */
  hlsNext(): HlsStart;
}

export function ringControl(ringMb: number): { handles: RingHandles; control: StreamRingControl } {
  const handles = createRing({ capacityPackets: capacityForBudget(ringMb * 1024 * 1024) });
  const c = new RingControl(handles);
  // Only the segment index is read through this reader (never `regions`/`copy`).
  const index = new RingReader(handles);
  return {
    handles,
    control: {
      leaseCount: () => c.readers,
      attachCount: () => c.attachCount,
      tryClose: () => c.tryClose(),
      forceClose: () => {
        c.markClosing();
        c.tryClose();
      },
      generation: () => c.generation,
      bitrate: () => c.bitrate,
      hlsNext: () => {
        const b = index.segmentBounds();
        const last = b ? index.readSegment(b.last) : null;
        if (!b || !last)
          return {
            seq: b ? b.last + 1 : Math.floor(Date.now() / 1000),
            discontinuitySeq: 0,
            resumed: b !== null,
          };
        return { seq: last.seq + 1, discontinuitySeq: last.discontinuitySequence, resumed: true };
      },
    },
  };
}
