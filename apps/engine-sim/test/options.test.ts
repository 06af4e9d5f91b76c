// startEngineSim() validates its options once: one exact sentence per invalid value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineSimOptionError, type EngineSimOptions, resolveOptions, startEngineSim } from '../src/index.js';

const CASES: [EngineSimOptions, string][] = [
  [{ port: -1 }, 'Option port must be an integer from 0 to 65535.'],
  [{ host: '' }, 'Option host must be a host name or IP address.'],
  [
    { advertisedHost: 'http://x/' },
    'Option advertisedHost must be a host name or IP address with an optional :port.',
  ],
  [{ rate: 0 }, 'Option rate must be a number above 0 and at most 1000, or "max".'],
  [{ burstSeconds: 601 }, 'Option burstSeconds must be a number of seconds from 0 to 600.'],
  [{ sessionIdleSeconds: 0 }, 'Option sessionIdleSeconds must be a positive number.'],
  [{ tickMs: 0 }, 'Option tickMs must be an integer from 1 to 1000.'],
  [{ hlsWindow: 2 }, 'Option hlsWindow must be an integer from 3 to 100.'],
  [{ hlsSegmentSeconds: -2 }, 'Option hlsSegmentSeconds must be a positive number.'],
  [
    { faults: { startDelayMs: 1.5 } },
    'Option startDelayMs must be an integer number of milliseconds from 0 to 600000.',
  ],
  [{ faults: { startError: '' } }, 'Option startError must be a non-empty text of at most 500 characters.'],
  [{ faults: { eofAfterS: -1 } }, 'Option eofAfterS must be a number of seconds from 0 to 86400.'],
];

describe('engine-sim options', () => {
  for (const [options, sentence] of CASES) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      assert.throws(
        () => resolveOptions(options),
        (err: unknown) => {
          assert.ok(err instanceof EngineSimOptionError);
          assert.equal(err.message, sentence);
          return true;
        },
      );
    });
  }

  it('accepts the defaults and rate "max"', () => {
    const r = resolveOptions({ rate: 'max' });
    assert.equal(r.rate, 'max');
    assert.equal(r.host, '127.0.0.1');
    assert.equal(r.port, 0);
  });

  it('rejects before listening', async () => {
    await assert.rejects(startEngineSim({ rate: -1 }), EngineSimOptionError);
  });
});
