/**
 * The k-way merge at the heart of compaction: series from several sorted sources come out sorted by
 * label set, each series once, its samples sorted by (timestamp, value bits) with exact duplicate
 * rows dropped. The result depends only on the sources and their order, never on timing, so a
 * retried job writes byte-identical blocks.
 *
 * Two rows with the same series and timestamp but different values are both kept (sorted by their
 * bits): compaction never picks a winner, so nothing a client sent is lost. See docs/compaction.md.
 *
 * Samples stay encoded (lib/segment/entry.ts). The usual case — each source holds its own stretch
 * of time of a series — only concatenates the sources' sample bytes; overlapping copies (client
 * retries, late data) and profile stacks are decoded, merged and encoded again.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeSamples, encodeSamples, type SeriesEntry } from '../segment/entry.js';
import type { Sample, Stack } from '../segment/format.js';
import { compareLabelSets } from '../segment/labels.js';

export interface MergeStats {
  series: number;
  samplesIn: number;
  samplesOut: number;
  stacksIn: number;
  stacksOut: number;
}

/** A source's series in label order, a batch (one decoded chunk) at a time. */
export type EntryBatches = AsyncIterable<SeriesEntry[]> | Iterable<SeriesEntry[]>;

const bits = new DataView(new ArrayBuffer(16));

/**
 * The longest the merge runs before it gives the event loop a turn. Sources are read ahead, so the
 * merge seldom waits on I/O: a job whose sources fit in memory would otherwise hold the thread for
 * its whole merge, and the part uploads, reads ahead and (in `strata dev`) other invocations on the
 * thread would wait for it.
 */
const maxTurnMs = 10;
/** Series merged between looks at the clock: a merged series takes microseconds, a clock read a good part of one. */
const seriesPerClockRead = 64;

/** Orders doubles by their IEEE 754 bit patterns, so NaN payloads and -0 stay distinct and ordered. */
export function compareValueBits(a: number, b: number): number {
  bits.setFloat64(0, a);
  bits.setFloat64(8, b);
  return bits.getUint32(0) - bits.getUint32(8) || bits.getUint32(4) - bits.getUint32(12);
}

export function newMergeStats(): MergeStats {
  return { series: 0, samplesIn: 0, samplesOut: 0, stacksIn: 0, stacksOut: 0 };
}

interface Cursor {
  /** The source's position in the job: copies of a series are merged in source order. */
  source: number;
  iterator: AsyncIterator<SeriesEntry[]> | Iterator<SeriesEntry[]>;
  batch: SeriesEntry[];
  index: number;
}

/**
 * Merges sorted sources, handing each merged series to `emit` in label order. Memory holds one
 * batch per source; the merge waits on a source only when its batch runs out, and on `emit` only
 * when it returns a promise (an output applying back-pressure).
 *
 * The sources' current series sit in a binary heap ordered by labels (then source), so each output
 * series costs O(log k) label comparisons rather than a scan of all k sources: an L1 job merges 20
 * segments whose series mostly occur in several of them.
 */
export async function mergeEntries(
  sources: readonly EntryBatches[],
  emit: (entry: SeriesEntry) => Promise<void> | undefined | void,
  stats: MergeStats = newMergeStats(),
): Promise<MergeStats> {
  const heap = new CursorHeap();
  for (const [index, source] of sources.entries()) {
    const cursor: Cursor = { source: index, iterator: Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator](), batch: [], index: 0 };
    if (await refill(cursor)) heap.push(cursor);
  }
  const copies: SeriesEntry[] = [];
  let turnStarted = performance.now();
  let sinceClockRead = 0;
  while (heap.size > 0) {
    if (++sinceClockRead === seriesPerClockRead) {
      sinceClockRead = 0;
      if (performance.now() - turnStarted >= maxTurnMs) {
        await nextTurn();
        turnStarted = performance.now();
      }
    }
    const labels = heap.top().batch[heap.top().index]!.labels;
    copies.length = 0;
    // A source holds each series once, so the copies of this series are the heap's equal tops; the
    // heap breaks ties by source, so they come off it in source order.
    while (heap.size > 0) {
      const cursor = heap.top();
      const entry = cursor.batch[cursor.index]!;
      if (copies.length > 0 && compareLabelSets(entry.labels, labels) !== 0) break;
      copies.push(entry);
      cursor.index++;
      // Only a source whose batch ran out is awaited.
      if (cursor.index < cursor.batch.length || (await refill(cursor))) heap.replaceTop(cursor);
      else heap.pop();
    }
    stats.series++;
    const pending = emit(mergeCopies(copies, stats));
    if (pending !== undefined) await pending;
  }
  return stats;
}

/** Makes sure the cursor has a current series; false once its source is exhausted. */
async function refill(cursor: Cursor): Promise<boolean> {
  while (cursor.index >= cursor.batch.length) {
    const result = await cursor.iterator.next();
    if (result.done === true) return false;
    [cursor.batch, cursor.index] = [result.value, 0];
  }
  return true;
}

