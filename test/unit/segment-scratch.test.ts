/** ScratchBytes (lib/segment/scratch.ts): one buffer reused while it stays under its cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScratchBytes } from '../../lib/segment/scratch.js';

test('scratch bytes: reused, grown on demand up to the cap, and never kept past it', () => {
  const scratch = new ScratchBytes(16, 64);
  const first = scratch.take(10);
  assert.equal(first.length, 10);
  assert.equal(scratch.take(16).buffer, first.buffer, 'a size that fits reuses the buffer');
  const grown = scratch.take(20);
  assert.equal(grown.length, 20);
  assert.notEqual(grown.buffer, first.buffer);
  assert.equal(grown.buffer.byteLength, 32, 'it doubles');
  assert.equal(scratch.take(30).buffer, grown.buffer);
  const large = scratch.take(100);
  assert.equal(large.length, 100);
  assert.equal(scratch.take(30).buffer, grown.buffer, 'a size above the cap got a buffer of its own');
  assert.equal(scratch.take(50).buffer.byteLength, 64, 'growth stops at the cap');
});
