export type { ByteStream } from './byte-stream.js';
export { EngineClient } from './client.js';
export {
  ENGINE_ERRORS,
  EngineError,
  type EngineErrorCode,
  type EngineErrorData,
  fromErrorData,
  isEngineError,
  toErrorData,
} from './errors.js';
export { DEFAULT_START_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT } from './options.js';
export { ALLOWED_EXTRA_PARAMS, pickExtraParams } from './params.js';
export type {
  CallOptions,
  EngineClientOptions,
  EngineHealth,
  EngineLivePos,
  EngineSession,
  EngineStat,
  EngineStream,
  EngineVersion,
  FetchOptions,
  OpenByteStreamOptions,
  OpenStreamOptions,
  ResolvedUrl,
  SessionFormat,
  StartSessionOptions,
  StopOptions,
  StopResult,
  StreamKey,
} from './types.js';
export { withQueryParam } from './urls.js';
