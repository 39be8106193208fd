/**
 * The JSON text form of samples, used by `strata segment build` and by ingest's `/v1/samples`.
 *
 * Input is a JSON array of records or NDJSON (one record per line). A record is either one sample
 *   {"labels": {"__name__": "up", "job": "api"}, "timestamp": 1700000000000, "value": 1}
 * or several samples of one series
 *   {"labels": {...}, "samples": [[1700000000000, 1], [1700000015000, 0]]}
 * `"metric": "up"` may stand for the `__name__` label. Timestamps are integer milliseconds or
 * RFC 3339 strings; values are numbers or the strings "NaN", "+Inf", "-Inf".
 */
import type { Series } from './format.js';
import { compareLabelSets, labelSetProblem, metricNameLabel, sortLabels, type Label } from './labels.js';

export class SampleJsonError extends Error {
  override name = 'SampleJsonError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

/** The text is not JSON at all (as opposed to JSON that does not describe samples). */
export class SampleJsonSyntaxError extends SampleJsonError {
  override name = 'SampleJsonSyntaxError';
}

const specialValues: Record<string, number> = { NaN: Number.NaN, '+Inf': Infinity, Inf: Infinity, '-Inf': -Infinity };

/** Parses samples JSON into series sorted by label set, samples sorted by time. Throws SampleJsonError. */
export function parseSampleJson(text: string): Series[] {
  const records = splitRecords(text);
  const bySeries = new Map<string, Series>();
  for (const { value: record, line } of records) {
    const labels = recordLabels(record, line);
    const key = JSON.stringify(labels);
    let series = bySeries.get(key);
    if (series === undefined) {
      series = { labels, samples: [], functions: [], stacks: [] };
      bySeries.set(key, series);
    }
    for (const [timestamp, value] of recordSamples(record, line)) series.samples.push({ timestamp, value });
  }
  const all = [...bySeries.values()];
  for (const series of all) series.samples.sort((a, b) => a.timestamp - b.timestamp);
  return all.sort((a, b) => compareLabelSets(a.labels, b.labels));
}

function splitRecords(text: string): Array<{ value: unknown; line: number | undefined }> {
  const trimmed = text.trim();
  if (trimmed === '') throw new SampleJsonError('the input holds no samples');
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (cause) {
      throw new SampleJsonSyntaxError(`not valid JSON: ${(cause as Error).message}`);
    }
    return (parsed as unknown[]).map((value) => ({ value, line: undefined }));
  }
  return text.split('\n').flatMap((raw, index) => {
    if (raw.trim() === '') return [];
    try {
      return [{ value: JSON.parse(raw) as unknown, line: index + 1 }];
    } catch (cause) {
      throw new SampleJsonSyntaxError(`not valid JSON: ${(cause as Error).message}`, index + 1);
    }
  });
}

function recordLabels(record: unknown, line: number | undefined): Label[] {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new SampleJsonError('each record must be a JSON object', line);
  }
  const { labels = {}, metric } = record as { labels?: unknown; metric?: unknown };
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new SampleJsonError('"labels" must be an object of label names to string values', line);
  }
  const list: Label[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value !== 'string') throw new SampleJsonError(`label ${name} must have a string value`, line);
    list.push({ name, value });
  }
  if (metric !== undefined) {
    if (typeof metric !== 'string') throw new SampleJsonError('"metric" must be a string', line);
    if (list.some((label) => label.name === metricNameLabel)) throw new SampleJsonError('give the metric name once: "metric" or labels.__name__', line);
    list.push({ name: metricNameLabel, value: metric });
  }
  const sorted = sortLabels(list);
  const problem = labelSetProblem(sorted);
  if (problem !== undefined) throw new SampleJsonError(problem, line);
  return sorted;
}

function recordSamples(record: unknown, line: number | undefined): Array<[number, number]> {
  const { samples, timestamp, value } = record as { samples?: unknown; timestamp?: unknown; value?: unknown };
  if (samples === undefined) return [[parseTimestamp(timestamp, line), parseValue(value, line)]];
  if (timestamp !== undefined || value !== undefined) throw new SampleJsonError('give either "samples" or "timestamp" and "value"', line);
  if (!Array.isArray(samples) || samples.length === 0) throw new SampleJsonError('"samples" must be a non-empty array of [timestamp, value]', line);
  return samples.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new SampleJsonError('each sample must be [timestamp, value]', line);
    return [parseTimestamp(pair[0], line), parseValue(pair[1], line)];
  });
}

function parseTimestamp(input: unknown, line: number | undefined): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input)) throw new SampleJsonError(`timestamp ${input} must be an integer number of milliseconds`, line);
    return input;
  }
  if (typeof input === 'string') {
    const parsed = Date.parse(input);
    if (!/^\d{4}-\d\d-\d\dT/.test(input) || Number.isNaN(parsed)) throw new SampleJsonError(`timestamp ${JSON.stringify(input)} is not RFC 3339`, line);
    return parsed;
  }
  throw new SampleJsonError('"timestamp" is required: integer milliseconds or an RFC 3339 string', line);
}

function parseValue(input: unknown, line: number | undefined): number {
  if (typeof input === 'number') return input;
  if (typeof input === 'string' && input in specialValues) return specialValues[input]!;
  throw new SampleJsonError('"value" is required: a number, "NaN", "+Inf" or "-Inf"', line);
}
