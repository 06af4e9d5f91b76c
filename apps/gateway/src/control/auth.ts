/** Admin authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'disabled' | 'denied';

function digest(s: string): Buffer {
  // Hashing first makes the comparison length-independent as well as constant-time.
  return createHash('sha256').update(s).digest();
}

export function checkApiKey(expected: string | undefined, headers: Record<string, string>): AuthResult {
  if (!expected) return 'disabled';
  const auth = headers['authorization'] ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  const given = m ? m[1]!.trim() : (headers['x-api-key'] ?? '').trim();
  if (!given) return 'denied';
  return timingSafeEqual(digest(given), digest(expected)) ? 'ok' : 'denied';
}
