/**
 * The ingest core's common behaviour — tenants, API keys, idempotent keys, storage failures,
 * routing — and its two adapters: the Lambda handler (payload 2.0) and the node:http server.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import snappy from 'snappyjs';
import { createIngestHandler, ingestRequestFromEvent } from '../../functions/ingest.js';
import { staticApiKeys } from '../../lib/ingest/auth.js';
import { ingestConfig, ingestConfigFromEnv } from '../../lib/ingest/config.js';
import type { IngestDeps, IngestRequest } from '../../lib/ingest/contract.js';
import { IngestConfigError } from '../../lib/ingest/errors.js';
import { handleIngest } from '../../lib/ingest/handler.js';
import { startIngestServer } from '../../lib/ingest/server.js';
import { decodeTime } from 'ulid';
import { prometheus } from '../../lib/gen/prometheus.js';
import { buildSegments } from '../../lib/segment/build.js';
import { isUlid, parseDataKey } from '../../lib/segment/keys.js';
import { sortLabels } from '../../lib/segment/labels.js';
import { parseSampleJson } from '../../lib/segment/json.js';
import {
  MemoryStore,
  lambdaEvent,
  now,
  recordingLogger,
  remoteWriteRequest,
  storedSegments,
  testDeps,
  writeRequestBytes,
} from '../helpers/ingest-fixtures.js';

const series = Array.from({ length: 40 }, (_, i) => ({ labels: { __name__: 'requests_total', path: `/p${i}` }, samples: [[now - 5000, i + 1], [now - 1000, i + 2]] as Array<[number, number]> }));
const body = () => writeRequestBytes(series);

/** Runs a request twice (a client retry) and returns both answers and what the store holds. */
async function assertIdempotent(request: IngestRequest, deps: IngestDeps & { store: MemoryStore }) {
  const first = await handleIngest(request, deps);
  const keysAfterFirst = [...deps.store.objects.keys()].sort();
  const bytesAfterFirst = keysAfterFirst.map((key) => deps.store.objects.get(key));
  const second = await handleIngest(request, { ...deps, clock: () => now + 30_000 }); // retried 30 s later
  assert.deepEqual([...deps.store.objects.keys()].sort(), keysAfterFirst, 'a retry creates no new object');
  assert.deepEqual(keysAfterFirst.map((key) => deps.store.objects.get(key)), bytesAfterFirst, 'and does not overwrite one');
  return { first, second, keys: keysAfterFirst };
}

describe('ingest: series the segment format cannot hold', () => {
  test('a series above the 16 MiB chunk limit is a 413 and nothing is written', async () => {
    const deps = testDeps();
    const huge = [{ labels: { __name__: 'm' }, samples: Array.from({ length: 1_100_000 }, (_, i) => [now - 1000, i] as [number, number]) }];
    const response = await handleIngest(remoteWriteRequest(writeRequestBytes(huge)), deps);
    assert.equal(response.status, 413, response.body);
    assert.match(response.body, /above the 16777216-byte chunk limit/);
    assert.equal(deps.store.objects.size, 0);
  });
});

describe('ingest: tenants', () => {
  test('no X-Scope-OrgID → tenant anonymous', async () => {
    const deps = testDeps();
    assert.equal((await handleIngest(remoteWriteRequest(body()), deps)).status, 204);
    assert.ok(deps.store.objects.size > 0);
    assert.ok([...deps.store.objects.keys()].every((key) => key.startsWith('segments/anonymous/')));
  });

  test('X-Scope-OrgID names the tenant in keys and headers', async () => {
    const deps = testDeps();
    assert.equal((await handleIngest(remoteWriteRequest(body(), { 'x-scope-orgid': 'team-a' }), deps)).status, 204);
    const segments = storedSegments(deps.store);
    assert.ok(segments.length > 0);
    for (const segment of segments) assert.equal(segment.header.tenant, 'team-a');
  });

  for (const tenant of ['..', 'a/b', '__internal', 'x'.repeat(151), '']) {
    test(`invalid tenant ${JSON.stringify(tenant.slice(0, 12))} → 400, nothing written`, async () => {
      const deps = testDeps();
      const response = await handleIngest(remoteWriteRequest(body(), { 'x-scope-orgid': tenant }), deps);
      assert.equal(response.status, 400);
      assert.match(response.body, /invalid X-Scope-OrgID/);
      assert.equal(deps.store.putCalls, 0);
    });
  }
});

