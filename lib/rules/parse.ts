/**
 * The rules file: YAML, validated on load. Every problem is reported at once, each naming the
 * section, the rule and its line. Shape (see examples/rules.yaml and docs/rules.md):
 *
 *   version: 1                # optional
 *   default: [rule, ...]      # rules of every tenant not listed under `tenants` (optional)
 *   tenants:
 *     team-a: [rule, ...]     # an empty list opts a tenant out of `default`
 *
 *   rule: { id, record, match, group_by?, aggregation?, function? | function_regex?, labels?, max_series? }
 */
import { LineCounter, parseDocument } from 'yaml';
import { tenantProblem } from '../segment/keys.js';
import { compareUtf8, isValidLabelName, isValidMetricName, metricNameLabel, sortLabels, type Label } from '../segment/labels.js';
import { RulesFileError, RulesValidationError, type RuleProblem } from './errors.js';
import { compileAnchoredRegex, parseSelector, SelectorSyntaxError } from './selector.js';
import {
  aggregations,
  defaultMaxSeries,
  isReservedLabel,
  maxMaxSeries,
  maxRulesPerTenant,
  reservedMetricPrefix,
  ruleIdLabel,
  ruleIdPattern,
  shardLabel,
  type Aggregation,
  type FunctionFilter,
  type Matcher,
  type Rule,
} from './types.js';

export interface RulesFile {
  source: string;
  /** Rules of tenants not listed in `tenants`; empty when the file has no default section. */
  defaultRules: Rule[];
  tenants: ReadonlyMap<string, Rule[]>;
}

export interface ParseOptions {
  /** Further label names rules may not use (e.g. the tenant label when tenants travel as a label). */
  reservedLabels?: readonly string[];
}

/** The rule set of a tenant: its own list, or the default one. */
export function rulesForTenant(file: RulesFile, tenant: string): Rule[] {
  return file.tenants.get(tenant) ?? file.defaultRules;
}

const topLevelKeys = new Set(['version', 'default', 'tenants']);
const ruleKeys = new Set(['id', 'record', 'match', 'group_by', 'aggregation', 'function', 'function_regex', 'labels', 'max_series']);
/** Output labels: name, rule id, shard, and room for a tenant label within the receivers' limit of 30. */
const maxOutputLabels = 29;

/** Parses and validates a rules file. Throws RulesFileError (syntax) or RulesValidationError (content). */
export function parseRulesFile(text: string, source = 'rules', options: ParseOptions = {}): RulesFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) throw new RulesFileError(source, document.errors[0]!.message.split('\n')[0]!);
  let content: unknown;
  try {
    content = document.toJS({ maxAliasCount: 1000 });
  } catch (cause) {
    throw new RulesFileError(source, (cause as Error).message, { cause });
  }
  const lineOf = (path: Array<string | number>): number | undefined => {
    const node = document.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range === undefined ? undefined : lineCounter.linePos(node.range[0]).line;
  };
  const problems: RuleProblem[] = [];
  const reserved = new Set(options.reservedLabels ?? []);

  if (content === null || content === undefined) content = {};
  if (!isPlainObject(content)) throw new RulesValidationError(source, [{ message: 'the file must be a mapping with `default` and/or `tenants`' }]);
  for (const key of Object.keys(content)) {
    if (!topLevelKeys.has(key)) problems.push({ line: lineOf([key]), message: `unknown key ${JSON.stringify(key)} (expected version, default, tenants)` });
  }
  if (content['version'] !== undefined && content['version'] !== 1) problems.push({ line: lineOf(['version']), message: 'version must be 1' });

  const section = (path: string[], value: unknown, label: string): Rule[] => {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) {
      problems.push({ section: label, line: lineOf(path), message: 'must be a list of rules' });
      return [];
    }
    if (value.length > maxRulesPerTenant) problems.push({ section: label, line: lineOf(path), message: `has ${value.length} rules, more than ${maxRulesPerTenant}` });
    const rules: Rule[] = [];
    const seen = new Map<string, number>();
    value.forEach((raw, index) => {
      const name = isPlainObject(raw) && typeof raw['id'] === 'string' ? JSON.stringify(raw['id']) : `#${index + 1}`;
      const line = lineOf([...path, index]);
      const report = (message: string) => problems.push({ section: label, rule: name, ...(line === undefined ? {} : { line }), message });
      const id = isPlainObject(raw) ? raw['id'] : undefined;
      const previous = typeof id === 'string' ? seen.get(id) : undefined;
      if (previous !== undefined) report(`duplicate id: rule #${previous + 1} has the same id`);
      else if (typeof id === 'string') seen.set(id, index);
      const rule = validateRule(raw, report, reserved);
      if (rule !== undefined && previous === undefined) rules.push(rule);
    });
    return rules.sort((a, b) => compareUtf8(a.id, b.id));
  };

  const defaultRules = section(['default'], content['default'], 'default');
  const tenants = new Map<string, Rule[]>();
  const tenantsValue = content['tenants'];
  if (tenantsValue !== undefined && tenantsValue !== null) {
    if (!isPlainObject(tenantsValue)) {
      problems.push({ line: lineOf(['tenants']), message: 'tenants must be a mapping from tenant id to a list of rules' });
    } else {
      for (const [tenant, value] of Object.entries(tenantsValue)) {
        const problem = tenantProblem(tenant);
        if (problem !== undefined) problems.push({ section: `tenants.${tenant}`, line: lineOf(['tenants', tenant]), message: problem });
        tenants.set(tenant, section(['tenants', tenant], value, `tenants.${tenant}`));
      }
    }
  }
  if (problems.length > 0) throw new RulesValidationError(source, problems);
  return { source, defaultRules, tenants };
}

