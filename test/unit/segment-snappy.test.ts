/** Strata's snappy codec (lib/segment/snappy.ts) against snappyjs as the reference implementation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappyjs';
import { SnappyError, snappyCompress, snappyUncompress } from '../../lib/segment/snappy.js';

test('snappy: round-trips whatever snappyjs compresses (property)', () => {
  const repetitive = fc.array(fc.constantFrom(...'abcab__name__\0\x01\xff'), { maxLength: 3000 }).map((chars) => Buffer.from(chars.join(''), 'latin1'));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), repetitive), (data) => {
      assert.deepEqual(Buffer.from(snappyUncompress(snappy.compress(data), 1 << 20)), Buffer.from(data));
    }),
    { numRuns: 300 },
  );
});

test('snappy: large inputs with long literals and copies (several 64 KiB blocks)', () => {
  const data = new Uint8Array(300_000).map((_, i) => (i % 977 < 300 ? (i * 31) & 0xff : i % 7));
  assert.deepEqual(snappyUncompress(snappy.compress(data), 1 << 20), data);
});

test('snappy: overlapping copies of every short offset, and pieces ending at the last bytes of the output', () => {
  // Hand-made streams: a literal of `offset` bytes, a copy of `length` bytes from `offset` back (so
  // it overlaps itself when length > offset and must repeat the pattern), then `tail` literal bytes.
  for (let offset = 1; offset <= 9; offset++) {
    for (const length of [4, 5, 7, 8, 11, 16, 33, 64]) {
      for (const tail of [0, 1, 3, 20]) {
        const expected = new Uint8Array(offset + length + tail);
        for (let i = 0; i < offset; i++) expected[i] = 0x41 + i;
        for (let i = offset; i < offset + length; i++) expected[i] = expected[i - offset]!;
        for (let i = offset + length; i < expected.length; i++) expected[i] = i & 0xff;
        const stream = [expected.length, (offset - 1) << 2, ...expected.subarray(0, offset), 2 | ((length - 1) << 2), offset, 0];
        if (tail > 0) stream.push((tail - 1) << 2, ...expected.subarray(offset + length));
        const input = Uint8Array.from(stream);
        assert.deepEqual(snappyUncompress(input, 1 << 20), expected, `offset ${offset}, length ${length}, tail ${tail}`);
        assert.deepEqual(Buffer.from(snappy.uncompress(input)), Buffer.from(expected), 'the reference decoder agrees');
      }
    }
  }
});

test('snappy: malformed input throws SnappyError, never hangs or returns short output (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
      try {
        const out = snappyUncompress(data, 1 << 16);
        // If it decodes, it must agree with the reference decoder.
        assert.deepEqual(Buffer.from(out), Buffer.from(snappy.uncompress(data)));
      } catch (error) {
        assert.ok(error instanceof SnappyError, String(error));
      }
    }),
    { numRuns: 2000 },
  );
});

test('snappy: truncated, overlong and out-of-range streams are rejected', () => {
  const good = snappy.compress(Buffer.from('hello hello hello hello hello'));
  assert.throws(() => snappyUncompress(good.subarray(0, good.length - 2), 1000), /declares|past the end/);
  assert.throws(() => snappyUncompress(Uint8Array.of(0x05, 0x00, 0x61), 1000), /decodes to 1 bytes but declares 5/);
  assert.throws(() => snappyUncompress(Uint8Array.of(0x01, 0x04, 0x61, 0x62), 1000), /more bytes than it declares/);
  assert.throws(() => snappyUncompress(Uint8Array.of(0x04, 0x01, 0x05), 1000), /before the start of the output/);
  assert.throws(() => snappyUncompress(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 1000), /above the limit/);
  assert.throws(() => snappyUncompress(Uint8Array.of(0x80, 0x80), 1000), /preamble/);
});

test('snappy compressor: what it writes, both decoders read back (property)', () => {
  const repetitive = fc.array(fc.constantFrom(...'abcab__name__\0\x01\xff'), { maxLength: 3000 }).map((chars) => Buffer.from(chars.join(''), 'latin1'));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), repetitive), (data) => {
      const compressed = snappyCompress(data);
      assert.deepEqual(Buffer.from(snappyUncompress(compressed, 1 << 20)), Buffer.from(data));
      assert.deepEqual(Buffer.from(snappy.uncompress(compressed)), Buffer.from(data));
    }),
    { numRuns: 300 },
  );
});

test('snappy compressor: several 64 KiB fragments, long matches and literals, empty input; same bytes every time', () => {
  const inputs = [
    new Uint8Array(0),
    new Uint8Array(14).fill(1), // shorter than the encoder's input margin: one literal
    new Uint8Array(300_000).map((_, i) => (i % 977 < 300 ? (i * 31) & 0xff : i % 7)),
    new Uint8Array(200_000).fill(9), // copies longer than 64 bytes, split
    Uint8Array.from({ length: 140_000 }, (_, i) => (Math.imul(i, 2654435761) >>> 24) & 0xff), // incompressible: long literals
  ];
  for (const data of inputs) {
    const compressed = snappyCompress(data);
    assert.deepEqual(Buffer.from(snappy.uncompress(compressed)), Buffer.from(data));
    assert.deepEqual(compressed, snappyCompress(data));
    assert.ok(compressed.length <= 32 + data.length + data.length / 6);
  }
});
