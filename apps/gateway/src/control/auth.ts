/** Admin authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'disabled' | 'denied';

function digest(s: string): Buffer {
  // Hashing first makes the comparison length-independent as well as constant-time.
  return createHash('sha256').update(s).digest();
}

/** The keys a request presents: the Bearer credential and the X-API-Key header ('' when absent). */
function presented(headers: Record<string, string>): { bearer: string; header: string } {
  const m = /^Bearer\s+(.+)$/i.exec((headers['authorization'] ?? '').trim());
  return { bearer: m?.[1]?.trim() ?? '', header: (headers['x-api-key'] ?? '').trim() };
}

/** Whether the request presents a key at all (a wrong one is a guess; none is not). */
export function presentsKey(headers: Record<string, string>): boolean {
  return keysPresented(headers) > 0;
}

/**
 * How many different keys the request presents (0, 1 or 2): a request that fails with a different key in
 * each header made two guesses, and the failure limiter counts both.
 */
export function keysPresented(headers: Record<string, string>): number {
  const { bearer, header } = presented(headers);
  if (bearer === '' || header === '') return bearer !== '' || header !== '' ? 1 : 0;
  return bearer === header ? 1 : 2;
}

/**
 * Either header may carry the key, and each one given is compared: behind an authenticating proxy
 * (oauth2-proxy and the like) `Authorization: Bearer` carries the proxy's own token, and the key then
 * travels in `X-API-Key` (only the Bearer was looked at, and every admin action answered 401).
 */
export function checkApiKey(expected: string | undefined, headers: Record<string, string>): AuthResult {
  if (!expected) return 'disabled';
  const want = digest(expected);
  const { bearer, header } = presented(headers);
  // Both compared whatever the first gave, so the time taken does not tell which header matched.
  const byBearer = bearer !== '' && timingSafeEqual(digest(bearer), want);
  const byHeader = header !== '' && timingSafeEqual(digest(header), want);
  return byBearer || byHeader ? 'ok' : 'denied';
}
