/** Byte-range helpers for the wire scanner: comparisons in UTF-8 byte order, without copying. */

/** Compares a[aStart, aEnd) with b[bStart, bEnd) byte by byte; a prefix sorts first. */
export function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < length; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

export function equalsBytes(buffer: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buffer[start + i] !== expected[i]) return false;
  return true;
}

/** The concatenation of the [start, end) pairs of `ranges` in `buffer`. */
export function concatRanges(buffer: Uint8Array, ranges: readonly number[]): Uint8Array {
  let size = 0;
  for (let i = 0; i < ranges.length; i += 2) size += ranges[i + 1]! - ranges[i]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    out.set(buffer.subarray(ranges[i]!, ranges[i + 1]!), offset);
    offset += ranges[i + 1]! - ranges[i]!;
  }
  return out;
}
