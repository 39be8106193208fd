/**
 * The k-way merge at the heart of compaction: series from several sorted sources come out sorted by
 * label set, each series once, its samples sorted by (timestamp, value bits) with exact duplicate
 * rows dropped. The result depends only on the sources and their order, never on timing, so a
 * retried job writes byte-identical blocks.
 *
 * Two rows with the same series and timestamp but different values are both kept (sorted by their
 * bits): compaction never picks a winner, so nothing a client sent is lost. See docs/compaction.md.
 */
import type { Sample, Series, Stack } from '../segment/format.js';
import { compareLabelSets } from '../segment/labels.js';

export interface MergeStats {
  series: number;
  samplesIn: number;
  samplesOut: number;
  stacksIn: number;
  stacksOut: number;
}

const bits = new DataView(new ArrayBuffer(16));

/** Orders doubles by their IEEE 754 bit patterns, so NaN payloads and -0 stay distinct and ordered. */
export function compareValueBits(a: number, b: number): number {
  bits.setFloat64(0, a);
  bits.setFloat64(8, b);
  return bits.getUint32(0) - bits.getUint32(8) || bits.getUint32(4) - bits.getUint32(12);
}

/**
 * Merges sorted series streams. `sources` are consumed lazily, one series ahead each, so memory
 * holds one series per source plus whatever each iterator buffers (a decoded chunk for FileReader).
 */
export function* mergeSeries(sources: Iterable<Series>[], stats: MergeStats = newMergeStats()): Generator<Series> {
  const iterators = sources.map((source) => source[Symbol.iterator]());
  const heads: Array<Series | undefined> = iterators.map((iterator) => next(iterator));
  for (;;) {
    let smallest: Series | undefined;
    for (const head of heads) {
      if (head !== undefined && (smallest === undefined || compareLabelSets(head.labels, smallest.labels) < 0)) smallest = head;
    }
    if (smallest === undefined) return;
    const same: Series[] = [];
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head !== undefined && compareLabelSets(head.labels, smallest.labels) === 0) {
        same.push(head);
        heads[i] = next(iterators[i]!);
      }
    }
    stats.series++;
    yield mergeOneSeries(same, stats);
  }
}

export function newMergeStats(): MergeStats {
  return { series: 0, samplesIn: 0, samplesOut: 0, stacksIn: 0, stacksOut: 0 };
}

function next(iterator: Iterator<Series>): Series | undefined {
  const result = iterator.next();
  return result.done === true ? undefined : result.value;
}

/** Merges the copies of one series (in source order) into one. */
function mergeOneSeries(copies: Series[], stats: MergeStats): Series {
  const first = copies[0]!;
  stats.samplesIn += copies.reduce((sum, copy) => sum + copy.samples.length, 0);
  stats.stacksIn += copies.reduce((sum, copy) => sum + copy.stacks.length, 0);
  if (copies.length === 1 && isStrictlySorted(first)) {
    stats.samplesOut += first.samples.length;
    stats.stacksOut += first.stacks.length;
    return first;
  }
  const samples = copies.flatMap((copy) => copy.samples);
  // Sources usually hold consecutive time ranges of a series: then the concatenation is the answer.
  const uniqueSamples = isStrictlyIncreasing(samples)
    ? samples
    : samples
        .sort((a, b) => a.timestamp - b.timestamp || compareValueBits(a.value, b.value))
        .filter((sample, i, all) => i === 0 || sample.timestamp !== all[i - 1]!.timestamp || compareValueBits(sample.value, all[i - 1]!.value) !== 0);
  const { functions, stacks } = copies.some((copy) => copy.stacks.length > 0) ? mergeStacks(copies) : { functions: [], stacks: [] };
  stats.samplesOut += uniqueSamples.length;
  stats.stacksOut += stacks.length;
  return { labels: first.labels, samples: uniqueSamples, functions, stacks };
}

/** True when no two neighbouring samples or stacks could be duplicates or out of (timestamp, bits) order. */
function isStrictlySorted(series: Series): boolean {
  return series.stacks.length === 0 && isStrictlyIncreasing(series.samples);
}

function isStrictlyIncreasing(samples: readonly Sample[]): boolean {
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.timestamp <= samples[i - 1]!.timestamp) return false;
  }
  return true;
}

/** Re-indexes every copy's stacks into one function table (names in order of first use) and dedupes. */
function mergeStacks(copies: Series[]): { functions: string[]; stacks: Stack[] } {
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
  if (stacks.length === 0) return { functions: [], stacks };
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
