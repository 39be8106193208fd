/**
 * Segment (L0) and block (L1+) files: a versioned, self-describing container around snappy-compressed
 * protobuf chunks. The layout is specified in docs/format.md; in short:
 *
 *   offset  size  field
 *   0       4     magic "STRA"
 *   4       1     format version (1)
 *   5       1     kind: 1 = segment, 2 = block
 *   6       2     flags, uint16 LE, must be 0
 *   8       4     header length H, uint32 LE
 *   12      H     FileHeader (protobuf)
 *   12+H    4     CRC-32 of bytes [0, 12+H), uint32 LE
 *   then chunk_count chunks, each:
 *           4     stored length S, uint32 LE
 *           4     decoded length D, uint32 LE
 *           4     CRC-32 of the S stored bytes, uint32 LE
 *           S     raw snappy block that decodes to D bytes: a SeriesBody protobuf
 *   the file ends right after the last chunk.
 *
 * Series are sorted by label set and unique across the file, and never span two chunks, so a reader
 * holds one decoded chunk at a time no matter how large the file is.
 */
import { crc32 } from 'node:zlib';
import protobuf from 'protobufjs/minimal.js';
import { snappyCompress, snappyDecodedLength, snappyUncompress } from './snappy.js';
import { strata } from '../gen/segment.js';
import { encodeEntry } from './encode.js';
import { decodeSamples, EntryContentError, entryOf, readSeriesEntry, type SeriesEntry } from './entry.js';
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
} from './errors.js';
import type { DataKey } from './keys.js';
import { compareLabelSets, labelSetProblem, shardOf, type Label } from './labels.js';

const pb = strata.segment.v1;

export const magic = Uint8Array.of(0x53, 0x54, 0x52, 0x41); // "STRA"
export const formatVersion = 1;
export const preambleBytes = 12;
export const checksumBytes = 4;
export const chunkHeaderBytes = 12;

export type FileKind = 'segment' | 'block';
const kindCodes: Record<FileKind, number> = { segment: 1, block: 2 };

export interface Sample {
  /** Milliseconds since the epoch. */
  timestamp: number;
  value: number;
}

/** One stack of a profile sample; frames index into the series' `functions`, leaf first. */
export interface Stack {
  timestamp: number;
  frames: number[];
  value: number;
}

export interface Series {
  labels: Label[];
  samples: Sample[];
  functions: string[];
  stacks: Stack[];
}

/** What the writer of a file says about it; the counts and bounds are computed by the encoder. */
export interface FileIdentity {
  tenant: string;
  shard: number;
  /** 0 for a segment, n >= 1 for a block at level n. */
  level: number;
  /** The segment's ULID or the block's job id. */
  id: string;
  createdBy: string;
  createdAtMs: number;
  shardCount: number;
  /** Blocks only: keys of the objects the block replaces. */
  sources?: string[];
}

export interface FileHeader extends Required<FileIdentity> {
  kind: FileKind;
  minTimeMs: number;
  maxTimeMs: number;
  seriesCount: number;
  sampleCount: number;
  chunkCount: number;
  bodyStoredBytes: number;
  bodyDecodedBytes: number;
}

export interface ReadLimits {
  maxHeaderBytes: number;
  /** Largest decoded chunk; checked before decompressing it. */
  maxChunkDecodedBytes: number;
  /** Largest decoded body (all chunks); checked before reading any chunk. */
  maxBodyDecodedBytes: number;
}

export const defaultReadLimits: ReadLimits = {
  maxHeaderBytes: 1 << 20,
  maxChunkDecodedBytes: 16 << 20,
  maxBodyDecodedBytes: 2 ** 31,
};

/** The writer closes a chunk once its decoded size reaches this. */
export const defaultChunkTargetBytes = 1 << 20;

function kindOfLevel(level: number): FileKind {
  return level === 0 ? 'segment' : 'block';
}

/**
 * Builds one file from series added in label-set order. Series are encoded as they arrive and
 * compressed a chunk at a time, so memory holds the compressed output plus one chunk — or, when the
 * caller ships sealed chunks as they come (`takeChunks`, `finishParts`), one chunk and the header.
 */
