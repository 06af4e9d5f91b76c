/** What every player of one thread shares: options, target, counters, histograms and error tallies. */
import { newHistogram } from '../util/histogram.js';
import {
  type Counters,
  HIST_NAMES,
  type Histograms,
  newCounters,
  newTotals,
  type PlayersOptions,
  type Target,
  type Totals,
} from './types.js';

export class PlayerContext {
  readonly options: PlayersOptions;
  readonly target: Target;
  readonly counters: Counters = newCounters();
  readonly totals: Totals = newTotals();
  readonly hist: Histograms;
  readonly errorsByKind = new Map<string, number>();
  /** Window accounting: set once the measurement window opens. */
  windowOpen = false;
  windowBytes = 0;
  windowSegments = 0;

  constructor(options: PlayersOptions, target: Target) {
    this.options = options;
    this.target = target;
    this.hist = Object.fromEntries(HIST_NAMES.map((n) => [n, newHistogram()])) as Histograms;
  }

  /** Stall events per wall-clock second (epoch s): when stalls cluster, the server paused. */
  readonly stallsBySecond = new Map<number, number>();

  stalled(n: number): void {
    this.counters.stalls += n;
    const sec = Math.floor(Date.now() / 1000);
    this.stallsBySecond.set(sec, (this.stallsBySecond.get(sec) ?? 0) + n);
  }

  error(kind: string): void {
    this.counters.errors++;
    this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + 1);
  }

  received(n: number): void {
    this.counters.bytes += n;
    if (this.windowOpen) this.windowBytes += n;
  }

  /** The request line and headers for `path` (which starts with "/"). */
  request(path: string, method = 'GET', close = false): string {
    return (
      `${method} ${this.target.prefix}${path} HTTP/1.1\r\nHost: ${this.target.authority}\r\n` +
      `User-Agent: shardcast-players/0.1\r\nAccept: */*\r\n${close ? 'Connection: close\r\n' : ''}\r\n`
    );
  }
}

/** A socket error's kind for the report. */
export function socketErrorKind(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connect_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EADDRNOTAVAIL':
      return 'no_local_port';
    case 'EMFILE':
    case 'ENFILE':
      return 'fd_limit';
    default:
      return code ? code.toLowerCase() : 'socket';
  }
}