/** Validates one rule as written in the file; reports each problem and returns undefined if there was any. */
function validateRule(raw: unknown, report: (message: string) => void, reserved: ReadonlySet<string>): Rule | undefined {
  if (!isPlainObject(raw)) {
    report('a rule must be a mapping');
    return undefined;
  }
  let ok = true;
  const problem = (message: string) => {
    ok = false;
    report(message);
  };
  for (const key of Object.keys(raw)) {
    if (!ruleKeys.has(key)) problem(`unknown key ${JSON.stringify(key)} (expected one of ${[...ruleKeys].join(', ')})`);
  }

  const id = raw['id'];
  if (typeof id !== 'string' || !ruleIdPattern.test(id)) {
    problem('id is required: letters, digits and _ . : - (up to 128 characters, starting with a letter or digit)');
  }

  const record = raw['record'];
  if (typeof record !== 'string' || !isValidMetricName(record)) {
    problem(`record must be a valid metric name (the output series' name), got ${JSON.stringify(record)}`);
  } else if (record.startsWith('__') || record.startsWith(reservedMetricPrefix)) {
    problem(`record ${record}: names starting with "__" or "${reservedMetricPrefix}" are reserved`);
  }

  const match = validateMatch(raw['match'], problem);

  const groupBy: string[] = [];
  const groupByValue = raw['group_by'] ?? [];
  if (!Array.isArray(groupByValue)) {
    problem('group_by must be a list of label names');
  } else {
    for (const label of groupByValue) {
      if (typeof label !== 'string' || !isValidLabelName(label)) problem(`group_by: ${JSON.stringify(label)} is not a valid label name`);
      else if (isReservedLabel(label) || reserved.has(label)) problem(`group_by: ${label} is reserved (${reservedDescription(label)})`);
      else if (groupBy.includes(label)) problem(`group_by: ${label} is listed twice`);
      else groupBy.push(label);
    }
  }

  const aggregationValue = raw['aggregation'] ?? 'sum';
  let aggregation: Aggregation = 'sum';
  if (aggregationValue === 'min' || aggregationValue === 'max') {
    problem(`aggregation ${aggregationValue} is not supported: outputs are running totals (counters), and a ${aggregationValue} does not add up across jobs`);
  } else if (typeof aggregationValue !== 'string' || !aggregations.includes(aggregationValue as Aggregation)) {
    problem(`aggregation must be one of ${aggregations.join(', ')}, got ${JSON.stringify(aggregationValue)}`);
  } else {
    aggregation = aggregationValue as Aggregation;
  }

  let functionFilter: FunctionFilter | undefined;
  const exact = raw['function'];
  const pattern = raw['function_regex'];
  if (exact !== undefined && pattern !== undefined) problem('function and function_regex cannot both be set');
  else if (exact !== undefined) {
    if (typeof exact !== 'string' || exact === '') problem('function must be a non-empty function name');
    else functionFilter = { type: 'exact', name: exact };
  } else if (pattern !== undefined) {
    if (typeof pattern !== 'string' || pattern === '') problem('function_regex must be a non-empty regular expression');
    else {
      try {
        compileAnchoredRegex(pattern);
        functionFilter = { type: 'regex', pattern };
      } catch (error) {
        problem(`function_regex ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`);
      }
    }
  }
  if (functionFilter !== undefined && aggregation === 'count') {
    problem('a function filter needs aggregation sum (the value of the stacks that contain the function); count is not defined for it');
  }

  const labels: Label[] = [];
  const labelsValue = raw['labels'] ?? {};
  if (!isPlainObject(labelsValue)) {
    problem('labels must be a mapping of label names to values');
  } else {
    for (const [name, value] of Object.entries(labelsValue)) {
      if (!isValidLabelName(name)) problem(`labels: ${JSON.stringify(name)} is not a valid label name`);
      else if (isReservedLabel(name) || reserved.has(name)) problem(`labels: ${name} is reserved (${reservedDescription(name)})`);
      else if (groupBy.includes(name)) problem(`labels: ${name} is also in group_by`);
      else if (typeof value !== 'string' || value === '') problem(`labels: the value of ${name} must be a non-empty string (quote numbers)`);
      else labels.push({ name, value });
    }
  }
  if (3 + groupBy.length + labels.length > maxOutputLabels) {
    problem(`group_by and labels give ${3 + groupBy.length + labels.length} output labels, more than ${maxOutputLabels}`);
  }

  const maxSeriesValue = raw['max_series'] ?? defaultMaxSeries;
  if (typeof maxSeriesValue !== 'number' || !Number.isSafeInteger(maxSeriesValue) || maxSeriesValue < 1 || maxSeriesValue > maxMaxSeries) {
    problem(`max_series must be an integer from 1 to ${maxMaxSeries}`);
  }

  if (!ok || match === undefined) return undefined;
  return {
    id: id as string,
    record: record as string,
    match,
    groupBy: groupBy.sort(compareUtf8),
    aggregation,
    ...(functionFilter === undefined ? {} : { function: functionFilter }),
    labels: sortLabels(labels),
    maxSeries: maxSeriesValue as number,
  };
}

