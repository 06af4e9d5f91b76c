import { EngineError } from './errors.js';

/** Engine error texts are copied into messages; bound them and strip control characters. */
const MAX_ENGINE_TEXT = 200;
/** The engine's stat answer for a session it no longer knows (docs/engine-api.md). */
const SESSION_GONE_RE = /unknown playback session/i;

export interface UnwrapOptions {
  /** Envelope field carrying the payload: `response` (ace API) or `result` (server API). */
  field: 'response' | 'result';
  what: string;
  /** Map "unknown playback session id" to `SC_ERR_ENGINE_SESSION_GONE`. */
  sessionGone?: boolean;
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function badResponse(what: string, detail: string): EngineError {
  return new EngineError('SC_ERR_ENGINE_BAD_RESPONSE', `${what}: ${detail}`);
}

function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_ENGINE_TEXT);
}

/** Returns the payload of `{"<field>": {...}, "error": null}` or throws the matching {@link EngineError}. */
export function unwrapEnvelope(json: unknown, o: UnwrapOptions): JsonObject {
  if (!isObject(json)) throw badResponse(o.what, 'answer is not a JSON object');
  const error = json['error'];
  if (typeof error === 'string' && error.trim() !== '') {
    if (o.sessionGone && SESSION_GONE_RE.test(error)) {
      throw new EngineError('SC_ERR_ENGINE_SESSION_GONE', `${o.what}: ${clean(error)}`);
    }
    throw new EngineError('SC_ERR_ENGINE_REJECTED', `${o.what}: engine error "${clean(error)}"`);
  }
  if (error !== undefined && error !== null && error !== '' && error !== false) {
    throw badResponse(o.what, '"error" is neither null nor a string');
  }
  const payload = json[o.field];
  if (payload === null || payload === undefined) {
    throw new EngineError('SC_ERR_ENGINE_NO_RESPONSE', `${o.what}: engine answered "${o.field}": null`);
  }
  if (!isObject(payload)) throw badResponse(o.what, `"${o.field}" is not an object`);
  return payload;
}

/**
 * Reads a number the engine may send as a number or a numeric string. Missing, null and ""
 * give undefined; anything else that is not a finite number is a bad response.
 */
export function optionalNumber(obj: JsonObject, key: string, what: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : Number.NaN;
  if (!Number.isFinite(n)) throw badResponse(what, `"${key}" is not a number`);
  return n;
}

/** Engines send flags as 0/1 and sometimes as booleans. */
export function optionalFlag(obj: JsonObject, key: string, what: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1 || v === '0' || v === '1') return Number(v) === 1;
  throw badResponse(what, `"${key}" is not a 0/1 flag`);
}

export function optionalString(obj: JsonObject, key: string, what: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badResponse(what, `"${key}" is not a string`);
  return v;
}
