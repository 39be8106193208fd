/**
 * Pyroscope pushes (`POST /ingest`) through `handleIngest`: profile types, labels, totals and
 * stacks in the segments, the body layouts Pyroscope clients use, and every rejection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { handleIngest } from '../../lib/ingest/handler.js';
import { parsePushName } from '../../lib/ingest/pprof.js';
import type { Series } from '../../lib/segment/format.js';
import {
  gzip,
  multipartBody,
  now,
  pprofBytes,
  pyroscopeRequest,
  storedSegments,
  testDeps,
  type ProfileInput,
} from '../helpers/ingest-fixtures.js';

const cpuProfile: ProfileInput = {
  sampleTypes: [
    ['samples', 'count'],
    ['cpu', 'nanoseconds'],
  ],
  periodType: ['cpu', 'nanoseconds'],
  timeNanos: (now - 10_000) * 1e6,
  samples: [
    { stack: ['work', 'main'], values: [3, 30_000_000] },
    { stack: ['idle', 'main'], values: [1, 10_000_000] },
    { stack: ['work', 'main'], values: [2, 20_000_000], labels: { span_id: 'abc' } },
    { stack: ['handler', 'serve', 'main'], values: [4, 40_000_000], labels: { 'http.route': '/users' }, numLabels: { bytes: 10 } },
  ],
};

const query = { name: 'checkout{env=prod,region=eu}', from: String((now - 10_000) / 1000), until: String(now / 1000), format: 'pprof', spyName: 'nodespy', sampleRate: '100' };

async function ingest(request: ReturnType<typeof pyroscopeRequest>) {
  const deps = testDeps();
  const response = await handleIngest(request, deps);
  const series = storedSegments(deps.store).flatMap((segment) => segment.series);
  return { response, series, deps };
}

function byName(series: Series[]): Map<string, Series> {
  const labelText = (s: Series) => s.labels.map((l) => `${l.name}=${l.value}`).join(',');
  return new Map(series.map((s) => [labelText(s), s]));
}

/** The stacks of a series as "leaf;...;root" → value. */
function stacks(series: Series): Map<string, number> {
  return new Map(series.stacks.map((stack) => [stack.frames.map((f) => series.functions[f]).join(';'), stack.value]));
}

