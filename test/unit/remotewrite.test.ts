import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import snappy from 'snappyjs';
import { secretCredentials, staticCredentials } from '../../lib/remotewrite/auth.js';
import { RemoteWriteClient, defaultUserAgent, parseRetryAfter, type RemoteWriteClientOptions } from '../../lib/remotewrite/client.js';
import { remoteWriteConfigFromEnv } from '../../lib/remotewrite/config.js';
import { decodeWriteRequestBody, encodeWriteRequest } from '../../lib/remotewrite/encode.js';
import {
  RemoteWriteConfigError,
  RemoteWriteLabelError,
  RemoteWriteRejectedError,
  RemoteWriteUnavailableError,
} from '../../lib/remotewrite/errors.js';
import { selfMetrics } from '../../lib/remotewrite/self-metrics.js';
import { jsonLogger } from '../../lib/log/logger.js';
import { sortLabels, type Label } from '../../lib/segment/labels.js';
import { capturedSamples, fakeClock, startCaptureServer, type CaptureServer } from '../helpers/remotewrite-capture.js';

const labels = (name: string, extra: Record<string, string> = {}): Label[] =>
  sortLabels([{ name: '__name__', value: name }, ...Object.entries(extra).map(([n, value]) => ({ name: n, value }))]);
const oneSeries = [{ labels: labels('strata:x:sum', { strata_rule: 'x', strata_shard: '0' }), samples: [{ timestamp: 1_700_000_000_000, value: 42.5 }] }];

