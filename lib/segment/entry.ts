/**
 * Series whose samples stay encoded. Compaction moves samples from sources to blocks; decoding each
 * into an object and encoding it again cost more than everything else the merge does (Tempo's
 * lesson, again). A `SeriesEntry` keeps a series' samples as canonical `Series.samples` fields —
 * exactly the bytes the encoder would write — so a merge that only concatenates copies of a series
 * copies bytes, and the output is the same as if every sample had been decoded and re-encoded.
 *
 * `readSeriesEntry` is the reader's scanner: labels, functions and stacks go through the generated
 * decoders; samples are checked in place and kept as slices of the decoded chunk when they are
 * already canonical and contiguous (what Strata, Prometheus and protobuf encoders write), or
 * re-encoded canonically when they are not.
 */
import protobuf from 'protobufjs/minimal.js';
import { strata } from '../gen/segment.js';
import type { Label } from './labels.js';
import { timeBounds, type Sample, type Series, type Stack } from './format.js';
import { isPositiveZero, varintLength, writeVarint } from './encode.js';

const pb = strata.segment.v1;

export interface SeriesEntry {
  labels: Label[];
  /**
   * The label fields exactly as the encoder writes them, when the source had them so (a slice of
   * the decoded chunk): the encoder copies them instead of encoding every string again.
   */
  labelBytes?: Uint8Array;
  /** Canonical `Series.samples` fields (tag, length, Sample message), in order; their concatenation is the series' samples. */
  sampleParts: Uint8Array[];
  sampleCount: number;
  /** First and last timestamp of samples and stacks together (0 when there are none). */
  minTimeMs: number;
  maxTimeMs: number;
  /** Every sample's timestamp is greater than the previous one's: no duplicates to look for. */
  samplesStrictlyIncreasing: boolean;
  functions: string[];
  stacks: Stack[];
}

/** Wire problems (corrupt protobuf) in a series entry. */
export class EntryWireError extends Error {
  override name = 'EntryWireError';
}

/** Content the format forbids in a well-formed entry (unsorted samples, bad timestamps). */
export class EntryContentError extends Error {
  override name = 'EntryContentError';
}

const sampleTag = 0x12; // Series field 2, length-delimited
const valueTag = 0x09; // Sample field 1, 64-bit
const timestampTag = 0x10; // Sample field 2, varint

/**
 * Reads one `Series` message of `length` bytes at the reader's position. Throws EntryWireError for
 * malformed protobuf and EntryContentError for samples out of order or with impossible timestamps.
 */
