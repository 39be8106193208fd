/**
 * Prometheus remote write 1.0 without decoding to objects (Tempo's lesson: move bytes, don't
 * re-marshal). A TimeSeries' fields 1 (labels) and 2 (samples) have the same numbers and types as
 * Strata's Series, so each TimeSeries found in the decompressed WriteRequest is validated where it
 * lies and its bytes become the segment entry as they are:
 *
 * - labels are checked in place (name syntax, UTF-8 values, `__name__` a valid metric name, no
 *   duplicates) and hashed with FNV-1a exactly as `shardOf` hashes them;
 * - sample timestamps are read (values are never touched, so NaN payloads such as Prometheus'
 *   staleness marker stay bit-identical) and checked against the future limit;
 * - exemplars (3), native histograms (4) and unknown fields are cut out by leaving their byte
 *   ranges out; a series left with no float samples is dropped; metadata (WriteRequest field 3)
 *   is skipped;
 * - series are ordered by their labels' UTF-8 bytes, the order `compareLabelSets` uses: each distinct
 *   label pair in the request gets a rank (pairs repeat a lot: job, instance, metric names), and
 *   series compare as sequences of ranks.
 *
 * A series that breaks a rule the format needs but that can be fixed — labels out of order, a
 * label with an empty value (Prometheus' "absent"), samples out of time order, the same label set
 * twice in one request — is rebuilt at byte level by `rebuildSeries`, still without decoding values.
 */
import type { ParsedBatch } from './batch.js';
import { noneDropped } from './batch.js';
import { compareBytes, concatRanges, equalsBytes, grownInt32 } from './bytes.js';
import { InvalidSeriesDataError } from './errors.js';
import { PAIR_EMPTY_VALUE, PAIR_METRIC_NAME } from './label-pairs.js';
import { regionHash, SeriesCache } from './series-cache.js';
import type { EncodedSeries } from '../segment/build.js';
import { varintLength, writeVarint } from '../segment/encode.js';
import { WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT, WireReader } from './wire.js';

export interface RemoteWriteOptions {
  shardCount: number;
  /** Samples stamped later than this (ms) are rejected. */
  maxTimestampMs: number;
}

/** A TimeSeries found in the request: where its kept bytes are and what its labels are. */
interface ScannedSeries extends EncodedSeries {
  /** Index of this series' first label in the scan's label table (4 ints per label). */
  labelOffset: number;
  labelCount: number;
  /** FNV-1a of the label bytes, as `shardOf` computes it. */
  hash: number;
}

// Byte classes: label name start/rest, metric name start/rest.
const NAME_START = 1;
const NAME_REST = 2;
const METRIC_START = 4;
const METRIC_REST = 8;
const byteClass = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  const letter = /[A-Za-z_]/.test(ch);
  const digit = /[0-9]/.test(ch);
  byteClass[c] = (letter ? NAME_START | NAME_REST | METRIC_START | METRIC_REST : 0) | (digit ? NAME_REST | METRIC_REST : 0) | (ch === ':' ? METRIC_START | METRIC_REST : 0);
}
const metricNameLabel = new TextEncoder().encode('__name__');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/**
 * Scans a decompressed WriteRequest into per-shard series lists. Throws CorruptPayloadError for
 * bytes that are not a WriteRequest and InvalidSeriesDataError for content Strata cannot store.
 */
export function parseRemoteWrite(body: Uint8Array, options: RemoteWriteOptions): ParsedBatch {
  return new Scan(body, options).run();
}

/**
 * Tables reused from one request to the next (a scan is synchronous, so only one uses them at a
 * time). They grow with the request; tables grown past `keepInts` are not kept for the next one.
 */
const reusable = { labels: new Int32Array(16384), pairOfLabel: new Int32Array(4096) };
const keepInts = 1 << 20;

/**
 * Label sets checked in earlier requests (series-cache.ts), cleared when they take more than
 * `seriesCacheBudget` bytes: 64 MiB holds some 200,000 series of the bench's shape. Exported for
 * its counters.
 */
export const knownSeries = new SeriesCache();
const seriesCacheBudget = 64 << 20;

class Scan {
  private labels = reusable.labels;
  private labelLength = 0;
  private readonly series: ScannedSeries[] = [];
  private readonly dropped = noneDropped();
  private readonly reader: WireReader;
  /** The distinct label pair of each entry of the label table (same index / 4). */
  private pairOfLabel = reusable.pairOfLabel;
  private readonly cache: SeriesCache;
  private readonly view: DataView;
  /** Rank of each pair in label order, set before sorting. */
  private pairRank: Int32Array = new Int32Array(0);

