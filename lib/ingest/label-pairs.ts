/**
 * The distinct label pairs (name=value) the remote-write scanner has seen, interned by their bytes.
 * Pairs repeat heavily across a request's series (job, instance, metric names) and across requests
 * (a sender pushes the same series every scrape), so each pair is validated once, when first seen,
 * and series are ordered by comparing pair ranks instead of bytes. Equality is always decided on
 * the bytes, which are copied here; the hash only finds candidates.
 *
 * The table outlives a request (the series cache refers to its ids) and is cleared with that cache
 * when it grows past its budget (see series-cache.ts). Requests are scanned one at a time,
 * synchronously, so one table serves them all.
 */
import { compareBytes, grownInt32, grownUint8, insertSlot, rehashed } from './bytes.js';

/** Flag bits the scanner stores with a pair. */
export const PAIR_METRIC_NAME = 1;
export const PAIR_EMPTY_VALUE = 2;

export class LabelPairs {
  /** Each pair's name bytes then value bytes. */
  private bytes = new Uint8Array(1 << 16);
  private bytesUsed = 0;
  /** nameStart, valueStart, valueEnd of each pair in `bytes` (the name ends where the value starts). */
  private location = new Int32Array(3 * 1024);
  private count = 0;
  /** Open addressing on the hash (bytes.ts): a pair id + 1 per slot, 0 when empty; at most half full. */
  private slots = new Int32Array(2048);
  private hashes = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  /** The request that last used each pair, to collect the pairs a request uses. */
  private usedIn = new Int32Array(1024);
  private request = 0;
  private readonly used: number[] = [];
  /** Rank of each pair used by the current request, in label order. */
  private rank = new Int32Array(1024);

  /** Roughly what the pairs take. */
  get usedBytes(): number {
    return this.bytesUsed + this.count * 33;
  }

  /** Forgets every pair, keeping the memory. */
  clear(): void {
    this.bytesUsed = 0;
    this.count = 0;
    this.slots.fill(0);
  }

  /** Starts a request: no pair is used by it yet. */
  beginRequest(): void {
    this.request++;
    this.used.length = 0;
  }

  /** The id of the pair with these bytes, or -1. `hash` is any 32-bit hash of the pair's bytes. */
  find(buffer: Uint8Array, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const loc = this.location;
    const bytes = this.bytes;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot]! - 1;
      if (id < 0) return -1;
      const p = id * 3;
      if (
        this.hashes[id] === hash &&
        compareBytes(buffer, nameStart, nameEnd, bytes, loc[p]!, loc[p + 1]!) === 0 &&
        compareBytes(buffer, valueStart, valueEnd, bytes, loc[p + 1]!, loc[p + 2]!) === 0
      ) {
        return id;
      }
    }
  }

  /** Registers (copies) a pair that `find` did not know, with its flags; returns its id. */
  add(buffer: Uint8Array, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, hash: number, flags: number): number {
    const id = this.count++;
    if (id === this.hashes.length) this.growPerPair();
    const size = nameEnd - nameStart + valueEnd - valueStart;
    if (this.bytesUsed + size > this.bytes.length) this.bytes = grownUint8(this.bytes, Math.max(this.bytes.length * 2, this.bytesUsed + size));
    const p = id * 3;
    this.location[p] = this.bytesUsed;
    this.bytes.set(buffer.subarray(nameStart, nameEnd), this.bytesUsed);
    this.bytesUsed += nameEnd - nameStart;
    this.location[p + 1] = this.bytesUsed;
    this.bytes.set(buffer.subarray(valueStart, valueEnd), this.bytesUsed);
    this.bytesUsed += valueEnd - valueStart;
    this.location[p + 2] = this.bytesUsed;
    this.hashes[id] = hash;
    this.flags[id] = flags;
    if (this.count * 2 > this.slots.length) this.slots = rehashed(this.slots.length * 2, this.hashes, id);
    insertSlot(this.slots, hash, id);
    return id;
  }

  flagsOf(id: number): number {
    return this.flags[id]!;
  }

  /** Notes that the current request uses this pair. */
  markUsed(id: number): void {
    if (this.usedIn[id] !== this.request) {
      this.usedIn[id] = this.request;
      this.used.push(id);
    }
  }

  /**
   * Ranks the pairs the current request uses in label order (name bytes, then value bytes): equal
   * ranks are equal pairs. Returns how many there are and the rank of each, indexed by pair id.
   */
  rankUsed(): { count: number; rank: Int32Array } {
    const loc = this.location;
    const bytes = this.bytes;
    const used = this.used;
    used.sort((a, b) => {
      const pa = a * 3;
      const pb = b * 3;
      return (
        compareBytes(bytes, loc[pa]!, loc[pa + 1]!, bytes, loc[pb]!, loc[pb + 1]!) ||
        compareBytes(bytes, loc[pa + 1]!, loc[pa + 2]!, bytes, loc[pb + 1]!, loc[pb + 2]!)
      );
    });
    if (this.rank.length < this.hashes.length) this.rank = new Int32Array(this.hashes.length);
    for (let r = 0; r < used.length; r++) this.rank[used[r]!] = r;
    return { count: used.length, rank: this.rank };
  }

  private growPerPair(): void {
    const size = this.hashes.length * 2;
    this.hashes = grownInt32(this.hashes, size);
    this.flags = grownUint8(this.flags, size);
    this.usedIn = grownInt32(this.usedIn, size);
    this.location = grownInt32(this.location, size * 3);
  }
}
