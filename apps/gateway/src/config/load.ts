/**
 * Resolves the gateway configuration from (highest first) command-line flags, environment variables,
 * an optional JSON file, and defaults. Every invalid value throws a ConfigError whose message is one
 * exact sentence naming the setting and the expected form; secrets are never echoed.
 */
import { readFileSync } from 'node:fs';
import { parseCidr } from '../http/forwarded.js';
import {
  isListKind,
  OPTION_BY_FLAG,
  OPTION_BY_KEY,
  OPTION_SPECS as OPTIONS,
  type OptionSpec,
  valueName,
} from './schema.js';
import { ConfigError, type GatewayConfig } from './types.js';

export interface LoadResult {
  readonly config: GatewayConfig;
  readonly help: boolean;
  /** `SHARDCAST_*` variables that are no setting (a typo such as SHARDCAST_ENGINE), for a warning. */
  readonly unknownEnv: readonly UnknownEnv[];
}

export interface UnknownEnv {
  readonly name: string;
  /** The setting's variable it is most likely a typo of, if any. */
  readonly suggestion: string | null;
}

/** `SHARDCAST_*` variables that are not the gateway's settings: the deploy files' (HAProxy, scripts) and the tests'. */
const OTHER_ENV =
  /^SHARDCAST_(TEST_\w*|E2E_\w*|GW\d*|LB_BIND|LB_INTER|BASE_IMAGE|DOCKER_DIR|PROMETHEUS_DIR|ENGINE_SIM_CLI|LATENCY_PROBE_CHILD)$/;

/** A raw value and where it came from: `source` names the setting, `where` (files) the place. */
type Raw = { source: string; value: string | string[] | unknown; where?: string };

const MAX_SECRET = 256;

/** Parses argv (without node and script) into raw values keyed by option key. */
function parseArgv(argv: readonly string[]): { values: Map<string, Raw>; help: boolean } {
  const values = new Map<string, Raw>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new ConfigError(`Unexpected argument "${arg}"; run shardcast --help for the options.`);
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = OPTION_BY_FLAG.get(name);
    if (!spec) throw new ConfigError(`Unknown option --${name}; run shardcast --help for the options.`);
    let value: string;
    if (spec.switch && eq === -1) {
      value = 'true';
    } else if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new ConfigError(`Option --${name} needs a value.`);
      }
      value = next;
      i++;
    }
    if (isListKind(spec.kind)) {
      const prev = values.get(spec.key);
      const list = prev && Array.isArray(prev.value) ? (prev.value as string[]) : [];
      list.push(value);
      values.set(spec.key, { source: `--${spec.flag}`, value: list });
    } else {
      values.set(spec.key, { source: `--${spec.flag}`, value });
    }
  }
  return { values, help };
}

function parseEnv(env: NodeJS.ProcessEnv): Map<string, Raw> {
  const values = new Map<string, Raw>();
  for (const spec of OPTIONS) {
    const v = env[spec.env];
    if (v === undefined || v === '') continue;
    const value = isListKind(spec.kind)
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v;
    values.set(spec.key, { source: spec.env, value });
  }
  return values;
}

