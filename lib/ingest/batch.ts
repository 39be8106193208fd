/**
 * What every endpoint's parser produces: series grouped by shard, each group in label-set order
 * and ready for `buildSegment`. `batchFromSeries` gets there from decoded `Series` objects (the
 * pprof and JSON paths); the remote-write path builds its batch straight from the wire.
 */
import { strata } from '../gen/segment.js';
import { formatLabels, seriesProblem, type Series } from '../segment/format.js';
import { compareLabelSets, shardOf } from '../segment/labels.js';
import { InvalidSeriesDataError } from './errors.js';
import type { EncodedSeries } from '../segment/build.js';

export interface DroppedCounts {
  /** Remote write: exemplars and native histogram samples, which Strata does not store. */
  exemplars: number;
  histograms: number;
  /** Remote write: metric metadata entries. */
  metadata: number;
  /** Series that carried nothing Strata stores (e.g. only histograms). */
  series: number;
}

export interface ParsedBatch {
  /** Series per shard, each list sorted by label set and free of duplicates. */
  shards: Map<number, EncodedSeries[]>;
  seriesCount: number;
  sampleCount: number;
  dropped: DroppedCounts;
}

export function noneDropped(): DroppedCounts {
  return { exemplars: 0, histograms: 0, metadata: 0, series: 0 };
}

/**
 * Validates decoded series, merges those with the same label set (samples and stacks sorted by
 * time, stable), sorts them, assigns shards and encodes each once. Throws InvalidSeriesDataError (400).
 */
export function batchFromSeries(
  input: readonly Series[],
  options: { shardCount: number; maxTimestampMs: number },
  dropped: DroppedCounts = noneDropped(),
): ParsedBatch {
  const merged = new Map<string, Series>();
  for (const series of input) {
    const id = JSON.stringify(series.labels.map(({ name, value }) => [name, value]));
    const existing = merged.get(id);
    if (existing === undefined) {
      merged.set(id, { labels: series.labels, samples: [...series.samples], functions: [...series.functions], stacks: [...series.stacks] });
      continue;
    }
    existing.samples.push(...series.samples);
    const offset = existing.functions.length;
    existing.functions.push(...series.functions);
    existing.stacks.push(...series.stacks.map((stack) => ({ ...stack, frames: stack.frames.map((frame) => frame + offset) })));
  }
  const sorted = [...merged.values()].sort((a, b) => compareLabelSets(a.labels, b.labels));
  const shards = new Map<number, EncodedSeries[]>();
  let sampleCount = 0;
  for (const series of sorted) {
    series.samples.sort((a, b) => a.timestamp - b.timestamp);
    series.stacks.sort((a, b) => a.timestamp - b.timestamp);
    const problem = seriesProblem(series);
    if (problem !== undefined) throw new InvalidSeriesDataError(`series ${formatLabels(series.labels)}: ${problem}`);
    const encoded = encodeSeries(series);
    if (encoded.maxTimeMs > options.maxTimestampMs) {
      throw new InvalidSeriesDataError(
        `series ${formatLabels(series.labels)}: timestamp ${encoded.maxTimeMs} is too far in the future (the limit is ${options.maxTimestampMs})`,
      );
    }
    const shard = shardOf(series.labels, options.shardCount);
    let list = shards.get(shard);
    if (list === undefined) shards.set(shard, (list = []));
    list.push(encoded);
    sampleCount += series.samples.length;
  }
  return { shards, seriesCount: sorted.length, sampleCount, dropped };
}

function encodeSeries(series: Series): EncodedSeries {
  const buffer = strata.segment.v1.Series.encode(series).finish();
  // Samples and stacks are each sorted by time, so the bounds are at their ends.
  const { samples, stacks } = series;
  return {
    buffer,
    start: 0,
    end: buffer.length,
    ranges: undefined,
    byteLength: buffer.length,
    sampleCount: samples.length,
    minTimeMs: Math.min(samples[0]?.timestamp ?? Infinity, stacks[0]?.timestamp ?? Infinity),
    maxTimeMs: Math.max(samples.at(-1)?.timestamp ?? -Infinity, stacks.at(-1)?.timestamp ?? -Infinity),
  };
}
