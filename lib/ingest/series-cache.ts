/**
 * Label sets the remote-write scanner has already checked, kept from one request to the next.
 *
 * A sender pushes the same series every scrape interval, and checking a series' labels where they
 * lie (parsing each label, validating it, hashing it for the shard and for pair interning) is most
 * of the scan. A TimeSeries whose label fields come first is looked up here by those fields' exact
 * bytes: a hit gives what checking them gave last time — each label's place, its interned pair and
 * the series' shard hash — because all of it is a function of those bytes alone (validity does not
 * depend on tenant, clock or request). Only label sets that were valid and needed no rebuild are
 * kept. Equality is decided on the bytes; the hash only finds candidates.
 *
 * Memory is bounded by the caller: once `usedBytes` passes its budget it clears the cache (and with
 * it the pair table the entries refer to), between requests, and it refills from the traffic. The
 * arrays are kept and reused rather than allocated again: writing into fresh memory costs page
 * faults, which a cold cache (every label set new) would pay on every clear.
 */
import { grownInt32, grownUint8, insertSlot, rehashed } from './bytes.js';
import { LabelPairs } from './label-pairs.js';

/** Per entry in `meta`: region start in `bytes`, region length, shard hash, label count, then 5 ints per label. */
const HEAD = 4;
const PER_LABEL = 5;

export class SeriesCache {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  private bytesUsed = 0;
  private meta = new Int32Array(1 << 14);
  private metaUsed = 0;
  private entries = 0;
  /** Open addressing (bytes.ts): an entry number + 1 per slot, 0 when empty; at most half full. */
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(512);
  private offsets = new Int32Array(512);
  readonly pairs = new LabelPairs();
  /** Lookups that found their label set, over the cache's life. */
  hits = 0;

  /** Label sets kept. */
  get size(): number {
    return this.entries;
  }

  /** Roughly what the entries and pairs take (the arrays holding them are up to twice as large). */
  get usedBytes(): number {
    return this.bytesUsed + this.metaUsed * 4 + this.entries * 16 + this.pairs.usedBytes;
  }

  /** Forgets every entry and pair, keeping the memory for the next ones. */
  clear(): void {
    this.bytesUsed = 0;
    this.metaUsed = 0;
    this.entries = 0;
    this.slots.fill(0);
    this.pairs.clear();
  }

  /** The entry (an offset) whose label bytes equal the viewed buffer's [start, end), or -1. */
  find(buffer: DataView, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]! - 1;
      if (entry < 0) return -1;
      const at = this.offsets[entry]!;
      if (this.hashes[entry] === hash && this.meta[at + 1] === length && equalRegions(buffer, start, this.view, this.meta[at]!, length)) {
        this.hits++;
        return at;
      }
    }
  }

  /**
   * Keeps a checked label set: its bytes buffer[start, end), its shard hash, and for each label the
   * table entries (name start/end, value start/end in `buffer`) and pair id.
   */
  add(buffer: Uint8Array, start: number, end: number, hash: number, shardHash: number, labels: Int32Array, labelOffset: number, pairOfLabel: Int32Array, labelCount: number): void {
    const length = end - start;
    if (this.bytesUsed + length > this.bytes.length) {
      this.bytes = grownUint8(this.bytes, Math.max(this.bytes.length * 2, this.bytesUsed + length));
      this.view = new DataView(this.bytes.buffer);
    }
    this.bytes.set(buffer.subarray(start, end), this.bytesUsed);
    const size = HEAD + PER_LABEL * labelCount;
    if (this.metaUsed + size > this.meta.length) this.meta = grownInt32(this.meta, Math.max(this.meta.length * 2, this.metaUsed + size));
    const at = this.metaUsed;
    const meta = this.meta;
    meta[at] = this.bytesUsed;
    meta[at + 1] = length;
    meta[at + 2] = shardHash | 0;
    meta[at + 3] = labelCount;
    for (let i = 0; i < labelCount; i++) {
      const from = labelOffset + i * 4;
      const to = at + HEAD + i * PER_LABEL;
      for (let k = 0; k < 4; k++) meta[to + k] = labels[from + k]! - start;
      meta[to + 4] = pairOfLabel[from >>> 2]!;
    }
    this.bytesUsed += length;
    this.metaUsed += size;
    const entry = this.entries++;
    if (entry === this.hashes.length) {
      this.hashes = grownInt32(this.hashes, entry * 2);
      this.offsets = grownInt32(this.offsets, entry * 2);
    }
    this.hashes[entry] = hash;
    this.offsets[entry] = at;
    if (this.entries * 2 > this.slots.length) this.slots = rehashed(this.slots.length * 2, this.hashes, entry);
    insertSlot(this.slots, hash, entry);
  }

  shardHash(at: number): number {
    return this.meta[at + 2]! >>> 0;
  }

  labelCount(at: number): number {
    return this.meta[at + 3]!;
  }

  /**
   * Writes the entry's labels into the scanner's tables as if they had been checked at `start`:
   * 4 ints per label into `labels` from `labelOffset`, the pair ids into `pairOfLabel`, and marks
   * the pairs used by this request.
   */
  fill(at: number, start: number, labels: Int32Array, labelOffset: number, pairOfLabel: Int32Array): void {
    const meta = this.meta;
    const count = meta[at + 3]!;
    for (let i = 0; i < count; i++) {
      const from = at + HEAD + i * PER_LABEL;
      const to = labelOffset + i * 4;
      labels[to] = meta[from]! + start;
      labels[to + 1] = meta[from + 1]! + start;
      labels[to + 2] = meta[from + 2]! + start;
      labels[to + 3] = meta[from + 3]! + start;
      const pair = meta[from + 4]!;
      pairOfLabel[to >>> 2] = pair;
      this.pairs.markUsed(pair);
    }
  }

}

/** A hash of buffer[start, end) read four bytes at a time (the cache's key; not the shard hash). */
export function regionHash(buffer: DataView, start: number, end: number): number {
  let h = (end - start) | 0;
  let p = start;
  for (; p + 4 <= end; p += 4) {
    h = Math.imul(h ^ buffer.getInt32(p, true), 0x9e3779b1);
    h = (h << 13) | (h >>> 19);
  }
  for (; p < end; p++) h = Math.imul(h ^ buffer.getUint8(p), 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function equalRegions(a: DataView, aStart: number, b: DataView, bStart: number, length: number): boolean {
  let i = 0;
  for (; i + 4 <= length; i += 4) if (a.getInt32(aStart + i, true) !== b.getInt32(bStart + i, true)) return false;
  for (; i < length; i++) if (a.getUint8(aStart + i) !== b.getUint8(bStart + i)) return false;
  return true;
}
