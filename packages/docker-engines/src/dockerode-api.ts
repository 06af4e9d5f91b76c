/**
 * The {@link DockerApi} port over dockerode. dockerode ships no types of its own (and @types/dockerode is
 * not installed), so it is loaded with `createRequire` and typed here by the few methods we call.
 * No client-wide timeout: it would also cut the long-lived events stream; callers pass AbortSignals.
 */
import { createRequire } from 'node:module';
import type {
  ContainerInspectJson,
  ContainerSummaryJson,
  DockerApi,
  DockerFilters,
  DockerVersionJson,
  StatsJson,
} from './docker-api.js';
import type { DockerTarget } from './docker-host.js';

interface DockerodeContainer {
  inspect(opts: { abortSignal: AbortSignal }): Promise<ContainerInspectJson>;
  stats(opts: { stream: false; 'one-shot'?: boolean; abortSignal: AbortSignal }): Promise<StatsJson>;
}

interface Dockerode {
  version(opts: { abortSignal: AbortSignal }): Promise<DockerVersionJson>;
  listContainers(opts: { filters: DockerFilters; abortSignal: AbortSignal }): Promise<ContainerSummaryJson[]>;
  getContainer(id: string): DockerodeContainer;
  getEvents(opts: {
    filters: DockerFilters;
    abortSignal: AbortSignal;
  }): Promise<AsyncIterable<Uint8Array | string>>;
}

type DockerodeCtor = new (opts: Record<string, unknown>) => Dockerode;

const require = createRequire(import.meta.url);

/** Creates the real Docker API client for a resolved target. */
export function createDockerodeApi(target: DockerTarget): DockerApi {
  const Ctor = require('dockerode') as DockerodeCtor;
  const docker =
    target.kind === 'unix'
      ? new Ctor({ socketPath: target.socketPath })
      : new Ctor({ host: target.host, port: target.port, protocol: 'http' });
  return {
    endpoint: target.endpoint,
    version: (signal) => docker.version({ abortSignal: signal }),
    listContainers: (filters, signal) => docker.listContainers({ filters, abortSignal: signal }),
    inspectContainer: (id, signal) => docker.getContainer(id).inspect({ abortSignal: signal }),
    containerStats: (id, oneShot, signal) =>
      docker
        .getContainer(id)
        .stats(
          oneShot
            ? { stream: false, 'one-shot': true, abortSignal: signal }
            : { stream: false, abortSignal: signal },
        ),
    events: (filters, signal) => docker.getEvents({ filters, abortSignal: signal }),
  };
}
