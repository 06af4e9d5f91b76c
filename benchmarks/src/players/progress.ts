/** The live progress line on a TTY (stderr): elapsed, players connected, current egress, stalls, errors. */
import { rateHuman } from '../util/format.js';
import type { Counters } from './types.js';

const BAR_WIDTH = 20;

export interface ProgressFrame {
  phase: 'prewarm' | 'ramp-up' | 'steady';
  elapsedS: number;
  totalS: number;
  players: number;
  counters: Counters;
}

export class ProgressLine {
  readonly #tty: boolean;
  readonly #everyMs: number;
  #lastBytes = 0;
  #lastMs = 0;
  #lastPrintMs = 0;
  #rate = 0;

  /** On a TTY the line redraws in place; elsewhere a plain line every `plainEveryMs`. */
  constructor(tty: boolean, plainEveryMs = 5000) {
    this.#tty = tty;
    this.#everyMs = tty ? 0 : plainEveryMs;
  }

  update(f: ProgressFrame, nowMs: number): void {
    if (this.#lastMs > 0 && nowMs > this.#lastMs) {
      const inst = ((f.counters.bytes - this.#lastBytes) * 1000) / (nowMs - this.#lastMs);
      // Smoothed so the line is readable, responsive within a couple of seconds.
      this.#rate = this.#rate === 0 ? inst : this.#rate * 0.6 + inst * 0.4;
    }
    this.#lastBytes = f.counters.bytes;
    this.#lastMs = nowMs;
    if (nowMs - this.#lastPrintMs < this.#everyMs) return;
    this.#lastPrintMs = nowMs;
    const frac = f.totalS > 0 ? Math.min(1, f.elapsedS / f.totalS) : 0;
    const fill = Math.round(frac * BAR_WIDTH);
    const c = f.counters;
    const line =
      `[${'#'.repeat(fill)}${'-'.repeat(BAR_WIDTH - fill)}] ${f.elapsedS.toFixed(0)}/${f.totalS.toFixed(0)} s ${f.phase}` +
      ` | connected ${c.connected}/${f.players} | egress ${rateHuman(this.#rate)} | stalls ${c.stalls} | errors ${c.errors}`;
    process.stderr.write(this.#tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  done(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}
