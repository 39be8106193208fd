/**
 * A direct protobuf encoder for `Series` entries: the hot loop of compaction writes every sample, and
 * protobufjs' general-purpose Writer costs several times more than writing the bytes in place.
 *
 * Output is canonical proto3: fields in number order, scalar fields at their default (+0.0, 0) left
 * out, repeated uint32 packed. It therefore does not depend on whether a message came from a decoder
 * (defaults on the prototype) or from a literal, which keeps blocks byte-identical across retries.
 */
import { entryOf, writeInt64Varint, type SeriesEntry } from './entry.js';
import type { Series } from './format.js';

/** Bytes of a varint; a negative int64 always takes ten. */
export function varintLength(value: number): number {
  if (value < 0) return 10; // negative int64: two's complement, always ten bytes
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

export function isPositiveZero(value: number): boolean {
  return value === 0 && 1 / value > 0;
}

/** Writes an unsigned varint (a safe integer) at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    out[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

class EntryWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  pos = 0;

  constructor(length: number) {
    this.bytes = Buffer.allocUnsafe(length);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, length);
  }

  byte(value: number): void {
    this.bytes[this.pos++] = value;
  }

  varint(value: number): void {
    this.pos = writeInt64Varint(this.bytes, this.pos, value);
  }

  bytesOf(part: Uint8Array): void {
    this.bytes.set(part, this.pos);
    this.pos += part.length;
  }

  double(value: number): void {
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A length-delimited string field whose UTF-8 length is already known. */
  string(tag: number, text: string, length: number): void {
    this.byte(tag);
    this.varint(length);
    this.pos += (this.bytes as Buffer).write(text, this.pos, 'utf8');
  }
}

/** What the entry encoder needs: a series whose samples are already canonical sample fields. */
export type EncodableSeries = Pick<SeriesEntry, 'labels' | 'labelBytes' | 'sampleParts' | 'functions' | 'stacks'>;

/** Encodes one series as a SeriesBody entry: field 1 tag, length, then the Series message. */
export function encodeSeriesEntry(series: Series): Uint8Array {
  return encodeEntry(entryOf(series));
}

/** Encodes a series whose samples are already encoded; their bytes are copied as they are. */
export function encodeEntry(series: EncodableSeries): Uint8Array {
  // First pass: sizes of every nested message, so the second pass writes each byte once.
  const labelSizes: number[] = [];
  const { labelBytes } = series;
  let seriesLength = labelBytes?.length ?? 0;
  for (const { name, value } of labelBytes === undefined ? series.labels : []) {
    const nameLength = Buffer.byteLength(name);
    const valueLength = Buffer.byteLength(value);
    const labelLength = (nameLength > 0 ? 1 + varintLength(nameLength) + nameLength : 0) + (valueLength > 0 ? 1 + varintLength(valueLength) + valueLength : 0);
    labelSizes.push(nameLength, valueLength, labelLength);
    seriesLength += 1 + varintLength(labelLength) + labelLength;
  }
  for (const part of series.sampleParts) seriesLength += part.length;
  const functionSizes = series.functions.map((name) => Buffer.byteLength(name));
  for (const length of functionSizes) seriesLength += 1 + varintLength(length) + length;
  const stackSizes: number[] = [];
  for (const stack of series.stacks) {
    const framesLength = stack.frames.reduce((sum, frame) => sum + varintLength(frame), 0);
    const stackLength =
      (stack.timestamp === 0 ? 0 : 1 + varintLength(stack.timestamp)) +
      (framesLength > 0 ? 1 + varintLength(framesLength) + framesLength : 0) +
      (isPositiveZero(stack.value) ? 0 : 9);
    stackSizes.push(framesLength, stackLength);
    seriesLength += 1 + varintLength(stackLength) + stackLength;
  }

  const out = new EntryWriter(1 + varintLength(seriesLength) + seriesLength);
  out.byte(0x0a);
  out.varint(seriesLength);
  if (labelBytes !== undefined) out.bytesOf(labelBytes);
  else series.labels.forEach(({ name, value }, i) => {
    const [nameLength, valueLength, labelLength] = [labelSizes[3 * i]!, labelSizes[3 * i + 1]!, labelSizes[3 * i + 2]!];
    out.byte(0x0a);
    out.varint(labelLength);
    if (nameLength > 0) out.string(0x0a, name, nameLength);
    if (valueLength > 0) out.string(0x12, value, valueLength);
  });
  for (const part of series.sampleParts) out.bytesOf(part);
  series.functions.forEach((name, i) => out.string(0x2a, name, functionSizes[i]!));
  series.stacks.forEach((stack, i) => {
    const [framesLength, stackLength] = [stackSizes[2 * i]!, stackSizes[2 * i + 1]!];
    out.byte(0x32);
    out.varint(stackLength);
    if (stack.timestamp !== 0) {
      out.byte(0x08);
      out.varint(stack.timestamp);
    }
    if (framesLength > 0) {
      out.byte(0x12);
      out.varint(framesLength);
      for (const frame of stack.frames) out.varint(frame);
    }
    if (!isPositiveZero(stack.value)) {
      out.byte(0x19);
      out.double(stack.value);
    }
  });
  return out.bytes;
}
