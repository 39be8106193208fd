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
  iterator: AsyncIterator<SeriesEntry[]> | Iterator<SeriesEntry[]>;
  batch: SeriesEntry[];
  index: number;
  done: boolean;
}

/**
 * Merges sorted sources, handing each merged series to `emit` in label order. Memory holds one
 * batch per source; the merge waits on a source only when its batch runs out, and on `emit` only
 * when it returns a promise (an output applying back-pressure).
 */
export async function mergeEntries(
  sources: readonly EntryBatches[],
  emit: (entry: SeriesEntry) => Promise<void> | undefined | void,
  stats: MergeStats = newMergeStats(),
): Promise<MergeStats> {
  const cursors: Cursor[] = sources.map((source) => ({
    iterator: Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator](),
    batch: [],
    index: 0,
    done: false,
  }));
  const same: SeriesEntry[] = [];
  for (;;) {
    let smallest: SeriesEntry | undefined;
    for (const cursor of cursors) {
      while (!cursor.done && cursor.index >= cursor.batch.length) {
        const result = await cursor.iterator.next();
        if (result.done === true) cursor.done = true;
        else [cursor.batch, cursor.index] = [result.value, 0];
      }
      const head = cursor.batch[cursor.index];
      if (!cursor.done && head !== undefined && (smallest === undefined || compareLabelSets(head.labels, smallest.labels) < 0)) smallest = head;
    }
    if (smallest === undefined) return stats;
    same.length = 0;
    for (const cursor of cursors) {
      const head = cursor.batch[cursor.index];
      if (!cursor.done && head !== undefined && (head === smallest || compareLabelSets(head.labels, smallest.labels) === 0)) {
        same.push(head);
        cursor.index++;
      }
    }
    stats.series++;
    const pending = emit(mergeCopies(same, stats));
    if (pending !== undefined) await pending;
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