describe('pyroscope /ingest: what is stored', () => {
  test('one series per sample type and sample-label set, with totals and stacks', async () => {
    const { response, series } = await ingest(pyroscopeRequest(pprofBytes(cpuProfile), query));
    assert.equal(response.status, 200, response.body);
    const found = byName(series);
    const base = 'env=prod,region=eu,service_name=checkout';
    assert.deepEqual([...found.keys()].sort(), [
      `__name__=process_cpu:cpu:nanoseconds:cpu:nanoseconds,${base}`,
      `__name__=process_cpu:cpu:nanoseconds:cpu:nanoseconds,env=prod,http_route=/users,region=eu,service_name=checkout`,
      `__name__=process_cpu:samples:count:cpu:nanoseconds,${base}`,
      `__name__=process_cpu:samples:count:cpu:nanoseconds,env=prod,http_route=/users,region=eu,service_name=checkout`,
    ].sort());
    const cpu = found.get(`__name__=process_cpu:cpu:nanoseconds:cpu:nanoseconds,${base}`)!;
    // span_id does not split series; the two "work;main" samples merge into one stack.
    assert.deepEqual(cpu.samples.map((s) => [s.timestamp, s.value]), [[now - 10_000, 60_000_000]]);
    assert.deepEqual(stacks(cpu), new Map([['work;main', 50_000_000], ['idle;main', 10_000_000]]));
    const routed = found.get(`__name__=process_cpu:samples:count:cpu:nanoseconds,env=prod,http_route=/users,region=eu,service_name=checkout`)!;
    assert.deepEqual(routed.samples.map((s) => s.value), [4]);
    assert.deepEqual(stacks(routed), new Map([['handler;serve;main', 4]]));
    assert.ok(series.every((s) => s.stacks.every((stack) => stack.timestamp === now - 10_000)));
  });

  test('gzip body, as the Node.js SDK sends it', async () => {
    const { response, series } = await ingest(pyroscopeRequest(gzip(pprofBytes(cpuProfile)), query));
    assert.equal(response.status, 200, response.body);
    assert.equal(series.length, 4);
  });

  test('Content-Encoding: gzip', async () => {
    const { response, series } = await ingest(pyroscopeRequest(gzip(pprofBytes(cpuProfile)), query, { 'content-encoding': 'gzip' }));
    assert.equal(response.status, 200, response.body);
    assert.equal(series.length, 4);
  });

  test('multipart form with a (gzipped) profile field and a sample_type_config', async () => {
    const boundary = 'strata-test-boundary';
    const config = JSON.stringify({ cpu: { 'display-name': 'cpu' } });
    const body = multipartBody(boundary, [
      { name: 'profile', filename: 'profile.pprof', body: gzip(pprofBytes(cpuProfile)) },
      { name: 'sample_type_config', filename: 'sample_type_config.json', body: Buffer.from(config) },
    ]);
    const { response, series } = await ingest(pyroscopeRequest(body, query, { 'content-type': `multipart/form-data; boundary=${boundary}` }));
    assert.equal(response.status, 200, response.body);
    assert.equal(series.length, 4);
  });

  test('profile families follow Pyroscope: wall, memory, goroutines', async () => {
    const cases: Array<[ProfileInput['sampleTypes'], [string, string], string]> = [
      [[['samples', 'count'], ['wall', 'microseconds']], ['wall', 'microseconds'], 'wall:wall:microseconds:wall:microseconds'],
      [[['inuse_objects', 'count'], ['inuse_space', 'bytes']], ['space', 'bytes'], 'memory:inuse_space:bytes:space:bytes'],
      [[['objects', 'count'], ['space', 'bytes']], ['space', 'bytes'], 'memory:objects:count:space:bytes'],
      [[['goroutine', 'count']], ['goroutine', 'count'], 'goroutines:goroutine:count:goroutine:count'],
    ];
    for (const [sampleTypes, periodType, expected] of cases) {
      const profile = pprofBytes({ sampleTypes, periodType, timeNanos: (now - 1000) * 1e6, samples: [{ stack: ['f'], values: sampleTypes.map(() => 1) }] });
      const { response, series } = await ingest(pyroscopeRequest(profile, { name: 'app' }));
      assert.equal(response.status, 200, response.body);
      assert.ok(series.some((s) => s.labels[0]!.value === expected), `${expected} in ${series.map((s) => s.labels[0]!.value)}`);
    }
  });

  test('time_nanos is floored to milliseconds from the int64 itself, not from a double of it', async () => {
    // As a double, one exact millisecond in eight came out as the millisecond before: 16 in a row.
    const times = Array.from({ length: 16 }, (_, i) => now - 10_016 + i);
    for (const ms of times) {
      for (const [nanos, expected] of [
        [BigInt(ms) * 1_000_000n, ms],
        [BigInt(ms) * 1_000_000n - 1n, ms - 1],
      ] as const) {
        const { response, series } = await ingest(pyroscopeRequest(pprofBytes({ ...cpuProfile, timeNanos: nanos }), query));
        assert.equal(response.status, 200, response.body);
        assert.deepEqual([...new Set(series.map((s) => s.samples[0]!.timestamp))], [expected], `time_nanos ${nanos}`);
      }
    }
  });

  test('the profile time comes from time_nanos, else from `from`', async () => {
    const { response, series } = await ingest(pyroscopeRequest(pprofBytes({ ...cpuProfile, timeNanos: 0 }), { ...query, from: String((now - 5000) / 1000) }));
    assert.equal(response.status, 200, response.body);
    assert.ok(series.length > 0);
    assert.ok(series.every((s) => s.samples[0]!.timestamp === now - 5000));
  });

  test('name parsing: labels, OpenTelemetry dots, service_name override, empty values', () => {
    assert.deepEqual(parsePushName('app{process.runtime.name=nodejs, env = prod ,empty=}'), {
      serviceName: 'app',
      labels: [
        { name: 'process_runtime_name', value: 'nodejs' },
        { name: 'env', value: 'prod' },
      ],
    });
    assert.deepEqual(parsePushName('app{service_name=other}'), { serviceName: 'other', labels: [] });
    assert.deepEqual(parsePushName('plain.app'), { serviceName: 'plain.app', labels: [] });
  });

  test('a profile with no samples is acknowledged and writes nothing', async () => {
    const { response, deps } = await ingest(pyroscopeRequest(pprofBytes({ ...cpuProfile, samples: [] }), query));
    assert.equal(response.status, 200);
    assert.equal(deps.store.putCalls, 0);
  });
});