describe('ingest: API keys', () => {
  const keys = staticApiKeys(JSON.stringify({ 'team-a': ['key-one', 'key-two'], 'team-b': 'key-b' }));
  const withKeys = () => testDeps({ config: { apiKeys: keys }, logger: recordingLogger() });

  test('a valid bearer key or basic-auth password is accepted', async () => {
    for (const authorization of ['Bearer key-two', `Basic ${Buffer.from('team-a:key-one').toString('base64')}`]) {
      const deps = withKeys();
      const response = await handleIngest(remoteWriteRequest(body(), { 'x-scope-orgid': 'team-a', authorization }), deps);
      assert.equal(response.status, 204, response.body);
    }
  });

  for (const [what, headers] of [
    ['no key', { 'x-scope-orgid': 'team-a' }],
    ['a wrong key', { 'x-scope-orgid': 'team-a', authorization: 'Bearer nope' }],
    ["another tenant's key", { 'x-scope-orgid': 'team-a', authorization: 'Bearer key-b' }],
    ['a tenant without keys', { 'x-scope-orgid': 'team-c', authorization: 'Bearer key-one' }],
    ['an unknown scheme', { 'x-scope-orgid': 'team-a', authorization: 'Token key-one' }],
  ] as const) {
    test(`${what} → 401, nothing written, the key never logged`, async () => {
      const deps = withKeys();
      const response = await handleIngest(remoteWriteRequest(body(), headers), deps);
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="strata"');
      assert.equal(deps.store.putCalls, 0);
      const logged = JSON.stringify((deps.logger as ReturnType<typeof recordingLogger>).lines);
      assert.ok(logged.includes('request rejected'));
      for (const secret of ['key-one', 'key-two', 'key-b', 'nope']) assert.ok(!logged.includes(secret) && !response.body.includes(secret));
    });
  }

  test('STRATA_API_KEYS is read from the environment; bad JSON fails start-up without echoing it', async () => {
    const config = ingestConfigFromEnv({ STRATA_API_KEYS: '{"team-a": "s3cret"}' });
    assert.deepEqual(await config.apiKeys!.keysFor('team-a'), ['s3cret']);
    assert.equal(ingestConfigFromEnv({}).apiKeys, undefined);
    assert.throws(() => ingestConfigFromEnv({ STRATA_API_KEYS: '{"team-a": s3cret}' }), (error: Error) => error instanceof IngestConfigError && !error.message.includes('s3cret'));
    assert.throws(() => ingestConfigFromEnv({ STRATA_API_KEYS_SECRET_ARN: 'arn:aws:secretsmanager:x' }), /only from STRATA_API_KEYS/);
  });
});

