/**
 * Turning series into L0 segments: one segment per (tenant, shard), each under a key derived from
 * its content so that writing the same series twice lands on the same key. Ingest hands over
 * series already encoded (slices of the request on the remote-write path); `buildSegments` encodes
 * decoded series (the CLI, tests) and goes through the same writer.
 *
 * The id is a ULID whose time part is the segment's newest sample (the data's time, not the
 * writer's) and whose 80-bit random part is a SHA-256 of (tenant, shard, the sealed chunks). The
 * container comes from format.ts' `sealChunk` and `assembleFile`: the file is what `FileWriter`
 * would write.
 */
import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import { encodeSeriesEntry, varintLength, writeVarint } from './encode.js';
import { InvalidSeriesError, SeriesTooLargeError } from './errors.js';
import { assembleFile, defaultChunkTargetBytes, defaultReadLimits, formatLabels, sealChunk, seriesProblem, timeBounds, type Series } from './format.js';
import { segmentKey } from './keys.js';
import { ScratchBytes } from './scratch.js';
import { compareLabelSets, shardOf } from './labels.js';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const maxUlidTime = 2 ** 48 - 1;

/** A ULID from a time and a digest: the first 10 bytes of the digest become its random part. */
export function contentUlid(timeMs: number, digest: Uint8Array): string {
  const time = encodeTime(Math.min(Math.max(Math.trunc(timeMs), 0), maxUlidTime), 10);
  let random = '';
  let bits = 0;
  let buffer = 0;
  for (let i = 0; i < 10; i++) {
    buffer = (buffer << 8) | digest[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += crockford[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return time + random;
}

/**
 * The content digest of a segment: tenant, shard, then its sealed chunks as stored (each one's
 * header — stored and decoded lengths, CRC — then its snappy bytes). The compressor's output is a
 * pure function of its input, so equal series give equal chunks; and hashing the compressed bytes
 * reads about a sixth of what hashing the decoded entries would.
 */
function segmentDigest(tenant: string, shard: number, chunks: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256').update(`${tenant}\n${shard}\n`);
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest();
}

export interface BuildOptions {
  tenant: string;
  shardCount: number;
  createdBy: string;
  createdAtMs: number;
}

/**
 * Splits decoded series by shard and builds one segment per shard, in shard order. Each series is
 * encoded once; throws InvalidSeriesError for a series the format cannot hold.
 */
export function buildSegments(series: readonly Series[], options: BuildOptions): BuiltSegment[] {
  const byShard = new Map<number, Series[]>();
  for (const one of series) {
    const shard = shardOf(one.labels, options.shardCount);
    const list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, [one]);
    else list.push(one);
  }
  return [...byShard.entries()]
    .sort(([a], [b]) => a - b)
    .map(([shard, list]) => {
      const sorted = [...list].sort((a, b) => compareLabelSets(a.labels, b.labels));
      const encoded = sorted.map((one, i) => {
        const problem = seriesProblem(one);
        if (problem !== undefined) throw new InvalidSeriesError(`series ${formatLabels(one.labels)}: ${problem}`);
        if (i > 0 && compareLabelSets(sorted[i - 1]!.labels, one.labels) === 0) throw new InvalidSeriesError(`series ${formatLabels(one.labels)} is given twice`);
        const entry = encodeSeriesEntry(one);
        let start = 1; // past the entry's tag byte and its length varint: the Series message itself
        while ((entry[start++]! & 0x80) !== 0);
        const [minTimeMs, maxTimeMs] = timeBounds(one);
        const encodedSeries: EncodedSeries = {
          buffer: entry,
          start,
          end: entry.length,
          ranges: undefined,
          byteLength: entry.length - start,
          sampleCount: one.samples.length,
          minTimeMs,
          maxTimeMs,
        };
        return encodedSeries;
      });
      return buildSegment({ ...options, shard }, encoded, defaultChunkTargetBytes);
    });
}

/**
 * One series ready to be written: the bytes of a Strata `Series` message — `buffer[start, end)`, or,
 * when fields were cut out of the middle of a remote-write TimeSeries, the concatenation of the
 * [start, end) pairs in `ranges` — and what the header needs to know about it.
 *
 * Callers guarantee what the format requires: valid sorted labels, samples sorted by time, and
 * series handed over in label-set order without duplicates. The writer does not re-check them.
 */
export interface EncodedSeries {
  buffer: Uint8Array;
  start: number;
  end: number;
  /** Pairs of offsets into `buffer`, used instead of start/end when present. */
  ranges: readonly number[] | undefined;
  byteLength: number;
  sampleCount: number;
  minTimeMs: number;
  maxTimeMs: number;
}

export interface SegmentIdentity {
  tenant: string;
  shard: number;
  shardCount: number;
  createdBy: string;
  /** The real arrival time; the key's time part comes from the data instead. */
  createdAtMs: number;
}

export interface BuiltSegment {
  key: string;
  shard: number;
  id: string;
  bytes: Uint8Array;
  seriesCount: number;
  sampleCount: number;
  minTimeMs: number;
  maxTimeMs: number;
}

const seriesEntryTag = 0x0a; // SeriesBody field 1, length-delimited

/**
 * Where a chunk's entries are laid out before they are compressed: building is synchronous, and
 * nothing keeps the decoded bytes once the chunk is sealed.
 */
const decodedChunk = new ScratchBytes(1 << 16, 4 << 20);

export function buildSegment(identity: SegmentIdentity, series: readonly EncodedSeries[], chunkTargetBytes: number): BuiltSegment {
  if (series.length === 0) throw new RangeError('a segment needs at least one series');
  const chunks: Uint8Array[] = [];
  let sampleCount = 0;
  let minTimeMs = Number.POSITIVE_INFINITY;
  let maxTimeMs = Number.NEGATIVE_INFINITY;
  let first = 0;
  while (first < series.length) {
    // A chunk takes series until the next one would pass the target (but always at least one).
    let size = 0;
    let last = first;
    while (last < series.length) {
      const entry = entrySize(series[last]!);
      if (entry > defaultReadLimits.maxChunkDecodedBytes) {
        throw new SeriesTooLargeError(
          `a series of ${series[last]!.sampleCount} samples encodes to ${entry} bytes, above the ${defaultReadLimits.maxChunkDecodedBytes}-byte chunk limit; send it in smaller pieces`,
        );
      }
      if (size > 0 && size + entry > chunkTargetBytes) break;
      size += entry;
      last++;
    }
    const decoded = decodedChunk.take(size);
    let offset = 0;
    for (let i = first; i < last; i++) {
      const one = series[i]!;
      decoded[offset++] = seriesEntryTag;
      offset = writeVarint(decoded, offset, one.byteLength);
      const { ranges, buffer } = one;
      if (ranges === undefined) {
        decoded.set(buffer.subarray(one.start, one.end), offset);
        offset += one.end - one.start;
      } else {
        for (let r = 0; r < ranges.length; r += 2) {
          decoded.set(buffer.subarray(ranges[r]!, ranges[r + 1]!), offset);
          offset += ranges[r + 1]! - ranges[r]!;
        }
      }
      sampleCount += one.sampleCount;
      if (one.minTimeMs < minTimeMs) minTimeMs = one.minTimeMs;
      if (one.maxTimeMs > maxTimeMs) maxTimeMs = one.maxTimeMs;
    }
    chunks.push(sealChunk(decoded));
    first = last;
  }
  const id = contentUlid(maxTimeMs, segmentDigest(identity.tenant, identity.shard, chunks));
  const bytes = assembleFile(
    {
      tenant: identity.tenant,
      shard: identity.shard,
      level: 0,
      id,
      createdBy: identity.createdBy,
      createdAtMs: identity.createdAtMs,
      shardCount: identity.shardCount,
      sources: [],
      minTimeMs,
      maxTimeMs,
      seriesCount: series.length,
      sampleCount,
    },
    chunks,
  );
  return { key: segmentKey(identity.tenant, identity.shard, id), shard: identity.shard, id, bytes, seriesCount: series.length, sampleCount, minTimeMs, maxTimeMs };
}

function entrySize(series: EncodedSeries): number {
  return 1 + varintLength(series.byteLength) + series.byteLength;
}
