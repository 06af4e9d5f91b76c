// Public entry of @shardcast/engine-sim: run a simulated AceStream engine in-process (tests, benchmarks)
// or as the `shardcast-engine-sim` CLI.
export { LIVE_HISTORY_S } from './clock.js';
export { type EngineSim, startEngineSim } from './engine-sim.js';
export { FAULT_KEYS, type FaultKey, type Faults, faultFlag, mergeFaults, parseFaults } from './faults.js';
export { type LoopPlan, LoopPlanError, type LoopSegment, planLoop } from './loop-plan.js';
export { DEFAULT_FIXTURE, EngineSimOptionError, type EngineSimOptions, resolveOptions } from './options.js';
export type { EngineSimStats, FaultCounters, SessionInfo, SimCounters } from './stats.js';
