// Test support: the PES packets of an MPEG-TS byte string, reassembled per PID, to compare what the
// gateway served with what the engine sent (a torn or spliced access unit shows as a payload that differs).
import {
  parsePesHeader,
  payloadOffset,
  readPid,
  readPusi,
  SYNC_BYTE,
  TS_PACKET_SIZE,
} from '@shardcast/mpegts';

export interface PesUnit {
  readonly pid: number;
  /** 90 kHz PTS, or -1 without one. */
  readonly pts: number;
  /** 90 kHz DTS, or the PTS when the header has none. */
  readonly dts: number;
  /** PES_packet_length as declared (0: unbounded, as video usually is). */
  readonly declaredLength: number;
  /** Bytes of the whole PES packet that arrived (header included). */
  readonly length: number;
  /** Elementary stream bytes after the PES header. */
  readonly payload: Uint8Array;
}

export interface PesScan {
  readonly units: PesUnit[];
  /** Per PID: payload packets before its first PES start (a unit torn at the front). */
  readonly orphans: Map<number, number>;
}

/** Reassembles the PES packets of `pids` in `bytes` (packet-aligned TS). */
export function pesUnits(bytes: Uint8Array, pids: ReadonlySet<number>): PesScan {
  const units: PesUnit[] = [];
  const orphans = new Map<number, number>();
  const open = new Map<number, Uint8Array[]>();
  const close = (pid: number): void => {
    const parts = open.get(pid);
    if (!parts) return;
    const all = Buffer.concat(parts);
    const h = parsePesHeader(all, 0);
    if (!h) throw new Error(`PID ${pid}: a PES start without a parsable header`);
    units.push({
      pid,
      pts: h.pts,
      dts: h.dts >= 0 ? h.dts : h.pts,
      declaredLength: h.packetLength,
      length: all.length,
      payload: all.subarray(h.payloadOffset),
    });
    open.delete(pid);
  };
  for (let off = 0; off + TS_PACKET_SIZE <= bytes.length; off += TS_PACKET_SIZE) {
    if (bytes[off] !== SYNC_BYTE) throw new Error(`no packet sync at ${off}`);
    const pid = readPid(bytes, off);
    if (!pids.has(pid)) continue;
    const at = payloadOffset(bytes, off);
    if (at < 0 || at >= off + TS_PACKET_SIZE) continue;
    const data = bytes.subarray(at, off + TS_PACKET_SIZE);
    if (readPusi(bytes, off)) {
      close(pid);
      open.set(pid, [data]);
    } else if (open.has(pid)) open.get(pid)!.push(data);
    else orphans.set(pid, (orphans.get(pid) ?? 0) + 1);
  }
  for (const pid of [...open.keys()]) close(pid);
  return { units, orphans };
}