describe('remote write client', () => {
  let server: CaptureServer;
  let time: ReturnType<typeof fakeClock>;
  const client = (options: Partial<RemoteWriteClientOptions> = {}) =>
    new RemoteWriteClient({ url: server.url, clock: time.clock, sleep: time.sleep, random: () => 0.5, ...options });

  before(async () => {
    server = await startCaptureServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.script.length = 0;
    time = fakeClock();
  });

  it('sends the remote write 1.0 headers and a snappy block (not framed) WriteRequest', async () => {
    const result = await client().send(oneSeries, { tenant: 'team-a' });

    assert.equal(result.status, 204);
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.headers['content-encoding'], 'snappy');
    assert.equal(request!.headers['content-type'], 'application/x-protobuf');
    assert.equal(request!.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(request!.headers['user-agent'], defaultUserAgent);
    assert.match(defaultUserAgent, /^strata\/\d+\.\d+\.\d+/);
    assert.equal(request!.headers['x-scope-orgid'], 'team-a');
    assert.equal(request!.headers['authorization'], undefined);
    // The framed format starts with the stream identifier chunk 0xff 06 00 00 "sNaPpY".
    assert.notEqual(request!.body[0], 0xff);
    const decoded = decodeWriteRequestBody(request!.body);
    assert.deepEqual(
      decoded.timeseries[0]!.labels!.map((l) => l.name),
      ['__name__', 'strata_rule', 'strata_shard'],
    );
    assert.deepEqual(capturedSamples(request!).get('__name__=strata:x:sum,strata_rule=x,strata_shard=0'), [[1_700_000_000_000, 42.5]]);
    assert.deepEqual(Buffer.from(snappy.uncompress(request!.body)), Buffer.from(encodeWriteRequest(oneSeries)));
  });

  it('refuses unsorted, duplicate or invalid labels before sending anything', async () => {
    const unsorted = [{ labels: [{ name: 'b', value: '1' }, { name: '__name__', value: 'x' }], samples: [{ timestamp: 1, value: 1 }] }];
    await assert.rejects(client().send(unsorted), RemoteWriteLabelError);
    const empty = [{ labels: labels('x', { a: '' }), samples: [{ timestamp: 1, value: 1 }] }];
    await assert.rejects(client().send(empty), /empty value/);
    const surrogate = [{ labels: labels('x', { a: '\ud800' }), samples: [{ timestamp: 1, value: 1 }] }];
    await assert.rejects(client().send(surrogate), /UTF-8/);
    assert.equal(server.requests.length, 0);
  });

  for (const status of [500, 503, 429]) {
    it(`retries HTTP ${status}, resending the same bytes`, async () => {
      server.script.push({ status, body: 'try later' });

      const result = await client().send(oneSeries);

      assert.equal(result.attempts, 2);
      assert.equal(server.requests.length, 2);
      assert.deepEqual(server.requests[1]!.body, server.requests[0]!.body);
      assert.equal(time.state.waits.length, 1);
    });
  }

  for (const status of [400, 401, 404]) {
    it(`never retries HTTP ${status}: RemoteWriteRejectedError with the status and an excerpt`, async () => {
      server.script.push({ status, body: `out of order sample ${'x'.repeat(2000)}` });

      const error = await client().send(oneSeries).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );

      assert.ok(error instanceof RemoteWriteRejectedError);
      assert.equal(error.status, status);
      assert.match(error.bodyExcerpt, /^out of order sample x+…$/);
      assert.ok(error.bodyExcerpt.length < 600);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(time.state.waits, []);
    });
  }

  it('retries a dropped connection (network error)', async () => {
    server.script.push('drop');

    const result = await client().send(oneSeries);

    assert.equal(result.attempts, 2);
    assert.equal(server.requests.length, 2);
  });

  it('gives up on an unreachable endpoint with RemoteWriteUnavailableError once the retry budget is spent', async () => {
    const closed = await startCaptureServer();
    await closed.close();

    const error = await new RemoteWriteClient({ url: closed.url, clock: time.clock, sleep: time.sleep, retry: { maxRetryTimeMs: 2_000 } })
      .send(oneSeries)
      .then(() => assert.fail('expected unavailable'), (e: unknown) => e);

    assert.ok(error instanceof RemoteWriteUnavailableError);
    assert.equal(error.lastStatus, undefined);
    assert.match(error.message, /ECONNREFUSED|fetch failed/);
    assert.ok(time.state.waits.reduce((a, b) => a + b, 0) < 2_000);
  });

  it('honours Retry-After in seconds', async () => {
    server.script.push({ status: 429, headers: { 'Retry-After': '3' } });

    await client().send(oneSeries);

    assert.equal(time.state.waits.length, 1);
    assert.ok(time.state.waits[0]! >= 3_000, `waited ${time.state.waits[0]} ms`);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    const retryAt = new Date(time.state.now + 5_000).toUTCString();
    server.script.push({ status: 503, headers: { 'Retry-After': retryAt } });

    await client().send(oneSeries);

    assert.ok(time.state.waits[0]! >= 5_000 && time.state.waits[0]! <= 5_000 + 1_000, `waited ${time.state.waits[0]} ms`);
    assert.equal(parseRetryAfter('garbage', 0), undefined);
  });

  it('caps the total retry time: backoff is capped and no attempt starts after the budget', async () => {
    for (let i = 0; i < 100; i++) server.script.push({ status: 503 });

    const error = await client({ retry: { minBackoffMs: 100, maxBackoffMs: 1_000, maxRetryTimeMs: 10_000 } })
      .send(oneSeries)
      .then(() => assert.fail('expected unavailable'), (e: unknown) => e);

    assert.ok(error instanceof RemoteWriteUnavailableError);
    assert.equal(error.lastStatus, 503);
    const total = time.state.waits.reduce((a, b) => a + b, 0);
    assert.ok(total < 10_000, `slept ${total} ms`);
    assert.ok(Math.max(...time.state.waits) <= 1_000);
    assert.equal(error.attempts, server.requests.length);
    assert.ok(error.attempts >= 10, `${error.attempts} attempts`);
  });

  it('after a send spends its retry budget, later sends fail at once until the cooldown is over', async () => {
    for (let i = 0; i < 100; i++) server.script.push({ status: 503 });
    const shared = client({ retry: { minBackoffMs: 100, maxBackoffMs: 1_000, maxRetryTimeMs: 5_000, cooldownMs: 60_000 } });
    await assert.rejects(shared.send(oneSeries), RemoteWriteUnavailableError);
    const afterFirst = server.requests.length;

    const fast = await shared.send(oneSeries).then(() => assert.fail('expected unavailable'), (e: unknown) => e);
    assert.ok(fast instanceof RemoteWriteUnavailableError && fast.attempts === 0, String(fast));
    assert.match(fast.message, /failed a moment ago .*HTTP 503.*next try in \d+ s/);
    assert.equal(server.requests.length, afterFirst, 'no request during the cooldown');

    time.state.now += 60_000;
    server.script.length = 0;
    assert.equal((await shared.send(oneSeries)).status, 204, 'tried again once the cooldown is over');
    assert.equal((await shared.send(oneSeries)).status, 204);
  });

  it('a deadline that allows no attempt does not count as an outage', async () => {
    const shared = client();
    await assert.rejects(shared.send(oneSeries, { deadline: time.state.now - 1 }), RemoteWriteUnavailableError);
    assert.equal((await shared.send(oneSeries)).status, 204);
  });

  it('times each attempt with the injected timer, never past the caller’s deadline, and treats its abort as a timeout', async () => {
    const asked: number[] = [];
    const timer = (ms: number) => {
      asked.push(ms);
      return AbortSignal.abort(new DOMException('timed out', 'TimeoutError'));
    };

    const error = await client({ timeoutMs: 10_000, timeoutSignal: timer })
      .send(oneSeries, { deadline: time.state.now + 3_000 })
      .then(() => assert.fail('expected unavailable'), (e: unknown) => e);

    assert.ok(error instanceof RemoteWriteUnavailableError);
    assert.match(error.message, /timed out|timeout/i);
    assert.equal(asked[0], 3_000);
    assert.ok(asked.every((ms) => ms <= 3_000));
    assert.equal(server.requests.length, 0);
  });

  it('stops at once when Retry-After is past the budget or the caller’s deadline', async () => {
    server.script.push({ status: 429, headers: { 'Retry-After': '120' } });
    await assert.rejects(client({ retry: { maxRetryTimeMs: 30_000 } }).send(oneSeries), (e: unknown) => e instanceof RemoteWriteUnavailableError && /Retry-After/.test(e.message));
    assert.equal(server.requests.length, 1);

    await assert.rejects(client().send(oneSeries, { deadline: time.state.now - 1 }), RemoteWriteUnavailableError);
    assert.equal(server.requests.length, 1);
  });

  it('sends bearer and basic credentials, and never logs them', async () => {
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(line) });
    server.script.push({ status: 503 });
    await client({ credentials: staticCredentials({ type: 'bearer', token: 's3cr3t-token' }), logger }).send(oneSeries);
    const bearerLines = lines.length;
    server.script.push({ status: 503 });
    await client({ credentials: staticCredentials({ type: 'basic', username: 'u', password: 'pw-s3cr3t' }), logger }).send(oneSeries);

    assert.equal(server.requests[0]!.headers['authorization'], 'Bearer s3cr3t-token');
    assert.equal(server.requests[2]!.headers['authorization'], `Basic ${Buffer.from('u:pw-s3cr3t').toString('base64')}`);
    assert.ok(bearerLines > 0 && lines.length > bearerLines, 'both clients logged their retry');
    assert.ok(lines.every((line) => !line.includes('s3cr3t')));
  });

  it('reads a Secrets Manager secret at run time, caches it, and re-reads it after a 401', async () => {
    let reads = 0;
    const credentials = secretCredentials('arn:aws:secretsmanager:eu-west-1:1:secret:rw', async () => {
      reads++;
      return JSON.stringify({ username: 'strata', password: `pw-${reads}` });
    });
    const c = client({ credentials });
    await c.send(oneSeries);
    await c.send(oneSeries);
    assert.equal(reads, 1);

    server.script.push({ status: 401, body: 'bad credentials' });
    const error = await c.send(oneSeries).then(() => assert.fail('expected 401'), (e: unknown) => e as Error);
    await c.send(oneSeries);

    assert.equal(reads, 2);
    assert.equal(server.requests.at(-1)!.headers['authorization'], `Basic ${Buffer.from('strata:pw-2').toString('base64')}`);
    assert.ok(!error.message.includes('pw-1'));
  });

  it('refuses URLs with credentials and reads its settings from the environment', () => {
    assert.throws(() => new RemoteWriteClient({ url: 'http://user:hunter2@127.0.0.1/api/v1/write' }), (e: unknown) => e instanceof RemoteWriteConfigError && !e.message.includes('hunter2'));
    assert.equal(remoteWriteConfigFromEnv({}), undefined);
    const config = remoteWriteConfigFromEnv({ STRATA_REMOTE_WRITE_URL: server.url, STRATA_REMOTE_WRITE_TENANT_MODE: 'label' });
    assert.deepEqual(config?.tenantRouting, { mode: 'label', label: 'strata_tenant' });
    assert.throws(() => remoteWriteConfigFromEnv({ STRATA_REMOTE_WRITE_URL: server.url, STRATA_REMOTE_WRITE_SECRET_ARN: 'arn:x' }), /no secret reader/);
    assert.throws(
      () => remoteWriteConfigFromEnv({ STRATA_REMOTE_WRITE_URL: server.url, STRATA_REMOTE_WRITE_BEARER_TOKEN: 't', STRATA_REMOTE_WRITE_USERNAME: 'u' }),
      /only one/,
    );
  });
});

describe('self metrics', () => {
  it('encodes the pipeline counters at the given timestamp, labels sorted', () => {
    const { series, metadata } = selfMetrics({
      ts: 1234,
      labels: [{ name: 'strata_shard', value: '3' }],
      counters: { jobs: 5, blocks: 5, segments: 60, samples: 1000, failedAttempts: 1, exportFailures: 2 },
      lagMs: 1500,
      droppedSeries: { big: 7 },
    });

    const byName = new Map(series.map((s) => [s.labels[0]!.value, s]));
    assert.deepEqual(byName.get('strata_compactor_jobs_total')!.samples, [{ timestamp: 1234, value: 5 }]);
    assert.deepEqual(byName.get('strata_compaction_lag_seconds')!.samples, [{ timestamp: 1234, value: 1.5 }]);
    assert.deepEqual(byName.get('strata_rule_series_dropped_total')!.labels.map((l) => l.name), ['__name__', 'strata_rule', 'strata_shard']);
    assert.ok(metadata.some((m) => m.metricFamilyName === 'strata_export_failures_total' && m.type === 'counter'));
    assert.doesNotThrow(() => encodeWriteRequest(series, metadata));
  });
});
