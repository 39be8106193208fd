/**
 * Remote write through `handleIngest`: what lands in the segments (read back with the format's own
 * validating reader), what is dropped, and every way a request is rejected with nothing written.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappyjs';
import { prometheus } from '../../lib/gen/prometheus.js';
import { handleIngest } from '../../lib/ingest/handler.js';
import { knownSeries, parseRemoteWrite } from '../../lib/ingest/remote-write.js';
import { regionHash, SeriesCache } from '../../lib/ingest/series-cache.js';
import { shardOf, sortLabels } from '../../lib/segment/labels.js';
import {
  labelKey,
  now,
  remoteWriteRequest,
  seriesMap,
  storedSegments,
  testDeps,
  writeRequestBytes,
  type TimeSeriesInput,
} from '../helpers/ingest-fixtures.js';

async function push(series: TimeSeriesInput[], deps = testDeps()) {
  const response = await handleIngest(remoteWriteRequest(writeRequestBytes(series)), deps);
  return { response, deps, segments: storedSegments(deps.store) };
}

async function rejected(request: ReturnType<typeof remoteWriteRequest>, status: number, pattern: RegExp) {
  const deps = testDeps();
  const response = await handleIngest(request, deps);
  assert.equal(response.status, status, response.body);
  assert.match(response.body, pattern);
  assert.equal(deps.store.putCalls, 0, 'a rejected request writes nothing');
}

const up = (job: string, samples: Array<[number, number]> = [[now - 1000, 1]]): TimeSeriesInput => ({ labels: { __name__: 'up', job }, samples });

describe('remote write: what is stored', () => {
  test('each series lands once, in the shard shardOf gives it, with its samples', async () => {
    const input = Array.from({ length: 50 }, (_, i) => up(`job-${i}`, [[now - 2000, i], [now - 1000, i + 0.5]]));
    const { response, segments } = await push(input);
    assert.equal(response.status, 204);
    const stored = seriesMap(segments);
    assert.equal(stored.size, 50);
    for (const [i] of input.entries()) {
      assert.deepEqual(stored.get(labelKey([['__name__', 'up'], ['job', `job-${i}`]])), [[now - 2000, i], [now - 1000, i + 0.5]]);
    }
    for (const segment of segments) {
      for (const series of segment.series) assert.equal(shardOf(series.labels, 4), segment.header.shard);
      assert.equal(segment.header.shardCount, 4);
      assert.equal(segment.header.createdBy, 'strata-ingest/0.1.0');
      assert.equal(segment.header.createdAtMs, now);
    }
  });

  test('values pass through bit for bit, including the staleness NaN and -0', async () => {
    const deps = testDeps();
    const staleNaN = new Uint8Array(Float64Array.of(0).buffer);
    new DataView(staleNaN.buffer).setBigUint64(0, 0x7ff0000000000002n, true);
    const placeholder = 12345.678;
    const body = writeRequestBytes([up('a', [[now - 3000, -0], [now - 2000, Infinity], [now - 1000, placeholder]])]);
    // Put the staleness marker's exact bytes in place of the placeholder (an encoder might normalise NaN).
    const patched = Uint8Array.from(body);
    patched.set(staleNaN, indexOf(patched, new Uint8Array(Float64Array.of(placeholder).buffer)));
    assert.equal((await handleIngest(remoteWriteRequest(patched), deps)).status, 204);
    const [segment] = [...deps.store.objects.values()];
    const decodedChunk = chunkBytes(segment!.body);
    assert.ok(indexOf(decodedChunk, staleNaN) >= 0, 'the staleness marker bytes are in the segment');
    const [series] = storedSegments(deps.store)[0]!.series;
    assert.ok(Object.is(series!.samples[0]!.value, -0));
    assert.equal(series!.samples[1]!.value, Infinity);
    assert.ok(Number.isNaN(series!.samples[2]!.value));
  });

  test('exemplars, native histograms and metadata are dropped; a histogram-only series is dropped', async () => {
    const input: TimeSeriesInput[] = [
      { ...up('a'), exemplars: [{ labels: { trace_id: 'abc' }, value: 1, timestamp: now - 1000 }], histograms: 2 },
      { labels: { __name__: 'latency' }, samples: [], histograms: 3 },
    ];
    const deps = testDeps();
    const response = await handleIngest(remoteWriteRequest(writeRequestBytes(input, 5)), deps);
    assert.equal(response.status, 204);
    const segments = storedSegments(deps.store);
    assert.equal(segments.length, 1);
    assert.deepEqual(segments[0]!.series.map((s) => s.labels.map(({ name, value }) => ({ name, value }))), [sortLabels([{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }])]);
    const batch = parseRemoteWrite(snappy.uncompress(remoteWriteRequest(writeRequestBytes(input, 5)).body), { shardCount: 4, maxTimestampMs: now });
    assert.deepEqual(batch.dropped, { exemplars: 1, histograms: 5, metadata: 5, series: 1 });
  });

  test('unsorted labels and samples are sorted, empty label values dropped, repeated series merged', async () => {
    const { response, segments } = await push([
      { labels: [['job', 'b'], ['__name__', 'up'], ['zone', '']], samples: [[now - 1000, 2], [now - 3000, 1]] },
      { labels: [['__name__', 'up'], ['job', 'b']], samples: [[now - 2000, 1.5]] },
    ]);
    assert.equal(response.status, 204);
    assert.deepEqual([...seriesMap(segments)], [[labelKey([['__name__', 'up'], ['job', 'b']]), [[now - 3000, 1], [now - 2000, 1.5], [now - 1000, 2]]]]);
  });

  test('series are written in label order across the request (the reader enforces it)', async () => {
    // Includes a NUL byte, and code points whose UTF-16 order differs from their UTF-8 order.
    const input = ['zeta', 'alpha', 'Mid', '_x', 'ünïcode', 'a', 'a\0b', 'a\0', '\u{1F600}', '\uFF5E', 'z\u{10000}', 'z\uFFFF'].map((job) => up(job));
    const { segments } = await push(input);
    assert.equal(segments.reduce((n, s) => n + s.series.length, 0), input.length);
  });

  test('series with more labels than the sort packs into one key are ordered and merged by all of them', async () => {
    // 16 labels of up to 8 values each: too many ranks to pack every label, so prefixes tie and the
    // later labels decide; some series are sent twice, in another place, with other samples.
    let seed = 7;
    const random = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const labelSets = Array.from({ length: 400 }, (_, i) => [
      ['__name__', `m${i % 3}`],
      ...Array.from({ length: 15 }, (_, l): [string, string] => [`l${String(l).padStart(2, '0')}`, `v${l < 6 ? i % 2 : random(8)}`]),
    ] as Array<[string, string]>);
    const input: TimeSeriesInput[] = labelSets.map((labels, i) => ({ labels, samples: [[now - 10_000 + i, i]] }));
    for (let i = 0; i < 40; i++) input.push({ labels: labelSets[i * 7]!, samples: [[now - 20_000 - i, -i]] });
    for (let i = input.length - 1; i > 0; i--) {
      const j = random(i + 1);
      [input[i], input[j]] = [input[j]!, input[i]!];
    }
    const { response, segments } = await push(input);
    assert.equal(response.status, 204, response.body);
    // storedSegments reads with the format's validating reader, which refuses series out of label order.
    const expected = new Map<string, Array<[number, number]>>();
    for (const one of input) {
      const key = labelKey(one.labels as Array<[string, string]>);
      expected.set(key, [...(expected.get(key) ?? []), ...one.samples].sort((a, b) => a[0] - b[0]));
    }
    assert.ok(expected.size < input.length, 'some label sets repeat');
    assert.deepEqual(new Map([...seriesMap(segments)].sort()), new Map([...expected].sort()));
  });

  test('matches an independent decode for random requests (property)', async () => {
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((n) => n !== '__name__');
    const series = fc.record({
      name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,10}$/),
      labels: fc.uniqueArray(fc.tuple(labelName, fc.string({ minLength: 1, maxLength: 6 })), { selector: ([n]) => n, maxLength: 4 }),
      samples: fc.array(fc.tuple(fc.integer({ min: now - 1e7, max: now }), fc.double({ noNaN: true })), { minLength: 1, maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(series, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 8 }), async (input, shardCount) => {
        const deps = testDeps({ config: { shardCount } });
        const body = writeRequestBytes(input.map((s) => ({ labels: [['__name__', s.name], ...s.labels], samples: s.samples })));
        const response = await handleIngest(remoteWriteRequest(body), deps);
        assert.equal(response.status, 204, response.body);
        // The model: decode with protobufjs, merge by label set, sort samples stably by time.
        const expected = new Map<string, Array<[number, number]>>();
        for (const ts of prometheus.WriteRequest.decode(body).timeseries) {
          const key = labelKey((ts.labels ?? []).map((l) => [l.name ?? '', l.value ?? '']));
          expected.set(key, [...(expected.get(key) ?? []), ...(ts.samples ?? []).map((s): [number, number] => [s.timestamp ?? 0, s.value ?? 0])]);
        }
        for (const samples of expected.values()) samples.sort((a, b) => a[0] - b[0]);
        const stored = storedSegments(deps.store);
        assert.deepEqual(new Map([...seriesMap(stored)].sort()), new Map([...expected].sort()));
        for (const segment of stored) for (const s of segment.series) assert.equal(shardOf(s.labels, shardCount), segment.header.shard);
      }),
      { numRuns: 60 },
    );
  });
});

describe('remote write: rejections write nothing', () => {
  const valid = () => writeRequestBytes([up('a')]);

  test('wrong content type → 415', () => rejected(remoteWriteRequest(valid(), { 'content-type': 'application/json' }), 415, /Content-Type application\/x-protobuf/));
  test('remote write 2.0 message → 415', () =>
    rejected(remoteWriteRequest(valid(), { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' }), 415, /only 1.0/));
  test('missing or wrong content encoding → 415', async () => {
    await rejected(remoteWriteRequest(valid(), { 'content-encoding': 'gzip' }), 415, /Content-Encoding snappy/);
    const request = remoteWriteRequest(valid());
    delete (request.headers as Record<string, string>)['content-encoding'];
    await rejected(request, 415, /Content-Encoding snappy, got none/);
  });
  test('corrupt snappy → 400 naming snappy', () => {
    const body = snappy.compress(valid());
    return rejected(remoteWriteRequest(body.subarray(0, body.length - 3), {}, false), 400, /corrupt snappy/);
  });
  test('corrupt protobuf → 400 naming protobuf', () =>
    rejected(remoteWriteRequest(Uint8Array.of(0x0a, 0x20, 0x0a, 0x02)), 400, /corrupt protobuf: .*runs past the end/));
  test('a body over the compressed limit → 413', async () => {
    const deps = testDeps({ config: { limits: { maxBodyBytes: 100, maxDecodedBytes: 64 << 20, maxFutureMs: 3_600_000 } } });
    const response = await handleIngest(remoteWriteRequest(new Uint8Array(101), {}, false), deps);
    assert.equal(response.status, 413);
    assert.equal(deps.store.putCalls, 0);
  });
  test('a snappy preamble declaring more than the decoded limit → 413 before decompressing', async () => {
    // 5-byte varint for 2^31, then nothing: snappyjs would allocate 2 GiB if asked to decode it.
    const bomb = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x08);
    await rejected(remoteWriteRequest(bomb, {}, false), 413, /declares 2147483648 decoded bytes/);
  });
  test('invalid label name → 400', () => rejected(remoteWriteRequest(writeRequestBytes([{ labels: { __name__: 'up', 'bad-name': 'x' }, samples: [[now, 1]] }])), 400, /label name "bad-name"/));
  test('empty label name → 400', () => rejected(remoteWriteRequest(writeRequestBytes([{ labels: { __name__: 'up', '': 'x' }, samples: [[now, 1]] }])), 400, /empty name/));
  test('duplicate label name → 400', () =>
    rejected(remoteWriteRequest(writeRequestBytes([{ labels: [['__name__', 'up'], ['job', 'a'], ['job', 'b']], samples: [[now, 1]] }])), 400, /job appears twice/));
  test('duplicate label name, unsorted → 400', () =>
    rejected(remoteWriteRequest(writeRequestBytes([{ labels: [['job', 'a'], ['__name__', 'up'], ['job', 'b']], samples: [[now, 1]] }])), 400, /job appears twice/));
  test('invalid metric name → 400', () => rejected(remoteWriteRequest(writeRequestBytes([{ labels: { __name__: '1up' }, samples: [[now, 1]] }])), 400, /metric name "1up" is not valid/));
  test('no metric name → 400', () => rejected(remoteWriteRequest(writeRequestBytes([{ labels: { job: 'a' }, samples: [[now, 1]] }])), 400, /no __name__/));
  test('a label value that is not UTF-8 → 400', () => {
    const body = writeRequestBytes([{ labels: { __name__: 'up', job: 'aé' }, samples: [[now, 1]] }]);
    const patched = Uint8Array.from(body);
    patched[indexOf(patched, Buffer.from('é'))] = 0xff;
    return rejected(remoteWriteRequest(patched), 400, /not valid UTF-8/);
  });
  test('a timestamp more than the allowed hour in the future → 400', () =>
    rejected(remoteWriteRequest(writeRequestBytes([up('a', [[now + 3_600_001, 1]])])), 400, /too far in the future/));
  test('a timestamp beyond ±2^53 ms → 400', () =>
    rejected(remoteWriteRequest(writeRequestBytes([up('a', [[-(2 ** 60), 1]])])), 400, /outside the range/));
  test('one bad series rejects the whole request', () =>
    rejected(remoteWriteRequest(writeRequestBytes([up('a'), up('b'), { labels: { __name__: 'x y' }, samples: [[now, 1]] }])), 400, /"x y" is not valid/));
});

describe('remote write: label sets seen in earlier requests (the series cache)', () => {
  // Label values unique to this block, so that the first push of each test is a miss.
  const fresh = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

  test('a repeated request stores the same bytes under the same keys as its first push', async () => {
    const job = fresh('repeat');
    const input = Array.from({ length: 30 }, (_, i) => ({ labels: { __name__: `m${i % 4}`, instance: `i${i}`, job }, samples: [[now - 1000, i]] as Array<[number, number]> }));
    const before = { hits: knownSeries.hits, size: knownSeries.size };
    const first = await push(input);
    assert.deepEqual({ hits: knownSeries.hits - before.hits, size: knownSeries.size - before.size }, { hits: 0, size: 30 }, 'the first push checks and keeps every label set');
    const second = await push(input);
    assert.deepEqual({ hits: knownSeries.hits - before.hits, size: knownSeries.size - before.size }, { hits: 30, size: 30 }, 'the second finds all 30 and keeps nothing new');
    assert.equal(second.response.status, 204);
    assert.deepEqual([...second.deps.store.objects].map(([key, { body }]) => [key, Buffer.from(body)]), [...first.deps.store.objects].map(([key, { body }]) => [key, Buffer.from(body)]));
  });

  test('a label set that differs from a known one in a single byte is checked as new', async () => {
    const job = fresh('near');
    await push([up(job)]);
    const twin = `${job.slice(0, -1)}${job.endsWith('x') ? 'y' : 'x'}`;
    const { response, segments } = await push([up(job), up(twin)]);
    assert.equal(response.status, 204);
    assert.deepEqual([...seriesMap(segments).keys()].sort(), [labelKey([['__name__', 'up'], ['job', job]]), labelKey([['__name__', 'up'], ['job', twin]])].sort());
    await rejected(remoteWriteRequest(writeRequestBytes([up(job), { labels: { __name__: 'up', job: `${job}-bad`, 'bad-name': 'x' }, samples: [[now, 1]] }])), 400, /label name "bad-name"/);
  });

  test('a cache entry is found by its bytes only, never by its hash alone', () => {
    const cache = new SeriesCache();
    const bytes = Buffer.from('\x0a\x0b\x0a\x03job\x12\x04api1');
    const labels = Int32Array.of(4, 7, 9, 13);
    cache.add(bytes, 0, bytes.length, 42, 7, labels, 0, Int32Array.of(0), 1);
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    assert.ok(cache.find(view(Buffer.from(bytes)), 0, bytes.length, 42) >= 0);
    const other = Buffer.from('\x0a\x0b\x0a\x03job\x12\x04api2');
    assert.equal(cache.find(view(other), 0, other.length, 42), -1, 'same hash, other bytes');
    assert.notEqual(regionHash(view(bytes), 0, bytes.length), regionHash(view(other), 0, other.length));

    const used = cache.usedBytes;
    cache.clear();
    assert.equal(cache.find(view(Buffer.from(bytes)), 0, bytes.length, 42), -1, 'cleared');
    assert.ok(cache.usedBytes < used);
    cache.add(other, 0, other.length, 42, 9, labels, 0, Int32Array.of(0), 1);
    const entry = cache.find(view(other), 0, other.length, 42);
    assert.equal(cache.shardHash(entry), 9, 'the memory is reused for new entries');
  });

  test('a known label set with a bad sample is rejected naming the series', async () => {
    const job = fresh('future');
    await push([up(job)]);
    await rejected(remoteWriteRequest(writeRequestBytes([up(job, [[now + 3_600_001, 1]])])), 400, new RegExp(`series up\\{job="${job}"\\}: timestamp .* too far in the future`));
  });

  test('a known label set followed by another label field after the samples keeps every label', async () => {
    const job = fresh('trailing');
    await push([up(job)]);
    // TimeSeries fields in the order labels, samples, label: the cached leading labels are not the whole set.
    const timeSeries = Buffer.concat([
      prometheus.TimeSeries.encode({ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: job }], samples: [{ timestamp: now - 1000, value: 1 }] }).finish(),
      prometheus.TimeSeries.encode({ labels: [{ name: 'zone', value: 'b' }] }).finish(),
    ]);
    const deps = testDeps();
    const before = { hits: knownSeries.hits, size: knownSeries.size };
    const response = await handleIngest(remoteWriteRequest(Buffer.concat([Uint8Array.of(0x0a), varint(timeSeries.length), timeSeries])), deps);
    assert.deepEqual({ hits: knownSeries.hits - before.hits, size: knownSeries.size - before.size }, { hits: 1, size: 0 }, 'the leading labels are found, and the whole set is not kept');
    const segments = storedSegments(deps.store);
    assert.equal(response.status, 204, response.body);
    assert.deepEqual([...seriesMap(segments).keys()], [labelKey([['__name__', 'up'], ['job', job], ['zone', 'b']])]);
  });
});

function varint(value: number): Uint8Array {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return Uint8Array.from(out);
}

/** The decoded body (SeriesBody) of a single-chunk segment file. */
function chunkBytes(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset);
  const headerLength = view.getUint32(8, true);
  const chunkAt = 12 + headerLength + 4;
  const stored = view.getUint32(chunkAt, true);
  return snappy.uncompress(file.subarray(chunkAt + 12, chunkAt + 12 + stored));
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle));
}