export class FileWriter {
  private sealed: Uint8Array[] = [];
  private body: BodyTotals = { chunkCount: 0, bodyStoredBytes: 0, bodyDecodedBytes: 0 };
  private chunksTaken = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private previousLabels: Label[] | undefined;
  private seriesCount = 0;
  private sampleCount = 0;
  private minTimeMs = Number.POSITIVE_INFINITY;
  private maxTimeMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly identity: FileIdentity,
    private readonly chunkTargetBytes = defaultChunkTargetBytes,
  ) {
    if (identity.level === 0 && (identity.sources?.length ?? 0) > 0) {
      throw new RangeError('a segment (level 0) cannot name sources; only blocks replace other objects');
    }
  }

  /** Adds the next series; throws InvalidSeriesError when it is invalid or out of order. */
  add(series: Series): void {
    const problem = seriesProblem(series);
    if (problem !== undefined) throw new InvalidSeriesError(`cannot write series ${formatLabels(series.labels)}: ${problem}`);
    this.addEntry(entryOf(series));
  }

  /**
   * Adds the next series from a reader or the merge, whose samples are already encoded and were
   * validated when they were read; only their order relative to the others is checked here.
   */
  addEntry(entry: SeriesEntry): void {
    const { labels } = entry;
    if (this.previousLabels !== undefined && compareLabelSets(this.previousLabels, labels) >= 0) {
      throw new InvalidSeriesError(`series must be added in label order without duplicates: ${formatLabels(labels)} after ${formatLabels(this.previousLabels)}`);
    }
    // Each entry is field 1 of SeriesBody, so a chunk's decoded bytes are a valid SeriesBody.
    const encoded = encodeEntry(entry);
    if (encoded.length > defaultReadLimits.maxChunkDecodedBytes) {
      throw new InvalidSeriesError(`series ${formatLabels(labels)} encodes to ${encoded.length} bytes, above the chunk limit`);
    }
    this.previousLabels = labels;
    if (this.pendingBytes > 0 && this.pendingBytes + encoded.length > this.chunkTargetBytes) this.closeChunk();
    this.pending.push(encoded);
    this.pendingBytes += encoded.length;
    this.seriesCount++;
    this.sampleCount += entry.sampleCount;
    this.minTimeMs = Math.min(this.minTimeMs, entry.minTimeMs);
    this.maxTimeMs = Math.max(this.maxTimeMs, entry.maxTimeMs);
  }

  /** Returns the whole file. The writer cannot be used afterwards. */
  finish(): Uint8Array {
    if (this.chunksTaken) throw new RangeError('finish() after takeChunks(): use finishParts()');
    const { head, chunks } = this.finishParts();
    return concat([head, ...chunks], head.length + this.body.bodyStoredBytes);
  }

  /** The chunks sealed since the last call, in file order, for the caller to write out. */
  takeChunks(): readonly Uint8Array[] {
    this.chunksTaken = true;
    if (this.sealed.length === 0) return noChunks; // the usual answer, asked once per series
    const taken = this.sealed;
    this.sealed = [];
    return taken;
  }

  /**
   * Seals the last chunk and returns the file's head (preamble, header, checksum) and the chunks
   * not taken yet: the file is the head followed by every chunk in order. The writer cannot be used afterwards.
   */
  finishParts(): { head: Uint8Array; chunks: readonly Uint8Array[] } {
    this.closeChunk();
    const empty = this.seriesCount === 0;
    const head = fileHead(
      {
        ...this.identity,
        sources: [...(this.identity.sources ?? [])].sort(),
        minTimeMs: empty ? 0 : this.minTimeMs,
        maxTimeMs: empty ? 0 : this.maxTimeMs,
        seriesCount: this.seriesCount,
        sampleCount: this.sampleCount,
      },
      this.body,
    );
    return { head, chunks: this.takeChunks() };
  }

  private closeChunk(): void {
    if (this.pendingBytes === 0) return;
    const chunk = sealChunk(concat(this.pending, this.pendingBytes));
    this.sealed.push(chunk);
    this.body.chunkCount++;
    this.body.bodyStoredBytes += chunk.length;
    this.body.bodyDecodedBytes += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

const noChunks: readonly Uint8Array[] = Object.freeze([]);

type BodyTotals = Pick<FileHeader, 'chunkCount' | 'bodyStoredBytes' | 'bodyDecodedBytes'>;

/** Compresses one chunk's decoded bytes (a SeriesBody) and prefixes the chunk header. */
export function sealChunk(decoded: Uint8Array): Uint8Array {
  const chunk = snappyCompress(decoded, chunkHeaderBytes);
  const stored = chunk.subarray(chunkHeaderBytes);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, stored.length, true);
  view.setUint32(4, decoded.length, true);
  view.setUint32(8, crc32(stored), true);
  return chunk;
}

