/** Factories for export tests: jobs with known increments, and a store that fails once on cue. */
import type { ConditionalPutResult } from '../../lib/aws/contract.js';
import type { ExportInput, ExportJob } from '../../lib/export/chain.js';
import { evaluateRules } from '../../lib/rules/evaluate.js';
import type { RulesSnapshot } from '../../lib/rules/types.js';
import { compareLabelSets } from '../../lib/segment/labels.js';
import { MemoryObjectStore } from './metastore-memory.js';
import { snapshotOf } from './rules-fixtures.js';
import { series } from './segments.js';

export const tenant = 'team-a';
export const shard = 2;

/** One rule: the sum of `up` by `k`, at most `maxSeries` output series. */
export function sumByK(maxSeries = 100): RulesSnapshot {
  return snapshotOf(`- { id: up_sum, record: "up:sum", match: up, group_by: [k], max_series: ${maxSeries} }`, tenant);
}

/** A job whose increments are `values` (one sample per k). */
export function jobOf(id: string, ts: number, values: Record<string, number>, snapshot = sumByK()): { job: ExportJob; input: ExportInput } {
  const list = Object.entries(values)
    .map(([k, value]) => series('up', { k }, [[ts, value]]))
    .sort((a, b) => compareLabelSets(a.labels, b.labels));
  return {
    job: { tenant, shard, id, ts, rulesHash: snapshot.hash },
    input: { snapshot, evaluation: evaluateRules(snapshot, list, { shard }), facts: { segments: 3, samples: list.length, lagMs: 1200 } },
  };
}

/** A memory store whose next create-if-absent on a key matching `pattern` throws (a crash mid-write). */
export class CrashingStore extends MemoryObjectStore {
  crashOn: RegExp | undefined;
  override async putIfAbsent(key: string, body: Uint8Array): Promise<ConditionalPutResult> {
    if (this.crashOn?.test(key)) {
      this.crashOn = undefined;
      throw new Error(`crash before writing ${key}`);
    }
    return super.putIfAbsent(key, body);
  }
}
