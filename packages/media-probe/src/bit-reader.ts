/**
 * MSB-first bit reader over an RBSP (emulation prevention bytes removed), with the Exp-Golomb codes of
 * ITU-T H.264 §9.1 / H.265 §9.2. Reading past the end throws `BitOverrun`; parsers catch it at their
 * boundary and report "could not tell" instead.
 */

/** Thrown when a syntax element runs past the end of the RBSP. */
export class BitOverrun extends Error {
  override readonly name = 'BitOverrun';
}

// Exp-Golomb codes longer than this cannot describe a sane SPS value (and would overflow 2^32).
const MAX_LEADING_ZEROS = 31;

/**
 * Copies data[start, end) without emulation_prevention_three_byte (H.264 §7.4.1: 0x000003 → 0x0000).
 */
export function unescapeRbsp(data: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  let n = 0;
  let zeros = 0;
  for (let i = start; i < end; i++) {
    const b = data[i]!;
    if (zeros >= 2 && b === 0x03) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

export class BitReader {
  readonly #data: Uint8Array;
  #bit = 0;

  constructor(rbsp: Uint8Array) {
    this.#data = rbsp;
  }

  get bitsLeft(): number {
    return this.#data.length * 8 - this.#bit;
  }

  /** u(n) for n <= 32, as a non-negative number. */
  u(n: number): number {
    if (n > this.bitsLeft) throw new BitOverrun(`need ${n} bits, ${this.bitsLeft} left`);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.#data[this.#bit >> 3]!;
      // Multiplication, not <<: keeps 32-bit values positive.
      v = v * 2 + ((byte >> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return v;
  }

  flag(): boolean {
    return this.u(1) === 1;
  }

  skip(n: number): void {
    if (n > this.bitsLeft) throw new BitOverrun(`cannot skip ${n} bits, ${this.bitsLeft} left`);
    this.#bit += n;
  }

  /** ue(v): unsigned Exp-Golomb. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > MAX_LEADING_ZEROS) throw new BitOverrun('Exp-Golomb code too long');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v): signed Exp-Golomb (k → (-1)^(k+1) * ceil(k / 2)). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