type AssembledHeader = Required<FileIdentity> &
  Pick<FileHeader, 'minTimeMs' | 'maxTimeMs' | 'seriesCount' | 'sampleCount'>;

/**
 * Writes the preamble, header and checksum in front of sealed chunks. It trusts the counts it is
 * given: FileWriter computes them; tests use it directly to build files that break the rules.
 */
export function assembleFile(fields: AssembledHeader, chunks: readonly Uint8Array[]): Uint8Array {
  const bodyStoredBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const bodyDecodedBytes = chunks.reduce((sum, chunk) => sum + new DataView(chunk.buffer, chunk.byteOffset).getUint32(4, true), 0);
  const head = fileHead(fields, { chunkCount: chunks.length, bodyStoredBytes, bodyDecodedBytes });
  return concat([head, ...chunks], head.length + bodyStoredBytes);
}

/** The preamble, header and header checksum of a file whose chunks add up to `body`. */
function fileHead(fields: AssembledHeader, body: BodyTotals): Uint8Array {
  const header = pb.FileHeader.encode({ ...fields, ...body }).finish();
  const out = new Uint8Array(preambleBytes + header.length + checksumBytes);
  const view = new DataView(out.buffer);
  out.set(magic, 0);
  out[4] = formatVersion;
  out[5] = kindCodes[kindOfLevel(fields.level)];
  view.setUint16(6, 0, true);
  view.setUint32(8, header.length, true);
  out.set(header, preambleBytes);
  view.setUint32(preambleBytes + header.length, crc32(out.subarray(0, preambleBytes + header.length)), true);
  return out;
}

/** Encodes a whole file from series in any order (they are sorted here). */
export function encodeFile(identity: FileIdentity, series: readonly Series[]): Uint8Array {
  const writer = new FileWriter(identity);
  for (const one of [...series].sort((a, b) => compareLabelSets(a.labels, b.labels))) writer.add(one);
  return writer.finish();
}

export interface OpenOptions {
  limits?: Partial<ReadLimits>;
  /** The key the file was read from: the header must agree with it. */
  expectKey?: DataKey;
  /** Names the file in error messages (a key or a path). */
  source?: string;
}

interface ChunkLocation {
  /** Where the chunk's (compressed) data starts in the file. */
  offset: number;
  storedBytes: number;
  decodedBytes: number;
  checksum: number;
}

/**
 * Reads the header of chunk `index`, the bytes `header` found at `offset` of a file of `fileBytes`
 * bytes (fewer than a chunk header's at the end of the file), and checks it against the limits and
 * the file's end.
 */
function readChunkHeader(header: Uint8Array, offset: number, fileBytes: number, index: number, chunkCount: number, limits: ReadLimits, source: string | undefined): ChunkLocation {
  if (header.length < chunkHeaderBytes) throw new TruncatedFileError(`file ends before chunk ${index + 1} of ${chunkCount}`, source);
  const view = new DataView(header.buffer, header.byteOffset, chunkHeaderBytes);
  const storedBytes = view.getUint32(0, true);
  const decodedBytes = view.getUint32(4, true);
  if (decodedBytes > limits.maxChunkDecodedBytes) {
    throw new SizeLimitError(`chunk ${index + 1} declares ${decodedBytes} decoded bytes, above the limit of ${limits.maxChunkDecodedBytes}`, source);
  }
  const dataOffset = offset + chunkHeaderBytes;
  if (fileBytes < dataOffset + storedBytes) throw new TruncatedFileError(`file ends inside chunk ${index + 1} of ${chunkCount}`, source);
  return { offset: dataOffset, storedBytes, decodedBytes, checksum: view.getUint32(8, true) };
}

function checkChunkData(stored: Uint8Array, chunk: ChunkLocation, index: number, source: string | undefined): void {
  if (crc32(stored) !== chunk.checksum) throw new ChecksumMismatchError(`chunk ${index + 1} checksum mismatch`, source);
}

