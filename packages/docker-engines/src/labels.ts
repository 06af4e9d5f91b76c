/**
 * Which containers are engines (the label selector) and where each engine listens (its address labels,
 * else its published or exposed engine port). Pure.
 */
import type { ContainerFacts } from './container-facts.js';

export const DEFAULT_LABEL_SELECTOR = 'shardcast.engine=true';
export const PORT_LABEL = 'shardcast.engine.port';
export const HOST_LABEL = 'shardcast.engine.host';
/** AceStream engines listen on 6878 (docs/engine-api.md). */
export const DEFAULT_ENGINE_PORT = 6878;
/** Host-network containers share the host's loopback. */
const HOST_NETWORK_ADDRESS = '127.0.0.1';

export interface LabelSelector {
  readonly key: string;
  /** Required value; null = the label only has to exist. */
  readonly value: string | null;
  /** The selector as the Docker API's `label` filter spells it. */
  readonly filter: string;
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;

/** Parses `key` or `key=value`; returns one sentence on failure. */
export function parseLabelSelector(text: string): LabelSelector | string {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? null : text.slice(eq + 1);
  if (!LABEL_KEY.test(key))
    return `label selector "${text}" must be "key" or "key=value" with a valid label key.`;
  if (value?.includes('=')) return `label selector "${text}" must contain at most one "=".`;
  return { key, value, filter: text };
}

export function matchesSelector(labels: Readonly<Record<string, string>>, sel: LabelSelector): boolean {
  if (!Object.hasOwn(labels, sel.key)) return false;
  return sel.value === null || labels[sel.key] === sel.value;
}

export type AddressResult =
  | { readonly ok: true; readonly host: string; readonly port: number; readonly url: string }
  | { readonly ok: false; readonly reason: string };

/**
 * The engine's address. Port: the `shardcast.engine.port` label, else the published 6878/tcp (its host
 * port), else an exposed 6878/tcp (or 6878 on the host network). Host: the `shardcast.engine.host` label,
 * else the published port's bind address for a published port, else 127.0.0.1 on the host network, else
 * the container's first IP.
 */
export function resolveAddress(facts: ContainerFacts): AddressResult {
  const hostLabel = facts.labels[HOST_LABEL];
  const portLabel = facts.labels[PORT_LABEL];
  if (hostLabel !== undefined && !isValidHost(hostLabel)) {
    return { ok: false, reason: `label ${HOST_LABEL}="${hostLabel}" is not a host name or IP address` };
  }
  const hostNetwork = facts.networkMode === 'host';
  const ownHost = hostLabel ?? (hostNetwork ? HOST_NETWORK_ADDRESS : facts.ips[0]);
  if (portLabel !== undefined) {
    const port = parsePort(portLabel);
    if (port === null)
      return { ok: false, reason: `label ${PORT_LABEL}="${portLabel}" is not a port number` };
    return ownHost ? address(ownHost, port) : noIp();
  }
  const engineTcp = facts.ports.filter((p) => p.privatePort === DEFAULT_ENGINE_PORT && p.protocol === 'tcp');
  const published = engineTcp.find((p) => p.publicPort !== null);
  if (published?.publicPort && !hostNetwork) {
    return address(hostLabel ?? publishedHost(published.hostIp), published.publicPort);
  }
  if (engineTcp.length > 0 || hostNetwork) return ownHost ? address(ownHost, DEFAULT_ENGINE_PORT) : noIp();
  return {
    ok: false,
    reason: `no engine port: the container neither publishes nor exposes ${DEFAULT_ENGINE_PORT}/tcp and has no ${PORT_LABEL} label`,
  };
}

function noIp(): AddressResult {
  return { ok: false, reason: `the container has no IP address; set the ${HOST_LABEL} label` };
}

/** A port bound to every interface is reached on loopback. */
function publishedHost(hostIp: string): string {
  return hostIp === '' || hostIp === '0.0.0.0' || hostIp === '::' ? '127.0.0.1' : hostIp;
}

function address(host: string, port: number): AddressResult {
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { ok: true, host, port, url: `http://${urlHost}:${port}` };
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

export function isValidHost(h: string): boolean {
  return HOSTNAME.test(h) || (h.includes(':') && IPV6.test(h));
}
