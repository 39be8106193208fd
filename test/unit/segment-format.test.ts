import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import { strata } from '../../lib/gen/segment.js';
import {
  BadMagicError,
  ChecksumMismatchError,
  CorruptBodyError,
  HeaderMismatchError,
  InvalidSeriesError,
  SegmentFormatError,
  SizeLimitError,
  TruncatedFileError,
  UnsupportedVersionError,
} from '../../lib/segment/errors.js';
import {
  FileReader,
  FileWriter,
  assembleFile,
  chunkHeaderBytes,
  decodeFile,
  encodeFile,
  preambleBytes,
  sealChunk,
  seriesOf,
  StreamedFileReader,
  type RangedFile,
  type Series,
} from '../../lib/segment/format.js';
import { parseDataKey, segmentKey } from '../../lib/segment/keys.js';
import { compareLabelSets } from '../../lib/segment/labels.js';
import { encodeEntry, encodeSeriesEntry } from '../../lib/segment/encode.js';
import { goldenIdentity, goldenSeries } from '../helpers/golden.js';
import { sampleUlid, segmentIdentity, series } from '../helpers/segments.js';

const twoSeries = [
  series('http_requests_total', { job: 'api', code: '200' }, [[1000, 1], [2000, 2]]),
  series('up', { job: 'api' }, [[1500, 1]]),
];

/** Offsets of the parts of a file, read from its preamble. */
function layout(bytes: Uint8Array) {
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const firstChunk = preambleBytes + headerBytes + 4;
  return { headerCrc: preambleBytes + headerBytes, firstChunk };
}

/** Rewrites the header CRC so that a test can reach the checks behind it. */
function resealHeader(bytes: Uint8Array): Uint8Array {
  const { headerCrc } = layout(bytes);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(headerCrc, crc32(bytes.subarray(0, headerCrc)), true);
  return bytes;
}

/** A chunk with these stored bytes and declared decoded length, sealed with a correct CRC. */
function rawChunk(stored: Uint8Array, decodedBytes: number): Uint8Array {
  const chunk = new Uint8Array(chunkHeaderBytes + stored.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, stored.length, true);
  view.setUint32(4, decodedBytes, true);
  view.setUint32(8, crc32(stored), true);
  chunk.set(stored, chunkHeaderBytes);
  return chunk;
}

const oneSampleFields = { ...segmentIdentity(), sources: [], minTimeMs: 1500, maxTimeMs: 1500, seriesCount: 1, sampleCount: 1 };

function expectReject(bytes: Uint8Array, ErrorType: new (...args: never[]) => SegmentFormatError, message: RegExp, options = {}) {
  assert.throws(() => decodeFile(bytes, options), (error: unknown) => {
    assert.ok(error instanceof ErrorType, `expected ${ErrorType.name}, got ${String(error)}`);
    assert.match((error as Error).message, message);
    return true;
  });
}

