// Memory-ordering primitives shared by the writer and the readers.
//
// JavaScript Atomics are sequentially consistent, but the ring's payload (stream bytes, PSI
// copies, segment fields) is read and written with plain accesses, so a seqlock also needs
// fences around those plain accesses. V8 has no fence builtin; a read-modify-write on a
// thread-private word is one (x86-64: LOCK XADD; arm64: an exclusive pair whose release half
// orders the plain accesses before it and whose acquire half orders those after it). The word
// is private to each thread (every worker evaluates this module anew), so it never bounces
// between cores: about 10 ns, uncontended.
import { TS_PACKET_SIZE } from './layout.js';

const FENCE_WORD = new Int32Array(new SharedArrayBuffer(4));

/** Full fence: plain accesses before it are ordered before plain or atomic accesses after it. */
export function fence(): void {
  Atomics.add(FENCE_WORD, 0, 0);
}

// A writer preempted inside its critical section holds the version odd for a scheduler slice
// (milliseconds); a dead writer holds it forever. Spin long enough for the first, give up on
// the second (the caller reports "not available").
export const SEQLOCK_MAX_SPINS = 1_000_000;

/** Seqlock writer side, step 1: version becomes odd; plain writes may follow. */
export function seqlockBegin(words: Int32Array, index: number): void {
  Atomics.store(words, index, (Atomics.load(words, index) + 1) | 0);
  fence();
}

/** Seqlock writer side, step 2: version becomes even again; the record is consistent. */
export function seqlockEnd(words: Int32Array, index: number): void {
  // a seq-cst store is a release: the plain writes above are visible before the even version
  Atomics.store(words, index, (Atomics.load(words, index) + 1) | 0);
}

/**
 * Seqlock reader side: runs `read` until it ran entirely between two equal, even versions.
 * `read` must not throw on torn input (clamp counts before slicing). Undefined after
 * SEQLOCK_MAX_SPINS attempts.
 */
export function seqlockRead<T>(words: Int32Array, index: number, read: () => T): T | undefined {
  for (let spin = 0; spin < SEQLOCK_MAX_SPINS; spin++) {
    const before = Atomics.load(words, index);
    if ((before & 1) !== 0) continue;
    const value = read();
    fence();
    if (Atomics.load(words, index) === before) return value;
  }
  return undefined;
}

/** A byte cursor: a non-negative safe integer multiple of 188. */
export function isCursor(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value % TS_PACKET_SIZE === 0;
}

export function assertCursor(name: string, value: number): void {
  if (!isCursor(value)) {
    throw new RangeError(`${name} must be a non-negative safe integer multiple of 188, got ${value}.`);
  }
}

export function assertPsi(psi: Uint8Array, maxPackets: number): void {
  if (psi.length % TS_PACKET_SIZE !== 0 || psi.length > maxPackets * TS_PACKET_SIZE) {
    throw new RangeError(`psi must be 0 to ${maxPackets} whole 188-byte packets, got ${psi.length} bytes.`);
  }
}

/** Low 32 bits (as int32) of the packet count of a cursor; ToInt32 is exact below 2^53. */
export function packetsLo(cursor: number): number {
  return (cursor / TS_PACKET_SIZE) | 0;
}