/** On open, before any chunk is read: the file is as long as its header says, not cut short or padded. */
function checkFileSize(header: FileHeader, headerEnd: number, fileBytes: number, source: string | undefined): void {
  const expected = headerEnd + header.bodyStoredBytes;
  if (fileBytes < expected) throw new TruncatedFileError(`file is ${fileBytes} bytes, its header says ${expected}`, source);
  if (fileBytes > expected) throw new SegmentFormatError(`${fileBytes - expected} unexpected bytes after the last chunk`, source);
}

/**
 * After the last chunk: the chunks must add up to the header's totals. With the file's length
 * checked on open (checkFileSize), that also means the file ends where the last chunk does.
 */
function checkBodyEnd(header: FileHeader, storedTotal: number, decodedTotal: number, source: string | undefined): void {
  if (storedTotal !== header.bodyStoredBytes || decodedTotal !== header.bodyDecodedBytes) {
    throw new HeaderMismatchError('chunk sizes disagree with the header', source);
  }
}

/**
 * A file whose container, header and chunk checksums have been verified. Series are decoded
 * lazily, a chunk at a time, and checked as they are read; `series()` throws a SegmentFormatError
 * if the content breaks the format's rules or disagrees with the header.
 */
export class FileReader {
  private constructor(
    readonly header: FileHeader,
    private readonly bytes: Uint8Array,
    private readonly chunks: ChunkLocation[],
    private readonly source: string | undefined,
  ) {}

  static open(bytes: Uint8Array, options: OpenOptions = {}): FileReader {
    const limits = { ...defaultReadLimits, ...options.limits };
    const source = options.source ?? options.expectKey?.key;
    const header = readFileHeader(bytes, options);
    const chunks: ChunkLocation[] = [];
    let offset = fileHeaderLength(bytes)!;
    checkFileSize(header, offset, bytes.length, source);
    let storedTotal = 0;
    let decodedTotal = 0;
    for (let i = 0; i < header.chunkCount; i++) {
      const chunk = readChunkHeader(bytes.subarray(offset, offset + chunkHeaderBytes), offset, bytes.length, i, header.chunkCount, limits, source);
      checkChunkData(bytes.subarray(chunk.offset, chunk.offset + chunk.storedBytes), chunk, i, source);
      chunks.push(chunk);
      storedTotal += chunkHeaderBytes + chunk.storedBytes;
      decodedTotal += chunk.decodedBytes;
      offset = chunk.offset + chunk.storedBytes;
    }
    checkBodyEnd(header, storedTotal, decodedTotal, source);
    return new FileReader(header, bytes, chunks, source);
  }

  /** The series in file order, decoded one chunk at a time and validated as they are read. */
  *series(): Generator<Series> {
    for (const entry of this.entries()) yield seriesOf(entry);
  }

  /** The series in file order with their samples still encoded (see entry.ts). */
  *entries(): Generator<SeriesEntry> {
    for (const batch of this.chunkEntries()) yield* batch;
  }

  /** The series of each chunk in turn: a reader holds one decoded chunk at a time. */
  *chunkEntries(): Generator<SeriesEntry[]> {
    const body = new BodyReader(this.header, this.source);
    for (const [index, decoded] of this.decodedChunks()) yield body.readChunk(decoded, index);
    body.finish();
  }

  /** Each chunk's decompressed bytes (a SeriesBody protobuf), with its index; checksums were verified on open. */
  *decodedChunks(): Generator<[number, Uint8Array]> {
    for (const [index, chunk] of this.chunks.entries()) {
      yield [index, decompressChunk(this.bytes.subarray(chunk.offset, chunk.offset + chunk.storedBytes), chunk.decodedBytes, index, this.source)];
    }
  }
}

/** A file read a range at a time: its size, the bytes already read from its start, and a way to read more. */
export interface RangedFile {
  size: number;
  /** The file's first bytes, already read (all of it, for a small file). */
  start: Uint8Array;
  /** `length` bytes from `offset`; callers stay within `size`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Bytes per ranged read of a streamed file: about four are held per file (its first read, kept for the next pass, the window, the one read ahead and a straddling join). */
export const defaultWindowBytes = 1 << 20;

export interface StreamedOpenOptions extends OpenOptions {
  /** Bytes per read past the first (default `defaultWindowBytes`); the next window is read while one is consumed. */
  windowBytes?: number;
}

/**
 * FileReader's counterpart for files too large to hold whole (the sources of a compaction job):
 * the header is read on open, the chunks a window at a time as they are consumed. The checks are
 * FileReader's: the header and the file's length on open, each chunk as it arrives (a bad chunk is
 * found when it is reached, not on open).
 */
export class StreamedFileReader {
  private constructor(
    readonly header: FileHeader,
    private readonly file: RangedFile,
    private readonly bodyOffset: number,
    private readonly limits: ReadLimits,
    private readonly windowBytes: number,
    private readonly source: string | undefined,
  ) {}

