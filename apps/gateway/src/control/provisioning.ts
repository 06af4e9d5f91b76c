/**
 * Engine provisioning on the gateway's main thread (`--provision on`): builds the Provisioner from the
 * configuration, connects it to the stream directory (waiting opens, moving streams off a draining
 * engine), the event bus (engine started / removed), the timings (`engine_provision`) and the API.
 */

import { connect } from 'node:net';
import {
  createProvisionApi,
  DEFAULT_LABEL_SELECTOR,
  DOCKER_STARTUP_TIMEOUT_MS,
  type EngineTemplate,
  loadTemplate,
  type ManagedView,
  Provisioner,
  type ProvisionStatus,
  parseLabelSelector,
  parsePortRange,
  resolveDockerHost,
} from '@shardcast/docker-engines';
import { EngineClient } from '@shardcast/engine-client';
import type { EngineRegistry } from '@shardcast/engines';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { StreamDirectory } from './directory.js';
import type { Telemetry } from './telemetry.js';

/** Failures within the window that pause engine creation, and for how long. */
const BREAKER = { failures: 3, windowMs: 60_000, openMs: 30_000 };
const STATUS_POLL_MS = 250;
/** The plan is re-evaluated every second (cheap and pure) besides every open and close. */
const TICK_MS = 1000;
/** Docker's view of the managed containers (adoption, orphans, liveness of the daemon). */
const LIST_EVERY_MS = 10_000;
const CALL_TIMEOUT_MS = 30_000;
/** Before a creation: how long a connection to the engine's address may take to tell whether it is in use. */
const ADDRESS_PROBE_MS = 1000;
/** Between two replacements (heal or rotation). */
const REPLACE_COOLDOWN_MS = 10_000;
/** `--provision-stop-on-exit`: removing the containers may take this long at most. */
const STOP_ON_EXIT_MS = 5000;
const MS_PER_S = 1000;
const MS_PER_H = 3_600_000;

/** A provisioning start-up failure, one sentence. */
export class ProvisionStartupError extends Error {
  override readonly name = 'ProvisionStartupError';
}

export class Provisioning {
  readonly #config: GatewayConfig;
  readonly #provisioner: Provisioner;
  readonly #clients = new Map<string, EngineClient>();

  /** Validates the template and the Docker address; throws ProvisionStartupError (one sentence). */
  constructor(
    config: GatewayConfig,
    log: Logger,
    registry: EngineRegistry,
    directory: StreamDirectory,
    telemetry: Telemetry,
  ) {
    this.#config = config;
    let template: EngineTemplate;
    try {
      template = loadTemplate(config.provisionTemplate as string);
    } catch (err) {
      throw new ProvisionStartupError((err as Error).message);
    }
    const resolved = resolveDockerHost(process.env['DOCKER_HOST'], process.env['DOCKER_TLS_VERIFY']);
    if (!resolved.ok) throw new ProvisionStartupError(`--provision on, but ${resolved.reason}`);
    const selector = parseLabelSelector(config.dockerLabel ?? DEFAULT_LABEL_SELECTOR);
    if (typeof selector === 'string') throw new ProvisionStartupError(selector);
    const ports = parsePortRange(config.provisionPorts);
    if (typeof ports === 'string') throw new ProvisionStartupError(`--provision-ports: ${ports}`);
    const bus = telemetry.bus;
    const brief = (e: ManagedView) => ({ id: e.id, url: e.url, containerId: e.containerId });
    this.#provisioner = new Provisioner({
      registry,
      api: createProvisionApi(resolved.target),
      template,
      selector,
      gatewayId: config.provisionId,
      ports,
      limits: {
        min: config.provisionMin,
        minFree: config.provisionMinFree,
        max: config.provisionMax,
        cap: config.engineMaxStreams,
        idleMs: config.provisionIdleSeconds * MS_PER_S,
        unhealthyMs: config.provisionUnhealthySeconds * MS_PER_S,
        maxAgeMs: config.provisionMaxAgeHours === undefined ? null : config.provisionMaxAgeHours * MS_PER_H,
        replaceCooldownMs: REPLACE_COOLDOWN_MS,
      },
      breaker: BREAKER,
      startupMs: config.provisionStartupSeconds * MS_PER_S,
      statusPollMs: STATUS_POLL_MS,
      tickMs: TICK_MS,
      listEveryMs: LIST_EVERY_MS,
      callTimeoutMs: CALL_TIMEOUT_MS,
      checkStatus: (url, timeoutMs) => this.#checkStatus(url, timeoutMs),
      addressInUse: (url) => addressInUse(url, ADDRESS_PROBE_MS),
      pendingOpens: () => directory.pendingOpens,
      moveStreams: (engineId) => directory.engineGone(engineId, true),
      logger: log,
      onReady: (e, provisionMs) => {
        bus.publish({
          type: 'engine.started',
          engine: brief(e),
          name: e.name,
          provisionMs,
          atMs: Date.now(),
        });
        directory.retryPending();
      },
      onRemoved: (e, reason) => {
        this.#dropClient(e.url);
        bus.publish({ type: 'engine.removed', engine: brief(e), name: e.name, reason, atMs: Date.now() });
        directory.retryPending();
      },
      onProvision: (ms, ok) => telemetry.recordMain('engine_provision', ms, ok),
    });
    directory.setSupply(this.#provisioner);
    directory.on('opened', () => this.#provisioner.prompt());
    directory.on('closed', () => this.#provisioner.prompt());
  }

  /** Checks the daemon and adopts this gateway's containers; throws ProvisionStartupError when Docker does not answer. */
  async start(): Promise<void> {
    try {
      // A daemon that accepts connections and never answers stops start-up within seconds.
      await this.#provisioner.start(DOCKER_STARTUP_TIMEOUT_MS);
    } catch (err) {
      throw new ProvisionStartupError(`--provision on, but ${(err as Error).message}.`);
    }
  }

  async stop(): Promise<void> {
    await this.#provisioner.stop(this.#config.provisionStopOnExit, STOP_ON_EXIT_MS);
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  }

  status(): ProvisionStatus {
    return this.#provisioner.status();
  }

  managed(): ManagedView[] {
    return this.#provisioner.list();
  }

  manages(engineId: string): boolean {
    return this.#provisioner.manages(engineId);
  }

  get(engineId: string): ManagedView | null {
    return this.#provisioner.get(engineId);
  }

  drain(engineId: string): boolean {
    return this.#provisioner.drain(engineId);
  }

  setFloor(count: number): number {
    return this.#provisioner.setFloor(count);
  }

  async #checkStatus(url: string, timeoutMs: number): Promise<string | null> {
    let client = this.#clients.get(url);
    if (!client) {
      client = new EngineClient({ baseUrl: url, timeoutMs });
      this.#clients.set(url, client);
    }
    const r = await client.getStatus({ timeoutMs });
    return r.healthy ? null : `${r.error.code}: ${r.error.message}`;
  }

  #dropClient(url: string): void {
    const c = this.#clients.get(url);
    if (!c) return;
    this.#clients.delete(url);
    void c.close();
  }
}

/** True when something accepts a TCP connection at the URL's host and port within `timeoutMs`. */
function addressInUse(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) });
    const done = (inUse: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(inUse);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
