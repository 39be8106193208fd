/**
 * The rules snapshot a job is cut with (recording rules are issue 6). The planner only records its
 * hash in the job spec, so that a retried job evaluates exactly the rules it was cut with.
 */
import { createHash } from 'node:crypto';

export interface RulesSnapshotProvider {
  /** Hash of the tenant's current rule set. Must be equal for equal rule sets, whatever the order of keys. */
  snapshotHash(tenant: string): Promise<string>;
}

/** `sha256:<hex>` of the canonical JSON (object keys sorted) of a rule set. */
export function hashRuleSet(rules: readonly unknown[]): string {
  return `sha256:${createHash('sha256').update(canonicalJson(rules)).digest('hex')}`;
}

export const emptyRulesHash = hashRuleSet([]);

/** The default until rules exist: every tenant has the empty rule set. */
export const emptyRulesSnapshot: RulesSnapshotProvider = {
  snapshotHash: async () => emptyRulesHash,
};

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
