/**
 * The bytes the reference server sends: the engine-sim fixture rendered 16 times with its continuity
 * counters advanced per loop (ISO/IEC 13818-1 §2.4.3.3), so the 16-loop buffer itself loops with continuous
 * counters (every PID's counter is back at its start after 16 loops). PCR jumps back once per 16 loops,
 * which players treat as a discontinuity. Same bytes as the simulator's, served from memory.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_FIXTURE, planLoop } from '@shardcast/engine-sim';

const LOOPS = 16;
const TS_PACKET_SIZE = 188;
const CC_MASK = 0x0f;
// The segment target only shapes the plan's HLS cuts, which the reference does not use.
const SEGMENT_TARGET_S = 2;

export interface LoopBytes {
  readonly bytes: Buffer;
  /** Nominal rate of the fixture, bytes per second. */
  readonly bytesPerSecond: number;
}

export function renderLoopBytes(fixturePath = DEFAULT_FIXTURE): LoopBytes {
  const fixture = new Uint8Array(readFileSync(fixturePath));
  const plan = planLoop(fixture, SEGMENT_TARGET_S);
  const one = plan.bytes.length;
  const out = Buffer.allocUnsafe(one * LOOPS);
  for (let k = 0; k < LOOPS; k++) {
    out.set(plan.bytes, k * one);
    for (let i = 0; i < plan.packetCount; i++) {
      const at = k * one + i * TS_PACKET_SIZE + 3;
      const cc = (plan.ccBase[i]! + k * plan.ccStep[i]!) & CC_MASK;
      out[at] = (out[at]! & 0xf0) | cc;
    }
  }
  return { bytes: out, bytesPerSecond: plan.bytesPerSecond };
}