export function readSeriesEntry(reader: protobuf.Reader, length: number): SeriesEntry {
  const buf = reader.buf;
  const end = reader.pos + length;
  if (end > reader.len) throw new EntryWireError(`series length ${length} runs past the end of the chunk`);
  const labels: Label[] = [];
  const functions: string[] = [];
  const stacks: Stack[] = [];
  let samplesStart = -1;
  let samplesEnd = -1;
  // The label fields' span while every one is canonical and they follow each other; -1 once not.
  let labelsStart = -1;
  let labelsEnd = -1;
  let sampleCount = 0;
  let firstSampleMs = 0;
  let lastSampleMs = Number.NEGATIVE_INFINITY;
  let strictlyIncreasing = true;
  // Undefined while the samples are canonical and contiguous (kept as one slice); decoded from the
  // first sample that is not, to be encoded again.
  let decoded: Sample[] | undefined;

  while (reader.pos < end) {
    const tagStart = reader.pos;
    const tag = reader.uint32();
    if (tag === sampleTag) {
      // A run of sample fields, read in place: the hot loop of every reader.
      let pos = reader.pos;
      let fieldStart = tagStart;
      for (;;) {
        const sampleLength = buf[pos]!; // one byte: every canonical Sample is shorter than 128
        let timestamp: number;
        if (
          sampleLength < 0x80 &&
          (samplesStart < 0 || samplesEnd === fieldStart) &&
          pos + 1 + sampleLength <= end &&
          scanCanonicalSample(buf, pos + 1, pos + 1 + sampleLength)
        ) {
          timestamp = scannedTimestamp;
          pos += 1 + sampleLength;
          decoded?.push(...decodeSamples([buf.subarray(fieldStart, pos)]));
        } else {
          reader.pos = fieldStart + 1;
          const length = reader.uint32();
          if (reader.pos + length > end) throw new EntryWireError('a sample runs past the end of its series');
          const sample = readSample(buf, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), reader.pos, reader.pos + length);
          pos = reader.pos + length;
          decoded ??= samplesStart >= 0 ? decodeSamples([buf.subarray(samplesStart, samplesEnd)]) : [];
          decoded.push({ timestamp: sample.timestamp, value: sample.value });
          timestamp = sample.timestamp;
        }
        if (samplesStart < 0) samplesStart = fieldStart;
        samplesEnd = pos;
        if (!Number.isSafeInteger(timestamp)) throw new EntryContentError(`timestamp ${timestamp} is not an integer number of milliseconds`);
        if (timestamp < lastSampleMs) throw new EntryContentError('samples are not sorted by timestamp');
        if (timestamp === lastSampleMs) strictlyIncreasing = false;
        if (sampleCount === 0) firstSampleMs = timestamp;
        lastSampleMs = timestamp;
        sampleCount++;
        if (pos >= end || buf[pos] !== sampleTag) break;
        fieldStart = pos;
        pos++;
      }
      reader.pos = pos;
    } else if (tag === 0x0a) {
      const labelLength = reader.uint32();
      const labelStart = reader.pos;
      const label = readCanonicalLabel(reader, labelLength);
      if (label !== undefined && reader.pos - tagStart === 1 + varintLength(labelLength) + labelLength && (labels.length === 0 || labelsEnd === tagStart)) {
        if (labels.length === 0) labelsStart = tagStart;
        labelsEnd = reader.pos;
      } else {
        labelsEnd = -1;
      }
      if (label === undefined) reader.pos = labelStart;
      labels.push(label ?? (pb.Label.decode(reader, labelLength) as Label));
    } else if (tag === 0x2a) {
      functions.push(reader.string());
    } else if (tag === 0x32) {
      stacks.push(pb.Stack.decode(reader, reader.uint32()) as Stack);
    } else {
      const field = tag >>> 3;
      if (field === 1 || field === 2 || field === 5 || field === 6) throw new EntryWireError(`field ${field} of Series has wire type ${tag & 7}`);
      reader.skipType(tag & 7); // a field a later version may add
    }
  }
  if (reader.pos !== end) throw new EntryWireError('a field runs past the end of its series');

  let sampleParts: Uint8Array[] = [];
  if (sampleCount > 0) sampleParts = decoded === undefined ? [buf.subarray(samplesStart, samplesEnd)] : [encodeSamples(decoded)];
  let minTimeMs = sampleCount > 0 ? firstSampleMs : Number.POSITIVE_INFINITY;
  let maxTimeMs = sampleCount > 0 ? lastSampleMs : Number.NEGATIVE_INFINITY;
  if (stacks.length > 0) {
    minTimeMs = Math.min(minTimeMs, stacks[0]!.timestamp);
    maxTimeMs = Math.max(maxTimeMs, stacks.at(-1)!.timestamp);
  }
  if (sampleCount === 0 && stacks.length === 0) [minTimeMs, maxTimeMs] = [0, 0];
  const entry: SeriesEntry = { labels, sampleParts, sampleCount, minTimeMs, maxTimeMs, samplesStrictlyIncreasing: strictlyIncreasing, functions, stacks };
  if (labelsEnd >= 0) entry.labelBytes = buf.subarray(labelsStart, labelsEnd);
  return entry;
}

/**
 * A Label message of `length` bytes read as the encoder writes it — name field, then value field,
 * both non-empty with minimal length varints, nothing else — or undefined (the reader's position
 * is then anywhere inside it) for the generated decoder to read and judge.
 */
function readCanonicalLabel(reader: protobuf.Reader, length: number): Label | undefined {
  const end = reader.pos + length;
  if (end > reader.len || reader.buf[reader.pos] !== 0x0a) return undefined;
  reader.pos++;
  const name = readCanonicalString(reader, end);
  if (name === undefined || reader.buf[reader.pos] !== 0x12) return undefined;
  reader.pos++;
  const value = readCanonicalString(reader, end);
  return value !== undefined && reader.pos === end ? { name, value } : undefined;
}

