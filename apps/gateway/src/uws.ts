/**
 * Loads uWebSockets.js and refuses its silent pure-JS fallback.
 *
 * The Node 20 build we depend on (`@trufflesuite/uws-js-unofficial`, aliased as `uWebSockets.js`) catches a
 * failed native `require` and quietly returns a slow JavaScript server instead. We load the native binary
 * ourselves first so the real cause (wrong ABI, missing glibc symbol, ...) can be named.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Uws = typeof import('uWebSockets.js');

const require = createRequire(import.meta.url);

export class UwsLoadError extends Error {
  override readonly name = 'UwsLoadError';
  readonly code = 'SC_ERR_UWS_FALLBACK';
}

export interface UwsLoad {
  readonly uws: Uws;
  readonly native: boolean;
  /** Why the native binary did not load, when it did not. */
  readonly cause?: string;
}

let cached: UwsLoad | undefined;

/** Loads uWS; with `allowFallback` false, throws UwsLoadError (one sentence) unless the native binary loads. */
export function loadUws(allowFallback: boolean): UwsLoad {
  if (!cached) cached = probe();
  if (!cached.native && !allowFallback) {
    throw new UwsLoadError(
      `uWebSockets.js native binary did not load (${cached.cause}); refusing to run on its slow pure-JS fallback (pass --allow-uws-fallback to override).`,
    );
  }
  return cached;
}

function probe(): UwsLoad {
  let cause: string | undefined;
  if (/^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    cause = 'UWS_USE_FALLBACK is set in the environment';
  } else {
    const pkgDir = dirname(require.resolve('uWebSockets.js/package.json'));
    const binary = join(
      pkgDir,
      'binaries',
      `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
    );
    try {
      require(binary);
    } catch (err) {
      cause = `${binary.slice(pkgDir.length + 1)}: ${firstLine(err)}`;
    }
  }
  // The package prints its own fallback warning on console; keep it quiet, we report the cause ourselves.
  const warn = console.warn;
  const log = console.log;
  console.warn = () => {};
  console.log = () => {};
  let uws: Uws;
  try {
    uws = require('uWebSockets.js') as Uws;
  } finally {
    console.warn = warn;
    console.log = log;
  }
  // Belt and braces: the native App is a C++ function.
  const native = cause === undefined && /\[native code\]/.test(String(uws.App));
  if (!native && cause === undefined) cause = 'the package returned its JavaScript fallback';
  return native ? { uws, native } : { uws, native, cause: cause! };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.trim();
}
