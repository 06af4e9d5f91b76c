/**
 * Player tokens (`--tokens <file>`): `{"tokens": [{"token", "name", "max_clients"?, "channels"?}]}`.
 * Parsed at start-up and on every reload; each mistake is one sentence that names the entry (never the
 * token itself, which is a secret like the API key).
 */
import { readFileSync } from 'node:fs';
import { jsonErrorPlace } from '../json-syntax.js';
import { isChannelId } from '../stream-key.js';

export interface PlayerToken {
  readonly token: string;
  /** What logs and metrics show instead of the token. */
  readonly name: string;
  /** Concurrent clients (TS connections and HLS sessions) at most; null: no limit. */
  readonly maxClients: number | null;
  /** Channels the token may play; null: every channel and every /ace stream. */
  readonly channels: readonly string[] | null;
}

/** URL-safe, so a token travels in `?token=` and in paths unescaped. */
const TOKEN = /^[A-Za-z0-9._~-]{8,256}$/;
const NAME = /^[A-Za-z0-9 ._@-]{1,64}$/;
export const MAX_TOKENS = 10_000;
const MAX_CLIENTS = 1_000_000;

export type TokensParse = { tokens: PlayerToken[]; error: null } | { tokens: null; error: string };

export function parseTokens(text: string): TokensParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // By position only: the parser's own message quotes the text around the mistake (a token, maybe).
    return fail(`it is not JSON (a syntax error at ${jsonErrorPlace(text, err)})`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { tokens?: unknown }).tokens))
    return fail('it must be a JSON object with a "tokens" array');
  const list = (doc as { tokens: unknown[] }).tokens;
  if (list.length > MAX_TOKENS) return fail(`it lists more than ${MAX_TOKENS} tokens`);
  const out: PlayerToken[] = [];
  const names = new Set<string>();
  const values = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as Record<string, unknown> | null;
    const at = `tokens[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(`${at} must be an object`);
    if (typeof e.name !== 'string' || !NAME.test(e.name))
      return fail(`${at}.name must be 1 to 64 letters, digits, spaces or ._@-`);
    const where = `${at} ("${e.name}")`;
    if (names.has(e.name)) return fail(`${where}: the name is used twice`);
    if (typeof e.token !== 'string' || !TOKEN.test(e.token))
      return fail(`${where}.token must be 8 to 256 letters, digits or ._~-`);
    if (values.has(e.token)) return fail(`${where}.token is the same as another entry's`);
    let maxClients: number | null = null;
    if (e.max_clients !== undefined && e.max_clients !== null) {
      if (
        !Number.isInteger(e.max_clients) ||
        (e.max_clients as number) < 1 ||
        (e.max_clients as number) > MAX_CLIENTS
      )
        return fail(`${where}.max_clients must be an integer from 1 to ${MAX_CLIENTS}`);
      maxClients = e.max_clients as number;
    }
    let channels: string[] | null = null;
    if (e.channels !== undefined && e.channels !== null) {
      if (!Array.isArray(e.channels) || !e.channels.every((c) => typeof c === 'string' && isChannelId(c)))
        return fail(`${where}.channels must be an array of channel ids`);
      channels = e.channels as string[];
    }
    names.add(e.name);
    values.add(e.token);
    out.push({ token: e.token, name: e.name, maxClients, channels });
  }
  return { tokens: out, error: null };
}

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

export function readTokenFile(path: string): PlayerToken[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenFileError(
      `Cannot read the tokens file ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}).`,
    );
  }
  const r = parseTokens(text);
  if (r.error !== null) throw new TokenFileError(`The tokens file ${path} is invalid: ${r.error}.`);
  return r.tokens;
}

function fail(error: string): TokensParse {
  return { tokens: null, error };
}