function validateMatch(value: unknown, problem: (message: string) => void): Matcher[] | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    problem('match is required: a series selector such as \'http_requests_total{code=~"5.."}\'');
    return undefined;
  }
  let matchers: Matcher[];
  try {
    matchers = parseSelector(value);
  } catch (error) {
    if (!(error instanceof SelectorSyntaxError)) throw error;
    problem(`match ${JSON.stringify(value)}: ${error.message}`);
    return undefined;
  }
  let ok = true;
  let selectsName = false;
  for (const matcher of matchers) {
    const text = `${matcher.label}${matcher.op}${JSON.stringify(matcher.value)}`;
    let matchesEmpty = matcher.op === '=' ? matcher.value === '' : matcher.op === '!=' ? matcher.value !== '' : false;
    if (matcher.op === '=~' || matcher.op === '!~') {
      try {
        const regex = compileAnchoredRegex(matcher.value);
        matchesEmpty = regex.test('') === (matcher.op === '=~');
      } catch (error) {
        problem(`match: ${text} is not a valid regular expression: ${(error as Error).message}`);
        ok = false;
        continue;
      }
    }
    if (matcher.label !== metricNameLabel) continue;
    if (matcher.op === '=' && !isValidMetricName(matcher.value)) {
      problem(`match: ${text} can never match: ${JSON.stringify(matcher.value)} is not a valid metric name or profile type`);
      ok = false;
    }
    if ((matcher.op === '=' || matcher.op === '=~') && !matchesEmpty) selectsName = true;
  }
  if (ok && !selectsName) {
    problem('match must select a metric name or profile type: a __name__ matcher with = or =~ that does not match the empty name');
    ok = false;
  }
  if (!ok) return undefined;
  const unique = new Map(matchers.map((m) => [`${m.label}\u0000${m.op}\u0000${m.value}`, m]));
  return [...unique.values()].sort((a, b) => compareUtf8(a.label, b.label) || compareUtf8(a.op, b.op) || compareUtf8(a.value, b.value));
}

function reservedDescription(label: string): string {
  if (label === metricNameLabel) return 'the output name is set by record';
  if (label === ruleIdLabel) return 'it carries the rule id';
  if (label === shardLabel) return 'it carries the shard';
  if (label.startsWith('__')) return 'labels starting with "__" are internal';
  if (label.startsWith('strata_')) return 'labels starting with "strata_" are Strata\'s';
  return 'it carries the tenant';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