  constructor(
    private readonly body: Uint8Array,
    private readonly options: RemoteWriteOptions,
  ) {
    this.reader = new WireReader(body, 0, body.length);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (knownSeries.usedBytes > seriesCacheBudget) knownSeries.clear();
    this.cache = knownSeries;
    this.cache.pairs.beginRequest();
  }

  run(): ParsedBatch {
    const r = this.reader;
    while (r.pos < r.end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 1) {
        if ((tag & 7) !== WIRE_BYTES) r.fail('WriteRequest.timeseries is not length-delimited');
        const end = r.bytesEnd();
        const series = this.scanSeries(this.body, r.pos, end, r, true);
        r.pos = end;
        r.end = this.body.length;
        if (series !== undefined) this.series.push(series);
      } else {
        if (field === 0) r.fail('field number 0 is not valid');
        if (field === 3) this.dropped.metadata++;
        r.skip(tag & 7);
      }
    }
    const batch = this.group(this.sortAndMerge());
    if (this.labels.length <= keepInts) reusable.labels = this.labels;
    if (this.pairOfLabel.length <= keepInts) reusable.pairOfLabel = this.pairOfLabel;
    return batch;
  }

  /**
   * Scans one TimeSeries in buffer[start, end) with reader `r` (whose range it changes). Returns
   * undefined for a series with no float samples. Rebuilds series that need it. With `cached`
   * (series in the request body), label fields that lead the series are looked up in the series
   * cache first, and kept there once checked.
   */
  private scanSeries(buffer: Uint8Array, start: number, end: number, r: WireReader, cached: boolean): ScannedSeries | undefined {
    r.pos = start;
    r.end = end;
    const labelOffset = this.labelLength;
    let labelCount = 0;
    // The leading label fields: [start, labelsEnd).
    let labelsEnd = start;
    let labelsHash = 0;
    let hit = -1;
    if (cached) {
      while (r.pos < end && buffer[r.pos] === 0x0a) {
        r.pos++;
        r.pos = r.bytesEnd();
      }
      labelsEnd = r.pos;
      r.pos = start;
      if (labelsEnd > start) {
        labelsHash = regionHash(this.view, start, labelsEnd);
        hit = this.cache.find(this.view, start, labelsEnd, labelsHash);
      }
      if (hit >= 0) {
        labelCount = this.cache.labelCount(hit);
        this.reserveLabels(labelCount);
        this.cache.fill(hit, start, this.labels, labelOffset, this.pairOfLabel);
        this.labelLength = labelOffset + labelCount * 4;
        r.pos = labelsEnd;
      }
    }
    let sampleCount = 0;
    let minTimeMs = Number.POSITIVE_INFINITY;
    let maxTimeMs = Number.NEGATIVE_INFINITY;
    let previousTime = Number.NEGATIVE_INFINITY;
    let unsortedSamples = false;
    let ranges: number[] | undefined;
    let keptStart = start;
    while (r.pos < end) {
      const fieldStart = r.pos;
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 1) {
        if (hit >= 0) {
          // A label after the samples: the cached set is not the whole set. Scan it the long way.
          this.labelLength = labelOffset;
          return this.scanSeries(buffer, start, end, r, false);
        }
        if ((tag & 7) !== WIRE_BYTES) r.fail('TimeSeries.labels is not length-delimited');
        const labelEnd = r.bytesEnd();
        this.scanLabel(r, labelEnd);
        labelCount++;
      } else if (field === 2) {
        if ((tag & 7) !== WIRE_BYTES) r.fail('TimeSeries.samples is not length-delimited');
        const sampleEnd = r.bytesEnd();
        const timestamp = scanSampleTime(r, sampleEnd);
        if (!Number.isSafeInteger(timestamp)) {
          this.reject(buffer, labelOffset, labelCount, `timestamp ${timestamp} is outside the range Strata stores (±2^53 ms)`);
        }
        if (timestamp > this.options.maxTimestampMs) {
          this.reject(buffer, labelOffset, labelCount, `timestamp ${timestamp} is too far in the future (the limit is ${this.options.maxTimestampMs})`);
        }
        if (timestamp < previousTime) unsortedSamples = true;
        previousTime = timestamp;
        if (timestamp < minTimeMs) minTimeMs = timestamp;
        if (timestamp > maxTimeMs) maxTimeMs = timestamp;
        sampleCount++;
      } else {
        if (field === 0) r.fail('field number 0 is not valid');
        if (field === 3) this.dropped.exemplars++;
        else if (field === 4) this.dropped.histograms++;
        r.skip(tag & 7);
        // Leave this field's bytes out of the entry.
        ranges ??= [];
        if (fieldStart > keptStart) ranges.push(keptStart, fieldStart);
        keptStart = r.pos;
      }
    }
    if (ranges !== undefined && end > keptStart) ranges.push(keptStart, end);
    if (sampleCount === 0) {
      this.labelLength = labelOffset;
      this.dropped.series++;
      return undefined;
    }

    let hash: number;
    if (hit >= 0) {
      hash = this.cache.shardHash(hit);
    } else {
      const check = this.checkLabels(buffer, labelOffset, labelCount);
      if (check.rebuild) {
        this.labelLength = labelOffset;
        return this.rebuild([{ buffer, start, end, ranges }]);
      }
      hash = check.hash;
      // Kept only when the leading label fields were all of the labels.
      if (labelsEnd > start && this.labels[labelOffset + labelCount * 4 - 1]! <= labelsEnd) {
        this.cache.add(buffer, start, labelsEnd, labelsHash, hash, this.labels, labelOffset, this.pairOfLabel, labelCount);
      }
    }
    if (unsortedSamples) {
      this.labelLength = labelOffset;
      return this.rebuild([{ buffer, start, end, ranges }]);
    }
    let byteLength = end - start;
    if (ranges !== undefined) {
      byteLength = 0;
      for (let i = 0; i < ranges.length; i += 2) byteLength += ranges[i + 1]! - ranges[i]!;
    }
    return { buffer, start, end, ranges, byteLength, sampleCount, minTimeMs, maxTimeMs, labelOffset, labelCount, hash };
  }

  /** Records one label's name and value ranges; a field given twice keeps the last, as protobuf does. */
  private scanLabel(r: WireReader, labelEnd: number): void {
    const outerEnd = r.end;
    r.end = labelEnd;
    let nameStart = r.pos;
    let nameEnd = r.pos;
    let valueStart = r.pos;
    let valueEnd = r.pos;
    while (r.pos < labelEnd) {
      const tag = r.uint32();
      if (tag === 0x0a) {
        nameEnd = r.bytesEnd();
        nameStart = r.pos;
        r.pos = nameEnd;
      } else if (tag === 0x12) {
        valueEnd = r.bytesEnd();
        valueStart = r.pos;
        r.pos = valueEnd;
      } else {
        if (tag >>> 3 === 0) r.fail('field number 0 is not valid');
        if (tag >>> 3 <= 2) r.fail('Label.name and Label.value must be length-delimited');
        r.skip(tag & 7);
      }
    }
    r.end = outerEnd;
    this.reserveLabels(1);
    const table = this.labels;
    const at = this.labelLength;
    table[at] = nameStart;
    table[at + 1] = nameEnd;
    table[at + 2] = valueStart;
    table[at + 3] = valueEnd;
    this.labelLength = at + 4;
  }

  /** Makes room for `count` more labels in the label table and the pair-of-label table. */
  private reserveLabels(count: number): void {
    const needed = this.labelLength + count * 4;
    if (needed > this.labels.length) this.labels = grownInt32(this.labels, Math.max(this.labels.length * 2, needed));
    if (this.pairOfLabel.length * 4 < this.labels.length) this.pairOfLabel = grownInt32(this.pairOfLabel, this.labels.length / 4);
  }

  /**
   * Validates a series' labels where they lie and hashes them. Errors are 400s; fixable problems
   * (order, empty values) ask for a rebuild.
   */
  private checkLabels(buffer: Uint8Array, offset: number, count: number): { rebuild: boolean; hash: number } {
    const table = this.labels;
    let rebuild = false;
    let hasName = false;
    let hash = 0x811c9dc5;
    for (let i = 0; i < count; i++) {
      const at = offset + i * 4;
      const nameStart = table[at]!;
      const nameEnd = table[at + 1]!;
      const valueStart = table[at + 2]!;
      const valueEnd = table[at + 3]!;
      if (nameEnd === nameStart) this.reject(buffer, offset, count, 'a label has an empty name');
      // The series hash (as shardOf computes it) and the pair's own hash, in one pass.
      let pairHash = 0x811c9dc5;
      for (let p = nameStart; p < nameEnd; p++) {
        const byte = buffer[p]!;
        hash = Math.imul(hash ^ byte, 0x01000193);
        pairHash = Math.imul(pairHash ^ byte, 0x01000193);
      }
      hash = Math.imul(hash ^ 0xff, 0x01000193);
      pairHash = Math.imul(pairHash ^ 0xff, 0x01000193);
      for (let p = valueStart; p < valueEnd; p++) {
        const byte = buffer[p]!;
        hash = Math.imul(hash ^ byte, 0x01000193);
        pairHash = Math.imul(pairHash ^ byte, 0x01000193);
      }
      hash = Math.imul(hash ^ 0xff, 0x01000193);
      let pair = this.cache.pairs.find(buffer, nameStart, nameEnd, valueStart, valueEnd, pairHash);
      if (pair < 0) {
        const newFlags = this.checkNewPair(buffer, at, offset, count);
        pair = this.cache.pairs.add(buffer, nameStart, nameEnd, valueStart, valueEnd, pairHash, newFlags);
      }
      this.pairOfLabel[at >>> 2] = pair;
      this.cache.pairs.markUsed(pair);
      const flags = this.cache.pairs.flagsOf(pair);
      if ((flags & PAIR_EMPTY_VALUE) !== 0) rebuild = true;
      if ((flags & PAIR_METRIC_NAME) !== 0) hasName = true;
      if (i > 0) {
        const order = compareBytes(buffer, table[at - 4]!, table[at - 3]!, buffer, nameStart, nameEnd);
        if (order === 0) this.reject(buffer, offset, count, `label ${lenient.decode(buffer.subarray(nameStart, nameEnd))} appears twice`);
        if (order > 0) rebuild = true;
      }
    }
    if (!hasName && !rebuild) this.reject(buffer, offset, count, 'the series has no __name__ label');
    return { rebuild, hash: hash >>> 0 };
  }

  /**
   * Validates a label pair the first time the request shows it (pairs repeat across series, so most
   * labels skip this): name syntax, UTF-8 value, and a valid metric name under `__name__`.
   */
  private checkNewPair(buffer: Uint8Array, at: number, offset: number, count: number): number {
    const table = this.labels;
    const nameStart = table[at]!;
    const nameEnd = table[at + 1]!;
    const valueStart = table[at + 2]!;
    const valueEnd = table[at + 3]!;
    if ((byteClass[buffer[nameStart]!]! & NAME_START) === 0) this.rejectName(buffer, offset, count, nameStart, nameEnd);
    for (let p = nameStart + 1; p < nameEnd; p++) {
      if ((byteClass[buffer[p]!]! & NAME_REST) === 0) this.rejectName(buffer, offset, count, nameStart, nameEnd);
    }
    let ascii = true;
    for (let p = valueStart; p < valueEnd; p++) if (buffer[p]! >= 0x80) ascii = false;
    if (!ascii) this.checkUtf8(buffer, offset, count, nameStart, nameEnd, valueStart, valueEnd);
    let flags = valueEnd === valueStart ? PAIR_EMPTY_VALUE : 0;
    if (equalsBytes(buffer, nameStart, nameEnd, metricNameLabel)) {
      flags |= PAIR_METRIC_NAME;
      if (!isMetricName(buffer, valueStart, valueEnd)) {
        this.reject(buffer, offset, count, `metric name ${JSON.stringify(lenient.decode(buffer.subarray(valueStart, valueEnd)))} is not valid`);
      }
    }
    return flags;
  }

  private checkUtf8(buffer: Uint8Array, offset: number, count: number, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    try {
      utf8.decode(buffer.subarray(valueStart, valueEnd));
    } catch {
      this.reject(buffer, offset, count, `the value of label ${lenient.decode(buffer.subarray(nameStart, nameEnd))} is not valid UTF-8`);
    }
  }

  /**
   * Rebuilds one series (or merges several with the same label set) at byte level: labels sorted by
   * name with empty values dropped, samples stably sorted by time, every byte of every label and
   * sample copied as it was. The result is scanned again as a new, clean series.
   */
  private rebuild(parts: ReadonlyArray<Pick<EncodedSeries, 'buffer' | 'start' | 'end' | 'ranges'>>): ScannedSeries {
    interface Piece {
      bytes: Uint8Array;
      start: number;
      end: number;
    }
    const labels: Array<{ field: Piece; name: Piece }> = [];
    const samples: Array<{ field: Piece; time: number }> = [];
    for (const [index, part] of parts.entries()) {
      const message = part.ranges === undefined ? part.buffer.subarray(part.start, part.end) : concatRanges(part.buffer, part.ranges);
      const r = new WireReader(message, 0, message.length);
      while (r.pos < r.end) {
        const tag = r.uint32();
        const end = r.bytesEnd();
        const field = { bytes: message, start: r.pos, end };
        if (tag === 0x0a && index === 0) {
          const label = new WireReader(message, r.pos, end);
          let name = { bytes: message, start: r.pos, end: r.pos };
          let hasValue = false;
          while (label.pos < label.end) {
            const labelTag = label.uint32();
            const fieldEnd = label.bytesEnd();
            if (labelTag === 0x0a) name = { bytes: message, start: label.pos, end: fieldEnd };
            else if (labelTag === 0x12) hasValue = fieldEnd > label.pos;
            label.pos = fieldEnd;
          }
          if (hasValue) labels.push({ field, name });
        } else if (tag === 0x12) {
          samples.push({ field, time: scanSampleTime(new WireReader(message, r.pos, end), end) });
        }
        r.pos = end;
      }
    }
    labels.sort((a, b) => compareBytes(a.name.bytes, a.name.start, a.name.end, b.name.bytes, b.name.start, b.name.end));
    samples.sort((a, b) => a.time - b.time); // Array.prototype.sort is stable
    const pieces = [...labels.map((l) => ({ tag: 0x0a, piece: l.field })), ...samples.map((s) => ({ tag: 0x12, piece: s.field }))];
    let size = 0;
    for (const { piece } of pieces) size += 1 + varintLength(piece.end - piece.start) + piece.end - piece.start;
    const out = new Uint8Array(size);
    let offset = 0;
    for (const { tag, piece } of pieces) {
      out[offset++] = tag;
      offset = writeVarint(out, offset, piece.end - piece.start);
      out.set(piece.bytes.subarray(piece.start, piece.end), offset);
      offset += piece.end - piece.start;
    }
    const rebuilt = this.scanSeries(out, 0, out.length, new WireReader(out, 0, out.length), false);
    if (rebuilt === undefined) throw new Error('a rebuilt series lost its samples'); // cannot happen: samples are kept
    return rebuilt;
  }

  /**
   * Sorts the series by label set and merges any that share one. Each series' first few pair ranks
   * (plus one, so that a missing label sorts first) are packed with its index into one exact double,
   * and a Float64Array sorts those natively, much cheaper than a comparator sort. Only series whose
   * packed prefixes tie are compared label by label.
   */
  private sortAndMerge(): ScannedSeries[] {
    const ranked = this.cache.pairs.rankUsed();
    this.pairRank = ranked.rank;
    const all = this.series;
    const n = all.length;
    const indexBits = bitsFor(n);
    const rankBits = bitsFor(ranked.count + 1);
    const indexScale = 2 ** indexBits;
    const rankScale = 2 ** rankBits;
    // Doubles hold integers exactly up to 2^53. (With none packed, all prefixes tie and compare sorts.)
    const packed = Math.max(0, Math.floor((53 - indexBits) / rankBits));
    const compare = (a: ScannedSeries, b: ScannedSeries) => this.compareSeries(a, b);
    const pairs = this.pairOfLabel;
    const rank = this.pairRank;
    const keys = new Float64Array(n);
    let maxLabels = 0;
    for (let i = 0; i < n; i++) {
      const one = all[i]!;
      const first = one.labelOffset >>> 2;
      let key = 0;
      for (let l = 0; l < packed; l++) key = key * rankScale + (l < one.labelCount ? rank[pairs[first + l]!]! + 1 : 0);
      keys[i] = key * indexScale + i;
      if (one.labelCount > maxLabels) maxLabels = one.labelCount;
    }
    keys.sort();
    const sorted = new Array<ScannedSeries>(n);
    const prefixes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const prefix = Math.floor(keys[i]! / indexScale);
      prefixes[i] = prefix;
      sorted[i] = all[keys[i]! - prefix * indexScale]!;
    }
    // With every label packed, equal prefixes are equal label sets; otherwise tied runs are sorted by compare.
    const complete = maxLabels <= packed;
    const same = complete ? (i: number, j: number) => prefixes[i] === prefixes[j] : (i: number, j: number) => prefixes[i] === prefixes[j] && compare(sorted[i]!, sorted[j]!) === 0;
    if (!complete) {
      for (let i = 0; i < n; ) {
        let j = i + 1;
        while (j < n && prefixes[j] === prefixes[i]) j++;
        if (j - i > 1) {
          const run = sorted.slice(i, j).sort(compare);
          for (let k = 0; k < run.length; k++) sorted[i + k] = run[k]!;
        }
        i = j;
      }
    }
    const out: ScannedSeries[] = [];
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && same(i, j)) j++;
      out.push(j === i + 1 ? sorted[i]! : this.rebuild(sorted.slice(i, j)));
      i = j;
    }
    return out;
  }

  private group(series: ScannedSeries[]): ParsedBatch {
    const shards = new Map<number, EncodedSeries[]>();
    let sampleCount = 0;
    const { shardCount } = this.options;
    for (const one of series) {
      const shard = one.hash - Math.floor(one.hash / shardCount) * shardCount; // a uint32 may be a double: no float %
      let list = shards.get(shard);
      if (list === undefined) shards.set(shard, (list = []));
      list.push(one);
      sampleCount += one.sampleCount;
    }
    return { shards, seriesCount: series.length, sampleCount, dropped: this.dropped };
  }

  /** Label-set order via pair ranks (equal ranks are equal pairs). */
  private compareSeries(a: ScannedSeries, b: ScannedSeries): number {
    const pairs = this.pairOfLabel;
    const rank = this.pairRank;
    const aFirst = a.labelOffset >>> 2;
    const bFirst = b.labelOffset >>> 2;
    const count = Math.min(a.labelCount, b.labelCount);
    for (let i = 0; i < count; i++) {
      const d = rank[pairs[aFirst + i]!]! - rank[pairs[bFirst + i]!]!;
      if (d !== 0) return d;
    }
    return a.labelCount - b.labelCount;
  }

  private rejectName(buffer: Uint8Array, offset: number, count: number, start: number, end: number): never {
    return this.reject(buffer, offset, count, `label name ${JSON.stringify(lenient.decode(buffer.subarray(start, end)))} is not a valid Prometheus label name`);
  }

  private reject(buffer: Uint8Array, offset: number, count: number, problem: string): never {
    throw new InvalidSeriesDataError(`series ${this.describe(buffer, offset, count)}: ${problem}`);
  }

  /** `name{a="b", ...}` from the label table, for error messages. */
  private describe(buffer: Uint8Array, offset: number, count: number): string {
    const table = this.labels;
    let name = '';
    const rest: string[] = [];
    for (let i = 0; i < count && offset + i * 4 + 3 < this.labelLength; i++) {
      const at = offset + i * 4;
      const labelName = lenient.decode(buffer.subarray(table[at]!, table[at + 1]!));
      const value = lenient.decode(buffer.subarray(table[at + 2]!, table[at + 3]!));
      if (labelName === '__name__') name = value;
      else rest.push(`${labelName}=${JSON.stringify(value)}`);
    }
    return `${name}{${rest.join(', ')}}`;
  }
}

/** Reads a Sample message's timestamp (field 2) from r.pos to `end`, skipping the value. */
function scanSampleTime(r: WireReader, end: number): number {
  const outerEnd = r.end;
  r.end = end;
  let timestamp = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x10) timestamp = r.int64();
    else if (tag === 0x09) r.skip(WIRE_FIXED64);
    else {
      const field = tag >>> 3;
      if (field === 0) r.fail('field number 0 is not valid');
      if (field === 1) r.fail('Sample.value must be a fixed64 double');
      if (field === 2 && (tag & 7) !== WIRE_VARINT) r.fail('Sample.timestamp must be a varint');
      r.skip(tag & 7);
    }
  }
  r.end = outerEnd;
  return timestamp;
}



/** Bits needed to hold the numbers 0 .. count-1 (at least one). */
function bitsFor(count: number): number {
  return Math.max(1, Math.ceil(Math.log2(count)));
}

function isMetricName(buffer: Uint8Array, start: number, end: number): boolean {
  if (end === start || (byteClass[buffer[start]!]! & METRIC_START) === 0) return false;
  for (let p = start + 1; p < end; p++) if ((byteClass[buffer[p]!]! & METRIC_REST) === 0) return false;
  return true;
}