function cursorBefore(a: Cursor, b: Cursor): boolean {
  const order = compareLabelSets(a.batch[a.index]!.labels, b.batch[b.index]!.labels);
  return order < 0 || (order === 0 && a.source < b.source);
}

/** A binary min-heap of cursors by their current series. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): Cursor {
    return this.items[0]!;
  }

  push(cursor: Cursor): void {
    const items = this.items;
    let i = items.push(cursor) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!cursorBefore(cursor, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = cursor;
  }

  pop(): void {
    const last = this.items.pop()!;
    if (this.items.length > 0) this.replaceTop(last);
  }

  /** Puts `cursor` at the top (the top has moved on, or left) and sifts it down to its place. */
  replaceTop(cursor: Cursor): void {
    const items = this.items;
    const size = items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && cursorBefore(items[right]!, items[left]!) ? right : left;
      if (!cursorBefore(items[child]!, cursor)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = cursor;
  }
}

/** Merges the copies of one series (in source order) into one. */
function mergeCopies(copies: SeriesEntry[], stats: MergeStats): SeriesEntry {
  const first = copies[0]!;
  let sampleCount = 0;
  let stackCount = 0;
  for (const copy of copies) {
    sampleCount += copy.sampleCount;
    stackCount += copy.stacks.length;
  }
  stats.samplesIn += sampleCount;
  stats.stacksIn += stackCount;
  if (stackCount === 0) {
    const ordered = copies.length === 1 ? copies : [...copies].sort((a, b) => a.minTimeMs - b.minTimeMs);
    if (ordered.every((copy, i) => copy.samplesStrictlyIncreasing && (i === 0 || ordered[i - 1]!.maxTimeMs < copy.minTimeMs))) {
      // Disjoint stretches of time: the samples are the sources' bytes, one after the other.
      stats.samplesOut += sampleCount;
      if (copies.length === 1) return first;
      return {
        ...first,
        functions: [],
        sampleParts: ordered.flatMap((copy) => copy.sampleParts),
        sampleCount,
        minTimeMs: ordered[0]!.minTimeMs,
        maxTimeMs: ordered.at(-1)!.maxTimeMs,
      };
    }
  }
  const samples = uniqueSamples(copies.flatMap((copy) => decodeSamples(copy.sampleParts)));
  const { functions, stacks } = stackCount > 0 ? mergeStacks(copies) : { functions: [], stacks: [] };
  stats.samplesOut += samples.length;
  stats.stacksOut += stacks.length;
  const times = [...(samples.length > 0 ? [samples[0]!.timestamp, samples.at(-1)!.timestamp] : []), ...(stacks.length > 0 ? [stacks[0]!.timestamp, stacks.at(-1)!.timestamp] : [])];
  return {
    labels: first.labels,
    ...(first.labelBytes === undefined ? {} : { labelBytes: first.labelBytes }),
    sampleParts: samples.length > 0 ? [encodeSamples(samples)] : [],
    sampleCount: samples.length,
    minTimeMs: Math.min(...times),
    maxTimeMs: Math.max(...times),
    samplesStrictlyIncreasing: true,
    functions,
    stacks,
  };
}

/** Sorts by (timestamp, value bits) and drops exact duplicates. */
function uniqueSamples(samples: Sample[]): Sample[] {
  samples.sort((a, b) => a.timestamp - b.timestamp || compareValueBits(a.value, b.value));
  return samples.filter((sample, i, all) => i === 0 || sample.timestamp !== all[i - 1]!.timestamp || compareValueBits(sample.value, all[i - 1]!.value) !== 0);
}

/** Re-indexes every copy's stacks into one function table (names in order of first use) and dedupes. */
function mergeStacks(copies: SeriesEntry[]): { functions: string[]; stacks: Stack[] } {
  const functions: string[] = [];
  const index = new Map<string, number>();
  const indexOf = (name: string): number => {
    let found = index.get(name);
    if (found === undefined) {
      found = functions.length;
      functions.push(name);
      index.set(name, found);
    }
    return found;
  };
  const stacks: Stack[] = [];
  for (const copy of copies) {
    for (const stack of copy.stacks) {
      stacks.push({ timestamp: stack.timestamp, frames: stack.frames.map((frame) => indexOf(copy.functions[frame]!)), value: stack.value });
    }
  }
  // Order by time, then by the frames' names (not indexes, which depend on first use), then value.
  const key = (stack: Stack) => stack.frames.map((frame) => functions[frame]).join('\u0000');
  const keyed = stacks.map((stack) => ({ stack, key: key(stack) }));
  keyed.sort((a, b) => a.stack.timestamp - b.stack.timestamp || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || compareValueBits(a.stack.value, b.stack.value));
  const unique = keyed.filter(({ stack, key: k }, i) => {
    if (i === 0) return true;
    const previous = keyed[i - 1]!;
    return stack.timestamp !== previous.stack.timestamp || k !== previous.key || compareValueBits(stack.value, previous.stack.value) !== 0;
  });
  return { functions, stacks: unique.map(({ stack }) => stack) };
}
