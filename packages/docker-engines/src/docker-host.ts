/**
 * Where the Docker daemon is: `DOCKER_HOST` (`unix:///path` or `tcp://host:port`), else the default
 * socket. Pure; the facade checks that a unix socket exists before it turns discovery on.
 */

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** The daemon's plain-HTTP TCP port (2376 is TLS, which this package does not speak). */
const DEFAULT_TCP_PORT = 2375;

export type DockerTarget =
  | { readonly kind: 'unix'; readonly socketPath: string; readonly endpoint: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly endpoint: string };

export type DockerTargetResult = { ok: true; target: DockerTarget } | { ok: false; reason: string };

/** Resolves a `DOCKER_HOST` value (undefined or empty = the default socket). */
export function resolveDockerHost(dockerHost: string | undefined, tlsVerify?: string): DockerTargetResult {
  const value = dockerHost?.trim() ?? '';
  if (value === '') return unix(DEFAULT_DOCKER_SOCKET);
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length) || DEFAULT_DOCKER_SOCKET;
    if (!path.startsWith('/'))
      return { ok: false, reason: `DOCKER_HOST ${value} must name an absolute socket path.` };
    return unix(path);
  }
  if (value.startsWith('tcp://') || value.startsWith('http://')) {
    let url: URL;
    try {
      url = new URL(value.replace(/^tcp:/, 'http:'));
    } catch {
      return { ok: false, reason: `DOCKER_HOST ${value} is not a valid tcp://host:port address.` };
    }
    const port = url.port === '' ? DEFAULT_TCP_PORT : Number(url.port);
    if (tlsVerify === '1' || port === 2376) {
      return {
        ok: false,
        reason: `DOCKER_HOST ${value} needs TLS, which Docker discovery does not support.`,
      };
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return { ok: true, target: { kind: 'tcp', host, port, endpoint: `tcp://${url.host}` } };
  }
  const scheme = value.split('://')[0] ?? value;
  return { ok: false, reason: `DOCKER_HOST scheme "${scheme}" is not supported (use unix:// or tcp://).` };
}

function unix(socketPath: string): DockerTargetResult {
  return { ok: true, target: { kind: 'unix', socketPath, endpoint: `unix://${socketPath}` } };
}
