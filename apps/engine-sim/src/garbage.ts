// What a connection with the `garbage` fault sends instead of the program: patterns built once and handed
// out as views, so a garbage connection costs no more than a healthy one.
import { randomBytes } from 'node:crypto';
import { NULL_PID, SYNC_BYTE, TS_PACKET_SIZE } from '@shardcast/mpegts';
import type { GarbageKind } from './faults.js';

/** One pattern covers this many packets' worth of bytes (a multiple of 16, for the counters; at least one unpaced write). */
const PATTERN_PACKETS = 1408;
/** A PID the fixture's PAT/PMT never list (the single-pid fault). */
export const STRAY_PID = 0x0abc;
const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n' +
  '<body><h1>502 Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n';

const patterns = new Map<GarbageKind, Uint8Array>();

/** `length` bytes of `kind` garbage (views of a shared pattern, concatenated only when longer). */
export function garbageBytes(kind: GarbageKind, length: number): Uint8Array {
  const p = pattern(kind);
  if (length <= p.length) return p.subarray(0, length);
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += p.length) out.set(p.subarray(0, Math.min(p.length, length - at)), at);
  return out;
}

function pattern(kind: GarbageKind): Uint8Array {
  let p = patterns.get(kind);
  if (p) return p;
  const size = PATTERN_PACKETS * TS_PACKET_SIZE;
  switch (kind) {
    case 'random':
      p = randomBytes(size);
      break;
    case 'html': {
      p = new Uint8Array(size);
      const page = new TextEncoder().encode(HTML_PAGE);
      for (let at = 0; at < size; at += page.length)
        p.set(page.subarray(0, Math.min(page.length, size - at)), at);
      break;
    }
    case 'null-only':
      p = packets(NULL_PID);
      break;
    case 'single-pid':
      p = packets(STRAY_PID);
      break;
  }
  patterns.set(kind, p);
  return p;
}

/** Valid TS packets of one PID, payload only, continuity counters running (a pattern of whole cycles). */
function packets(pid: number): Uint8Array {
  const p = new Uint8Array(PATTERN_PACKETS * TS_PACKET_SIZE).fill(0xff);
  for (let i = 0; i < PATTERN_PACKETS; i++) {
    const at = i * TS_PACKET_SIZE;
    p[at] = SYNC_BYTE;
    p[at + 1] = (pid >> 8) & 0x1f;
    p[at + 2] = pid & 0xff;
    p[at + 3] = 0x10 | (i & 0x0f);
  }
  return p;
}
