export { type BackoffOptions, backoffDelayMs } from './backoff.js';
export {
  type ContainerFacts,
  factsFromInspect,
  factsFromSummary,
  type PortBinding,
} from './container-facts.js';
export {
  ApiCounters,
  DOCKER_ENDPOINTS,
  type DockerApiCounters,
  type DockerEndpoint,
  type EndpointCounts,
  RateWindow,
} from './counters.js';
export {
  DOCKER_ID_PREFIX,
  DockerDiscovery,
  type DockerDiscoveryOptions,
  dockerEngineId,
} from './discovery.js';
export type {
  ContainerInspectJson,
  ContainerSummaryJson,
  DockerApi,
  DockerCallError,
  DockerEventJson,
  DockerFilters,
  DockerVersionJson,
  StatsJson,
} from './docker-api.js';
export {
  DockerEngines,
  type DockerEnginesStatus,
  ONE_SHOT_MIN_API,
  supportsOneShot,
} from './docker-engines.js';
export { DEFAULT_DOCKER_SOCKET, type DockerTarget, resolveDockerHost } from './docker-host.js';
export { createDockerodeApi } from './dockerode-api.js';
export {
  checkStatsPolicy,
  DEFAULT_STATS_POLICY,
  effectiveIntervalMs,
  type IntervalLimits,
  policyIntervalMs,
  type StatsPolicy,
  type StatsPolicyRow,
} from './interval-policy.js';
export {
  type AddressResult,
  DEFAULT_ENGINE_PORT,
  DEFAULT_LABEL_SELECTOR,
  HOST_LABEL,
  type LabelSelector,
  matchesSelector,
  PORT_LABEL,
  parseLabelSelector,
  resolveAddress,
} from './labels.js';
export { type CallResult, MeteredDocker, type MeteredDockerOptions } from './metered-api.js';
export {
  DEFAULT_BACKOFF,
  DEFAULT_BURST,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_CALLS_PER_SEC,
  DEFAULT_RECONCILE_INTERVAL_MS,
  DockerEnginesOptionError,
  type DockerEnginesOptions,
  type DockerMode,
} from './options.js';
export {
  createProvisionApi,
  type ProvisionApi,
  ProvisionCallError,
} from './provision-api.js';
export {
  allocatePort,
  type BreakerOptions,
  CreationBreaker,
  desiredCount,
  type ManagedState,
  type Plan,
  type PlanEngine,
  type PlanInput,
  type PlanLimits,
  type PortRange,
  parsePortRange,
  plan,
  type ReplaceReason,
} from './provision-plan.js';
export {
  type EngineTemplate,
  heldPort,
  loadTemplate,
  MANAGED_LABEL,
  PROVISION_PORT_LABEL,
  renderTemplate,
  TEMPLATE_LABEL,
  templateDigest,
  templateProblem,
} from './provision-template.js';
export {
  type ManagedView,
  PROVISION_RESULTS,
  Provisioner,
  type ProvisionerOptions,
  type ProvisionResult,
  type ProvisionStatus,
  REMOVAL_REASONS,
  type RemovalReason,
} from './provisioner.js';
export { nextTickAt, SpreadPlanner, stepMs } from './spread.js';
export {
  type DaemonProbe,
  DOCKER_STARTUP_TIMEOUT_MS,
  probeDaemon,
  startupTimeoutCause,
} from './startup-probe.js';
export { computeStats, memoryWithoutCache, parseDockerTime, type RawSample, toSample } from './stats-math.js';
export { StatsScheduler, type StatsSchedulerOptions } from './stats-scheduler.js';
export { TokenBucket } from './token-bucket.js';
export type { DockerLogger } from './types.js';
