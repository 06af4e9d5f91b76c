/**
 * The admin API's key check on main, for every route that needs the key (streams, engines, channels, the
 * live feed's admin view). It holds the key in use (`--api-key-file` may replace it while running) and the
 * limiter of failed attempts per client address: an address that sent too many wrong keys is answered
 * `429 SC_ERR_AUTH_RATE_LIMITED` with `Retry-After`, its key not compared, until its window has passed.
 * The address is the one shards derive for every request (`--trusted-proxies`: the player behind a proxy).
 */
import { type ApiRequest, type ApiResponse, apiError } from './api-response.js';
import { checkApiKey, keysPresented } from './auth.js';
import { AuthLimiter } from './auth-limiter.js';

export class AdminGate {
  #key: string | undefined;
  readonly #limiter: AuthLimiter;

  constructor(key: string | undefined, limiter: AuthLimiter = new AuthLimiter()) {
    this.#key = key;
    this.#limiter = limiter;
  }

  get key(): string | undefined {
    return this.#key;
  }

  /** The key from now on (a reloaded `--api-key-file`). */
  set key(key: string | undefined) {
    this.#key = key;
  }

  /**
   * Null when the request carries the key; else the answer: 403 without a key configured, 429 for an
   * address over its limit, 401 otherwise (each wrong key counts against the address, two when both headers
   * carry a different one; no key does not).
   */
  refusal(req: ApiRequest): ApiResponse | null {
    if (!this.#key) return apiError('SC_ERR_ADMIN_DISABLED');
    const address = req.client ?? '';
    const waitMs = this.#limiter.blockedMs(address);
    if (waitMs > 0) return rateLimited(waitMs);
    if (checkApiKey(this.#key, req.headers) === 'ok') return null;
    const guesses = keysPresented(req.headers);
    if (guesses > 0) this.#limiter.fail(address, guesses);
    return apiError('SC_ERR_UNAUTHORIZED');
  }
}

export function rateLimited(waitMs: number): ApiResponse {
  const r = apiError('SC_ERR_AUTH_RATE_LIMITED');
  return { ...r, headers: { ...r.headers, 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) } };
}
