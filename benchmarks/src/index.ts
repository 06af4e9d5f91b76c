// Public entry of @shardcast/benchmarks: the players as a library (the CLIs are bin/players.js and
// bin/bench.js), and the pure pieces they are built from.
export { type ResponseHandler, type ResponseHead, ResponseParser } from './http/response-parser.js';
export { parsePlayersArgs, playerSpecs, streamId, targetOf } from './players/options.js';
export { type ParsedPlaylist, parsePlaylist } from './players/playlist.js';
export { Playout, type PlayoutState } from './players/playout.js';
export {
  EXIT_DEGRADED,
  EXIT_FAILED,
  EXIT_HEALTHY,
  EXIT_USAGE,
  type PlayersReport,
  renderSummary,
} from './players/report.js';
export { type RunHooks, runPlayers } from './players/runner.js';
export { type TsValidation, TsValidator } from './players/ts-validator.js';
export type { PlayersOptions } from './players/types.js';
