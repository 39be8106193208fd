/**
 * Builds one L0 segment file from series that are already protobuf-encoded — pieces of the
 * request body on the remote-write path, freshly encoded Series on the others — copying each
 * series' bytes once into its chunk. The container is produced by lib/segment/format.ts'
 * `sealChunk` and `assembleFile`, so the file is exactly what `FileWriter` would write.
 *
 * The segment's id is derived from its content with lib/segment/build.ts' `contentUlid` and
 * `segmentDigest` — the same derivation `strata segment build` uses — so the same tenant, shard and
 * series bytes always give the same key, and a client retry lands on the existing object.
 */
import { contentUlid, segmentDigest } from '../segment/build.js';
import { assembleFile, sealChunk } from '../segment/format.js';
import { segmentKey } from '../segment/keys.js';
import { varintSize, writeVarint } from './wire.js';

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

export function buildSegment(identity: SegmentIdentity, series: readonly EncodedSeries[], chunkTargetBytes: number): BuiltSegment {
  if (series.length === 0) throw new RangeError('a segment needs at least one series');
  const chunks: Uint8Array[] = [];
  const decodedChunks: Uint8Array[] = [];
  // Where each series entry starts in its decoded chunk, chunk by chunk (for the content digest).
  const entryStarts: number[][] = [];
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
      if (size > 0 && size + entry > chunkTargetBytes) break;
      size += entry;
      last++;
    }
    const decoded = new Uint8Array(size);
    const starts: number[] = [];
    let offset = 0;
    for (let i = first; i < last; i++) {
      const one = series[i]!;
      starts.push(offset);
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
    decodedChunks.push(decoded);
    entryStarts.push(starts);
    chunks.push(sealChunk(decoded));
    first = last;
  }
  const id = contentUlid(maxTimeMs, segmentDigest(identity.tenant, identity.shard, entries(decodedChunks, entryStarts)));
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

function* entries(decodedChunks: readonly Uint8Array[], entryStarts: readonly number[][]): Generator<Uint8Array> {
  for (const [c, decoded] of decodedChunks.entries()) {
    const starts = entryStarts[c]!;
    for (let i = 0; i < starts.length; i++) yield decoded.subarray(starts[i]!, starts[i + 1] ?? decoded.length);
  }
}

function entrySize(series: EncodedSeries): number {
  return 1 + varintSize(series.byteLength) + series.byteLength;
}