describe('ingest: idempotent for client retries', () => {
  test('the same request twice → the same keys, one object each, both acknowledged', async () => {
    const deps = testDeps();
    const { first, second, keys } = await assertIdempotent(remoteWriteRequest(body()), deps);
    assert.equal(first.status, 204);
    assert.equal(second.status, 204);
    assert.ok(keys.length > 1, 'the series spread over several shards');
    assert.equal(deps.store.putCalls, keys.length * 2, 'the retry tried each key once and got 412');
  });

  test('a JSON push lands on the keys strata segment build gives the same samples', async () => {
    const deps = testDeps();
    const text = series.map((one) => JSON.stringify({ labels: one.labels, samples: one.samples })).join('\n');
    const request: IngestRequest = { method: 'POST', path: '/v1/samples', query: {}, headers: { 'content-type': 'application/x-ndjson', 'x-scope-orgid': 'team-a' }, body: Buffer.from(text) };
    assert.equal((await handleIngest(request, deps)).status, 200);
    const built = buildSegments(parseSampleJson(text), { tenant: 'team-a', shardCount: deps.config.shardCount, createdBy: 'cli', createdAtMs: 0 });
    assert.ok(built.length > 1);
    assert.deepEqual([...deps.store.objects.keys()].sort(), built.map((segment) => segment.key).sort());
  });

  test('the same holds for pushes of JSON', async () => {
    const deps = testDeps();
    const request: IngestRequest = { method: 'POST', path: '/v1/samples', query: {}, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify([{ metric: 'x', samples: [[now, 1]] }])) };
    const { first, second } = await assertIdempotent(request, deps);
    assert.deepEqual(JSON.parse(first.body).segments.map((s: { outcome: string }) => s.outcome), ['written']);
    assert.deepEqual(JSON.parse(second.body).segments.map((s: { outcome: string }) => s.outcome), ['existing']);
  });

  test("keys: the ULID's time is the newest sample, its random part depends on tenant, shard and series", async () => {
    const deps = testDeps();
    assert.equal((await handleIngest(remoteWriteRequest(body()), deps)).status, 204);
    assert.ok(deps.store.objects.size > 0);
    for (const key of deps.store.objects.keys()) {
      const parsed = parseDataKey(key);
      assert.ok(isUlid(parsed.id));
      assert.equal(decodeTime(parsed.id), now - 1000);
    }
    const other = testDeps();
    assert.equal((await handleIngest(remoteWriteRequest(body(), { 'x-scope-orgid': 'team-b' }), other)).status, 204);
    assert.equal(other.store.objects.size, deps.store.objects.size);
    const ids = (store: MemoryStore) => new Set([...store.objects.keys()].map((key) => parseDataKey(key).id));
    for (const id of ids(other.store)) assert.ok(!ids(deps.store).has(id), 'another tenant gets other ids');
    const changed = testDeps();
    await handleIngest(remoteWriteRequest(writeRequestBytes(series.map((s, i) => (i === 0 ? { ...s, samples: [[now - 5000, 99]] } : s)))), changed);
    assert.notDeepEqual(ids(changed.store), ids(deps.store), 'different content gets a different id');
  });

  test('keys are the ones `strata segment build` derives for the same series (lib/segment/build.ts)', async () => {
    const deps = testDeps();
    const bytes = body();
    await handleIngest(remoteWriteRequest(bytes), deps);
    const decoded = prometheus.WriteRequest.decode(bytes).timeseries.map((ts) => ({
      labels: sortLabels((ts.labels ?? []).map((l) => ({ name: l.name ?? '', value: l.value ?? '' }))),
      samples: (ts.samples ?? []).map((s) => ({ timestamp: s.timestamp ?? 0, value: s.value ?? 0 })),
      functions: [],
      stacks: [],
    }));
    // Values and timestamps are non-zero, so protobufjs' encoding is the canonical one build uses.
    const built = buildSegments(decoded, { tenant: 'anonymous', shardCount: 4, createdBy: 'strata-cli', createdAtMs: 0 });
    assert.deepEqual([...deps.store.objects.keys()].sort(), built.map((segment) => segment.key).sort());
  });

  test('an S3 failure → 503 with Retry-After; the retry completes the request without duplicates', async () => {
    const logger = recordingLogger();
    const deps = testDeps({ logger });
    deps.store.failPuts = 1; // the first of the parallel writes fails, the others land
    const failed = await handleIngest(remoteWriteRequest(body()), deps);
    assert.equal(failed.status, 503);
    assert.equal(failed.headers['retry-after'], '1');
    assert.match(failed.body, /retry the request/);
    assert.ok(logger.lines.some((line) => line.message === 'segment write failed' && line.level === 'error'));
    const partial = deps.store.objects.size;
    const retried = await handleIngest(remoteWriteRequest(body()), deps);
    assert.equal(retried.status, 204);
    assert.equal(deps.store.objects.size, partial + 1, 'exactly the missing segment is added');
    const total = storedSegments(deps.store).reduce((n, s) => n + s.header.sampleCount, 0);
    assert.equal(total, series.length * 2, 'every sample stored exactly once');
  });

  test('a 409 (a concurrent identical write) → 503 so the client retries', async () => {
    const deps = testDeps();
    deps.store.putIfAbsent = async () => ({ outcome: 'conflict' });
    assert.equal((await handleIngest(remoteWriteRequest(body()), deps)).status, 503);
  });
});

