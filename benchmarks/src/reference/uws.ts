/**
 * Loads the native uWebSockets.js binary directly: the package silently falls back to a slow pure-JS
 * server when the binary does not load, and a ceiling measured on that would be meaningless.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export function loadNativeUws(): typeof import('uWebSockets.js') {
  const dir = dirname(require.resolve('uWebSockets.js/package.json'));
  const binary = join(
    dir,
    'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
  );
  return require(binary) as typeof import('uWebSockets.js');
}
