/**
 * Recording rules: what a rule is once loaded, and the contracts around rule sets and snapshots.
 *
 * - A `Rule` is normalized on load (matchers and `groupBy` sorted, defaults filled in), so two files
 *   that say the same thing give equal rules, the same canonical form and the same hash.
 * - A tenant's rule set is identified by `hashRules(rules)`, the snapshot hash the planner records in
 *   each job spec (`JobSpec.rulesHash`). Snapshots are stored content-addressed and never change, so
 *   a retried job evaluates exactly the rules it was cut with.
 * - Evaluation is a pure function of (snapshot, shard, the job's series in label/time order).
 */
import type { Label } from '../segment/labels.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}

export type Aggregation = 'sum' | 'count';
export const aggregations: readonly Aggregation[] = ['sum', 'count'];

/** Selects stack samples of a profile series whose stack contains a function with this name. */
export type FunctionFilter = { type: 'exact'; name: string } | { type: 'regex'; pattern: string };

export interface Rule {
  /** Unique within the tenant's rule set; the value of the rule id label. */
  id: string;
  /** Output metric name. */
  record: string;
  /** Sorted by (label, op, value); at least one positive matcher on `__name__`. */
  match: Matcher[];
  /** Sorted, unique, never a reserved label. */
  groupBy: string[];
  aggregation: Aggregation;
  function?: FunctionFilter;
  /** External labels, sorted by name. */
  labels: Label[];
  /** Most output series per (tenant, shard); further ones are dropped and counted. */
  maxSeries: number;
}

/** The rules a job evaluates: a tenant's rule set and its hash. */
export interface RulesSnapshot {
  tenant: string;
  /** `sha256:<hex>` of the canonical form of `rules`. */
  hash: string;
  /** Sorted by id. */
  rules: Rule[];
}

/** Label carrying the rule id on every output series. */
export const ruleIdLabel = 'strata_rule';
/** Label carrying the shard on every output series: each shard keeps its own running totals. */
export const shardLabel = 'strata_shard';
/** Label names (and metric names) with these prefixes are Strata's or Prometheus' own. */
export const reservedLabelPrefixes = ['__', 'strata_'] as const;
export const reservedMetricPrefix = 'strata_';

export const defaultMaxSeries = 10_000;
export const maxMaxSeries = 1_000_000;
export const maxRulesPerTenant = 1_000;
export const ruleIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function isReservedLabel(name: string): boolean {
  return reservedLabelPrefixes.some((prefix) => name.startsWith(prefix));
}