function readCanonicalString(reader: protobuf.Reader, end: number): string | undefined {
  const lengthStart = reader.pos;
  try {
    const length = reader.uint32();
    const start = reader.pos;
    if (length === 0 || start - lengthStart !== varintLength(length) || start + length > end) return undefined;
    reader.pos = start + length;
    return protobuf.util.utf8.readStrict(reader.buf, start, start + length);
  } catch {
    return undefined;
  }
}

/** The timestamp `scanCanonicalSample` read. */
let scannedTimestamp = 0;

/**
 * True when the Sample message in [start, end) is exactly what `encodeSamples` writes (value field
 * unless +0, then a minimal timestamp varint unless 0); sets `scannedTimestamp`. False means "read
 * it the general way", which also reports what is wrong with it.
 */
function scanCanonicalSample(buf: Uint8Array, start: number, end: number): boolean {
  let pos = start;
  if (pos < end && buf[pos] === valueTag) {
    if (pos + 9 > end) return false;
    if ((buf[pos + 1]! | buf[pos + 2]! | buf[pos + 3]! | buf[pos + 4]! | buf[pos + 5]! | buf[pos + 6]! | buf[pos + 7]! | buf[pos + 8]!) === 0) return false; // +0 is left out
    pos += 9;
  }
  scannedTimestamp = 0;
  if (pos < end && buf[pos] === timestampTag) {
    scannedTimestamp = readInt64Varint(buf, pos + 1, end);
    if (scannedTimestamp === 0 || (varintEnd - pos > 2 && buf[varintEnd - 1] === 0)) return false; // 0 is left out; varints are minimal
    pos = varintEnd;
  }
  return pos === end;
}

interface ScannedSample extends Sample {
  /** The bytes are what `encodeSamples` would write for this sample. */
  canonical: boolean;
}

function readSample(buf: Uint8Array, view: DataView, start: number, end: number): ScannedSample {
  let value = 0;
  let timestamp = 0;
  let pos = start;
  let fields = 0; // bit 1: value seen, bit 2: timestamp seen
  let canonicalOrder = true;
  while (pos < end) {
    const tag = buf[pos++]!;
    if (tag === valueTag) {
      if (pos + 8 > end) throw new EntryWireError('a sample value runs past the end of its sample');
      value = view.getFloat64(pos, true);
      pos += 8;
      if (fields !== 0) canonicalOrder = false;
      fields |= 1;
    } else if (tag === timestampTag) {
      timestamp = readInt64Varint(buf, pos, end);
      pos = varintEnd;
      if ((fields & 2) !== 0) canonicalOrder = false;
      fields |= 2;
    } else {
      // Legal protobuf that our encoder does not write (another field, a long tag): skip it.
      pos = skipField(buf, pos - 1, end);
      canonicalOrder = false;
    }
  }
  return { timestamp, value, canonical: canonicalOrder && end - start === sampleBodyLength(timestamp, value) };
}

/** Skips the field whose tag starts at `pos`; throws for a known Sample field with the wrong wire type. */
function skipField(buf: Uint8Array, pos: number, end: number): number {
  const reader = protobuf.Reader.create(buf.subarray(pos, end));
  try {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field <= 2) throw new Error(`field ${field} is encoded with wire type ${tag & 7} or a padded tag`);
    reader.skipType(tag & 7);
  } catch (cause) {
    throw new EntryWireError(`a sample is not valid protobuf: ${(cause as Error).message}`, { cause });
  }
  return pos + reader.pos;
}

/** Where the last `readInt64Varint` stopped: a module variable, so the hot loop allocates nothing. */
let varintEnd = 0;

