/**
 * Reading the protobuf wire format in place: varints, length-delimited fields and skipping, over
 * a byte range, without building messages. Every read is bounds-checked against the range and
 * throws CorruptPayloadError('protobuf') when the bytes end early or a value cannot be a field.
 */
import { CorruptPayloadError } from './errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export class WireReader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  /** An unsigned varint that must fit in 32 bits (tags and lengths). */
  uint32(): number {
    const { buf, pos } = this;
    if (pos + 1 < this.end) {
      const first = buf[pos]!;
      if (first < 0x80) {
        this.pos = pos + 1;
        return first;
      }
      const second = buf[pos + 1]!;
      if (second < 0x80) {
        this.pos = pos + 2;
        return (first & 0x7f) | (second << 7);
      }
    } else if (pos < this.end && buf[pos]! < 0x80) {
      this.pos = pos + 1;
      return buf[pos]!;
    }
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail('a varint runs past the end of its message');
      const byte = buf[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (value > 0xffffffff) this.fail('a tag or length does not fit in 32 bits');
        return value;
      }
    }
    return this.fail('a tag or length varint is longer than 5 bytes');
  }

  /**
   * A two's-complement int64 varint as a number. Values beyond ±2^53 come out inexact; callers that
   * need exact integers check `Number.isSafeInteger` on the result.
   */
  int64(): number {
    const { buf } = this;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('a varint runs past the end of its message');
      const byte = buf[this.pos++]!;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (byte < 0x80) {
        lo >>>= 0;
        hi >>>= 0;
        if (hi >= 0x80000000) {
          // Negative: value = -(~(hi:lo) + 1).
          const negLo = (~lo + 1) >>> 0;
          const negHi = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
          return -(negHi * 4294967296 + negLo);
        }
        return hi * 4294967296 + lo;
      }
    }
    return this.fail('a varint is longer than 10 bytes');
  }

  /** A little-endian IEEE 754 double. */
  double(): number {
    if (this.pos + 8 > this.end) this.fail('a fixed64 field runs past the end of its message');
    const value = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and returns the end offset of the bytes that follow (the cursor stays at their start). */
  bytesEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) this.fail('a length-delimited field runs past the end of its message');
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.int64();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_BYTES:
        this.pos = this.bytesEnd();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        this.fail(`wire type ${wireType} is not supported (groups are not used by these messages)`);
    }
  }

  fail(message: string): never {
    throw new CorruptPayloadError('protobuf', `${message} (at byte ${this.pos})`);
  }

  private advance(bytes: number): void {
    if (this.pos + bytes > this.end) this.fail('a fixed-size field runs past the end of its message');
    this.pos += bytes;
  }
}

