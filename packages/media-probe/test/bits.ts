// Test helpers: build parameter sets bit by bit, and read hex captures.

/** MSB-first bit writer with Exp-Golomb codes, to hand-build parameter sets field by field. */
export class BitWriter {
  readonly bits: number[] = [];
  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  ue(v: number): this {
    const len = Math.floor(Math.log2(v + 1));
    this.u(len, 0);
    return this.u(len + 1, v + 1);
  }
  /** RBSP trailing bits, then emulation prevention (H.264 §7.4.1): 00 00 0x (x ≤ 3) → 00 00 03 0x. */
  nal(header: number[]): Uint8Array {
    this.bits.push(1);
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    const out = [...header];
    let zeros = 0;
    for (let i = 0; i < this.bits.length; i += 8) {
      const b = Number.parseInt(this.bits.slice(i, i + 8).join(''), 2);
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return Uint8Array.from(out);
  }
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
