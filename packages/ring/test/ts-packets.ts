// TS-like test packets whose content is a function of their position in the stream, so any
// torn, reordered or stale packet is recognisable.
//   byte 0      sync byte 0x47 (ISO/IEC 13818-1 §2.4.3.2)
//   bytes 1-2   PID: one of PIDS, chosen by seq % PIDS.length
//   byte 3      0x10 (payload only) | continuity counter (per PID, +1 per packet of that PID)
//   bytes 4-7   seq: global packet number = cursor / 188 (u32 LE)
//   bytes 92-95 seq ^ MID_MASK (catches a packet torn in the middle)
//   bytes 184-187 ~seq (catches a packet torn at the tail)
export const PACKET = 188;
export const PIDS = [0x100, 0x101, 0x102] as const;
const MID_MASK = 0x5a5a5a5a;

export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function fillPacket(view: DataView, at: number, seq: number): void {
  const pid = PIDS[seq % PIDS.length]!;
  view.setUint8(at, 0x47);
  view.setUint16(at + 1, pid & 0x1fff);
  view.setUint8(at + 3, 0x10 | (Math.floor(seq / PIDS.length) & 0x0f));
  view.setUint32(at + 4, seq >>> 0, true);
  view.setUint32(at + 92, (seq ^ MID_MASK) >>> 0, true);
  view.setUint32(at + 184, ~seq >>> 0, true);
}

export function makePackets(firstSeq: number, count: number): Uint8Array {
  const buf = new Uint8Array(count * PACKET);
  const view = viewOf(buf);
  for (let i = 0; i < count; i++) fillPacket(view, i * PACKET, firstSeq + i);
  return buf;
}

/** seq carried by the packet, or -1 if the packet is not self-consistent. */
export function packetSeq(view: DataView, at: number): number {
  const seq = view.getUint32(at + 4, true);
  const consistent =
    view.getUint8(at) === 0x47 &&
    view.getUint32(at + 92, true) === (seq ^ MID_MASK) >>> 0 &&
    view.getUint32(at + 184, true) === ~seq >>> 0;
  return consistent ? seq : -1;
}

/** PID and continuity counter of a packet. */
export function pidOf(view: DataView, at: number): number {
  return view.getUint16(at + 1) & 0x1fff;
}

export function ccOf(view: DataView, at: number): number {
  return view.getUint8(at + 3) & 0x0f;
}

/** PSI-like packets whose every payload byte is `tag & 0xff` and whose bytes 4-7 hold tag. */
export function makeTagged(tag: number, count: number): Uint8Array {
  const buf = new Uint8Array(count * PACKET);
  fillTagged(buf, tag);
  return buf;
}

/** Fills whole packets in place, as makeTagged() would create them. */
export function fillTagged(buf: Uint8Array, tag: number): void {
  buf.fill(tag & 0xff);
  const view = viewOf(buf);
  for (let at = 0; at < buf.length; at += PACKET) {
    buf[at] = 0x47;
    view.setUint32(at + 4, tag >>> 0, true);
  }
}

/** The tag of makeTagged() packets, or -1 if any byte disagrees (a torn copy). */
export function taggedValue(buf: Uint8Array): number {
  if (buf.length === 0) return -1;
  const view = viewOf(buf);
  const tag = view.getUint32(4, true);
  for (let i = 0; i < buf.length; i += PACKET) {
    if (buf[i] !== 0x47 || view.getUint32(i + 4, true) !== tag) return -1;
    for (let j = i + 8; j < i + PACKET; j++) if (buf[j] !== (tag & 0xff)) return -1;
  }
  return tag;
}

/**
 * Verifies accepted regions: every packet self-consistent, its seq equal to its cursor / 188,
 * and each PID's continuity counter +1 (mod 16) from the previous packet of that PID, also
 * across consecutive regions. `reset()` after a counted skip.
 */
export class ContinuityChecker {
  readonly #lastCc = new Int8Array(PIDS.length).fill(-1);

  reset(): void {
    this.#lastCc.fill(-1);
  }

  check(view: DataView, offset: number, length: number, firstSeq: number): boolean {
    for (let at = offset, seq = firstSeq; at < offset + length; at += PACKET, seq++) {
      if (packetSeq(view, at) !== seq >>> 0) return false;
      const index = PIDS.indexOf(pidOf(view, at) as (typeof PIDS)[number]);
      if (index < 0) return false;
      const cc = ccOf(view, at);
      const last = this.#lastCc[index]!;
      if (last >= 0 && cc !== ((last + 1) & 0x0f)) return false;
      this.#lastCc[index] = cc;
    }
    return true;
  }
}
