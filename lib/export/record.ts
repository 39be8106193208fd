/**
 * Export records: the running totals of a (tenant, shard)'s rule series, one record per L0 job,
 * numbered 1, 2, 3, … in the order they were appended (DESIGN.md, "Semantics: counters").
 *
 *   record n = record n−1's totals + the increments of the job that wrote it
 *   ts(n)    = max(job ts, ts(n−1) + 1)
 *
 * A record is immutable once written; this module builds the next one (a pure function of the
 * previous record, the job and its evaluation) and reads and writes its JSON form:
 *
 *   {"v":1,"tenant","shard","sequence","jobId","jobTs","ts","rulesHash",
 *    "series":[{"labels":{"__name__":…,…},"value":…},…],      sorted by labels
 *    "dropped":{"<rule id>":n,…},                             series refused by max_series, cumulative
 *    "pipeline":{"jobs","blocks","segments","samples","failedAttempts","exportFailures","lagMs"}}
 *
 * Totals keep every output series of the rules in force (a rule whose id disappears, or whose
 * record name, group_by or external labels changed, loses its old series). A rule's series are
 * capped at its `max_series` per shard: series already counting keep counting, new ones are let in
 * in label order while there is room, the rest are dropped and counted.
 */
import type { Rule, RulesSnapshot } from '../rules/types.js';
import type { RuleEvaluation } from '../rules/evaluate.js';
import { ruleIdLabel, shardLabel } from '../rules/types.js';
import { compareLabelSets, labelSetKey, labelSetProblem, metricNameLabel, sortLabels, type Label } from '../segment/labels.js';
import { ExportRecordError } from './errors.js';
import type { SelfMetricCounters } from '../remotewrite/self-metrics.js';

export const exportRecordVersion = 1;

export interface ExportSeries {
  labels: Label[];
  value: number;
}

/** Pipeline counters carried by the chain, so that they are exported with deterministic timestamps. */
export interface PipelineCounters extends SelfMetricCounters {
  /** This job's compaction lag: oldest source's arrival → record written. */
  lagMs: number;
}

export interface ExportRecord {
  v: typeof exportRecordVersion;
  tenant: string;
  shard: number;
  /** 1, 2, 3, … per (tenant, shard). */
  sequence: number;
  jobId: string;
  jobTs: number;
  /** The timestamp of every sample this record sends. */
  ts: number;
  rulesHash: string;
  /** Sorted by labels. */
  series: ExportSeries[];
  dropped: Record<string, number>;
  pipeline: PipelineCounters;
}

/** What the compactor knows about the job beyond its spec; all optional. */
export interface JobFacts {
  blocks?: number;
  segments?: number;
  samples?: number;
  /** Attempts of this job that failed before this one (SQS ApproximateReceiveCount − 1). */
  failedAttempts?: number;
  lagMs?: number;
}

export interface NextRecordInput {
  tenant: string;
  shard: number;
  jobId: string;
  jobTs: number;
  snapshot: RulesSnapshot;
  evaluation: RuleEvaluation;
  facts?: JobFacts;
  /** The delivery state's failure count when the record is written. */
  exportFailures?: number;
}

export const emptyPipelineCounters: PipelineCounters = { jobs: 0, blocks: 0, segments: 0, samples: 0, failedAttempts: 0, exportFailures: 0, lagMs: 0 };

/** Record n from record n−1 (undefined for the first) and the job's evaluation. Pure. */
export function nextRecord(previous: ExportRecord | undefined, input: NextRecordInput): ExportRecord {
  const rules = new Map(input.snapshot.rules.map((rule) => [rule.id, rule]));
  const totals = new Map<string, ExportSeries>();
  const seriesPerRule = new Map<string, number>();
  for (const series of previous?.series ?? []) {
    const rule = rules.get(ruleOf(series.labels));
    if (rule === undefined || !fitsRule(series.labels, rule, input.shard)) continue;
    // A lowered max_series applies to series already counting too (the first ones in label order stay).
    if ((seriesPerRule.get(rule.id) ?? 0) >= rule.maxSeries) continue;
    totals.set(labelSetKey(series.labels), { labels: series.labels, value: series.value });
    seriesPerRule.set(rule.id, (seriesPerRule.get(rule.id) ?? 0) + 1);
  }
  const dropped: Record<string, number> = {};
  for (const rule of input.snapshot.rules) {
    const before = previous?.dropped[rule.id];
    if (before !== undefined) dropped[rule.id] = before;
  }
  for (const increment of input.evaluation.increments) {
    const key = labelSetKey(increment.labels);
    const existing = totals.get(key);
    if (existing !== undefined) {
      const sum = existing.value + increment.value;
      // Float overflow: restart from the increment, which PromQL reads as a counter reset.
      existing.value = Number.isFinite(sum) ? normalize(sum) : normalize(increment.value);
      continue;
    }
    const rule = rules.get(increment.ruleId);
    if (rule === undefined) throw new ExportRecordError(`increment for rule ${increment.ruleId}, which is not in snapshot ${input.snapshot.hash}`);
    const count = seriesPerRule.get(rule.id) ?? 0;
    if (count >= rule.maxSeries) {
      dropped[rule.id] = (dropped[rule.id] ?? 0) + 1;
      continue;
    }
    seriesPerRule.set(rule.id, count + 1);
    totals.set(key, { labels: increment.labels, value: normalize(increment.value) });
  }
  const series = [...totals.values()].sort((a, b) => compareLabelSets(a.labels, b.labels));
  const before = previous?.pipeline ?? emptyPipelineCounters;
  const facts = input.facts ?? {};
  return {
    v: exportRecordVersion,
    tenant: input.tenant,
    shard: input.shard,
    sequence: (previous?.sequence ?? 0) + 1,
    jobId: input.jobId,
    jobTs: input.jobTs,
    ts: Math.max(input.jobTs, (previous?.ts ?? Number.NEGATIVE_INFINITY) + 1),
    rulesHash: input.snapshot.hash,
    series,
    dropped,
    pipeline: {
      jobs: before.jobs + 1,
      blocks: before.blocks + (facts.blocks ?? 1),
      segments: before.segments + (facts.segments ?? 0),
      samples: before.samples + (facts.samples ?? 0),
      failedAttempts: before.failedAttempts + (facts.failedAttempts ?? 0),
      exportFailures: Math.max(before.exportFailures, input.exportFailures ?? 0),
      lagMs: Math.max(0, Math.round(facts.lagMs ?? 0)),
    },
  };
}