/** Reads an int64 varint at `start` (sets `varintEnd`); values past 2^53 come out inexact. */
function readInt64Varint(buf: Uint8Array, start: number, end: number): number {
  let pos = start;
  let low = 0; // bits 0..27, as a small integer
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw new EntryWireError('a timestamp varint runs past the end of its sample');
    const byte = buf[pos++]!;
    low |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      varintEnd = pos;
      return low;
    }
  }
  let high = 0; // bits 28 and up
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw new EntryWireError('a timestamp varint runs past the end of its sample');
    const byte = buf[pos++]!;
    high += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) {
      varintEnd = pos;
      return high * 268435456 + low;
    }
  }
  if (pos >= end) throw new EntryWireError('a timestamp varint runs past the end of its sample');
  return readNegativeVarint(buf, start, pos + 1, buf[pos]!);
}

/** The tenth byte of a varint: only a negative int64 (two's complement) is that long. */
function readNegativeVarint(buf: Uint8Array, start: number, end: number, last: number): number {
  if (last >= 0x80) throw new EntryWireError('a timestamp varint is longer than ten bytes');
  let big = 0n;
  for (let pos = end - 1; pos >= start; pos--) big = (big << 7n) | BigInt(buf[pos]! & 0x7f);
  varintEnd = end;
  return Number(BigInt.asIntN(64, big));
}

/** The canonical length of a Sample message: fields at their default (+0.0, 0) are left out. */
function sampleBodyLength(timestamp: number, value: number): number {
  return (isPositiveZero(value) ? 0 : 9) + (timestamp === 0 ? 0 : 1 + varintLength(timestamp));
}

const scratch = new DataView(new ArrayBuffer(8));

/** Encodes samples as canonical `Series.samples` fields. */
export function encodeSamples(samples: readonly Sample[]): Uint8Array {
  let length = 0;
  for (const { timestamp, value } of samples) {
    const body = sampleBodyLength(timestamp, value);
    length += 1 + varintLength(body) + body;
  }
  const out = new Uint8Array(length);
  let pos = 0;
  for (const { timestamp, value } of samples) {
    out[pos++] = sampleTag;
    pos = writeVarint(out, pos, sampleBodyLength(timestamp, value));
    if (!isPositiveZero(value)) {
      out[pos++] = valueTag;
      scratch.setFloat64(0, value, true);
      for (let i = 0; i < 8; i++) out[pos++] = scratch.getUint8(i);
    }
    if (timestamp !== 0) {
      out[pos++] = timestampTag;
      pos = writeInt64Varint(out, pos, timestamp);
    }
  }
  return out;
}

/** Writes a (possibly negative) int64 varint; returns the offset after it. */
export function writeInt64Varint(out: Uint8Array, pos: number, value: number): number {
  if (value >= 0) return writeVarint(out, pos, value);
  let big = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 9; i++) {
    out[pos++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  out[pos++] = Number(big);
  return pos;
}

/** Decodes canonical sample fields (as `SeriesEntry.sampleParts` holds them). */
export function decodeSamples(parts: readonly Uint8Array[]): Sample[] {
  const samples: Sample[] = [];
  for (const part of parts) {
    const view = new DataView(part.buffer, part.byteOffset, part.byteLength);
    let pos = 0;
    while (pos < part.length) {
      pos++; // the field tag
      let length = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = part[pos++]!;
        length += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
      }
      const sample = readSample(part, view, pos, pos + length);
      samples.push({ timestamp: sample.timestamp, value: sample.value });
      pos += length;
    }
  }
  return samples;
}

/** The entry of a decoded series (for writers handed objects: the CLI, tests, rules' inputs). */
export function entryOf(series: Series): SeriesEntry {
  const { samples, stacks } = series;
  let strictlyIncreasing = true;
  for (let i = 1; i < samples.length && strictlyIncreasing; i++) strictlyIncreasing = samples[i]!.timestamp > samples[i - 1]!.timestamp;
  const empty = samples.length === 0 && stacks.length === 0;
  const [minTimeMs, maxTimeMs] = empty ? [0, 0] : timeBounds(series);
  return {
    labels: series.labels,
    sampleParts: samples.length > 0 ? [encodeSamples(samples)] : [],
    sampleCount: samples.length,
    minTimeMs,
    maxTimeMs,
    samplesStrictlyIncreasing: strictlyIncreasing,
    functions: series.functions,
    stacks,
  };
}