describe('pyroscope /ingest: rejections write nothing', () => {
  async function rejected(request: ReturnType<typeof pyroscopeRequest>, status: number, pattern: RegExp, deps = testDeps()) {
    const response = await handleIngest(request, deps);
    assert.equal(response.status, status, response.body);
    assert.match(response.body, pattern);
    assert.equal(deps.store.putCalls, 0);
  }
  const profile = () => pprofBytes(cpuProfile);

  test('corrupt pprof → 400 naming pprof', () => rejected(pyroscopeRequest(Uint8Array.of(0x0a, 0x05, 0x08), query), 400, /corrupt pprof/));
  test('pprof with inconsistent sample values → 400', () => {
    const bad = pprofBytes({ ...cpuProfile, samples: [{ stack: ['f'], values: [1] }] });
    return rejected(pyroscopeRequest(bad, query), 400, /corrupt pprof: sample 0 has 1 values but the profile declares 2 sample types/);
  });
  test('corrupt gzip → 400 naming gzip', () => {
    const zipped = gzip(profile());
    return rejected(pyroscopeRequest(zipped.subarray(0, zipped.length - 8), query), 400, /corrupt gzip/);
  });
  test('a gzip bomb → 413 as soon as the output passes the limit', () =>
    rejected(pyroscopeRequest(gzip(new Uint8Array(2 << 20)), query), 413, /more than the limit/, testDeps({ config: { limits: { maxBodyBytes: 10 << 20, maxDecodedBytes: 1 << 20, maxFutureMs: 3_600_000 } } })));
  test('format other than pprof → 415', () => rejected(pyroscopeRequest(profile(), { ...query, format: 'folded' }), 415, /format "folded"/));
  test('a content type other than octet-stream or multipart → 415', () =>
    rejected(pyroscopeRequest(profile(), query, { 'content-type': 'application/json' }), 415, /octet-stream or multipart/));
  test('an unsupported content encoding → 415', () => rejected(pyroscopeRequest(profile(), query, { 'content-encoding': 'br' }), 415, /Content-Encoding "br"/));
  test('multipart without a profile field → 400', () => {
    const body = multipartBody('b', [{ name: 'other', body: profile() }]);
    return rejected(pyroscopeRequest(body, query, { 'content-type': 'multipart/form-data; boundary=b' }), 400, /no "profile" field/);
  });
  test('missing name → 400', () => rejected(pyroscopeRequest(profile(), { format: 'pprof' }), 400, /name query parameter/));
  test('an invalid label name in the name → 400', () => rejected(pyroscopeRequest(profile(), { ...query, name: 'app{bad-name=x}' }), 400, /"bad-name"/));
  test('__name__ in the name → 400', () => rejected(pyroscopeRequest(profile(), { ...query, name: 'app{__name__=x}' }), 400, /may not set __name__/));
  test('an invalid sample label name → 400', () => {
    const bad = pprofBytes({ ...cpuProfile, samples: [{ stack: ['f'], values: [1, 1], labels: { 'not valid': 'x' } }] });
    return rejected(pyroscopeRequest(bad, query), 400, /"not valid"/);
  });
  test('from that is not a number → 400', () => rejected(pyroscopeRequest(profile(), { ...query, from: 'yesterday' }), 400, /from must be a Unix time/));
  test('a profile stamped far in the future → 400', () =>
    rejected(pyroscopeRequest(pprofBytes({ ...cpuProfile, timeNanos: (now + 7_200_000) * 1e6 }), query), 400, /too far in the future/));
});