  static async open(file: RangedFile, options: StreamedOpenOptions = {}): Promise<StreamedFileReader> {
    const limits = { ...defaultReadLimits, ...options.limits };
    const source = options.source ?? options.expectKey?.key;
    const windowBytes = options.windowBytes ?? defaultWindowBytes;
    let first = file.start;
    if (first.length < preambleBytes && first.length < file.size) first = await file.read(0, Math.min(file.size, Math.max(preambleBytes, windowBytes)));
    const headerEnd = fileHeaderLength(first);
    const longHeader = headerEnd !== undefined && headerEnd > first.length && first.length < file.size;
    // A header over the limit is refused by readFileHeader before anything more is read.
    const withinLimit = headerEnd !== undefined && headerEnd - preambleBytes - checksumBytes <= limits.maxHeaderBytes;
    const header = readFileHeader(longHeader && withinLimit ? await file.read(0, Math.min(headerEnd, file.size)) : first, options);
    checkFileSize(header, headerEnd!, file.size, source);
    return new StreamedFileReader(header, file, headerEnd!, limits, windowBytes, source);
  }

  /** The series of each chunk in turn; each call reads the file again from its first chunk. */
  async *chunkEntries(): AsyncGenerator<SeriesEntry[]> {
    const { header, file, limits, source } = this;
    const window = new FileWindow(file, this.windowBytes);
    const body = new BodyReader(header, source);
    let offset = this.bodyOffset;
    let storedTotal = 0;
    let decodedTotal = 0;
    for (let i = 0; i < header.chunkCount; i++) {
      const chunkHeader = await window.read(offset, Math.max(0, Math.min(chunkHeaderBytes, file.size - offset)));
      const chunk = readChunkHeader(chunkHeader, offset, file.size, i, header.chunkCount, limits, source);
      const stored = await window.read(chunk.offset, chunk.storedBytes);
      checkChunkData(stored, chunk, i, source);
      storedTotal += chunkHeaderBytes + chunk.storedBytes;
      decodedTotal += chunk.decodedBytes;
      offset = chunk.offset + chunk.storedBytes;
      yield body.readChunk(decompressChunk(stored, chunk.decodedBytes, i, source), i);
    }
    checkBodyEnd(header, storedTotal, decodedTotal, source);
    body.finish();
  }
}

/**
 * Forward reads of a RangedFile through a window of at least `windowBytes`, the window after it
 * read ahead, so that a merge rarely waits on storage. Memory: the file's first read, and about
 * three windows.
 */
class FileWindow {
  private start = 0;
  private bytes: Uint8Array;
  private ahead: { offset: number; length: number; bytes: Promise<Uint8Array> } | undefined;

  constructor(
    private readonly file: RangedFile,
    private readonly windowBytes: number,
  ) {
    this.bytes = file.start;
    this.readAhead();
  }

