/**
 * The pipeline's own metrics, sent through the same client as rule series. They are read from an
 * export record (which froze them when it was written), stamped with the record's timestamp, so a
 * resend repeats exactly the same samples: per (tenant, shard) counters, no hostname or worker id.
 *
 *   strata_compactor_jobs_total             L0 jobs recorded
 *   strata_compactor_blocks_total           blocks those jobs wrote
 *   strata_compactor_segments_total         segments they compacted
 *   strata_compactor_samples_total          samples they read
 *   strata_compactor_failed_attempts_total  attempts that failed before a job's record was written
 *   strata_export_failures_total            sends given up on (as of the record)
 *   strata_compaction_lag_seconds           gauge: oldest source's arrival → record written
 *   strata_rule_series_dropped_total        per strata_rule: output series refused by max_series
 */
import { sortLabels, type Label } from '../segment/labels.js';
import type { MetricMetadataInput, TimeSeriesInput } from './encode.js';

/** The pipeline's running totals, as a shard's export record carries them. */
export interface SelfMetricCounters {
  /** L0 jobs recorded. */
  jobs: number;
  /** Blocks those jobs wrote. */
  blocks: number;
  /** Source segments of those jobs. */
  segments: number;
  /** Samples read by those jobs. */
  samples: number;
  /** Failed attempts of those jobs before the one that wrote their record. */
  failedAttempts: number;
  /** Sends given up on (from the delivery state when the record was written). */
  exportFailures: number;
}

export interface SelfMetricsInput {
  ts: number;
  /** Put on every series, e.g. the shard label (and the tenant label when tenants travel as labels). */
  labels: readonly Label[];
  counters: SelfMetricCounters;
  lagMs: number;
  /** Series dropped by each rule's max_series, by rule id. */
  droppedSeries?: Readonly<Record<string, number>>;
  /** Label carrying the rule id on the dropped-series counter. */
  ruleLabel?: string;
}

const counters = [
  ['strata_compactor_jobs_total', 'jobs', 'L0 compaction jobs whose rule results were recorded.'],
  ['strata_compactor_blocks_total', 'blocks', 'Blocks written by those jobs.'],
  ['strata_compactor_segments_total', 'segments', 'Segments compacted by those jobs.'],
  ['strata_compactor_samples_total', 'samples', 'Samples read by those jobs.'],
  ['strata_compactor_failed_attempts_total', 'failedAttempts', 'Failed attempts of those jobs before their record was written.'],
  ['strata_export_failures_total', 'exportFailures', 'Remote-write sends given up on.'],
] as const;

export function selfMetrics(input: SelfMetricsInput): { series: TimeSeriesInput[]; metadata: MetricMetadataInput[] } {
  const at = (value: number) => [{ timestamp: input.ts, value }];
  const withName = (name: string, extra: Label[] = []) => sortLabels([{ name: '__name__', value: name }, ...input.labels, ...extra]);
  const series: TimeSeriesInput[] = counters.map(([name, field]) => ({ labels: withName(name), samples: at(input.counters[field]) }));
  series.push({ labels: withName('strata_compaction_lag_seconds'), samples: at(input.lagMs / 1000) });
  const metadata: MetricMetadataInput[] = counters.map(([name, , help]) => ({ metricFamilyName: name, type: 'counter', help }));
  metadata.push({ metricFamilyName: 'strata_compaction_lag_seconds', type: 'gauge', help: 'Oldest source arrival to rule results recorded, for the last job.', unit: 'seconds' });
  const dropped = Object.entries(input.droppedSeries ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [ruleId, count] of dropped) {
    series.push({ labels: withName('strata_rule_series_dropped_total', [{ name: input.ruleLabel ?? 'strata_rule', value: ruleId }]), samples: at(count) });
  }
  if (dropped.length > 0) metadata.push({ metricFamilyName: 'strata_rule_series_dropped_total', type: 'counter', help: "Output series refused by a rule's max_series." });
  return { series, metadata };
}
