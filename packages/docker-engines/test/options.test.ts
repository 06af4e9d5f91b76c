import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { DockerEngines, DockerEnginesOptionError } from '../src/index.js';
import { silentLogger } from './fakes.js';

const base = () => ({ registry: new EngineRegistry({ maxStreamsPerEngine: 4 }), logger: silentLogger() });

test('every bad option stops construction with one sentence naming it', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ mode: 'sometimes' }, 'mode must be "auto", "on" or "off".'],
    [{ labelSelector: 'a=b=c' }, 'label selector "a=b=c" must contain at most one "=".'],
    [{ statsPolicy: [] }, 'statsPolicy must be a non-empty array of rows.'],
    [{ maxCallsPerSec: 0 }, 'maxCallsPerSec must be a positive number.'],
    [{ burst: 1.5 }, 'burst must be a positive integer.'],
    [{ concurrency: -1 }, 'concurrency must be a positive integer.'],
    [{ callTimeoutMs: Number.NaN }, 'callTimeoutMs must be a positive number.'],
    [{ reconcileIntervalMs: 0 }, 'reconcileIntervalMs must be a positive number.'],
    [{ timeScale: 0 }, 'timeScale must be a positive number.'],
    [{ backoff: { initialMs: 0, maxMs: 10 } }, 'backoff.initialMs must be a positive number.'],
    [{ backoff: { initialMs: 100, maxMs: 10 } }, 'backoff.maxMs must not be below backoff.initialMs.'],
  ];
  for (const [opts, sentence] of cases) {
    assert.throws(
      () => new DockerEngines({ ...base(), ...opts }),
      (err: unknown) => err instanceof DockerEnginesOptionError && err.message === sentence,
      sentence,
    );
  }
});

test('defaults are valid', () => {
  assert.doesNotThrow(() => new DockerEngines(base()));
});
