/**
 * Flag parsing shared by the CLIs: `node:util` parseArgs for the syntax, then one validator per value so a
 * bad flag stops the program with exactly one sentence (UsageError), never a stack trace.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export interface ParsedFlags {
  readonly values: Record<string, string | boolean | string[] | undefined>;
}

/** Parses `argv` strictly (unknown flags and positionals are usage errors). */
export function parseFlags(argv: string[], spec: FlagSpec): ParsedFlags {
  try {
    const { values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false });
    return { values: values as ParsedFlags['values'] };
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}; see --help.`);
  }
}

/** A number flag within [min, max], or `def` when absent. */
export function numberFlag(
  flags: ParsedFlags,
  name: string,
  def: number,
  min: number,
  max: number,
  integer = false,
): number {
  const raw = flags.values[name];
  if (raw === undefined) return def;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${min} to ${max} (got "${String(raw)}").`);
  }
  return n;
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const raw = flags.values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function boolFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values[name] === true;
}

export function choiceFlag<T extends string>(
  flags: ParsedFlags,
  name: string,
  def: T,
  choices: readonly T[],
): T {
  const raw = flags.values[name];
  if (raw === undefined) return def;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got "${String(raw)}").`);
  }
  return raw as T;
}
