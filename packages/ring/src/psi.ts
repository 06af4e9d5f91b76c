// PSI packet copies (PAT + PMT, whole 188-byte packets) stored inline in the header and in
// every segment slot. Both helpers run inside a seqlock critical section / read attempt.
import { PSI_MAX_PACKETS, TS_PACKET_SIZE } from './layout.js';

/** Copies `psi` to `bytes[at…]` and records its packet count at `words[countIndex]`. */
export function storePsi(
  bytes: Uint8Array,
  at: number,
  words: Int32Array,
  countIndex: number,
  psi: Uint8Array,
): void {
  bytes.set(psi, at);
  words[countIndex] = psi.length / TS_PACKET_SIZE;
}

/** A fresh copy of the PSI stored at `bytes[at…]`; the count is clamped because a torn read may garble it. */
export function loadPsi(bytes: Uint8Array, at: number, words: Int32Array, countIndex: number): Uint8Array {
  const count = Math.min(Math.max(words[countIndex] ?? 0, 0), PSI_MAX_PACKETS);
  return bytes.slice(at, at + count * TS_PACKET_SIZE);
}
