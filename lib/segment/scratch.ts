/**
 * A byte buffer reused from one call to the next by code that runs synchronously (compressing a
 * chunk, laying out its entries), so that each call does not allocate and zero one of its own. It
 * grows on demand, but not past `keepBytes`: a larger request gets a buffer of its own, dropped
 * after the call.
 */
export class ScratchBytes {
  private buffer: Uint8Array;

  constructor(
    initialBytes: number,
    private readonly keepBytes: number,
  ) {
    this.buffer = new Uint8Array(initialBytes);
  }

  /** `size` bytes to write into, valid until the next call; they hold whatever was left there. */
  take(size: number): Uint8Array {
    if (size > this.buffer.length) {
      if (size > this.keepBytes) return new Uint8Array(size);
      this.buffer = new Uint8Array(Math.min(this.keepBytes, Math.max(size, this.buffer.length * 2)));
    }
    return this.buffer.subarray(0, size);
  }
}
