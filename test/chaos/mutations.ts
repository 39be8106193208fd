/**
 * Bad input for the input campaign, made from good input by kind of damage:
 *
 * - requests (remote write, JSON samples, pprof): bit flips and truncation on the wire or inside
 *   the compression, protobuf lengths made huge, invalid labels, compression bombs (declared and
 *   real, sized for `bombLimits`), wrong headers, random bytes;
 * - segment files: bit flips, truncation, huge lengths in the container, a header that disagrees
 *   with its key, invalid labels, series in the wrong shard or out of order, counts and time ranges
 *   that lie, chunks that decompress to too much or to zeros, keys outside the layout, random bytes.
 *
 * The structural kinds (invalid labels, wrong shard, lying header…) are built with valid checksums,
 * so they reach the checks behind the checksums. One kind leaves the file valid — a field a later
 * format version may add, which readers skip — and must be compacted like any good file.
 */
import { gzipSync } from 'node:zlib';
import snappy from 'snappyjs';
import type { IngestRequest } from '../../lib/ingest/contract.js';
import { encodeSeriesEntry, writeVarint } from '../../lib/segment/encode.js';
import { assembleFile, fileHeaderLength, sealChunk, timeBounds, type FileIdentity, type Series } from '../../lib/segment/format.js';
import { shardOf, sortLabels } from '../../lib/segment/labels.js';
import { pprofBytes, writeRequestBytes } from '../helpers/ingest-fixtures.js';
import type { Dice } from './dice.js';

export const requestMutations = ['bit-flip', 'truncate', 'huge-length', 'invalid-labels', 'compression-bomb', 'bad-headers', 'garbage'] as const;
export type RequestMutation = (typeof requestMutations)[number];

export const fileMutations = [
  'bit-flip',
  'truncate',
  'huge-length',
  'header-mismatch',
  'invalid-labels',
  'wrong-shard',
  'unsorted-series',
  'lying-header',
  'compression-bomb',
  'malformed-key',
  'garbage',
  'unknown-field',
] as const;
export type FileMutation = (typeof fileMutations)[number];

export type Endpoint = 'remote-write' | 'json' | 'pyroscope';

/** A request made bad in the given way (a new object; `base` is left alone). */
export function mutateRequest(dice: Dice, endpoint: Endpoint, base: IngestRequest, kind: RequestMutation, nowMs: number): IngestRequest {
  const request = { ...base, headers: { ...base.headers }, query: { ...base.query } };
  switch (kind) {
    case 'bit-flip':
      return withPayload(dice, endpoint, request, (bytes) => flipBits(dice, bytes));
    case 'truncate':
      return withPayload(dice, endpoint, request, (bytes) => bytes.subarray(0, dice.int(bytes.length)));
    case 'huge-length':
      return hugeLength(dice, endpoint, request);
    case 'invalid-labels':
      return { ...request, body: invalidLabels(dice, endpoint, nowMs), ...(endpoint === 'pyroscope' && dice.chance(0.5) ? { query: { ...request.query, name: dice.pick(badProfileNames) } } : {}) };
    case 'compression-bomb':
      return compressionBomb(dice, endpoint, request);
    case 'bad-headers':
      return badHeaders(dice, endpoint, request);
    case 'garbage':
      return { ...request, body: randomBytes(dice, dice.between(0, 2000)) };
  }
}

/**
 * Damages the wire bytes, or (half the time, for compressed bodies) the payload inside the
 * compression, recompressed so that the damage reaches the parser.
 */
function withPayload(dice: Dice, endpoint: Endpoint, request: IngestRequest, damage: (bytes: Uint8Array) => Uint8Array): IngestRequest {
  if (endpoint === 'remote-write' && dice.chance(0.5)) {
    return { ...request, body: snappy.compress(damage(snappy.uncompress(request.body))) };
  }
  return { ...request, body: damage(request.body) };
}

function flipBits(dice: Dice, bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  if (out.length === 0) return out;
  for (let flips = dice.between(1, 8); flips > 0; flips--) out[dice.int(out.length)]! ^= 1 << dice.int(8);
  return out;
}

function randomBytes(dice: Dice, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = dice.int(256);
  return out;
}

/** Where the length varints of length-delimited protobuf fields are, walking into nested messages that parse. */
function lengthFields(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0, found: Array<{ at: number; size: number }> = []): Array<{ at: number; size: number }> {
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos, end);
    if (tag === undefined) return found;
    pos = tag.next;
    const wire = tag.value % 8;
    if (wire === 0) {
      const value = readVarint(bytes, pos, end);
      if (value === undefined) return found;
      pos = value.next;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = readVarint(bytes, pos, end);
      if (length === undefined) return found;
      found.push({ at: pos, size: length.next - pos });
      if (depth < 3) lengthFields(bytes, length.next, Math.min(end, length.next + length.value), depth + 1, found);
      pos = length.next + length.value;
    } else return found;
  }
  return found;
}

