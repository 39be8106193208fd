/**
 * The distinct label pairs (name=value) of one remote-write request, interned by their bytes.
 * Pairs repeat heavily across a request's series (job, instance, metric names), so the scanner
 * validates each pair once, when first seen, and orders series by comparing pair ranks instead of
 * bytes. Equality is always decided on the bytes; the hash only finds candidates.
 */
import { compareBytes } from './bytes.js';

/** Flag bits the scanner stores with a pair. */
export const PAIR_METRIC_NAME = 1;
export const PAIR_EMPTY_VALUE = 2;

/** Tables kept from one request to the next (requests are scanned one at a time, synchronously). */
let reusableLocation = new Int32Array(4096);
const keepInts = 1 << 20;

export class LabelPairs {
  /** nameStart, nameEnd, valueStart, valueEnd of each pair, in `buffers[id]`. */
  private location = reusableLocation;
  private readonly buffers: Uint8Array[] = [];
  private readonly byHash = new Map<number, number>();
  /** The previous pair with the same (30-bit) hash, or -1. */
  private readonly next: number[] = [];
  private readonly flags: number[] = [];

  get size(): number {
    return this.buffers.length;
  }

  /** The id of the pair with these bytes, or -1. `hash` is any hash of the pair's bytes. */
  find(buffer: Uint8Array, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, hash: number): number {
    // Small integer keys (V8 Smis) keep the map fast; collisions are resolved on the bytes.
    let id = this.byHash.get(hash & 0x3fffffff) ?? -1;
    const loc = this.location;
    while (id >= 0) {
      const p = id * 4;
      const other = this.buffers[id]!;
      if (
        compareBytes(buffer, nameStart, nameEnd, other, loc[p]!, loc[p + 1]!) === 0 &&
        compareBytes(buffer, valueStart, valueEnd, other, loc[p + 2]!, loc[p + 3]!) === 0
      ) {
        return id;
      }
      id = this.next[id]!;
    }
    return -1;
  }

  /** Registers a pair that `find` did not know, with its flags; returns its id. */
  add(buffer: Uint8Array, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, hash: number, flags: number): number {
    const id = this.buffers.length;
    if (id * 4 + 4 > this.location.length) {
      const grown = new Int32Array(this.location.length * 2);
      grown.set(this.location);
      this.location = grown;
    }
    const p = id * 4;
    this.location[p] = nameStart;
    this.location[p + 1] = nameEnd;
    this.location[p + 2] = valueStart;
    this.location[p + 3] = valueEnd;
    this.buffers.push(buffer);
    this.flags.push(flags);
    const key = hash & 0x3fffffff;
    this.next.push(this.byHash.get(key) ?? -1);
    this.byHash.set(key, id);
    return id;
  }

  flagsOf(id: number): number {
    return this.flags[id]!;
  }

  /** Each pair's rank in label order (name bytes, then value bytes): equal ranks are equal pairs. */
  ranks(): Int32Array {
    const count = this.buffers.length;
    const loc = this.location;
    const buffers = this.buffers;
    const ids = Array.from({ length: count }, (_, i) => i);
    ids.sort((a, b) => {
      const pa = a * 4;
      const pb = b * 4;
      return (
        compareBytes(buffers[a]!, loc[pa]!, loc[pa + 1]!, buffers[b]!, loc[pb]!, loc[pb + 1]!) ||
        compareBytes(buffers[a]!, loc[pa + 2]!, loc[pa + 3]!, buffers[b]!, loc[pb + 2]!, loc[pb + 3]!)
      );
    });
    const rank = new Int32Array(count);
    ids.forEach((id, r) => (rank[id] = r));
    return rank;
  }

  /** Hands the grown table to the next request (unless it grew unusually large). */
  release(): void {
    if (this.location.length <= keepInts) reusableLocation = this.location;
  }
}