describe('ingest: routing', () => {
  test('unknown path → 404; GET → 405 with Allow; /api/v1/write is an alias; /ready answers', async () => {
    const deps = testDeps();
    assert.equal((await handleIngest({ ...remoteWriteRequest(body()), path: '/nope' }, deps)).status, 404);
    const get = await handleIngest({ ...remoteWriteRequest(body()), method: 'GET' }, deps);
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST');
    assert.equal((await handleIngest({ ...remoteWriteRequest(body()), path: '/api/v1/write' }, deps)).status, 204);
    assert.equal((await handleIngest({ method: 'GET', path: '/ready', query: {}, headers: {}, body: new Uint8Array() }, deps)).status, 200);
  });
});

describe('ingest: the Lambda handler (payload 2.0)', () => {
  test('a base64 body is decoded and handled like any other request', async () => {
    const deps = testDeps();
    const handler = createIngestHandler({ deps });
    const result = await handler(lambdaEvent(remoteWriteRequest(body(), { 'X-Scope-OrgID': 'team-a' } as Record<string, string>)));
    assert.equal(result.statusCode, 204);
    assert.ok(deps.store.objects.size > 0);
    assert.ok([...deps.store.objects.keys()].every((key) => key.startsWith('segments/team-a/')));
  });

  test('a text body, query string and mixed-case headers are mapped', () => {
    const event = lambdaEvent({ method: 'POST', path: '/v1/samples', query: { name: 'a{b=c}', from: '1' }, headers: { 'Content-Type': 'application/json' }, body: Buffer.from('[1]') }, false);
    const request = ingestRequestFromEvent(event);
    assert.deepEqual(request.query, { name: 'a{b=c}', from: '1' });
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(Buffer.from(request.body).toString(), '[1]');
  });

  test('errors come back as responses, not exceptions', async () => {
    const handler = createIngestHandler({ deps: testDeps() });
    const result = await handler(lambdaEvent(remoteWriteRequest(Uint8Array.of(1, 2, 3), {}, false)));
    assert.equal(result.statusCode, 400);
    assert.match(String(result.body), /corrupt snappy/);
  });

  test('missing STRATA_BUCKET fails loudly', async () => {
    const handler = createIngestHandler({ env: {} });
    await assert.rejects(handler(lambdaEvent(remoteWriteRequest(body()))), /STRATA_BUCKET is not set/);
  });

  test('a bad STRATA_LOG_LEVEL or AWS_MAX_ATTEMPTS fails loudly, naming the variable', async () => {
    const env = { STRATA_BUCKET: 'data', AWS_REGION: 'eu-west-1' };
    await assert.rejects(createIngestHandler({ env: { ...env, STRATA_LOG_LEVEL: 'verbose' } })(lambdaEvent(remoteWriteRequest(body()))), /STRATA_LOG_LEVEL must be debug, info, warn or error, got "verbose"/);
    await assert.rejects(createIngestHandler({ env: { ...env, AWS_MAX_ATTEMPTS: 'many' } })(lambdaEvent(remoteWriteRequest(body()))), /AWS_MAX_ATTEMPTS must be a positive integer, got "many"/);
  });
});

describe('ingest: the node:http server', () => {
  test('serves the same core: a push lands, a retry is acknowledged', async () => {
    const store = new MemoryStore();
    const server = await startIngestServer({ port: 0, store, config: ingestConfig() });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${server.url}/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-scope-orgid': 'dev' },
          body: snappy.compress(body()),
        });
        assert.equal(response.status, 204, await response.text());
      }
      assert.ok(store.objects.size > 0);
      assert.ok([...store.objects.keys()].every((key) => key.startsWith('segments/dev/')));
      const query = await fetch(`${server.url}/ingest?name=app&format=folded`, { method: 'POST', body: 'x' });
      assert.equal(query.status, 415);
    } finally {
      await server.stop();
    }
  });

  test('a body over the limit is answered 413 without reading it all (chunked, no Content-Length)', async () => {
    const store = new MemoryStore();
    const server = await startIngestServer({ port: 0, store, config: ingestConfig({ limits: { maxBodyBytes: 1024 } }) });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${server.url}/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        // Keep sending: the server must answer before the client is done.
        let sent = 0;
        const pump = () => {
          while (sent < 64 << 20 && request.write(Buffer.alloc(16 << 10))) sent += 16 << 10;
          if (sent < 64 << 20) request.once('drain', pump);
        };
        pump();
      });
      assert.equal(status, 413);
      assert.equal(store.putCalls, 0);
    } finally {
      await server.stop();
    }
  });
});
