/** Factories for rules tests: rule files, snapshots, and metric and profile series. */
import type { Series, Stack } from '../../lib/segment/format.js';
import { parseRulesFile, rulesForTenant } from '../../lib/rules/parse.js';
import { hashRules } from '../../lib/rules/snapshot.js';
import type { RulesSnapshot } from '../../lib/rules/types.js';
import { series } from './segments.js';

export const cpuType = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

/** A snapshot for tenant `t` from the YAML rules list given (indented as a list under `tenants.t`). */
export function snapshotOf(rulesYaml: string, tenant = 't'): RulesSnapshot {
  const indented = rulesYaml
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  const rules = rulesForTenant(parseRulesFile(`tenants:\n  ${tenant}:\n${indented}\n`, 'test.yaml'), tenant);
  return { tenant, hash: hashRules(rules), rules };
}

/** A profile series: one sample per profile (its total) and its stacks, frames leaf first. */
export function profile(labels: Record<string, string>, profiles: Array<{ ts: number; stacks: Array<[string[], number]> }>): Series {
  const functions: string[] = [];
  const index = (name: string) => {
    let i = functions.indexOf(name);
    if (i < 0) i = functions.push(name) - 1;
    return i;
  };
  const stacks: Stack[] = [];
  const base = series(cpuType, labels, []);
  for (const p of profiles) {
    for (const [frames, value] of p.stacks) stacks.push({ timestamp: p.ts, frames: frames.map(index), value });
    base.samples.push({ timestamp: p.ts, value: p.stacks.reduce((sum, [, v]) => sum + v, 0) });
  }
  return { ...base, functions, stacks };
}
