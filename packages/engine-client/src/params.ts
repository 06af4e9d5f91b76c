import { EngineError } from './errors.js';
import type { StreamKey } from './types.js';

/** AceStream content ids and infohashes are both 40 hex digits (SHA-1). */
const KEY_RE = /^[0-9a-fA-F]{40}$/;
/** Generous enough for UUIDs and the ids players send, never a URL or a separator. */
const PID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** AceStream parameters a caller may pass through, with the value each must match (docs/engine-api.md). */
export const ALLOWED_EXTRA_PARAMS: Readonly<Record<string, RegExp>> = Object.freeze({
  file_indexes: /^\d+(,\d+)*$/,
  seekback: /^\d{1,9}$/,
});

function badRequest(message: string): EngineError {
  return new EngineError('SC_ERR_ENGINE_BAD_REQUEST', message);
}

export function checkKey(key: StreamKey): StreamKey {
  if (key?.kind !== 'id' && key?.kind !== 'infohash')
    throw badRequest('key.kind must be "id" or "infohash".');
  if (typeof key.value !== 'string' || !KEY_RE.test(key.value)) {
    throw badRequest(`key.value must be 40 hex digits.`);
  }
  return key;
}

export function checkPid(pid: string): string {
  if (typeof pid !== 'string' || !PID_RE.test(pid))
    throw badRequest('pid must be 1 to 128 of [A-Za-z0-9._-].');
  return pid;
}

export function checkExtra(extra: Record<string, string> | undefined): [string, string][] {
  if (extra === undefined) return [];
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(extra)) {
    const re = Object.hasOwn(ALLOWED_EXTRA_PARAMS, name) ? ALLOWED_EXTRA_PARAMS[name] : undefined;
    if (re === undefined) throw badRequest(`extra parameter "${name}" is not allowed.`);
    if (typeof value !== 'string' || !re.test(value))
      throw badRequest(`extra parameter "${name}" is invalid.`);
    out.push([name, value]);
  }
  return out;
}

/**
 * Keeps only the allow-listed AceStream parameters with valid values, e.g. from a player's
 * query string; everything else is dropped silently (players send all sorts).
 */
export function pickExtraParams(params: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) {
    const re = Object.hasOwn(ALLOWED_EXTRA_PARAMS, name) ? ALLOWED_EXTRA_PARAMS[name] : undefined;
    if (re?.test(value)) out[name] = value;
  }
  return out;
}