  /** `length` bytes from `offset`, which is never before the previous call's. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = offset + length;
    const windowEnd = this.start + this.bytes.length;
    if (offset < this.start || end > windowEnd) {
      const ahead = this.ahead;
      if (ahead !== undefined && offset <= windowEnd && ahead.offset === windowEnd && end <= ahead.offset + ahead.length) {
        // The rest of this window and the one read ahead, joined (a chunk that straddles them).
        const tail = offset >= this.start ? this.bytes.subarray(offset - this.start) : new Uint8Array(0);
        const next = await ahead.bytes;
        this.bytes = tail.length === 0 ? next : concat([tail, next], tail.length + next.length);
        this.start = windowEnd - tail.length;
      } else {
        this.bytes = await this.file.read(offset, Math.min(this.file.size - offset, Math.max(length, this.windowBytes)));
        this.start = offset;
      }
      // Not a format error: the file is not known to be bad, its reader broke its contract.
      if (end > this.start + this.bytes.length) throw new RangeError(`reading bytes ${offset}–${end} of a ${this.file.size}-byte file returned fewer`);
      this.readAhead();
    }
    return this.bytes.subarray(offset - this.start, end - this.start);
  }

  private readAhead(): void {
    const offset = this.start + this.bytes.length;
    if (offset >= this.file.size) {
      this.ahead = undefined;
      return;
    }
    const length = Math.min(this.windowBytes, this.file.size - offset);
    const bytes = this.file.read(offset, length);
    // Read ahead and maybe never used (a restarted merge): its failure is reported only if awaited.
    bytes.catch(() => {});
    this.ahead = { offset, length, bytes };
  }
}

/** Decompresses one chunk whose declared decoded length has been checked against the limits. */
function decompressChunk(stored: Uint8Array, decodedBytes: number, index: number, source: string | undefined): Uint8Array {
  // The decoder allocates what the stream's own length preamble says: it must be the chunk's
  // declared (and already limit-checked) length.
  const preamble = snappyDecodedLength(stored);
  if (preamble !== decodedBytes) {
    throw new CorruptBodyError(`chunk ${index + 1}: snappy stream length ${preamble ?? 'unreadable'} disagrees with the chunk header`, source);
  }
  try {
    return snappyUncompress(stored, decodedBytes);
  } catch (cause) {
    throw new CorruptBodyError(`chunk ${index + 1} is not valid snappy: ${(cause as Error).message}`, source, { cause });
  }
}

/**
 * Decodes and validates a file's chunks in order, checking each series against the format's rules,
 * the ones before it and the header. Chunk checksums and sizes are the caller's to verify first,
 * and the chunks come decompressed (`decompressChunk`).
 */
class BodyReader {
  private previous: Label[] | undefined;
  private seriesCount = 0;
  private sampleCount = 0;

  constructor(
    private readonly header: FileHeader,
    private readonly source: string | undefined,
  ) {}

  readChunk(decoded: Uint8Array, index: number): SeriesEntry[] {
    const reader = protobuf.Reader.create(decoded);
    const entries: SeriesEntry[] = [];
    while (reader.pos < reader.len) {
      const entry = this.readEntry(reader, index);
      if (entry === undefined) continue;
      const problem = entryProblem(entry);
      if (problem !== undefined) this.fail(InvalidSeriesError, `series ${formatLabels(entry.labels)}: ${problem}`);
      if (this.previous !== undefined && compareLabelSets(this.previous, entry.labels) >= 0) {
        this.fail(InvalidSeriesError, `series are not sorted and unique: ${formatLabels(entry.labels)} after ${formatLabels(this.previous)}`);
      }
      // Blocks come from the compactor, which only merges series of one shard; segments may come
      // from anywhere, and a series in the wrong shard would escape deduplication.
      if (this.header.kind === 'segment' && shardOf(entry.labels, this.header.shardCount) !== this.header.shard) {
        this.fail(InvalidSeriesError, `series ${formatLabels(entry.labels)} belongs to shard ${shardOf(entry.labels, this.header.shardCount)} of ${this.header.shardCount}, not ${this.header.shard}`);
      }
      if (entry.minTimeMs < this.header.minTimeMs || entry.maxTimeMs > this.header.maxTimeMs) {
        this.fail(HeaderMismatchError, `series ${formatLabels(entry.labels)} has samples outside the header's time range`);
      }
      this.previous = entry.labels;
      this.seriesCount++;
      this.sampleCount += entry.sampleCount;
      entries.push(entry);
    }
    return entries;
  }

  /** Checks the totals once every chunk has been read. */
  finish(): void {
    if (this.seriesCount !== this.header.seriesCount || this.sampleCount !== this.header.sampleCount) {
      this.fail(
        HeaderMismatchError,
        `header declares ${this.header.seriesCount} series and ${this.header.sampleCount} samples, the body holds ${this.seriesCount} and ${this.sampleCount}`,
      );
    }
  }

  private readEntry(reader: protobuf.Reader, index: number): SeriesEntry | undefined {
    try {
      const tag = reader.uint32();
      if (tag !== 0x0a) {
        reader.skipType(tag & 7); // a field a later version may add: skip it
        return undefined;
      }
      return readSeriesEntry(reader, reader.uint32());
    } catch (cause) {
      if (cause instanceof EntryContentError) this.fail(InvalidSeriesError, `chunk ${index + 1}: ${cause.message}`);
      throw new CorruptBodyError(`chunk ${index + 1} is not a valid SeriesBody protobuf: ${(cause as Error).message}`, this.source, { cause });
    }
  }

