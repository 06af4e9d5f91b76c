// Continuity-counter checker (ISO/IEC 13818-1 §2.4.3.3): per PID the counter increments by one (mod 16) on
// every packet with payload, stays unchanged on packets without payload, may repeat once for a duplicate
// packet, and may jump where the adaptation field sets discontinuity_indicator.
import { NULL_PID, PID_COUNT } from './constants.js';

/** Outcome of one ContinuityChecker.check() call. */
export const CC_RESULT = {
  /** Counter as expected (or the first packet seen on the PID). */
  OK: 0,
  /** Same counter as the previous payload packet: a duplicate, allowed once. */
  DUPLICATE: 1,
  /** Unexpected counter: packets were lost, reordered or repeated too often. */
  ERROR: 2,
  /** discontinuity_indicator set: the counter may restart, nothing is wrong. */
  DISCONTINUITY: 3,
} as const;
export type CcResult = (typeof CC_RESULT)[keyof typeof CC_RESULT];

const UNKNOWN = -1;
const CC_MASK = 0x0f;

/** Tracks continuity counters of all 8192 PIDs in typed arrays: no allocation per packet. */
export class ContinuityChecker {
  /** Packets that broke continuity. */
  errors = 0;
  /** Duplicate packets seen (allowed, counted). */
  duplicates = 0;
  readonly #last = new Int8Array(PID_COUNT).fill(UNKNOWN);
  /** 1 when the last packet on the PID carried payload, 2 when a duplicate was already accepted. */
  readonly #state = new Uint8Array(PID_COUNT);

  /**
   * Checks one packet's counter. `hasPayload` follows adaptation_field_control bit 0; `discontinuity` is the
   * adaptation field's discontinuity_indicator. Null packets are never checked.
   */
  check(pid: number, cc: number, hasPayload: boolean, discontinuity = false): CcResult {
    if (pid === NULL_PID) return CC_RESULT.OK;
    const last = this.#last[pid]!;
    const c = cc & CC_MASK;
    this.#last[pid] = c;
    if (discontinuity) {
      this.#state[pid] = hasPayload ? 1 : 0;
      return CC_RESULT.DISCONTINUITY;
    }
    if (last === UNKNOWN) {
      this.#state[pid] = hasPayload ? 1 : 0;
      return CC_RESULT.OK;
    }
    const state = this.#state[pid]!;
    if (!hasPayload) {
      // §2.4.3.3: not incremented without payload.
      if (c === last) return CC_RESULT.OK;
      this.errors++;
      return CC_RESULT.ERROR;
    }
    if (c === ((last + 1) & CC_MASK)) {
      this.#state[pid] = 1;
      return CC_RESULT.OK;
    }
    if (c === last && state === 1) {
      this.#state[pid] = 2;
      this.duplicates++;
      return CC_RESULT.DUPLICATE;
    }
    this.#state[pid] = 1;
    this.errors++;
    return CC_RESULT.ERROR;
  }

  /** Checks the packet at data[off]; reads pid, cc, afc and discontinuity_indicator itself. */
  checkPacket(data: Uint8Array, off: number): CcResult {
    const b3 = data[off + 3]!;
    const pid = ((data[off + 1]! & 0x1f) << 8) | data[off + 2]!;
    // discontinuity_indicator: adaptation field present, non-empty, flag bit 0x80.
    const discontinuity = (b3 & 0x20) !== 0 && data[off + 4]! > 0 && (data[off + 5]! & 0x80) !== 0;
    return this.check(pid, b3 & CC_MASK, (b3 & 0x10) !== 0, discontinuity);
  }

  /** Last counter seen on `pid`, or -1. */
  lastCounter(pid: number): number {
    return this.#last[pid] ?? UNKNOWN;
  }

  /** Forgets every PID (after a reconnect or an upstream switch); counters are kept. */
  reset(): void {
    this.#last.fill(UNKNOWN);
    this.#state.fill(0);
  }
}