function parseFile(path: string): Map<string, Raw> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`Cannot read config file ${path} (${code}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`Config file ${path} is not valid JSON.`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`Config file ${path} must hold a JSON object.`);
  }
  const values = new Map<string, Raw>();
  for (const [key, value] of Object.entries(json)) {
    const spec = OPTION_BY_KEY.get(key);
    if (!spec || spec.key === 'config') throw new ConfigError(`Unknown key "${key}" in config file ${path}.`);
    values.set(key, { source: key, value, where: ` in config file ${path}` });
  }
  return values;
}

function showValue(spec: OptionSpec, value: unknown, where: string): string {
  return (spec.secret ? '' : ` ${JSON.stringify(value)}`) + where;
}

/** A number as an operator writes one: decimal digits, an optional sign and fraction (no `0x50`, `1e3`). */
const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;

function validate(spec: OptionSpec, raw: Raw): unknown {
  const { source, value, where = '' } = raw;
  const shown = (v: unknown): string => showValue(spec, v, where);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && DECIMAL.test(value)
            ? Number(value)
            : Number.NaN;
      const ok = Number.isFinite(n) && (spec.kind === 'number' || Number.isInteger(n));
      if (!ok || n < (spec.min ?? -Infinity) || n > (spec.max ?? Infinity)) {
        const what = spec.kind === 'int' ? 'an integer' : 'a number';
        throw new ConfigError(
          `Invalid ${source}${shown(value)}: expected ${what} from ${spec.min} to ${spec.max}.`,
        );
      }
      return n;
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.choices!.includes(value)) {
        throw new ConfigError(
          `Invalid ${source}${shown(value)}: expected one of ${spec.choices!.join(', ')}.`,
        );
      }
      return value;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      const s = typeof value === 'string' ? value.toLowerCase() : '';
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new ConfigError(`Invalid ${source}${shown(value)}: expected true or false.`);
    }
    case 'url-list': {
      const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [value];
      return list.map((item) => normaliseUrl(source, shown(item), item, true));
    }
    case 'origin-list': {
      const list = Array.isArray(value) ? value : [value];
      // An origin as browsers send it in the Origin header: scheme://host[:port], no path.
      return list.map((item) => (item === '*' ? item : normaliseUrl(source, shown(item), item, true)));
    }
    case 'cidr-list': {
      const list = Array.isArray(value) ? value : [value];
      return list.map((item) => {
        if (typeof item !== 'string' || parseCidr(item.trim()) === null) {
          throw new ConfigError(
            `Invalid ${source}${shown(item)}: expected an IPv4 or IPv6 address, optionally with a /prefix (10.0.0.0/8).`,
          );
        }
        return item.trim();
      });
    }
    case 'url':
      return normaliseUrl(source, shown(value), value, false);
    case 'string':
    case 'path': {
      if (
        typeof value !== 'string' ||
        value.length === 0 ||
        value.length > MAX_SECRET ||
        /[\s\0]/.test(value)
      ) {
        const what = `${source}${shown(value)}:`;
        throw new ConfigError(
          `Invalid ${what} expected a non-empty string of at most ${MAX_SECRET} characters without spaces.`,
        );
      }
      return checkString(spec, source + shown(value), value);
    }
  }
}

function normaliseUrl(source: string, shownItem: string, item: unknown, originOnly: boolean): string {
  let url: URL | undefined;
  if (typeof item === 'string') {
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
  }
  const web =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    !url.username &&
    !url.password;
  if (!url || !web) {
    const what = originOnly ? 'with only a host and port' : 'without credentials or query';
    throw new ConfigError(`Invalid ${source}${shownItem}: expected an http:// or https:// URL ${what}.`);
  }
  if (originOnly) {
    if (url.pathname !== '/' || url.search || url.hash) {
      throw new ConfigError(
        `Invalid ${source}${shownItem}: expected an http:// or https:// URL with only a host and port.`,
      );
    }
    return url.origin;
  }
  if (url.search || url.hash) {
    throw new ConfigError(
      `Invalid ${source}${shownItem}: expected an http:// or https:// URL without credentials or query.`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function checkString(spec: OptionSpec, described: string, value: string): string {
  const expected = spec.check?.(value);
  if (expected) throw new ConfigError(`Invalid ${described}: expected ${expected}.`);
  return value;
}

/** Edit distance, for suggesting the variable a typo meant (short names only). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Set `SHARDCAST_*` variables that no setting reads: they would be ignored without a word. */
function findUnknownEnv(env: NodeJS.ProcessEnv): UnknownEnv[] {
  const known = new Set(OPTIONS.map((o) => o.env));
  const out: UnknownEnv[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('SHARDCAST_') || known.has(name) || OTHER_ENV.test(name)) continue;
    let suggestion: string | null = null;
    let best = 3;
    for (const k of known) {
      const d = distance(name, k);
      if (d < best) {
        best = d;
        suggestion = k;
      }
    }
    out.push({ name, suggestion });
  }
  return out;
}

/** Loads and validates the configuration. Throws ConfigError (one sentence) on the first bad value. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadResult {
  const { values: flags, help } = parseArgv(argv);
  const envValues = parseEnv(env);
  const configRaw = flags.get('config') ?? envValues.get('config');
  const configPath = configRaw ? (validate(OPTION_BY_KEY.get('config')!, configRaw) as string) : undefined;
  const fileValues = configPath ? parseFile(configPath) : new Map<string, Raw>();

  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const raw = flags.get(spec.key) ?? envValues.get(spec.key) ?? fileValues.get(spec.key);
    if (raw) out[spec.key] = validate(spec, raw);
    else out[spec.key] = typeof spec.def === 'function' ? (spec.def as () => unknown)() : spec.def;
  }
  const given = (key: string): boolean => flags.has(key) || envValues.has(key) || fileValues.has(key);
  if (!help) {
    resolveApiKeyFile(out, given('apiKey'));
    resolveProvisioning(out, given('engineMaxStreams'));
  }
  // Every key of the table is set, each by validate() for its kind or by its default: the shape the
  // derived GatewayConfig type describes.
  return { config: out as GatewayConfig, help, unknownEnv: findUnknownEnv(env) };
}

/** Provisioned engines default to 3 streams each; provisioning needs a template and a sane min/max. */
function resolveProvisioning(out: Record<string, unknown>, capGiven: boolean): void {
  if (out.provision !== 'on') return;
  if (!capGiven) out.engineMaxStreams = PROVISIONED_ENGINE_MAX_STREAMS;
  if (out.provisionTemplate === undefined)
    throw new ConfigError(
      '--provision on needs --provision-template <file.json> (a Docker create-container body).',
    );
  if (out.docker === 'off') throw new ConfigError('--provision on needs Docker: remove --docker off.');
  if ((out.provisionMin as number) > (out.provisionMax as number))
    throw new ConfigError(
      `--provision-min ${out.provisionMin} must not exceed --provision-max ${out.provisionMax}.`,
    );
  // One port per engine, and one more for a replacement that starts while the engine it replaces drains:
  // a range too small would only show up later, as failed creations.
  const [first, last] = (out.provisionPorts as string).split('-').map(Number) as [number, number];
  const needed = (out.provisionMax as number) + 1;
  if (last - first + 1 < needed)
    throw new ConfigError(
      `--provision-ports ${out.provisionPorts} holds ${last - first + 1} ports; --provision-max ${out.provisionMax} needs ${needed} (one more for a replacement while an engine drains).`,
    );
}

/** AceStream engines degrade with many sessions: a provisioned engine carries 3 unless told otherwise. */
export const PROVISIONED_ENGINE_MAX_STREAMS = 3;

/** `--api-key-file`: the key comes from the file's first line (a trailing newline is not part of it). */
function resolveApiKeyFile(out: Record<string, unknown>, keyGiven: boolean): void {
  const path = out.apiKeyFile as string | undefined;
  if (path === undefined) return;
  if (keyGiven) throw new ConfigError('Give the API key with --api-key or --api-key-file, not both.');
  out.apiKey = readApiKeyFile(path);
}

/**
 * The key in an `--api-key-file`: its first line (a trailing newline is not part of it). Throws a
 * ConfigError with one sentence when the file cannot be read or holds no valid key (at start-up, and when
 * a running gateway reloads the file).
 */
export function readApiKeyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`Cannot read --api-key-file ${path} (${code}).`);
  }
  const key = text.split(/\r?\n/, 1)[0] ?? '';
  if (key.length === 0 || key.length > MAX_SECRET || /[\s\0]/.test(key)) {
    throw new ConfigError(
      `The key in --api-key-file ${path} must be one line of at most ${MAX_SECRET} characters without spaces.`,
    );
  }
  return key;
}

/** The `--help` text, generated from the option table. */
export function helpText(): string {
  const lines = [
    'Usage: shardcast [options]',
    '',
    'Live-stream gateway: pulls each AceStream / HTTP MPEG-TS / HLS stream once and serves it to many',
    'players over progressive MPEG-TS and HLS. Settings come from flags, then environment, then --config.',
    '',
    'Options:',
  ];
  for (const o of OPTIONS) {
    const flag = o.switch ? `--${o.flag}` : `--${o.flag} <${valueName(o)}>`;
    const def =
      typeof o.def === 'function' ? 'cores' : Array.isArray(o.def) ? o.def.join(',') || undefined : o.def;
    lines.push(`  ${flag.padEnd(36)} ${o.help}`);
    lines.push(
      `  ${''.padEnd(36)} env ${o.env}${def !== undefined && def !== false ? `, default ${def}` : ''}`,
    );
  }
  lines.push('  --help                               Show this text.');
  return lines.join('\n');
}