describe('segment format: round trip', () => {
  it('decodes what it encodes, with series sorted and header counts computed', () => {
    const bytes = encodeFile(segmentIdentity(), [...twoSeries].reverse());
    const { header, series: decoded } = decodeFile(bytes);
    assert.equal(header.kind, 'segment');
    assert.equal(header.seriesCount, 2);
    assert.equal(header.sampleCount, 3);
    assert.equal(header.minTimeMs, 1000);
    assert.equal(header.maxTimeMs, 2000);
    assert.deepEqual(
      decoded.map((s) => s.labels.map((l) => `${l.name}=${l.value}`).join(',')),
      ['__name__=http_requests_total,code=200,job=api', '__name__=up,job=api'],
    );
    assert.deepEqual(decoded[0]!.samples.map((s) => [s.timestamp, s.value]), [[1000, 1], [2000, 2]]);
  });

  it('keeps profile stacks and the function table', () => {
    const profile: Series = {
      ...series('process_cpu:cpu:nanoseconds:cpu:nanoseconds', { service_name: 'api' }, [[1000, 30]]),
      functions: ['main', 'handler', 'parse'],
      stacks: [
        { timestamp: 1000, frames: [2, 1, 0], value: 20 },
        { timestamp: 1000, frames: [1, 0], value: 10 },
      ],
    };
    const [decoded] = decodeFile(encodeFile(segmentIdentity(), [profile])).series;
    assert.deepEqual(decoded!.functions, profile.functions);
    assert.deepEqual(decoded!.stacks.map((s) => [s.timestamp, [...s.frames], s.value]), [[1000, [2, 1, 0], 20], [1000, [1, 0], 10]]);
  });

  it('writes a block with its sources sorted and checks it against its key', () => {
    const sources = [segmentKey('team-a', 0, '01JD5Z3Q4R8X9V2W6T7Y0K1M3P'), segmentKey('team-a', 0, sampleUlid)];
    const bytes = encodeFile(segmentIdentity({ level: 1, id: 'L1-00000007', sources }), twoSeries);
    const { header } = decodeFile(bytes, { expectKey: parseDataKey('blocks/team-a/0/L1/L1-00000007.blk') });
    assert.equal(header.kind, 'block');
    assert.deepEqual(header.sources, [...sources].sort());
  });

  it('splits the body into chunks and streams them', () => {
    const many = Array.from({ length: 500 }, (_, i) => series('m', { i: String(i).padStart(4, '0') }, [[i, i]]));
    const writer = new FileWriter(segmentIdentity(), 1024);
    for (const one of many) writer.add(one);
    const reader = FileReader.open(writer.finish());
    assert.ok(reader.header.chunkCount > 5, `expected several chunks, got ${reader.header.chunkCount}`);
    assert.equal([...reader.series()].length, 500);
  });

  it('encodes the same input to the same bytes', () => {
    assert.deepEqual(encodeFile(segmentIdentity(), twoSeries), encodeFile(segmentIdentity(), [...twoSeries].reverse()));
  });

  it('property: random series round-trip exactly', () => {
    const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((n) => n !== '__name__');
    const labelValue = fc.string({ minLength: 1, maxLength: 12, unit: 'binary' });
    const sampleList = fc
      .array(fc.tuple(fc.integer({ min: -1e12, max: 4e12 }), fc.double({ noNaN: true })), { minLength: 1, maxLength: 20 })
      .map((samples) => samples.sort((a, b) => a[0] - b[0]));
    const oneSeries = fc.record({
      name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/),
      labels: fc.dictionary(labelName, labelValue, { maxKeys: 5 }),
      samples: sampleList,
    });
    fc.assert(
      fc.property(fc.array(oneSeries, { maxLength: 30 }), fc.integer({ min: 64, max: 4096 }), (specs, chunkTarget) => {
        const unique = new Map<string, Series>();
        for (const spec of specs) {
          const made = series(spec.name, spec.labels, spec.samples);
          unique.set(JSON.stringify(made.labels), made);
        }
        const input = [...unique.values()].sort((a, b) => compareLabelSets(a.labels, b.labels));
        const writer = new FileWriter(segmentIdentity(), chunkTarget);
        for (const one of input) writer.add(one);
        const decoded = decodeFile(writer.finish()).series;
        assert.deepEqual(
          decoded.map((s) => ({ labels: s.labels.map((l) => ({ ...l })), samples: s.samples.map((x) => [x.timestamp, x.value]) })),
          input.map((s) => ({ labels: s.labels, samples: s.samples.map((x) => [x.timestamp, x.value]) })),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('segment format: the decoder rejects', () => {
  const good = () => encodeFile(segmentIdentity(), twoSeries);

  it('bad magic', () => {
    const bytes = good();
    bytes[0] = 0x50;
    expectReject(bytes, BadMagicError, /bad magic/);
  });

  it('an unknown format version', () => {
    const bytes = good();
    bytes[4] = 9;
    expectReject(bytes, UnsupportedVersionError, /version 9 is not supported/);
  });

  it('unknown flags', () => {
    const bytes = good();
    bytes[6] = 1;
    expectReject(bytes, UnsupportedVersionError, /flags/);
  });

  it('a header checksum mismatch', () => {
    const bytes = good();
    bytes[preambleBytes + 2]! ^= 0x01;
    expectReject(bytes, ChecksumMismatchError, /header checksum/);
  });

  it('a chunk checksum mismatch', () => {
    const bytes = good();
    bytes[bytes.length - 3]! ^= 0x40;
    expectReject(bytes, ChecksumMismatchError, /chunk 1 checksum/);
  });

  it('truncation at every length', () => {
    const bytes = good();
    for (let length = 0; length < bytes.length; length++) {
      assert.throws(() => decodeFile(bytes.subarray(0, length)), TruncatedFileError, `truncated to ${length} bytes`);
    }
  });

  it('bytes after the last chunk', () => {
    const bytes = good();
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expectReject(longer, SegmentFormatError, /unexpected bytes after the last chunk/);
  });

  it('a header length above the limit, before reading it', () => {
    const bytes = good();
    new DataView(bytes.buffer).setUint32(8, 0xffffffff, true);
    expectReject(bytes, SizeLimitError, /header declares 4294967295 bytes/);
  });

  it('a chunk whose declared decoded length is above the limit, before decompressing', () => {
    const bytes = good();
    const { firstChunk } = layout(bytes);
    new DataView(bytes.buffer).setUint32(firstChunk + 4, 0x7fffffff, true);
    expectReject(bytes, SizeLimitError, /chunk 1 declares 2147483647 decoded bytes/);
  });

  it('a body whose declared decoded size is above the caller\'s limit', () => {
    expectReject(good(), SizeLimitError, /body declares \d+ decoded bytes, above the limit of 10/, { limits: { maxBodyDecodedBytes: 10 } });
  });

  it('a snappy stream that claims more than its chunk header (a decompression bomb)', () => {
    const bomb = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00); // varint preamble: 4 GiB
    expectReject(assembleFile(oneSampleFields, [rawChunk(bomb, 100)]), CorruptBodyError, /snappy stream length 4294967295 disagrees/);
  });

  it('a chunk that is not valid snappy', () => {
    const garbage = Uint8Array.of(20, 0xff, 0xff, 0xff, 0xff);
    expectReject(assembleFile(oneSampleFields, [rawChunk(garbage, 20)]), CorruptBodyError, /not valid snappy/);
  });

  it('a chunk that is not valid protobuf', () => {
    const decoded = Uint8Array.of(0x0a, 0x7f, 0x01);
    expectReject(assembleFile(oneSampleFields, [sealChunk(decoded)]), CorruptBodyError, /not a valid SeriesBody/);
  });

  it('unsorted labels', () => {
    const bad = { ...twoSeries[1]!, labels: [{ name: 'job', value: 'api' }, { name: '__name__', value: 'up' }] };
    expectReject(bodyWith([bad]), InvalidSeriesError, /not sorted by name/);
  });

  it('duplicate labels', () => {
    const bad = { ...twoSeries[1]!, labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }, { name: 'job', value: 'b' }] };
    expectReject(bodyWith([bad]), InvalidSeriesError, /label job appears twice/);
  });

  it('a series without __name__, an empty value and an invalid label name', () => {
    expectReject(bodyWith([{ ...twoSeries[1]!, labels: [{ name: 'job', value: 'a' }] }]), InvalidSeriesError, /no __name__/);
    expectReject(bodyWith([{ ...twoSeries[1]!, labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: '' }] }]), InvalidSeriesError, /empty value/);
    expectReject(bodyWith([{ ...twoSeries[1]!, labels: [{ name: '__name__', value: 'up' }, { name: 'a-b', value: 'x' }] }]), InvalidSeriesError, /not a valid Prometheus label name/);
  });

  it('series out of order or repeated', () => {
    expectReject(bodyWith([twoSeries[1]!, twoSeries[0]!]), InvalidSeriesError, /not sorted and unique/);
    expectReject(bodyWith([twoSeries[1]!, twoSeries[1]!]), InvalidSeriesError, /not sorted and unique/);
  });

  it('a series in a shard other than the segment\'s', () => {
    const fields = { ...oneSampleFields, shard: 1, shardCount: 2 };
    const entry = encodeSeriesEntry(twoSeries[1]!); // up{job="api"} hashes to shard 0 of 2
    expectReject(assembleFile(fields, [sealChunk(entry)]), InvalidSeriesError, /belongs to shard 0 of 2, not 1/);
  });

  it('samples out of time order', () => {
    expectReject(bodyWith([series('up', {}, [[2, 1], [1, 1]])]), InvalidSeriesError, /not sorted by timestamp/);
  });

  it('a header that disagrees with the object key', () => {
    const bytes = good();
    const otherTenant = parseDataKey(segmentKey('team-b', 0, sampleUlid));
    expectReject(bytes, HeaderMismatchError, /header says tenant "team-a" but the key .* says "team-b"/, { expectKey: otherTenant });
    const otherShard = parseDataKey(segmentKey('team-a', 1, sampleUlid));
    expectReject(bytes, HeaderMismatchError, /shard 0 but the key/, { expectKey: otherShard });
    const aBlock = parseDataKey(`blocks/team-a/0/L1/${sampleUlid}.blk`);
    expectReject(bytes, HeaderMismatchError, /kind "segment" but the key/, { expectKey: aBlock });
  });

  it('a header whose counts or time range disagree with the body', () => {
    const entry = encodeSeriesEntry(twoSeries[1]!);
    const fields = oneSampleFields;
    assert.doesNotThrow(() => decodeFile(assembleFile(fields, [sealChunk(entry)])));
    expectReject(assembleFile({ ...fields, seriesCount: 2 }, [sealChunk(entry)]), HeaderMismatchError, /declares 2 series and 1 samples, the body holds 1 and 1/);
    expectReject(assembleFile({ ...fields, sampleCount: 5 }, [sealChunk(entry)]), HeaderMismatchError, /declares 1 series and 5 samples/);
    expectReject(assembleFile({ ...fields, maxTimeMs: 1400, minTimeMs: 0 }, [sealChunk(entry)]), HeaderMismatchError, /outside the header's time range/);
  });

  it('a segment that names sources, and a kind that disagrees with the level', () => {
    const entry = encodeSeriesEntry(twoSeries[1]!);
    expectReject(assembleFile({ ...oneSampleFields, sources: ['segments/x'] }, [sealChunk(entry)]), HeaderMismatchError, /a segment cannot name sources/);
    const bytes = good();
    bytes[5] = 2; // claims to be a block while the header says level 0
    expectReject(resealHeader(bytes), HeaderMismatchError, /a block cannot have level 0/);
  });
});

describe('segment format: the streamed reader', () => {
  /** A RangedFile over `bytes` that starts with `startBytes` of them and records every read. */
  function rangedFile(bytes: Uint8Array, startBytes: number, reads: Array<[number, number]> = []): RangedFile {
    return {
      size: bytes.length,
      start: bytes.subarray(0, startBytes),
      async read(offset, length) {
        assert.ok(offset >= 0 && length > 0 && offset + length <= bytes.length, `read ${offset}+${length} of ${bytes.length} bytes`);
        reads.push([offset, length]);
        return bytes.slice(offset, offset + length);
      },
    };
  }

  async function streamedSeries(file: RangedFile, windowBytes: number): Promise<Series[]> {
    const reader = await StreamedFileReader.open(file, { windowBytes });
    const out: Series[] = [];
    for await (const batch of reader.chunkEntries()) out.push(...batch.map(seriesOf));
    return out;
  }

  /** What a reader threw, as "Name: message", or 'ok'. */
  async function outcome(read: () => Promise<unknown>): Promise<string> {
    try {
      await read();
      return 'ok';
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  }

  const manyChunks = () => {
    const writer = new FileWriter(segmentIdentity(), 512);
    for (let i = 0; i < 300; i++) writer.add(series('m', { i: String(i).padStart(4, '0') }, [[i, i * 1.5], [i + 1, -i]]));
    return writer.finish();
  };

  it('property: reads what FileReader reads, through any window and any first read', async () => {
    const bytes = manyChunks();
    const expected = [...FileReader.open(bytes).series()];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: bytes.length + 10 }), fc.integer({ min: 0, max: bytes.length }), async (windowBytes, startBytes) => {
        const reads: Array<[number, number]> = [];
        assert.deepEqual(await streamedSeries(rangedFile(bytes, startBytes, reads), windowBytes), expected);
        // Forward only: every byte after the first read is read once, or twice where a window was
        // abandoned for a chunk header or chunk larger than it.
        const read = reads.reduce((sum, [, length]) => sum + length, 0);
        assert.ok(read <= 2 * bytes.length + 2 * windowBytes, `${read} bytes read for a ${bytes.length}-byte file`);
      }),
      { numRuns: 150 },
    );
  });

  it('property: a damaged file fails as in FileReader, on open or while read', async () => {
    const bytes = manyChunks();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ flip: fc.integer({ min: 0, max: bytes.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ truncate: fc.integer({ min: 0, max: bytes.length - 1 }) }),
          fc.record({ extra: fc.integer({ min: 1, max: 40 }) }),
        ),
        fc.integer({ min: 1, max: 4096 }),
        async (damage, windowBytes) => {
          let damaged = bytes.slice();
          if ('flip' in damage) damaged[damage.flip]! ^= 1 << damage.bit;
          if ('truncate' in damage) damaged = damaged.subarray(0, damage.truncate);
          if ('extra' in damage) damaged = Buffer.concat([damaged, new Uint8Array(damage.extra)]);
          const whole = await outcome(async () => [...FileReader.open(damaged).series()]);
          assert.notEqual(whole, 'ok', 'the damage is detected');
          const streamed = await outcome(() => streamedSeries(rangedFile(damaged, Math.min(damaged.length, 100)), windowBytes));
          // A chunk's sizes are outside its checksum. FileReader adds them all up on open; the
          // streamed reader meets a wrong one first, when the chunk's snappy stream disagrees.
          if (whole.endsWith('chunk sizes disagree with the header')) assert.match(streamed, /^(CorruptBodyError|HeaderMismatchError|TruncatedFileError|SegmentFormatError): /);
          else assert.equal(streamed, whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a source cut short or padded fails on open, before any chunk is read', async () => {
    const bytes = manyChunks();
    const cases: Array<[Uint8Array, RegExp]> = [
      [bytes.subarray(0, bytes.length - 1), /file is \d+ bytes, its header says \d+/],
      [Buffer.concat([bytes, new Uint8Array(3)]), /3 unexpected bytes after the last chunk/],
    ];
    for (const [damaged, error] of cases) {
      const reads: Array<[number, number]> = [];
      await assert.rejects(StreamedFileReader.open(rangedFile(damaged, 100, reads), { windowBytes: 64 }), error);
      assert.ok(reads.every(([offset]) => offset === 0), 'nothing past the header was read');
    }
  });

  it('reads again from the first chunk on each pass, and a header longer than the first read', async () => {
    const sources = Array.from({ length: 3000 }, (_, i) => segmentKey('team-a', 0, `01JD5Z3Q4R8X9V2W6T7Y${String(i).padStart(6, '0')}`));
    const block = encodeFile({ ...segmentIdentity(), level: 1, id: 'L1-00000001', sources }, twoSeries);
    const reader = await StreamedFileReader.open(rangedFile(block, 64), { windowBytes: 16 });
    assert.equal(reader.header.sources.length, 3000);
    for (let pass = 0; pass < 2; pass++) {
      const read: Series[] = [];
      for await (const batch of reader.chunkEntries()) read.push(...batch.map(seriesOf));
      assert.deepEqual(read, [...FileReader.open(block).series()]);
    }
  });
});

describe('segment format: the encoder refuses', () => {
  it('invalid series and out-of-order adds, naming the series', () => {
    const writer = new FileWriter(segmentIdentity());
    assert.throws(() => writer.add(series('bad name', {}, [[1, 1]])), /metric name "bad name" is not valid/);
    assert.throws(() => writer.add(series('up', {}, [])), /no samples/);
    writer.add(twoSeries[1]!);
    assert.throws(() => writer.add(twoSeries[0]!), /label order without duplicates/);
  });

  it('a segment with sources', () => {
    assert.throws(() => new FileWriter(segmentIdentity({ sources: ['segments/x'] })), /cannot name sources/);
  });
});

/**
 * Builds a file whose body holds exactly these series, in this order, bypassing the writer's checks,
 * so that what is tested is the decoder's own checks.
 */
function bodyWith(list: Series[]): Uint8Array {
  const entries = list.map(encodeSeriesEntry);
  const decoded = new Uint8Array(entries.reduce((sum, entry) => sum + entry.length, 0));
  entries.reduce((offset, entry) => (decoded.set(entry, offset), offset + entry.length), 0);
  const timestamps = list.flatMap((one) => one.samples.map((sample) => sample.timestamp));
  const fields = {
    ...segmentIdentity(),
    sources: [],
    minTimeMs: Math.min(...timestamps),
    maxTimeMs: Math.max(...timestamps),
    seriesCount: list.length,
    sampleCount: timestamps.length,
  };
  return assembleFile(fields, [sealChunk(decoded)]);
}

describe('segment format: golden file', () => {
  it('encodes the fixed input to the committed bytes, and decodes them back', () => {
    // If this fails, the format changed: bump the version or keep old files readable, then
    // regenerate test/fixtures/segment/golden.seg on purpose.
    const golden = readFileSync(new URL('../fixtures/segment/golden.seg', import.meta.url));
    assert.deepEqual(Buffer.from(encodeFile(goldenIdentity, goldenSeries)), golden);
    const { header, series: decoded } = decodeFile(golden);
    assert.equal(header.tenant, 'golden');
    assert.equal(header.sampleCount, 5);
    assert.ok(Number.isNaN(decoded.find((s) => s.labels[0]!.value === 'up')!.samples[1]!.value));
    assert.deepEqual(decoded.find((s) => s.stacks.length > 0)!.functions, ['main', 'serve', 'checksum']);
  });
});

describe('segment format: the direct encoder', () => {
  it('writes what protobufjs decodes back, for zeros, negative times, NaN and stacks too', () => {
    const tricky: Series = {
      labels: [{ name: '__name__', value: 'm' }, { name: 'ü', value: '日本' }],
      samples: [
        { timestamp: -1, value: 0 },
        { timestamp: 0, value: -0 },
        { timestamp: 2 ** 52, value: Number.NaN },
      ],
      functions: ['', 'f'],
      stacks: [{ timestamp: 0, frames: [], value: 0 }, { timestamp: 5, frames: [1, 0, 300], value: -2.5 }],
    };
    const decoded = strata.segment.v1.SeriesBody.decode(encodeSeriesEntry(tricky)).series[0]!;
    assert.deepEqual(decoded.labels!.map((l) => [l.name, l.value]), [['__name__', 'm'], ['ü', '日本']]);
    assert.deepEqual(decoded.samples!.map((s) => [s.timestamp, Object.is(s.value, -0) ? '-0' : s.value]), [[-1, 0], [0, '-0'], [2 ** 52, Number.NaN]]);
    assert.deepEqual(decoded.functions, ['', 'f']);
    assert.deepEqual(decoded.stacks!.map((s) => [s.timestamp, [...s.frames!], s.value]), [[0, [], 0], [5, [1, 0, 300], -2.5]]);
  });

  it('matches protobufjs byte for byte when no field is at its default', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 50 }), fc.double({ noDefaultInfinity: true }).filter((v) => v !== 0))), (pairs) => {
        const one = series('m', { a: 'x' }, pairs.map(([t, v]) => [t, v]));
        const writer = protobuf.Writer.create();
        strata.segment.v1.Series.encode(one, writer.uint32(0x0a).fork()).ldelim();
        assert.deepEqual(Buffer.from(encodeSeriesEntry(one)), Buffer.from(writer.finish()));
      }),
    );
  });
});

