/**
 * Rules snapshots: the canonical form of a tenant's rule set, its hash, and the content-addressed
 * copy a job evaluates.
 *
 *   rules/{tenant}/{sha256 hex}.json    {"v":1,"tenant":…,"hash":"sha256:…","rules":[…]}
 *
 * The hash is `sha256:` + hex SHA-256 of the canonical JSON of the rules (sorted by id, object keys
 * sorted, no whitespace). The empty rule set's hash, `emptyRulesHash`, is what the planner records
 * when no rules are configured, and a job cut with it needs no object. A
 * snapshot is written create-if-absent and never changed; a reader checks the content against the
 * hash in its key.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../aws/contract.js';
import { assertValidTenant } from '../segment/keys.js';
import { compareUtf8, type Label } from '../segment/labels.js';
import { RulesSnapshotError } from './errors.js';
import { compileAnchoredRegex } from './selector.js';
import { aggregations, type Matcher, type Rule, type RulesSnapshot } from './types.js';

export const rulesPrefix = 'rules/';
const snapshotVersion = 1;
const hashPattern = /^sha256:([0-9a-f]{64})$/;

/** JSON with object keys sorted and undefined members left out: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The canonical serialization of a rule set (order of rules does not matter). */
export function canonicalRules(rules: readonly Rule[]): string {
  return canonicalJson([...rules].sort((a, b) => compareUtf8(a.id, b.id)));
}

/** The snapshot hash recorded in job specs. */
export function hashRules(rules: readonly Rule[]): string {
  return `sha256:${createHash('sha256').update(canonicalRules(rules)).digest('hex')}`;
}

export const emptyRulesHash = hashRules([]);

export function rulesSnapshotKey(tenant: string, hash: string): string {
  assertValidTenant(tenant);
  const found = hashPattern.exec(hash);
  if (found === null) throw new RangeError(`rules hash ${JSON.stringify(hash)} is not sha256:<64 hex digits>`);
  return `${rulesPrefix}${tenant}/${found[1]}.json`;
}

/**
 * Stores the tenant's rule set (create-if-absent) and returns its hash. Idempotent; the empty set is
 * not stored. Call it before recording the hash in a job.
 */
export async function storeRulesSnapshot(store: ObjectStore, tenant: string, rules: readonly Rule[]): Promise<string> {
  const hash = hashRules(rules);
  if (hash === emptyRulesHash) return hash;
  const key = rulesSnapshotKey(tenant, hash);
  const body = new TextEncoder().encode(`{"v":${snapshotVersion},"tenant":${JSON.stringify(tenant)},"hash":"${hash}","rules":${canonicalRules(rules)}}`);
  for (let attempt = 1; ; attempt++) {
    const result = await store.putIfAbsent(key, body, { contentType: 'application/json' });
    if (result.outcome === 'written' || result.outcome === 'precondition-failed') return hash;
    // 409: another writer is storing the same content right now; make sure it landed.
    if ((await store.head(key)) !== undefined) return hash;
    if (attempt >= 5) throw new RulesSnapshotError(tenant, hash, key, 'could not be stored: concurrent writes kept conflicting');
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}

const loaded = new Map<string, RulesSnapshot>();
const maxCached = 256;

/**
 * The snapshot a job was cut with. Throws RulesSnapshotError when it is missing or does not match
 * its hash: the job must fail (and retry, then land in the DLQ) rather than commit without its rules.
 */
export async function loadRulesSnapshot(store: ObjectStore, tenant: string, hash: string): Promise<RulesSnapshot> {
  if (hash === emptyRulesHash) return { tenant, hash, rules: [] };
  const key = rulesSnapshotKey(tenant, hash);
  const cacheKey = `${store.bucket}/${key}`;
  const cached = loaded.get(cacheKey);
  if (cached !== undefined) return cached;
  const stored = await store.get(key);
  if (stored === undefined) throw new RulesSnapshotError(tenant, hash, key, 'does not exist');
  let rules: Rule[];
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(stored.body)) as { v?: unknown; tenant?: unknown; rules?: unknown };
    if (parsed.v !== snapshotVersion) throw new Error(`unknown snapshot version ${JSON.stringify(parsed.v)}`);
    if (parsed.tenant !== tenant) throw new Error(`it names tenant ${JSON.stringify(parsed.tenant)}`);
    if (!Array.isArray(parsed.rules)) throw new Error('it has no rules list');
    rules = parsed.rules.map(checkStoredRule);
  } catch (cause) {
    throw new RulesSnapshotError(tenant, hash, key, `is not a valid snapshot: ${(cause as Error).message}`, { cause });
  }
  if (hashRules(rules) !== hash) throw new RulesSnapshotError(tenant, hash, key, 'content does not match its hash');
  const snapshot: RulesSnapshot = { tenant, hash, rules };
  if (loaded.size >= maxCached) loaded.delete(loaded.keys().next().value!);
  loaded.set(cacheKey, snapshot);
  return snapshot;
}

/** Checks the shape of a stored rule (it was validated when the file was loaded; this guards the evaluator). */
function checkStoredRule(value: unknown): Rule {
  const rule = value as Rule;
  const isString = (x: unknown): x is string => typeof x === 'string';
  const isLabel = (x: unknown): x is Label => isString((x as Label)?.name) && isString((x as Label)?.value);
  const isMatcher = (x: unknown): x is Matcher =>
    isString((x as Matcher)?.label) && ['=', '!=', '=~', '!~'].includes((x as Matcher)?.op) && isString((x as Matcher)?.value);
  if (
    typeof rule !== 'object' ||
    rule === null ||
    !isString(rule.id) ||
    !isString(rule.record) ||
    !Array.isArray(rule.match) ||
    !rule.match.every(isMatcher) ||
    !Array.isArray(rule.groupBy) ||
    !rule.groupBy.every(isString) ||
    !aggregations.includes(rule.aggregation) ||
    !Array.isArray(rule.labels) ||
    !rule.labels.every(isLabel) ||
    !Number.isSafeInteger(rule.maxSeries)
  ) {
    throw new Error(`rule ${JSON.stringify((value as { id?: unknown })?.id)} is malformed`);
  }
  for (const matcher of rule.match) if (matcher.op === '=~' || matcher.op === '!~') compileAnchoredRegex(matcher.value);
  const filter = rule.function;
  if (filter !== undefined) {
    if (filter.type === 'exact' && isString(filter.name)) return rule;
    if (filter.type === 'regex' && isString(filter.pattern)) {
      compileAnchoredRegex(filter.pattern);
      return rule;
    }
    throw new Error(`rule ${rule.id} has a malformed function filter`);
  }
  return rule;
}
