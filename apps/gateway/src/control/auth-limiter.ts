/**
 * Failed admin authentications per client address: after `maxFailures` wrong keys from one address within
 * `windowMs` of its first, that address is refused (429) until the window has passed, without its key
 * being compared. Right keys are never counted. The table is bounded: past `maxAddresses` the address
 * whose window started first is forgotten. An IPv6 address counts by its /64, the block one subscriber, host
 * or VM is given: its 2^64 addresses are one client, not a fresh 10 tries each. Pure (time comes from
 * `now`), so its tests run on simulated time; one instance on main for the HTTP admin API, one per shard for the live socket's key messages.
 */

export interface AuthLimiterOptions {
  /** Wrong keys an address may send within a window; the next request is refused. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  /** Addresses remembered at most (the oldest window is evicted first). */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

export const AUTH_MAX_FAILURES = 10;
export const AUTH_WINDOW_MS = 60_000;
export const AUTH_MAX_ADDRESSES = 10_000;

import { isIP } from 'node:net';

interface Window {
  readonly startMs: number;
  failures: number;
}

export class AuthLimiter {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #now: () => number;
  /** In the order the windows started (a new window is re-inserted at the end). */
  readonly #windows = new Map<string, Window>();

  constructor(options: AuthLimiterOptions = {}) {
    this.#maxFailures = options.maxFailures ?? AUTH_MAX_FAILURES;
    this.#windowMs = options.windowMs ?? AUTH_WINDOW_MS;
    this.#maxAddresses = options.maxAddresses ?? AUTH_MAX_ADDRESSES;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until `address` may try a key again; 0 when it may now. */
  blockedMs(client: string): number {
    const address = limitedAs(client);
    const w = this.#windows.get(address);
    if (w === undefined) return 0;
    const left = w.startMs + this.#windowMs - this.#now();
    if (left <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return w.failures >= this.#maxFailures ? left : 0;
  }

  /** Counts `keys` wrong keys (one request may carry two) from `address`. */
  fail(client: string, keys = 1): void {
    const address = limitedAs(client);
    const now = this.#now();
    const w = this.#windows.get(address);
    if (w !== undefined && now - w.startMs < this.#windowMs) {
      w.failures += keys;
      return;
    }
    this.#windows.delete(address);
    while (this.#windows.size >= this.#maxAddresses) {
      const oldest = this.#windows.keys().next();
      if (oldest.done === true) break;
      this.#windows.delete(oldest.value);
    }
    this.#windows.set(address, { startMs: now, failures: keys });
  }

  /** Addresses remembered (for tests and a gauge). */
  get size(): number {
    return this.#windows.size;
  }
}

/** The key an address is counted under: itself, or for a native IPv6 address its /64 (`2001:db8:1:2::/64`). */
export function limitedAs(address: string): string {
  const ip = address.split('%', 1)[0] ?? address;
  if (isIP(ip) !== 6 || ip.includes('.')) return address;
  const [head = '', tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [
    ...left,
    ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ];
  const prefix = groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  // ::/64 holds loopback and every IPv4 address written as IPv6 (::ffff:7f00:1), NAT64's 64:ff9b::/96 every
  // IPv4 client behind a translator (SIIT-DC), a Teredo server's /64 all its clients: each its own client.
  const [a, b] = prefix;
  const shared =
    prefix.every((g) => g === '0') || (a === '64' && b === 'ff9b') || (a === '2001' && b === '0');
  return shared ? address : `${prefix.join(':')}::/64`;
}
