/**
 * Evaluating a tenant's rules over one L0→L1 job: for every rule and output series, the job's
 * increment — the sum of the values (or the count) of the matching samples, or for a function rule
 * the sum of the values of the stacks that contain the function.
 *
 * Values are bit-identical on every run: series must arrive in label order and samples in time
 * order (the merge's output order; a series may arrive in several consecutive pieces), each output
 * series adds them in that order into one accumulator, and −0 becomes +0. NaN (including
 * Prometheus' staleness marker) and ±Inf are skipped and counted: one of them would poison a running
 * total for good.
 */
import type { SeriesEntry } from '../segment/entry.js';
import { formatLabels, seriesOf, type Series } from '../segment/format.js';
import { compareLabelSets, labelSetKey, metricNameLabel, sortLabels, type Label } from '../segment/labels.js';
import { remoteWriteLabelProblem } from '../remotewrite/labels.js';
import { RulesEvaluationError } from './errors.js';
import { compileAnchoredRegex, compileMatcher, type LabelTest } from './selector.js';
import { ruleIdLabel, shardLabel, type Rule, type RulesSnapshot } from './types.js';

/** One output series' increment for the job. */
export interface RuleIncrement {
  ruleId: string;
  /** Sorted; `__name__`, the rule id label, the group_by labels present, the shard label, external labels. */
  labels: Label[];
  value: number;
}

export interface RuleStats {
  ruleId: string;
  /** Input series (pieces) the rule matched. */
  series: number;
  /** Samples (or stacks, for a function rule) added. */
  values: number;
  /** NaN and ±Inf values skipped. */
  skippedValues: number;
  /** Output series whose labels break the remote-write rules; their increments are dropped. */
  invalidSeries: number;
  /** Output series with an increment. */
  outputSeries: number;
}

export interface RuleEvaluation {
  rulesHash: string;
  shard: number;
  /** Sorted by labels. */
  increments: RuleIncrement[];
  /** One entry per rule, by rule id. */
  stats: RuleStats[];
}

interface CompiledRule {
  rule: Rule;
  tests: Array<{ label: string; test: LabelTest }>;
  functionTest: ((name: string) => boolean) | undefined;
}

interface Group {
  /** Undefined when the labels cannot be sent. */
  labels: Label[] | undefined;
  value: number;
}

const compiledRules = new WeakMap<RulesSnapshot, CompiledRule[]>();

function compile(snapshot: RulesSnapshot): CompiledRule[] {
  let compiled = compiledRules.get(snapshot);
  if (compiled === undefined) {
    compiled = snapshot.rules.map((rule) => ({
      rule,
      tests: rule.match.map((matcher) => ({ label: matcher.label, test: compileMatcher(matcher) })),
      functionTest: functionTest(rule),
    }));
    compiledRules.set(snapshot, compiled);
  }
  return compiled;
}

function functionTest(rule: Rule): ((name: string) => boolean) | undefined {
  const filter = rule.function;
  if (filter === undefined) return undefined;
  if (filter.type === 'exact') return (name) => name === filter.name;
  const regex = compileAnchoredRegex(filter.pattern);
  return (name) => regex.test(name);
}

/** Streams a job's series through the rules; `add` each series in merge order, then `finish` once. */
export class RuleEvaluator {
  private readonly rules: CompiledRule[];
  private readonly byName = new Map<string, CompiledRule[]>();
  private readonly byAnyName: CompiledRule[] = [];
  private readonly groups = new Map<CompiledRule, Map<string, Group>>();
  private readonly stats = new Map<CompiledRule, RuleStats>();
  private readonly shardValue: string;
  private previousLabels: Label[] | undefined;
  private previousSampleTs = Number.NEGATIVE_INFINITY;
  private previousStackTs = Number.NEGATIVE_INFINITY;
  private finished = false;

  constructor(
    private readonly snapshot: RulesSnapshot,
    options: { shard: number },
  ) {
    this.shardValue = String(options.shard);
    this.rules = compile(snapshot);
    for (const compiled of this.rules) {
      const name = compiled.rule.match.find((m) => m.label === metricNameLabel && m.op === '=');
      if (name === undefined) this.byAnyName.push(compiled);
      else this.byName.set(name.value, [...(this.byName.get(name.value) ?? []), compiled]);
      this.groups.set(compiled, new Map());
      this.stats.set(compiled, { ruleId: compiled.rule.id, series: 0, values: 0, skippedValues: 0, invalidSeries: 0, outputSeries: 0 });
    }
  }

  add(series: Series): void {
    if (this.finished) throw new RulesEvaluationError('add() after finish()');
    this.checkOrder(series);
    if (this.rules.length === 0) return;
    const name = series.labels.find((label) => label.name === metricNameLabel)?.value ?? '';
    const candidates = this.byName.get(name);
    if (candidates !== undefined) for (const compiled of candidates) this.apply(compiled, series);
    for (const compiled of this.byAnyName) this.apply(compiled, series);
  }

