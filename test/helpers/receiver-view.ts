/**
 * What a remote-write receiver has accepted, series by series, and the writes Prometheus 2.42 would
 * refuse: a sample older than the series' latest (out of order), or the latest timestamp again
 * with another value (a duplicate sample for the timestamp). An identical resend is fine. This is
 * DESIGN.md invariant 4 checked on the wire; the end-to-end proxy and the chaos receiver both use it.
 *
 * Writes are decoded with the generated code and snappyjs, independently of lib/remotewrite.
 */
import snappy from 'snappyjs';
import { prometheus } from '../../lib/gen/prometheus.js';

export interface WrittenSample {
  ts: number;
  value: number;
}

export interface WrittenSeries {
  labels: Array<{ name: string; value: string }>;
  samples: WrittenSample[];
}

export interface WireViolation {
  tenant: string;
  series: string;
  problem: string;
}

/** A remote-write body (snappy block, WriteRequest) as plain series. */
export function decodeWrite(body: Uint8Array): WrittenSeries[] {
  const decoded = prometheus.WriteRequest.decode(snappy.uncompress(body));
  return decoded.timeseries.map((one) => ({
    labels: (one.labels ?? []).map((label) => ({ name: label.name ?? '', value: label.value ?? '' })),
    samples: (one.samples ?? []).map((sample) => ({ ts: Number(sample.timestamp ?? 0), value: sample.value ?? 0 })),
  }));
}

/** The value of `name` in the write's series: one value, or the sorted distinct values joined by ",". */
export function labelOfWrite(series: readonly WrittenSeries[], name: string): string {
  const values = new Set(series.map((one) => one.labels.find((label) => label.name === name)?.value ?? ''));
  return [...values].sort().join(',');
}

export function seriesKey(labels: ReadonlyArray<{ name: string; value: string }>): string {
  return labels.map((label) => `${label.name}=${JSON.stringify(label.value)}`).join(',');
}

export class ReceiverView {
  readonly violations: WireViolation[] = [];
  /** Series key → the series' labels and its latest accepted sample. */
  readonly latest = new Map<string, { labels: WrittenSeries['labels']; sample: WrittenSample }>();

  /** What Prometheus would refuse in this write, given what was accepted before; records nothing. */
  conflicts(tenant: string, series: readonly WrittenSeries[]): WireViolation[] {
    const problems: WireViolation[] = [];
    const within = new Map<string, WrittenSample>();
    for (const one of series) {
      const key = seriesKey(one.labels);
      for (const sample of one.samples) {
        const previous = within.get(key) ?? this.latest.get(key)?.sample;
        const problem = previous === undefined ? undefined : conflict(previous, sample);
        if (problem !== undefined) problems.push({ tenant, series: key, problem });
        if (previous === undefined || sample.ts >= previous.ts) within.set(key, sample);
      }
    }
    return problems;
  }

  /** Records a write the receiver accepted, and any sample in it that breaks the rules as a violation. */
  accept(tenant: string, series: readonly WrittenSeries[]): void {
    this.violations.push(...this.conflicts(tenant, series));
    this.record(series);
  }

  /** Records the samples of a write the receiver accepted as the series' latest; checks nothing. */
  record(series: readonly WrittenSeries[]): void {
    for (const one of series) {
      const key = seriesKey(one.labels);
      for (const sample of one.samples) {
        const previous = this.latest.get(key)?.sample;
        if (previous === undefined || sample.ts >= previous.ts) this.latest.set(key, { labels: one.labels, sample });
      }
    }
  }
}

function conflict(previous: WrittenSample, sample: WrittenSample): string | undefined {
  if (sample.ts < previous.ts) return `sample at ${sample.ts} after one at ${previous.ts}`;
  if (sample.ts === previous.ts && !Object.is(sample.value, previous.value)) return `two values at ${sample.ts}: ${previous.value} and ${sample.value}`;
  return undefined;
}
