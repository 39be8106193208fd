/**
 * The rules snapshot a job is cut with. The planner only records its hash in the job spec, so that
 * a retried job evaluates exactly the rules it was cut with (lib/rules stores and loads snapshots).
 */
import { emptyRulesHash } from '../rules/snapshot.js';

export interface RulesSnapshotProvider {
  /** Hash of the tenant's current rule set. Must be equal for equal rule sets, whatever the order of keys. */
  snapshotHash(tenant: string): Promise<string>;
}

/** Without STRATA_RULES: every tenant has the empty rule set. */
export const emptyRulesSnapshot: RulesSnapshotProvider = {
  snapshotHash: async () => emptyRulesHash,
};
