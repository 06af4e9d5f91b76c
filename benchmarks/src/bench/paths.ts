/** Where things are: the repository root and the executables the suite starts. */
import { fileURLToPath } from 'node:url';

/** benchmarks/dist/src/bench → repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BENCH_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const GATEWAY_CLI = `${REPO_ROOT}apps/gateway/bin/shardcast.js`;
export const ENGINE_SIM_CLI = `${REPO_ROOT}apps/engine-sim/bin/shardcast-engine-sim.js`;
export const PLAYERS_CLI = `${BENCH_ROOT}bin/players.js`;
export const REFERENCE_MAIN = fileURLToPath(new URL('../reference/main.js', import.meta.url));
export const NAIVE_MAIN = fileURLToPath(new URL('../naive/main.js', import.meta.url));
export const DOCKER_BENCH = `${REPO_ROOT}packages/docker-engines/dist/bench/stats-polling.bench.js`;
export const RESTART_PLAYERS_MAIN = fileURLToPath(new URL('../restart/main.js', import.meta.url));
export const RESULTS_DIR = `${BENCH_ROOT}results`;
