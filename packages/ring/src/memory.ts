// Typed views over RingHandles, built once per thread per ring. Opening validates that the
// buffers were made by createRing with this layout version, so a stale or foreign object
// fails loudly at attach time instead of corrupting memory later.
import {
  H_CAPACITY_PACKETS,
  H_LAYOUT,
  H_MAGIC,
  H_SEGMENT_SLOTS,
  HEADER_BYTES,
  indexBytes,
  LAYOUT_VERSION,
  RING_MAGIC,
  TS_PACKET_SIZE,
} from './layout.js';
import type { RingHandles } from './types.js';

export interface RingMemory {
  readonly capacityPackets: number;
  readonly capacityBytes: number;
  /** capacityPackets - 1: packet index → physical slot. */
  readonly mask: number;
  readonly segmentSlots: number;
  readonly h32: Int32Array;
  readonly h64: BigInt64Array;
  readonly hf64: Float64Array;
  readonly h8: Uint8Array;
  readonly data: Uint8Array;
  readonly x32: Int32Array;
  readonly x64: BigInt64Array;
  readonly xf64: Float64Array;
  readonly x8: Uint8Array;
}

export function openMemory(handles: RingHandles): RingMemory {
  const { header, data, index } = handles;
  if (!isShared(header) || !isShared(data) || !isShared(index)) {
    throw new TypeError('RingHandles must hold three SharedArrayBuffers (header, data, index).');
  }
  if (header.byteLength !== HEADER_BYTES) {
    throw new RangeError(
      `Ring header is ${header.byteLength} bytes, layout ${LAYOUT_VERSION} needs ${HEADER_BYTES}.`,
    );
  }
  const h32 = new Int32Array(header);
  if (h32[H_MAGIC / 4] !== RING_MAGIC || h32[H_LAYOUT / 4] !== LAYOUT_VERSION) {
    throw new RangeError(`Ring header is not a layout ${LAYOUT_VERSION} ring made by createRing.`);
  }
  const capacityPackets = h32[H_CAPACITY_PACKETS / 4] ?? 0;
  const segmentSlots = h32[H_SEGMENT_SLOTS / 4] ?? 0;
  if (data.byteLength !== capacityPackets * TS_PACKET_SIZE || index.byteLength !== indexBytes(segmentSlots)) {
    throw new RangeError('Ring data or index buffer does not match the sizes recorded in the header.');
  }
  // Fixed-length views: over a buffer created with a maxByteLength (see create.ts) a view without a length
  // tracks the buffer's length, and V8 indexes those about 2× slower; these never change length anyway.
  return {
    capacityPackets,
    capacityBytes: capacityPackets * TS_PACKET_SIZE,
    mask: capacityPackets - 1,
    segmentSlots,
    h32,
    h64: new BigInt64Array(header),
    hf64: new Float64Array(header),
    h8: new Uint8Array(header),
    data: new Uint8Array(data, 0, data.byteLength),
    x32: new Int32Array(index, 0, index.byteLength / 4),
    x64: new BigInt64Array(index, 0, index.byteLength / 8),
    xf64: new Float64Array(index, 0, index.byteLength / 8),
    x8: new Uint8Array(index, 0, index.byteLength),
  };
}

function isShared(value: unknown): value is SharedArrayBuffer {
  return value instanceof SharedArrayBuffer;
}
