/**
 * The Docker calls provisioning makes (create, start, stop, remove, list by label, ping), as a port with a
 * small HTTP implementation over the daemon's socket. Each call has its own connection and deadline, so a
 * slow or absent daemon only delays provisioning itself, never discovery's events stream or a stream.
 */
import { request } from 'node:http';
import type { ContainerSummaryJson } from './docker-api.js';
import type { DockerTarget } from './docker-host.js';

export interface ProvisionApi {
  readonly endpoint: string;
  ping(signal: AbortSignal): Promise<void>;
  /** Containers (running or not) carrying `label` (`key=value`, or `key` with any value). */
  listByLabel(label: string, signal: AbortSignal): Promise<ContainerSummaryJson[]>;
  /** Creates a container; resolves with its id. */
  create(name: string, body: Record<string, unknown>, signal: AbortSignal): Promise<string>;
  start(id: string, signal: AbortSignal): Promise<void>;
  /** Stops with a grace of `graceSeconds`; a container already stopped is fine. */
  stop(id: string, graceSeconds: number, signal: AbortSignal): Promise<void>;
  /** Removes forcibly; a container already gone is fine. */
  remove(id: string, signal: AbortSignal): Promise<void>;
}

/** A failed call: the daemon's message (or the transport's), one line. */
export class ProvisionCallError extends Error {
  override readonly name = 'ProvisionCallError';
  readonly status: number | null;
  constructor(status: number | null, message: string) {
    super(message);
    this.status = status;
  }
}

export function createProvisionApi(target: DockerTarget): ProvisionApi {
  const call = (method: string, path: string, signal: AbortSignal, body?: unknown) =>
    dockerCall(target, method, path, signal, body);
  return {
    endpoint: target.endpoint,
    async ping(signal) {
      await expect(call('GET', '/_ping', signal), [200]);
    },
    async listByLabel(label, signal) {
      const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
      return (await expect(
        call('GET', `/containers/json?all=true&filters=${filters}`, signal),
        [200],
      )) as ContainerSummaryJson[];
    },
    async create(name, body, signal) {
      const r = await expect(
        call('POST', `/containers/create?name=${encodeURIComponent(name)}`, signal, body),
        [200, 201],
      );
      return (r as { Id: string }).Id;
    },
    async start(id, signal) {
      await expect(call('POST', `/containers/${encodeURIComponent(id)}/start`, signal), [204, 304]);
    },
    async stop(id, graceSeconds, signal) {
      await expect(
        call('POST', `/containers/${encodeURIComponent(id)}/stop?t=${graceSeconds}`, signal),
        [204, 304, 404],
      );
    },
    async remove(id, signal) {
      await expect(call('DELETE', `/containers/${encodeURIComponent(id)}?force=true`, signal), [204, 404]);
    },
  };
}

async function expect(
  p: Promise<{ status: number; json: unknown }>,
  ok: readonly number[],
): Promise<unknown> {
  const r = await p;
  if (ok.includes(r.status)) return r.json;
  const msg = (r.json as { message?: unknown } | null)?.message;
  throw new ProvisionCallError(r.status, oneLine(typeof msg === 'string' ? msg : `HTTP ${r.status}`));
}

function dockerCall(
  target: DockerTarget,
  method: string,
  path: string,
  signal: AbortSignal,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const where =
    target.kind === 'unix' ? { socketPath: target.socketPath } : { host: target.host, port: target.port };
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const req = request(
      {
        ...where,
        method,
        path,
        signal,
        agent: false,
        headers: payload
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            // a plain-text answer (e.g. `OK` from /_ping) stays text
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', (err) => reject(transportError(err, signal)));
      },
    );
    req.on('error', (err) => reject(transportError(err, signal)));
    req.end(payload);
  });
}

function abortError(signal: AbortSignal): ProvisionCallError {
  const reason = signal.reason as { message?: unknown } | undefined;
  return new ProvisionCallError(null, oneLine(String(reason?.message ?? 'the call was aborted')));
}

function transportError(err: Error, signal: AbortSignal): ProvisionCallError {
  if (signal.aborted) return abortError(signal);
  const code = (err as NodeJS.ErrnoException).code;
  return new ProvisionCallError(null, oneLine(code ? `${code}: ${err.message}` : err.message));
}

const MAX_TEXT = 300;

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT)}…` : flat;
}