describe('segment format: the sample scanner', () => {
  const pbSeries = strata.segment.v1.Series;
  /** A file with one series whose Series message is exactly `message`. */
  const fileOf = (message: Uint8Array, sampleCount: number, minTimeMs: number, maxTimeMs: number) => {
    const entry = protobuf.Writer.create().uint32(0x0a).bytes(message).finish();
    return assembleFile({ ...oneSampleFields, sampleCount, minTimeMs, maxTimeMs }, [sealChunk(entry)]);
  };
  const label = (writer: protobuf.Writer, name: string, value: string) => writer.uint32(0x0a).fork().uint32(0x0a).string(name).uint32(0x12).string(value).ldelim();
  const float = (value: number) => new Uint8Array(Float64Array.of(value).buffer);

  it('reads samples encoded in any legal way, and keeps them canonical', () => {
    const writer = protobuf.Writer.create();
    // Timestamp before value; a label between samples (fields in any order); an explicit +0 value;
    // a padded timestamp varint (3000 as b8 97 80 00) followed by an unknown field 7.
    writer.uint32(0x12).fork().uint32(0x10).int64(1000).uint32(0x09).double(1.5).ldelim();
    label(writer, '__name__', 'up');
    writer.uint32(0x12).fork().uint32(0x09).double(0).uint32(0x10).int64(2000).ldelim();
    label(writer, 'job', 'api');
    writer.uint32(0x12).bytes(Uint8Array.of(0x09, ...float(2.5), 0x10, 0xb8, 0x97, 0x80, 0x00, 0x38, 0x05));
    const reader = FileReader.open(fileOf(writer.finish(), 3, 1000, 3000));
    const [entry] = [...reader.entries()];
    assert.deepEqual([...reader.series()][0]!.samples, [
      { timestamp: 1000, value: 1.5 },
      { timestamp: 2000, value: 0 },
      { timestamp: 3000, value: 2.5 },
    ]);
    // The kept bytes are what the encoder writes for those samples.
    const canonical = encodeSeriesEntry(series('up', { job: 'api' }, [[1000, 1.5], [2000, 0], [3000, 2.5]]));
    assert.ok(Buffer.from(canonical).includes(Buffer.concat(entry!.sampleParts)));
    assert.equal(entry!.sampleCount, 3);
  });

  it('reads a sample longer than 127 bytes (an unknown field), whose length takes two bytes', () => {
    const writer = protobuf.Writer.create();
    label(writer, '__name__', 'up');
    writer.uint32(0x12).fork().uint32(0x09).double(4).uint32(0x10).int64(1500).uint32(0x3a).bytes(new Uint8Array(200)).ldelim();
    const [decoded] = [...FileReader.open(fileOf(writer.finish(), 1, 1500, 1500)).series()];
    assert.deepEqual(decoded!.samples, [{ timestamp: 1500, value: 4 }]);
  });

  it('property: agrees with the generated decoder on random encodings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -(2 ** 40), max: 2 ** 50 }), fc.double(), fc.boolean()), { minLength: 1, maxLength: 20 }),
        (rows) => {
          const sorted = [...rows].sort((a, b) => a[0] - b[0]);
          const body = protobuf.Writer.create();
          label(body, '__name__', 'up');
          for (const [timestamp, value, reversed] of sorted) {
            body.uint32(0x12).fork();
            if (reversed) body.uint32(0x10).int64(timestamp).uint32(0x09).double(value);
            else body.uint32(0x09).double(value).uint32(0x10).int64(timestamp);
            body.ldelim();
          }
          const message = body.finish();
          const expected = pbSeries.decode(message);
          const [decoded] = [...FileReader.open(fileOf(message, sorted.length, sorted[0]![0], sorted.at(-1)![0])).series()];
          assert.deepEqual(
            decoded!.samples.map((s) => [s.timestamp, Object.is(s.value, -0) ? '-0' : s.value]),
            expected.samples!.map((s) => [Number(s.timestamp), Object.is(s.value, -0) ? '-0' : s.value]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: labels in any legal encoding are written back canonically; canonical ones are copied', () => {
    const canonical = encodeSeriesEntry(series('up', { job: 'api', zone: 'é-1' }, [[1000, 1]]));
    // One way to write each label field: canonical, fields reversed, a padded length varint, an
    // unknown field inside the Label, or the name written twice (the last one counts).
    const styles = ['canonical', 'reversed', 'padded', 'unknown-field', 'name-twice'] as const;
    const writeLabel = (writer: protobuf.Writer, name: string, value: string, style: (typeof styles)[number]) => {
      if (style === 'canonical') return label(writer, name, value);
      const inner = protobuf.Writer.create();
      if (style === 'reversed') inner.uint32(0x12).string(value).uint32(0x0a).string(name);
      if (style === 'unknown-field') inner.uint32(0x0a).string(name).uint32(0x12).string(value).uint32(0x18).uint32(9);
      if (style === 'name-twice') inner.uint32(0x0a).string('x').uint32(0x0a).string(name).uint32(0x12).string(value);
      if (style === 'padded') {
        // The name's one-byte length written as a two-byte varint.
        const nameBytes = Buffer.from(name);
        return writer.uint32(0x0a).bytes(Buffer.concat([Uint8Array.of(0x0a, 0x80 | nameBytes.length, 0x00), nameBytes, protobuf.Writer.create().uint32(0x12).string(value).finish()]));
      }
      return writer.uint32(0x0a).bytes(inner.finish());
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...styles), { minLength: 3, maxLength: 3 }), fc.boolean(), (chosen, sampleFirst) => {
        const writer = protobuf.Writer.create();
        if (sampleFirst) writer.uint32(0x12).fork().uint32(0x09).double(1).uint32(0x10).int64(1000).ldelim();
        ([['__name__', 'up'], ['job', 'api'], ['zone', 'é-1']] as const).forEach(([name, value], i) => writeLabel(writer, name, value, chosen[i]!));
        if (!sampleFirst) writer.uint32(0x12).fork().uint32(0x09).double(1).uint32(0x10).int64(1000).ldelim();
        const [entry] = [...FileReader.open(fileOf(writer.finish(), 1, 1000, 1000)).entries()];
        assert.deepEqual(Buffer.from(encodeEntry(entry!)), Buffer.from(canonical), `labels written ${chosen.join(', ')}`);
        assert.equal(entry!.labelBytes !== undefined, chosen.every((style) => style === 'canonical'), 'copied exactly when every label is canonical');
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a known field with the wrong wire type', () => {
    const writer = protobuf.Writer.create();
    label(writer, '__name__', 'up');
    writer.uint32(0x12).fork().uint32(0x08).uint32(7).uint32(0x10).int64(1500).ldelim(); // value as a varint
    expectReject(fileOf(writer.finish(), 1, 1500, 1500), CorruptBodyError, /wire type/);
  });
});