  private fail(ErrorType: new (message: string, source?: string) => SegmentFormatError, message: string): never {
    throw new ErrorType(message, this.source);
  }
}

/** A series with its samples decoded. */
export function seriesOf(entry: SeriesEntry): Series {
  return { labels: entry.labels, samples: decodeSamples(entry.sampleParts), functions: entry.functions, stacks: entry.stacks };
}

/** Bytes from the start of a file that hold its preamble, header and header checksum. */
export function fileHeaderLength(prefix: Uint8Array): number | undefined {
  if (prefix.length < preambleBytes) return undefined;
  return preambleBytes + new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(8, true) + checksumBytes;
}

/**
 * Verifies and decodes a file's preamble and header from its first bytes; the body need not be
 * there (a ranged read of `fileHeaderLength` bytes is enough). Throws a SegmentFormatError.
 */
export function readFileHeader(bytes: Uint8Array, options: OpenOptions = {}): FileHeader {
  const limits = { ...defaultReadLimits, ...options.limits };
  const source = options.source ?? options.expectKey?.key;
  const fail = <E extends SegmentFormatError>(ErrorType: new (message: string, source?: string) => E, message: string): never => {
    throw new ErrorType(message, source);
  };
  if (bytes.length < preambleBytes) fail(TruncatedFileError, `file is ${bytes.length} bytes, shorter than the ${preambleBytes}-byte preamble`);
  if (!magic.every((byte, i) => bytes[i] === byte)) fail(BadMagicError, 'not a Strata segment or block file (bad magic bytes)');
  if (bytes[4] !== formatVersion) fail(UnsupportedVersionError, `format version ${bytes[4]} is not supported (this reader knows version ${formatVersion})`);
  const kind = bytes[5] === 1 ? 'segment' : bytes[5] === 2 ? 'block' : fail(SegmentFormatError, `unknown file kind ${bytes[5]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(6, true) !== 0) fail(UnsupportedVersionError, 'file uses flags this reader does not know');
  const headerBytes = view.getUint32(8, true);
  if (headerBytes > limits.maxHeaderBytes) fail(SizeLimitError, `header declares ${headerBytes} bytes, above the limit of ${limits.maxHeaderBytes}`);
  const headerEnd = preambleBytes + headerBytes;
  if (bytes.length < headerEnd + checksumBytes) fail(TruncatedFileError, 'file ends inside its header');
  if (crc32(bytes.subarray(0, headerEnd)) !== view.getUint32(headerEnd, true)) fail(ChecksumMismatchError, 'header checksum mismatch');

  let decodedHeader: ReturnType<typeof pb.FileHeader.decode>;
  try {
    decodedHeader = pb.FileHeader.decode(bytes.subarray(preambleBytes, headerEnd));
  } catch (cause) {
    throw new CorruptBodyError(`header is not a valid FileHeader protobuf: ${(cause as Error).message}`, source, { cause });
  }
  const header: FileHeader = {
    kind,
    tenant: decodedHeader.tenant,
    shard: decodedHeader.shard,
    level: decodedHeader.level,
    id: decodedHeader.id,
    minTimeMs: decodedHeader.minTimeMs,
    maxTimeMs: decodedHeader.maxTimeMs,
    createdBy: decodedHeader.createdBy,
    createdAtMs: decodedHeader.createdAtMs,
    seriesCount: decodedHeader.seriesCount,
    sampleCount: decodedHeader.sampleCount,
    sources: decodedHeader.sources,
    chunkCount: decodedHeader.chunkCount,
    bodyStoredBytes: decodedHeader.bodyStoredBytes,
    bodyDecodedBytes: decodedHeader.bodyDecodedBytes,
    shardCount: decodedHeader.shardCount,
  };
  const problem = headerProblem(header, options.expectKey);
  if (problem !== undefined) fail(HeaderMismatchError, problem);
  if (header.bodyDecodedBytes > limits.maxBodyDecodedBytes) {
    fail(SizeLimitError, `body declares ${header.bodyDecodedBytes} decoded bytes, above the limit of ${limits.maxBodyDecodedBytes}`);
  }
  return header;
}

/** Opens and fully decodes a file: for tools and tests; the compactor streams with `series()`. */
export function decodeFile(bytes: Uint8Array, options: OpenOptions = {}): { header: FileHeader; series: Series[] } {
  const reader = FileReader.open(bytes, options);
  return { header: reader.header, series: [...reader.series()] };
}

function headerProblem(header: FileHeader, expectKey: DataKey | undefined): string | undefined {
  if ((header.kind === 'segment') !== (header.level === 0)) return `a ${header.kind} cannot have level ${header.level}`;
  if (header.kind === 'segment' && header.sources.length > 0) return 'a segment cannot name sources';
  if (header.shardCount === 0 || header.shard >= header.shardCount) {
    return `shard ${header.shard} is outside the declared shard count ${header.shardCount}`;
  }
  if (!Number.isSafeInteger(header.minTimeMs) || !Number.isSafeInteger(header.maxTimeMs) || header.minTimeMs > header.maxTimeMs) {
    return `invalid time range ${header.minTimeMs}..${header.maxTimeMs}`;
  }
  if (expectKey === undefined) return undefined;
  const expected = { kind: expectKey.kind, tenant: expectKey.tenant, shard: expectKey.shard, id: expectKey.id };
  const actual = { kind: header.kind, tenant: header.tenant, shard: header.shard, id: header.id };
  for (const field of ['kind', 'tenant', 'shard', 'id'] as const) {
    if (expected[field] !== actual[field]) {
      return `header says ${field} ${JSON.stringify(actual[field])} but the key ${expectKey.key} says ${JSON.stringify(expected[field])}`;
    }
  }
  if (expectKey.kind === 'block' && expectKey.level !== header.level) {
    return `header says level ${header.level} but the key ${expectKey.key} says ${expectKey.level}`;
  }
  return undefined;
}

/** Why a series cannot be stored, or undefined. Does not check its order relative to others. */
export function seriesProblem(series: Series): string | undefined {
  const labelProblem = labelSetProblem(series.labels);
  if (labelProblem !== undefined) return labelProblem;
  if (series.samples.length === 0 && series.stacks.length === 0) return 'the series has no samples';
  let previous = Number.NEGATIVE_INFINITY;
  for (const { timestamp } of series.samples) {
    if (!Number.isSafeInteger(timestamp)) return `timestamp ${timestamp} is not an integer number of milliseconds`;
    if (timestamp < previous) return 'samples are not sorted by timestamp';
    previous = timestamp;
  }
  return stacksProblem(series);
}

/** `seriesProblem` for a series read by `readSeriesEntry`, which has already checked its samples. */
function entryProblem(entry: SeriesEntry): string | undefined {
  const labelProblem = labelSetProblem(entry.labels);
  if (labelProblem !== undefined) return labelProblem;
  if (entry.sampleCount === 0 && entry.stacks.length === 0) return 'the series has no samples';
  return stacksProblem(entry);
}

function stacksProblem({ stacks, functions }: Pick<Series, 'stacks' | 'functions'>): string | undefined {
  let previous = Number.NEGATIVE_INFINITY;
  for (const stack of stacks) {
    if (!Number.isSafeInteger(stack.timestamp)) return `stack timestamp ${stack.timestamp} is not an integer number of milliseconds`;
    if (stack.timestamp < previous) return 'stacks are not sorted by timestamp';
    previous = stack.timestamp;
    if (stack.frames.some((frame) => frame >= functions.length)) return 'a stack frame refers to a function that is not in the table';
  }
  return undefined;
}

/** First and last timestamp of a valid series (samples and stacks are each sorted). */
export function timeBounds(series: Series): [number, number] {
  const { samples, stacks } = series;
  return [
    Math.min(samples[0]?.timestamp ?? Infinity, stacks[0]?.timestamp ?? Infinity),
    Math.max(samples.at(-1)?.timestamp ?? -Infinity, stacks.at(-1)?.timestamp ?? -Infinity),
  ];
}

export function formatLabels(labels: readonly Label[]): string {
  const name = labels.find((label) => label.name === '__name__')?.value ?? '';
  const rest = labels.filter((label) => label.name !== '__name__').map(({ name: n, value }) => `${n}=${JSON.stringify(value)}`);
  return `${name}{${rest.join(', ')}}`;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
