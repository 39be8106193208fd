/**
 * Fuzzing the ingest parsers with fast-check: arbitrary or mutated bytes must give a typed 4xx
 * (an IngestError) or a valid batch — never another exception, a hang or a 5xx.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappyjs';
import { IngestError } from '../../lib/ingest/errors.js';
import { handleIngest } from '../../lib/ingest/handler.js';
import { parseRemoteWrite } from '../../lib/ingest/remote-write.js';
import { now, pprofBytes, pyroscopeRequest, remoteWriteRequest, storedSegments, testDeps, writeRequestBytes } from '../helpers/ingest-fixtures.js';

const valid = writeRequestBytes([
  { labels: { __name__: 'up', job: 'a', zone: 'eu' }, samples: [[now - 2000, 1], [now - 1000, 2]], exemplars: [{ labels: { trace_id: 't' }, value: 1, timestamp: now }] },
  { labels: [['job', 'b'], ['__name__', 'up']], samples: [[now - 1000, 3]], histograms: 1 },
]);

/** `bytes` with some positions overwritten, some cut or inserted. */
const mutated = (base: Uint8Array) =>
  fc
    .array(fc.tuple(fc.nat(base.length), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 6 })
    .map((edits) => {
      let bytes = [...base];
      for (const [at, value, kind] of edits) {
        if (kind === 'set' && at < bytes.length) bytes[at] = value;
        else if (kind === 'cut') bytes = bytes.slice(0, at);
        else bytes.splice(at, 0, value);
      }
      return Uint8Array.from(bytes);
    });

test('remote write: mutated WriteRequests give an IngestError or a batch the reader accepts (property)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 300 })), async (body) => {
      try {
        parseRemoteWrite(body, { shardCount: 4, maxTimestampMs: now + 3_600_000 });
      } catch (error) {
        assert.ok(error instanceof IngestError && error.status === 400, String(error));
        return;
      }
      // It parsed: then the whole request must be stored as valid segments.
      const deps = testDeps();
      const response = await handleIngest(remoteWriteRequest(body), deps);
      assert.ok(response.status === 204, response.body);
      storedSegments(deps.store); // opens and validates every segment
    }),
    { numRuns: 1500 },
  );
});

test('remote write: corrupt snappy bodies are 400s, never 500s (property)', async () => {
  const compressed = snappy.compress(valid);
  await fc.assert(
    fc.asyncProperty(mutated(compressed), async (body) => {
      const response = await handleIngest(remoteWriteRequest(body, {}, false), testDeps());
      assert.ok([204, 400, 413].includes(response.status), `${response.status} ${response.body}`);
    }),
    { numRuns: 1000 },
  );
});

test('pyroscope: mutated pprof gives a 4xx or valid segments, never a 500 (property)', async () => {
  const profile = pprofBytes({
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    timeNanos: (now - 1000) * 1e6,
    samples: [
      { stack: ['a', 'b'], values: [1, 10], labels: { route: '/x' } },
      { stack: ['c'], values: [2, 20] },
    ],
  });
  await fc.assert(
    fc.asyncProperty(mutated(profile), async (body) => {
      const deps = testDeps();
      const response = await handleIngest(pyroscopeRequest(body, { name: 'app{env=prod}' }), deps);
      assert.ok(response.status === 200 || (response.status >= 400 && response.status < 500), `${response.status} ${response.body}`);
      if (response.status === 200) storedSegments(deps.store);
      else assert.equal(deps.store.putCalls, 0);
    }),
    { numRuns: 1000 },
  );
});
