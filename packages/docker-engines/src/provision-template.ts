/**
 * The operator's engine template: the Docker Engine API's create-container body as JSON, with `{port}`
 * and `{name}` placeholders in any string. Rendering fills them in and adds the gateway's own labels
 * (`shardcast.managed=<gateway id>`, the discovery selector, and the engine's host/port labels unless the
 * template sets them), so discovery finds the container and the gateway recognises it as its own.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HOST_LABEL, isValidHost, type LabelSelector, PORT_LABEL } from './labels.js';

export const MANAGED_LABEL = 'shardcast.managed';
/**
 * The digest of the template a container was made from: after a restart with another template (a new image,
 * other limits) the gateway replaces the engines it adopts that carry another digest, one at a time.
 */
export const TEMPLATE_LABEL = 'shardcast.template';
/**
 * The port the gateway allocated to a container (from `--provision-ports`), whatever the template makes of
 * `shardcast.engine.port`: every gateway on the daemon skips the ports other gateways' containers hold.
 */
export const PROVISION_PORT_LABEL = 'shardcast.provision.port';
/** Engines are reached on loopback unless the template names another host. */
const DEFAULT_ENGINE_HOST = '127.0.0.1';

export type EngineTemplate = Readonly<Record<string, unknown>>;

/** Reads and checks a template file; throws an Error with one sentence. */
export function loadTemplate(path: string): EngineTemplate {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`Cannot read --provision-template ${path} (${code}).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--provision-template ${path} is not valid JSON.`);
  }
  const problem = templateProblem(value);
  if (problem) throw new Error(`--provision-template ${path} ${problem}.`);
  return value as EngineTemplate;
}

/** Why a parsed template cannot be used, or null. */
export function templateProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must hold a JSON object (a Docker create-container body)';
  const t = value as Record<string, unknown>;
  if (typeof t.Image !== 'string' || t.Image === '') return 'must name an "Image"';
  if (
    t.Labels !== undefined &&
    (typeof t.Labels !== 'object' || t.Labels === null || Array.isArray(t.Labels))
  )
    return 'has "Labels" that is not an object';
  const labels = (t.Labels ?? {}) as Record<string, unknown>;
  const bad = Object.keys(labels).find((k) => typeof labels[k] !== 'string');
  if (bad !== undefined) return `has a label "${bad}" whose value is not a string`;
  const host = labels[HOST_LABEL] as string | undefined;
  if (host !== undefined && !host.includes('{') && !isValidHost(host))
    return `has a "${HOST_LABEL}" label that is not a host name or IP address`;
  if (!JSON.stringify(value).includes('{port}'))
    return 'must use the {port} placeholder (the engine HTTP port the gateway allocates)';
  return null;
}

/** A short digest of the template's content: key order and whitespace in the file do not change it. */
export function templateDigest(template: EngineTemplate): string {
  return createHash('sha256').update(canonical(template)).digest('hex').slice(0, 16);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The create-container body for one engine. */
export function renderTemplate(
  template: EngineTemplate,
  vars: { readonly port: number; readonly name: string; readonly gatewayId: string },
  selector: LabelSelector,
): Record<string, unknown> {
  const body = fill(template, vars) as Record<string, unknown>;
  const labels = { ...((body.Labels as Record<string, string> | undefined) ?? {}) };
  labels[MANAGED_LABEL] = vars.gatewayId;
  labels[TEMPLATE_LABEL] = templateDigest(template);
  labels[PROVISION_PORT_LABEL] = String(vars.port);
  labels[selector.key] = selector.value ?? labels[selector.key] ?? 'true';
  labels[PORT_LABEL] ??= String(vars.port);
  labels[HOST_LABEL] ??= DEFAULT_ENGINE_HOST;
  body.Labels = labels;
  return body;
}

/**
 * The port a managed container holds: its allocated port (PROVISION_PORT_LABEL), else, for a container made
 * before that label, its engine port label; null when it names neither.
 */
export function heldPort(labels: Readonly<Record<string, string>> | null | undefined): number | null {
  const text = labels?.[PROVISION_PORT_LABEL] ?? labels?.[PORT_LABEL];
  if (text === undefined || !/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

function fill(v: unknown, vars: { readonly port: number; readonly name: string }): unknown {
  if (typeof v === 'string') return v.replaceAll('{port}', String(vars.port)).replaceAll('{name}', vars.name);
  if (Array.isArray(v)) return v.map((x) => fill(x, vars));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[fill(k, vars) as string] = fill(x, vars);
    return out;
  }
  return v;
}
