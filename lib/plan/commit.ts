/**
 * What the compactor (issue 5) calls around one job: `readJobSpec` before merging, and
 * `commitCompactedJob` after the output block is written. The commit is `commitJob` (a pure
 * transition: remove the open job, tombstone its sources, queue the output for the next level)
 * inside the compare-and-swap loop, followed in the same write by whatever it makes due — a job
 * of the next level, and the deletion of tombstones past their cleanup delay — and then by the
 * dispatch of any job of the shard not yet sent. Idempotent: a job no longer open is 'not-open'.
 */
import type { ObjectStore } from '../aws/contract.js';
import { newMetastoreCounters, readShardState, updateShardState, type MetastoreCounters } from '../metastore/cas.js';
import { commitJob, jobSpec, type JobOutput } from '../metastore/transitions.js';
import type { JobSpec, OpenJob } from '../metastore/types.js';
import { cleanUpDueTombstones, defaultCleanupDelayMs } from './cleanup.js';
import { cutJobs } from './cut.js';
import { dispatchJobs, undispatchedJobs } from './dispatch.js';
import { defaultPlanLimits } from './limits.js';
import { emptyRulesSnapshot } from './rules.js';
import type { ShardStateDeps } from './deps.js';

/** The spec of an open job, or undefined when it is not open (already committed: the compactor succeeds). */
export async function readJobSpec(store: ObjectStore, tenant: string, shard: number, jobId: string): Promise<JobSpec | undefined> {
  const { state } = await readShardState(store, tenant, shard);
  return jobSpec(state, jobId);
}

export interface CommitDeps extends ShardStateDeps {
  counters?: MetastoreCounters;
  /** Default 60 s. */
  cleanupDelayMs?: number;
}

export interface CommitRequest {
  tenant: string;
  shard: number;
  jobId: string;
  /** The block written for the job (its key is jobSpec().outputKey), or null when there was nothing to write. */
  output: JobOutput | null;
}

export interface CommitResult {
  outcome: 'committed' | 'not-open';
  /** Jobs this commit made due (e.g. the next level's), already dispatched. */
  cut: OpenJob[];
  /** Tombstones whose objects were deleted in the same write. */
  cleanedUp: string[];
}

export async function commitCompactedJob(deps: CommitDeps, request: CommitRequest): Promise<CommitResult> {
  const { store, logger } = deps;
  const { tenant, shard, jobId, output } = request;
  const clock = deps.clock ?? Date.now;
  const limits = deps.limits ?? defaultPlanLimits;
  const cleanupDelayMs = deps.cleanupDelayMs ?? defaultCleanupDelayMs;
  const rulesHash = await (deps.rules ?? emptyRulesSnapshot).snapshotHash(tenant);
  const counters = deps.counters ?? newMetastoreCounters();
  const context = { store, logger, counters, ...(deps.cas === undefined ? {} : { cas: deps.cas }) };
  const deleted = new Set<string>();

  const update = await updateShardState<CommitResult>(context, tenant, shard, async ({ state }) => {
    const now = clock();
    if (!state.jobs.some((job) => job.id === jobId)) return { next: state, result: { outcome: 'not-open', cut: [], cleanedUp: [] } };
    // Clean up only tombstones already committed (those in the state as read): this job's own
    // sources must outlive the write that tombstones them, or a crash before it would lose them.
    const cleaned = await cleanUpDueTombstones(store, state, now, cleanupDelayMs, deleted);
    const committed = commitJob(cleaned.state, jobId, output, now);
    const cut = cutJobs(committed.state, { now, limits, rulesHash });
    return { next: cut.state, result: { outcome: 'committed', cut: cut.jobs, cleanedUp: cleaned.dropped } };
  });
  const { result } = update;
  if (result.outcome === 'committed') {
    logger.info('job committed', { tenant, shard, jobId, outputSize: output?.size ?? null });
    for (const job of result.cut) logger.info('job cut', { tenant, shard, jobId: job.id, jobLevel: job.level, sources: job.sources.length, ts: job.ts });
  } else {
    logger.info('job already committed', { tenant, shard, jobId });
  }
  await dispatchJobs({ ...context, jobs: deps.jobs, clock }, update.state, undispatchedJobs(update.state));
  return result;
}