/** True when a series of the previous record still has the shape the rule gives its outputs now. */
function fitsRule(labels: readonly Label[], rule: Rule, shard: number): boolean {
  const external = new Map(rule.labels.map((label) => [label.name, label.value]));
  let externalSeen = 0;
  for (const { name, value } of labels) {
    if (name === metricNameLabel) {
      if (value !== rule.record) return false;
    } else if (name === shardLabel) {
      if (value !== String(shard)) return false;
    } else if (name === ruleIdLabel) {
      continue;
    } else if (external.has(name)) {
      if (external.get(name) !== value) return false;
      externalSeen++;
    } else if (!rule.groupBy.includes(name)) {
      return false;
    }
  }
  return externalSeen === external.size;
}

function ruleOf(labels: readonly Label[]): string {
  return labels.find((label) => label.name === ruleIdLabel)?.value ?? '';
}

function normalize(value: number): number {
  return value === 0 ? 0 : value;
}

const utf8 = new TextEncoder();

/** The record's bytes. Field order is fixed, so equal records give equal bytes. */
export function serializeRecord(record: ExportRecord): Uint8Array {
  const series = record.series.map((one) => `{"labels":{${one.labels.map(({ name, value }) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}},"value":${JSON.stringify(one.value)}}`);
  const dropped = Object.keys(record.dropped)
    .sort()
    .map((rule) => `${JSON.stringify(rule)}:${record.dropped[rule]}`);
  const p = record.pipeline;
  return utf8.encode(
    `{"v":${record.v},"tenant":${JSON.stringify(record.tenant)},"shard":${record.shard},"sequence":${record.sequence},` +
      `"jobId":${JSON.stringify(record.jobId)},"jobTs":${record.jobTs},"ts":${record.ts},"rulesHash":${JSON.stringify(record.rulesHash)},` +
      `"series":[${series.join(',')}],"dropped":{${dropped.join(',')}},` +
      `"pipeline":{"jobs":${p.jobs},"blocks":${p.blocks},"segments":${p.segments},"samples":${p.samples},` +
      `"failedAttempts":${p.failedAttempts},"exportFailures":${p.exportFailures},"lagMs":${p.lagMs}}}`,
  );
}

/** Parses and checks a stored record. Throws ExportRecordError naming the key. */
export function parseRecord(body: Uint8Array, key: string): ExportRecord {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as Record<string, unknown>;
  } catch (cause) {
    throw new ExportRecordError(`${key} is not valid JSON`, { cause });
  }
  const fail = (why: string): never => {
    throw new ExportRecordError(`${key} is not a valid export record: ${why}`);
  };
  if (parsed['v'] !== exportRecordVersion) fail(`unknown version ${JSON.stringify(parsed['v'])}`);
  const int = (name: string, value: unknown = parsed[name]): number => (Number.isSafeInteger(value) ? (value as number) : fail(`${name} is not an integer`));
  const str = (name: string): string => (typeof parsed[name] === 'string' ? (parsed[name] as string) : fail(`${name} is not a string`));
  if (!Array.isArray(parsed['series'])) fail('series is not a list');
  const series = (parsed['series'] as unknown[]).map((raw, i): ExportSeries => {
    const { labels, value } = (raw ?? {}) as { labels?: unknown; value?: unknown };
    if (typeof labels !== 'object' || labels === null || typeof value !== 'number' || !Number.isFinite(value)) fail(`series ${i} is malformed`);
    const list = sortLabels(Object.entries(labels as Record<string, unknown>).map(([name, v]) => ({ name, value: String(v) })));
    const problem = labelSetProblem(list);
    if (problem !== undefined) fail(`series ${i}: ${problem}`);
    return { labels: list, value: value as number };
  });
  const droppedRaw = parsed['dropped'];
  if (typeof droppedRaw !== 'object' || droppedRaw === null) fail('dropped is not an object');
  const dropped: Record<string, number> = {};
  for (const [rule, count] of Object.entries(droppedRaw as Record<string, unknown>)) dropped[rule] = int(`dropped.${rule}`, count);
  const p = (parsed['pipeline'] ?? {}) as Record<string, unknown>;
  const counter = (name: keyof PipelineCounters) => int(`pipeline.${name}`, p[name]);
  return {
    v: exportRecordVersion,
    tenant: str('tenant'),
    shard: int('shard'),
    sequence: int('sequence'),
    jobId: str('jobId'),
    jobTs: int('jobTs'),
    ts: int('ts'),
    rulesHash: str('rulesHash'),
    series,
    dropped,
    pipeline: {
      jobs: counter('jobs'),
      blocks: counter('blocks'),
      segments: counter('segments'),
      samples: counter('samples'),
      failedAttempts: counter('failedAttempts'),
      exportFailures: counter('exportFailures'),
      lagMs: counter('lagMs'),
    },
  };
}
