/**
 * Helpers for the wire scanner's tables: byte-range comparisons in UTF-8 byte order, without
 * copying; growing a typed array; the open-addressing hash tables of the pair table and the series
 * cache. One function per array type, so that each call site stays monomorphic.
 */

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

/** A copy of `array` with room for `length` elements. */
export function grownInt32(array: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}

/** A copy of `array` with room for `length` elements. */
export function grownUint8(array: Uint8Array, length: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(length);
  grown.set(array);
  return grown;
}

/*
 * The hash tables: open addressing with linear probing over a power-of-two number of slots, each
 * holding an entry number + 1 (0 when empty), kept at most half full so that probes stay short.
 * Each table keeps its own probe loop, which compares its own kind of entry.
 */

/** Puts `entry` in the first free slot from its `hash` on. */
export function insertSlot(slots: Int32Array, hash: number, entry: number): void {
  const mask = slots.length - 1;
  let slot = hash & mask;
  while (slots[slot] !== 0) slot = (slot + 1) & mask;
  slots[slot] = entry + 1;
}

/** A table of `size` slots holding entries 0 .. count-1, entry i under hashes[i]. */
export function rehashed(size: number, hashes: Int32Array, count: number): Int32Array<ArrayBuffer> {
  const slots = new Int32Array(size);
  for (let entry = 0; entry < count; entry++) insertSlot(slots, hashes[entry]!, entry);
  return slots;
}
