/**
 * Snappy block format, both ways. Decompression (request bodies, file chunks) is strict about its
 * input: the output must be exactly the length the preamble declares (checked against a limit
 * before allocating), and every literal and copy must stay inside the input and the output.
 * Short literals and copies, most of a remote-write body, move four bytes at a time through DataViews
 * (writing a few bytes past their end, never past the output's, for the next piece to overwrite); long literals move
 * with TypedArray.set. Compression is below.
 */

import { ScratchBytes } from './scratch.js';

export class SnappyError extends Error {
  override name = 'SnappyError';
}

/** The decoded length a snappy block declares (its varint preamble), or undefined if unreadable. */
export function snappyDecodedLength(input: Uint8Array): number | undefined {
  let value = 0;
  for (let i = 0; i < 5 && i < input.length; i++) {
    const byte = input[i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value <= 0xffffffff ? value : undefined;
  }
  return undefined;
}

/** Decompresses a snappy block; throws SnappyError if it is malformed or longer than `maxLength`. */
export function snappyUncompress(input: Uint8Array, maxLength: number): Uint8Array {
  const length = snappyDecodedLength(input);
  if (length === undefined) throw new SnappyError('the length preamble is missing or invalid');
  if (length > maxLength) throw new SnappyError(`the stream declares ${length} bytes, above the limit of ${maxLength}`);
  let pos = 0;
  while (input[pos]! >= 0x80) pos++;
  pos++;
  const out = new Uint8Array(length);
  const outWords = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const inWords = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const end = input.length;
  // Four-byte moves may write up to 3 bytes past a piece's end; they stay this far from the output's end.
  const wordLimit = length - 3;
  let outPos = 0;
  while (pos < end) {
    const tag = input[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let literal = (tag >>> 2) + 1;
      if (literal > 60) {
        const extra = literal - 60;
        if (pos + extra > end) throw new SnappyError(`a literal length runs past the end of the input at byte ${pos}`);
        literal = 0;
        for (let i = extra - 1; i >= 0; i--) literal = literal * 256 + input[pos + i]!;
        literal += 1;
        pos += extra;
      }
      if (pos + literal > end) throw new SnappyError(`a literal of ${literal} bytes runs past the end of the input`);
      if (outPos + literal > length) throw new SnappyError('the stream decodes to more bytes than it declares');
      if (literal <= 16 && outPos + 16 <= wordLimit && pos + 16 <= end) {
        outWords.setInt32(outPos, inWords.getInt32(pos, true), true);
        if (literal > 4) {
          outWords.setInt32(outPos + 4, inWords.getInt32(pos + 4, true), true);
          if (literal > 8) {
            outWords.setInt32(outPos + 8, inWords.getInt32(pos + 8, true), true);
            outWords.setInt32(outPos + 12, inWords.getInt32(pos + 12, true), true);
          }
        }
      } else if (literal < 32) for (let i = 0; i < literal; i++) out[outPos + i] = input[pos + i]!;
      else out.set(input.subarray(pos, pos + literal), outPos);
      pos += literal;
      outPos += literal;
      continue;
    }
    let copy: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= end) throw new SnappyError('a copy runs past the end of the input');
      copy = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > end) throw new SnappyError('a copy runs past the end of the input');
      copy = (tag >>> 2) + 1;
      offset = input[pos]! | (input[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > end) throw new SnappyError('a copy runs past the end of the input');
      copy = (tag >>> 2) + 1;
      offset = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16)) + input[pos + 3]! * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > outPos) throw new SnappyError(`a copy refers to offset ${offset} before the start of the output`);
    if (outPos + copy > length) throw new SnappyError('the stream decodes to more bytes than it declares');
    const from = outPos - offset;
    if (offset >= 4 && outPos + copy + 3 <= length) {
      // Reads trail writes by at least four bytes, so an overlapping copy repeats its pattern correctly.
      for (let i = 0; i < copy; i += 4) outWords.setInt32(outPos + i, outWords.getInt32(from + i, true), true);
    } else for (let i = 0; i < copy; i++) out[outPos + i] = out[from + i]!;
    outPos += copy;
  }
  if (outPos !== length) throw new SnappyError(`the stream decodes to ${outPos} bytes but declares ${length}`);
  return out;
}

/*
 * Compression. The snappy block format leaves the encoder free; this one follows the reference
 * encoder's plan — 64 KiB fragments, a hash table of 4-byte sequences, a lookup stride that grows
 * while nothing matches — written for V8: Math.imul hashing, 32-bit loads and compares, and
 * TypedArray.set for long literals. Its output is a pure function of its input (blocks must be
 * byte-identical on retry), and any snappy decoder reads it. It writes into a scratch buffer kept
 * between calls (compression is synchronous) and returns an exact-size copy: allocating and zeroing
 * a worst-case buffer for every chunk cost more than compressing a remote-write shard's entries.
 */