function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 10 && pos + i < end; i++) {
    const byte = bytes[pos + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { value, next: pos + i + 1 };
  }
  return undefined;
}

function varint(value: number): Uint8Array {
  const out = new Uint8Array(10);
  return out.subarray(0, writeVarint(out, 0, value));
}

/** Replaces the varint of `size` bytes at `at` with `value`. */
function spliceVarint(bytes: Uint8Array, at: number, size: number, value: number): Uint8Array {
  return Buffer.concat([bytes.subarray(0, at), varint(value), bytes.subarray(at + size)]);
}

const hugeValues = [2 ** 31 - 1, 2 ** 32 - 1, 2 ** 28, 0x7fff_fff0];

/** The snappy stream with a preamble that declares far more than the stream holds. */
function hugeSnappyPreamble(dice: Dice, compressed: Uint8Array): Uint8Array {
  const preamble = readVarint(compressed, 0, compressed.length);
  return spliceVarint(compressed, 0, preamble?.next ?? 0, dice.pick(hugeValues));
}

function hugeLength(dice: Dice, endpoint: Endpoint, request: IngestRequest): IngestRequest {
  if (endpoint === 'json') {
    // JSON has no lengths: a number too big for any field, or nesting deeper than any parser's stack.
    const text = dice.chance(0.5) ? `{"labels":{"__name__":"m"},"samples":[[1e999,${'9'.repeat(400)}]]}` : `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    return { ...request, body: Buffer.from(text) };
  }
  if (endpoint === 'remote-write' && dice.chance(0.3)) return { ...request, body: hugeSnappyPreamble(dice, request.body) };
  return withPayload(dice, endpoint, { ...request }, (bytes) => {
    const fields = lengthFields(bytes);
    if (fields.length === 0) return bytes;
    const field = dice.pick(fields);
    return spliceVarint(bytes, field.at, field.size, dice.pick(hugeValues));
  });
}

/** The ingest limits the request campaign runs with: small, so that a bomb costs milliseconds to refuse. */
export const bombLimits = { maxBodyBytes: 2 << 20, maxDecodedBytes: 4 << 20 };

let bombs: { snappy: Uint8Array; gzip: Uint8Array; small: Uint8Array[] } | undefined;

/**
 * Made once: a snappy bomb (8 MiB of zeros in about 400 KB, twice the decoded limit), a gzip bomb
 * (64 MiB in about 64 KB, sixteen times it) and gzip bodies of ¼–3 MiB of zeros, under the limit.
 */
function compressedZeros(): { snappy: Uint8Array; gzip: Uint8Array; small: Uint8Array[] } {
  bombs ??= {
    snappy: snappy.compress(new Uint8Array(2 * bombLimits.maxDecodedBytes)),
    gzip: gzipSync(Buffer.alloc(16 * bombLimits.maxDecodedBytes), { level: 9 }),
    small: [0.25, 1, 3].map((mib) => gzipSync(Buffer.alloc(mib * 2 ** 20), { level: 9 })),
  };
  return bombs;
}

function compressionBomb(dice: Dice, endpoint: Endpoint, request: IngestRequest): IngestRequest {
  const zeros = compressedZeros();
  if (endpoint === 'remote-write') {
    // A real bomb, or a snappy preamble that declares gigabytes in front of the real stream.
    return { ...request, body: dice.chance(0.5) ? zeros.snappy : hugeSnappyPreamble(dice, request.body) };
  }
  const gzip = dice.chance(0.5) ? zeros.gzip : dice.pick(zeros.small);
  // As a Content-Encoding, or (pprof) as a gzipped profile inside an identity body.
  if (endpoint === 'pyroscope' && dice.chance(0.5)) return { ...request, body: gzip };
  return { ...request, headers: { ...request.headers, 'content-encoding': 'gzip' }, body: gzip };
}

const badTenants = ['', '..', '.', '__internal', 'a/b', 'x'.repeat(151), 'tenant with spaces', 'é', '../../state'];

function badHeaders(dice: Dice, endpoint: Endpoint, request: IngestRequest): IngestRequest {
  const headers = request.headers as Record<string, string>;
  switch (dice.int(5)) {
    case 0:
      return { ...request, headers: { ...headers, 'x-scope-orgid': dice.pick(badTenants) } };
    case 1:
      return { ...request, headers: { ...headers, 'content-type': dice.pick(['text/plain', 'application/json', 'application/x-protobuf;proto=io.prometheus.write.v2.Request', '']) } };
    case 2:
      return { ...request, headers: { ...headers, 'content-encoding': dice.pick(['br', 'deflate', 'snappy, gzip', 'zstd', 'identity']) } };
    case 3:
      return endpoint === 'pyroscope' ? { ...request, query: dice.pick<Record<string, string>>([{}, { name: '' }, { name: 'app', format: 'jfr' }, { name: 'app', from: 'yesterday' }, { name: 'app', from: '20', until: '10' }]) } : { ...request, method: dice.pick(['GET', 'PUT', 'DELETE']) };
    default:
      return { ...request, path: dice.pick(['/api/v1/pushx', '/', '/ingest/x', '/v1/samples/../state']) };
  }
}

const badProfileNames = ['app{bad-name=x}', 'app{__name__=x}', '{env=prod}', 'app{env=prod', 'app{a=1,a=2}', 'app{=x}', 'app{0a=b}'];

/** A body whose encoding is valid but whose labels or samples are not acceptable. */
function invalidLabels(dice: Dice, endpoint: Endpoint, nowMs: number): Uint8Array {
  const at = nowMs - 1000;
  if (endpoint === 'remote-write') {
    const labelSets: Array<Array<[string, string]>> = [
      [['__name__', 'up'], ['bad-name', 'x']],
      [['__name__', 'up'], ['0starts', 'x']],
      [['__name__', '']],
      [['job', 'no-name']],
      [['__name__', 'up'], ['a', '1'], ['a', '2']],
      [['__name__', 'up'], ['', 'x']],
      [['__name__', 'bad metric name']],
      [['__name__', 'up'], ['k', 'v'.repeat(dice.between(1, 16) << 16)]],
      Array.from({ length: dice.between(100, 5000) }, (_, i): [string, string] => [i === 0 ? '__name__' : `l${i}`, 'v']),
    ];
    if (dice.chance(0.2)) {
      // A value that is not UTF-8.
      const bytes = writeRequestBytes([{ labels: [['__name__', 'up'], ['k', 'ZZZZ']], samples: [[at, 1]] }]);
      const index = Buffer.from(bytes).indexOf('ZZZZ');
      bytes.set([0xff, 0xfe, 0xc0, 0x80], index);
      return snappy.compress(bytes);
    }
    const samples: Array<[number, number]> = dice.chance(0.2) ? [[nowMs + 3 * 3_600_000, 1]] : [[at, 1]];
    return snappy.compress(writeRequestBytes([{ labels: dice.pick(labelSets), samples }]));
  }
  if (endpoint === 'json') {
    const lines = [
      { labels: { __name__: 'm', 'bad-name': 'x' }, samples: [[at, 1]] },
      { labels: { __name__: 5 }, samples: [[at, 1]] },
      { labels: 'x', samples: [[at, 1]] },
      { labels: { __name__: 'm' }, samples: [['x', 1]] },
      { labels: { __name__: 'm' }, samples: [[at, 'one']] },
      { labels: { __name__: 'm' }, samples: [[nowMs + 7_200_000, 1]] },
      { labels: { job: 'x' }, samples: [[at, 1]] },
      { labels: { __name__: '' }, samples: [[at, 1]] },
      { labels: { __name__: 'm' } },
      { metric: 'm', labels: { '': 'x' }, timestamp: at, value: 1 },
    ];
    return Buffer.from(`${JSON.stringify(dice.pick(lines))}\n`);
  }
  const labels = dice.pick<Record<string, string>>([{ 'bad key': 'x' }, { '': 'x' }, { '0a': 'b' }, { __name__: 'x' }]);
  return pprofBytes({
    sampleTypes: dice.pick<Array<[string, string]>>([[['cpu', 'nanoseconds']], [['bad type!', 'x']], [['', '']]]),
    periodType: ['cpu', 'nanoseconds'],
    timeNanos: at * 1_000_000,
    samples: [{ stack: ['main'], values: [dice.pick([1, -1, 2 ** 62])], labels }],
  });
}

// ---- segment files ------------------------------------------------------------------------------

interface FileBase {
  key: string;
  identity: FileIdentity;
  /** Sorted, all of the identity's shard. */
  series: Series[];
}

interface MutatedFile {
  key: string;
  bytes: Uint8Array;
}

let zeroChunks: { big: Uint8Array } | undefined;

/** A file made bad in the given way. */
export function mutateFile(dice: Dice, base: FileBase, kind: FileMutation): MutatedFile {
  const { key, identity, series } = base;
  const good = assemble(identity, series);
  switch (kind) {
    case 'bit-flip':
      return { key, bytes: flipBits(dice, good) };
    case 'truncate':
      return { key, bytes: good.subarray(0, dice.int(good.length)) };
    case 'huge-length': {
      const bytes = Uint8Array.from(good);
      const headerEnd = fileHeaderLength(bytes)!;
      // The header length, a chunk's stored length or a chunk's decoded length.
      const at = dice.pick([8, headerEnd, headerEnd + 4]);
      new DataView(bytes.buffer).setUint32(at, dice.pick(hugeValues), true);
      return { key, bytes };
    }
    case 'header-mismatch': {
      const other = dice.pick<Partial<FileIdentity>>([{ tenant: `${identity.tenant}x` }, { shard: identity.shard + 1, shardCount: identity.shard + 2 }, { id: '01JD5Z3Q4R8X9V2W6T7Y0K1M3N' }, { level: 1 }]);
      return { key, bytes: assemble({ ...identity, ...other }, series) };
    }
    case 'invalid-labels': {
      const labels = dice.pick([
        [{ name: '__name__', value: 'm' }, { name: 'bad-name', value: 'x' }],
        [{ name: 'job', value: 'no-name' }],
        [{ name: '__name__', value: '' }],
        [{ name: '__name__', value: 'm' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }],
      ]);
      return { key, bytes: assemble(identity, [{ ...series[0]!, labels }]) };
    }
    case 'wrong-shard': {
      const count = Math.max(2, identity.shardCount);
      const stranger = Array.from({ length: 50 }, (_, i) => ({ ...series[0]!, labels: sortLabels([...series[0]!.labels, { name: 'moved', value: String(i) }]) })).find(
        (one) => shardOf(one.labels, count) !== identity.shard,
      )!;
      return { key, bytes: assemble({ ...identity, shardCount: count }, [stranger]) };
    }
    case 'unsorted-series':
      return { key, bytes: assemble(identity, series.length > 1 ? [...series].reverse() : [series[0]!, series[0]!]) };
    case 'lying-header': {
      const [min, max] = bounds(series);
      const lie = dice.pick([{ seriesCount: series.length + 1 }, { sampleCount: 0 }, { minTimeMs: min + 1 }, { maxTimeMs: max - 1 }]);
      return { key, bytes: assembleFile({ ...fields(identity, series), ...lie }, [sealChunk(body(series))]) };
    }
    case 'compression-bomb': {
      if (dice.chance(0.5)) {
        // A chunk declaring 1 GiB decoded: refused before any allocation.
        const bytes = Uint8Array.from(good);
        new DataView(bytes.buffer).setUint32(fileHeaderLength(bytes)! + 4, 1 << 30, true);
        return { key, bytes };
      }
      // 15 MiB of zeros, within the chunk limit, that decode to nothing a reader can parse.
      zeroChunks ??= { big: sealChunk(new Uint8Array(15 << 20)) };
      return { key, bytes: assembleFile(fields(identity, series), [zeroChunks.big]) };
    }
    case 'malformed-key': {
      const [root, tenant, shard, file] = key.split('/');
      const id = file!.slice(0, -'.seg'.length);
      const bad = dice.pick([`${root}/${tenant}/${shard}/not-a-ulid-${id.slice(-8)}.seg`, `${root}/${tenant}/0${shard}/${id}.seg`, `${root}/${tenant}/${shard}/${id.toLowerCase()}.seg`, `${root}/${tenant}/${shard}/extra/${id}.seg`, `${root}/${tenant}/${shard}/${id}.seg.tmp`, `${root}/__${tenant}/${shard}/${id}.seg`]);
      return { key: bad, bytes: good };
    }
    case 'unknown-field': {
      // SeriesBody field 2 (length-delimited), unknown to this version: skipped, the file is valid.
      const field = Buffer.concat([Uint8Array.of(0x12), varint(5), Buffer.from('later')]);
      return { key, bytes: assembleFile(fields(identity, series), [sealChunk(Buffer.concat([field, body(series)]))]) };
    }
    case 'garbage': {
      const bytes = randomBytes(dice, dice.between(0, 400));
      if (bytes.length >= 4 && dice.chance(0.5)) bytes.set([0x53, 0x54, 0x52, 0x41]); // "STRA"
      return { key, bytes };
    }
  }
}

function bounds(series: readonly Series[]): [number, number] {
  const all = series.map(timeBounds);
  return [Math.min(...all.map(([first]) => first)), Math.max(...all.map(([, last]) => last))];
}

function body(series: readonly Series[]): Uint8Array {
  return Buffer.concat(series.map(encodeSeriesEntry));
}

function fields(identity: FileIdentity, series: readonly Series[]) {
  const [minTimeMs, maxTimeMs] = bounds(series);
  return { ...identity, sources: identity.sources ?? [], minTimeMs, maxTimeMs, seriesCount: series.length, sampleCount: series.reduce((sum, one) => sum + one.samples.length, 0) } as Parameters<typeof assembleFile>[0];
}

/** The file as the writer would make it, but without its checks: what `series` holds is written as is. */
function assemble(identity: FileIdentity, series: readonly Series[]): Uint8Array {
  return assembleFile(fields(identity, series), [sealChunk(body(series))]);
}