  /** `add` for a series whose samples are still encoded: they are decoded only if a rule may want them. */
  addEntry(entry: SeriesEntry): void {
    const name = entry.labels.find((label) => label.name === metricNameLabel)?.value ?? '';
    if (this.byName.has(name) || this.byAnyName.length > 0) this.add(seriesOf(entry));
  }

  finish(): RuleEvaluation {
    this.finished = true;
    const increments: RuleIncrement[] = [];
    for (const compiled of this.rules) {
      const stats = this.stats.get(compiled)!;
      for (const group of this.groups.get(compiled)!.values()) {
        if (group.labels === undefined) continue;
        stats.outputSeries++;
        increments.push({ ruleId: compiled.rule.id, labels: group.labels, value: group.value === 0 ? 0 : group.value });
      }
    }
    increments.sort((a, b) => compareLabelSets(a.labels, b.labels));
    return { rulesHash: this.snapshot.hash, shard: Number(this.shardValue), increments, stats: this.rules.map((c) => this.stats.get(c)!) };
  }

  private checkOrder(series: Series): void {
    const previous = this.previousLabels;
    const order = previous === undefined ? 1 : compareLabelSets(series.labels, previous);
    if (order < 0) {
      throw new RulesEvaluationError(`series must arrive in label order: ${formatLabels(series.labels)} after ${formatLabels(previous!)}`);
    }
    if (order > 0) {
      this.previousSampleTs = Number.NEGATIVE_INFINITY;
      this.previousStackTs = Number.NEGATIVE_INFINITY;
    }
    for (const sample of series.samples) {
      if (sample.timestamp < this.previousSampleTs) throw new RulesEvaluationError(`samples of ${formatLabels(series.labels)} must arrive in time order`);
      this.previousSampleTs = sample.timestamp;
    }
    for (const stack of series.stacks) {
      if (stack.timestamp < this.previousStackTs) throw new RulesEvaluationError(`stacks of ${formatLabels(series.labels)} must arrive in time order`);
      this.previousStackTs = stack.timestamp;
    }
    this.previousLabels = series.labels;
  }

  private apply(compiled: CompiledRule, series: Series): void {
    for (const { label, test } of compiled.tests) {
      if (!test(valueOf(series.labels, label))) return;
    }
    const { rule, functionTest: fnTest } = compiled;
    if (fnTest === undefined ? series.samples.length === 0 : series.stacks.length === 0) return;
    const stats = this.stats.get(compiled)!;
    stats.series++;
    const group = this.group(compiled, series.labels);
    let value = group.value;
    if (fnTest !== undefined) {
      const contains = series.functions.map((name) => fnTest(name));
      for (const stack of series.stacks) {
        if (!stack.frames.some((frame) => contains[frame] === true)) continue;
        if (!Number.isFinite(stack.value)) {
          stats.skippedValues++;
          continue;
        }
        value += stack.value;
        stats.values++;
      }
    } else {
      const count = rule.aggregation === 'count';
      for (const sample of series.samples) {
        if (!Number.isFinite(sample.value)) {
          stats.skippedValues++;
          continue;
        }
        value += count ? 1 : sample.value;
        stats.values++;
      }
    }
    group.value = value;
  }

  private group(compiled: CompiledRule, labels: readonly Label[]): Group {
    const { rule } = compiled;
    const present: Label[] = [];
    for (const name of rule.groupBy) {
      const value = valueOf(labels, name);
      if (value !== '') present.push({ name, value });
    }
    const key = labelSetKey(present);
    const groups = this.groups.get(compiled)!;
    let group = groups.get(key);
    if (group === undefined) {
      const output = sortLabels([
        { name: metricNameLabel, value: rule.record },
        { name: ruleIdLabel, value: rule.id },
        { name: shardLabel, value: this.shardValue },
        ...present,
        ...rule.labels,
      ]);
      const problem = remoteWriteLabelProblem(output);
      if (problem !== undefined) this.stats.get(compiled)!.invalidSeries++;
      group = { labels: problem === undefined ? output : undefined, value: 0 };
      groups.set(key, group);
    }
    return group;
  }
}

/** Evaluates a snapshot over a job's series (in merge order) for one shard. */
export function evaluateRules(snapshot: RulesSnapshot, series: Iterable<Series>, options: { shard: number }): RuleEvaluation {
  const evaluator = new RuleEvaluator(snapshot, options);
  for (const one of series) evaluator.add(one);
  return evaluator.finish();
}

function valueOf(labels: readonly Label[], name: string): string {
  for (const label of labels) if (label.name === name) return label.value;
  return '';
}
