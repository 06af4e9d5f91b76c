export { HealthProber, type HealthProberOptions, type StatusClient } from './health.js';
export {
  type EngineLifecycle,
  EngineRegistry,
  HEALTHY_AFTER,
  type RegistryEvents,
  UNHEALTHY_AFTER,
} from './registry.js';
export type { EngineInfo, EngineSource, EngineState, EngineStats } from './types.js';