const fragmentBytes = 1 << 16;
const maxHashBits = 14;
const hashTable = new Uint16Array(1 << maxHashBits);
/** The reference encoder stops looking for matches this close to a fragment's end. */
const inputMargin = 15;

const output = new ScratchBytes(1 << 16, 4 << 20);

/**
 * Compresses `input` into one snappy block (length preamble, then literals and copies). The result
 * starts with `headroom` bytes for the caller's own header (zero), then the block.
 */
export function snappyCompress(input: Uint8Array, headroom = 0): Uint8Array {
  // The format's worst case: every byte a literal, plus literal headers and the preamble.
  const out = output.take(32 + input.length + Math.floor(input.length / 6));
  let op = 0;
  for (let value = input.length; ; value = Math.floor(value / 128)) {
    if (value < 128) {
      out[op++] = value;
      break;
    }
    out[op++] = (value % 128) | 0x80;
  }
  const words = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (let start = 0; start < input.length; start += fragmentBytes) {
    op = compressFragment(input, words, start, Math.min(input.length, start + fragmentBytes), out, op);
  }
  const block = new Uint8Array(headroom + op);
  block.set(out.subarray(0, op), headroom);
  return block;
}

function compressFragment(input: Uint8Array, words: DataView, start: number, end: number, out: Uint8Array, op: number): number {
  let nextEmit = start;
  if (end - start >= inputMargin) {
    let hashBits = 8;
    while (hashBits < maxHashBits && 1 << hashBits < end - start) hashBits++;
    const shift = 32 - hashBits;
    const table = hashTable;
    table.fill(0, 0, 1 << hashBits);
    const limit = end - inputMargin;
    let ip = start + 1;
    let nextWord = words.getInt32(ip, true);
    search: for (;;) {
      // Look for a 4-byte match, stepping further apart the longer nothing matches.
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      let word: number;
      do {
        ip = nextIp;
        word = nextWord;
        const hash = Math.imul(word, 0x1e35a7bd) >>> shift;
        nextIp = ip + (skip++ >>> 5);
        if (nextIp > limit) break search;
        nextWord = words.getInt32(nextIp, true);
        candidate = start + table[hash]!;
        table[hash] = ip - start;
      } while (word !== words.getInt32(candidate, true));
      op = emitLiteral(input, nextEmit, ip, out, op);
      // Emit copies while the bytes right after a match start another one.
      do {
        const matchStart = ip;
        let matched = 4;
        while (ip + matched + 4 <= end && words.getInt32(ip + matched, true) === words.getInt32(candidate + matched, true)) matched += 4;
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        op = emitCopy(out, op, matchStart - candidate, matched);
        nextEmit = ip;
        if (ip >= limit) break search;
        table[Math.imul(words.getInt32(ip - 1, true), 0x1e35a7bd) >>> shift] = ip - 1 - start;
        word = words.getInt32(ip, true);
        const hash = Math.imul(word, 0x1e35a7bd) >>> shift;
        candidate = start + table[hash]!;
        table[hash] = ip - start;
      } while (word === words.getInt32(candidate, true));
      ip++;
      nextWord = words.getInt32(ip, true);
    }
  }
  if (nextEmit < end) op = emitLiteral(input, nextEmit, end, out, op);
  return op;
}

function emitLiteral(input: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const length = to - from;
  if (length <= 60) {
    out[op++] = (length - 1) << 2;
  } else if (length <= 256) {
    out[op++] = 60 << 2;
    out[op++] = length - 1;
  } else {
    out[op++] = 61 << 2; // fragments are at most 64 KiB: two length bytes suffice
    out[op++] = (length - 1) & 0xff;
    out[op++] = (length - 1) >>> 8;
  }
  if (length < 16) for (let i = 0; i < length; i++) out[op + i] = input[from + i]!;
  else out.set(input.subarray(from, to), op);
  return op + length;
}

function emitCopy(out: Uint8Array, op: number, offset: number, length: number): number {
  // A copy element holds at most 64 bytes; split so that the last piece keeps at least 4.
  while (length >= 68) {
    op = emitShortCopy(out, op, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    op = emitShortCopy(out, op, offset, 60);
    length -= 60;
  }
  return emitShortCopy(out, op, offset, length);
}

function emitShortCopy(out: Uint8Array, op: number, offset: number, length: number): number {
  if (length < 12 && offset < 2048) {
    out[op++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((length - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}
