/**
 * The facts about a container that discovery needs, normalised from either a `GET /containers/json`
 * entry or a `GET /containers/{id}/json` answer (the two spell ports and names differently). Pure.
 */
import type { ContainerInspectJson, ContainerSummaryJson } from './docker-api.js';

export interface PortBinding {
  /** Port inside the container. */
  readonly privatePort: number;
  /** Port on the host, when published. */
  readonly publicPort: number | null;
  /** Host address the published port is bound to ('' or 0.0.0.0 / :: = all). */
  readonly hostIp: string;
  readonly protocol: string;
}

export interface ContainerFacts {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly running: boolean;
  /** `host`, `bridge`, `none`, a network name, or `container:<id>`. */
  readonly networkMode: string;
  /** Container addresses on its networks, sorted by network name (stable choice of the first). */
  readonly ips: readonly string[];
  /** Exposed and published ports (publicPort null = exposed only). */
  readonly ports: readonly PortBinding[];
}

export function factsFromSummary(c: ContainerSummaryJson): ContainerFacts {
  const ports: PortBinding[] = (c.Ports ?? []).map((p) => ({
    privatePort: p.PrivatePort,
    publicPort: p.PublicPort ?? null,
    hostIp: p.IP ?? '',
    protocol: p.Type ?? 'tcp',
  }));
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    labels: c.Labels ?? {},
    // Paused (`docker pause`, or `docker commit`, which pauses by default) is still running, as Docker's
    // inspect says too: it thaws where it was, and a frozen engine fails its health probes meanwhile.
    running: c.State === undefined || c.State === 'running' || c.State === 'paused',
    networkMode: c.HostConfig?.NetworkMode ?? '',
    ips: ipsOf(c.NetworkSettings?.Networks),
    ports,
  };
}

export function factsFromInspect(c: ContainerInspectJson): ContainerFacts {
  const ports: PortBinding[] = [];
  const seen = new Set<string>();
  for (const [key, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const parsed = parsePortKey(key);
    if (!parsed) continue;
    seen.add(key);
    if (!bindings || bindings.length === 0) {
      ports.push({ ...parsed, publicPort: null, hostIp: '' });
      continue;
    }
    for (const b of bindings) {
      const hostPort = Number(b.HostPort);
      ports.push({
        ...parsed,
        publicPort: Number.isInteger(hostPort) && hostPort > 0 ? hostPort : null,
        hostIp: b.HostIp ?? '',
      });
    }
  }
  // Host-network containers have no NetworkSettings.Ports: their exposed ports live in Config only.
  for (const key of Object.keys(c.Config?.ExposedPorts ?? {})) {
    const parsed = parsePortKey(key);
    if (parsed && !seen.has(key)) ports.push({ ...parsed, publicPort: null, hostIp: '' });
  }
  const ips = ipsOf(c.NetworkSettings?.Networks);
  const legacyIp = c.NetworkSettings?.IPAddress;
  return {
    id: c.Id,
    name: (c.Name ?? '').replace(/^\//, ''),
    labels: c.Config?.Labels ?? {},
    running: c.State?.Running === true,
    networkMode: c.HostConfig?.NetworkMode ?? '',
    ips: ips.length === 0 && legacyIp ? [legacyIp] : ips,
    ports,
  };
}

/** `"6878/tcp"` → `{privatePort: 6878, protocol: 'tcp'}`. */
function parsePortKey(key: string): { privatePort: number; protocol: string } | null {
  const m = /^(\d{1,5})(?:\/(\w+))?$/.exec(key);
  if (!m) return null;
  return { privatePort: Number(m[1]), protocol: m[2] ?? 'tcp' };
}

function ipsOf(networks: Record<string, { IPAddress?: string }> | null | undefined): string[] {
  return Object.entries(networks ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, n]) => n.IPAddress ?? '')
    .filter((ip) => ip !== '');
}
