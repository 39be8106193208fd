import type { MessageQueue, ObjectStore } from '../aws/contract.js';
import type { Logger } from '../log/logger.js';
import type { CasOptions } from '../metastore/cas.js';
import type { PlanLimits } from './limits.js';
import type { RulesSnapshotProvider } from './rules.js';

/** What every writer of shard states needs: the planner, the compactor's commit and the tick. */
export interface ShardStateDeps {
  store: ObjectStore;
  /** Where cut jobs are dispatched. */
  jobs: MessageQueue;
  logger: Logger;
  clock?: () => number;
  limits?: PlanLimits;
  /** The rule set snapshotted into each job cut; without it, the empty one. */
  rules?: RulesSnapshotProvider;
  cas?: CasOptions;
}
