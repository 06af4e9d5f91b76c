// Operation names: which names the package accepts. Which operations exist is the caller's business;
// it passes its list to the Recorder and the Aggregator (reports show those even when idle).
import type { ParseResult } from './types.js';

/** Cap on distinct names per recorder and aggregator: a bug that records dynamic names cannot grow memory. */
export const MAX_OPERATIONS = 64;

// Safe as a JSON key and as a Prometheus label value without escaping.
const OPERATION_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** True when `name` may be used as an operation name (lower snake case, at most 64 characters). */
export function isOperationName(name: string): boolean {
  return OPERATION_NAME.test(name);
}

/**
 * Validates the `operation` query parameter: absent or empty means every operation. A well-formed
 * name that was never recorded is fine (the report shows it with empty stats); a malformed one is
 * refused with `param: 'operation'`.
 */
export function parseOperation(raw: string | null | undefined): ParseResult<string | undefined> {
  if (raw === null || raw === undefined || raw === '') return { ok: true, value: undefined };
  if (isOperationName(raw)) return { ok: true, value: raw };
  return {
    ok: false,
    error: { param: 'operation', message: 'operation must be lower snake case, at most 64 characters.' },
  };
}
