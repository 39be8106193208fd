/**
 * Dispatching jobs to the FIFO jobs queue, always after the state that holds them is committed:
 * send (MessageGroupId: jobGroupId, MessageDeduplicationId = job id), then record the dispatch
 * in the state. A crash in between leaves the job with `dispatches` unchanged, so whoever looks at
 * the shard next (a retried planner message, the compactor's commit, the tick) sends it again under
 * the same deduplication id, and SQS drops the copy if the first send got through.
 */
import { createHash } from 'node:crypto';
import type { MessageQueue, OutgoingMessage } from '../aws/contract.js';
import { updateShardState, type MetastoreContext } from '../metastore/cas.js';
import { markDispatched, type SentDispatch } from '../metastore/transitions.js';
import type { OpenJob, ShardState } from '../metastore/types.js';
import { DispatchError, MalformedJobMessageError } from './errors.js';
import { dispatchDedupId } from './ids.js';

/** The body of a job message: the compactor reads the spec from the shard state. */
export interface JobMessage {
  v: 1;
  tenant: string;
  shard: number;
  jobId: string;
}

export function jobMessageBody(tenant: string, shard: number, id: string): string {
  const message: JobMessage = { v: 1, tenant, shard, jobId: id };
  return JSON.stringify(message);
}

export function parseJobMessage(body: string): JobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new MalformedJobMessageError('job message is not JSON', { cause });
  }
  const message = value as Partial<JobMessage> | null;
  if (
    typeof message !== 'object' ||
    message === null ||
    message.v !== 1 ||
    typeof message.tenant !== 'string' ||
    !Number.isInteger(message.shard) ||
    typeof message.jobId !== 'string'
  ) {
    throw new MalformedJobMessageError(`not a job message: ${body.slice(0, 200)}`);
  }
  return { v: 1, tenant: message.tenant, shard: message.shard as number, jobId: message.jobId };
}

/**
 * L0→L1 jobs: `tenant/shard/L1`, so a shard's L1 jobs run one at a time, in order, and the shards
 * of a tenant side by side. Merges (level 2 and up): `tenant/Llevel`, so a tenant's merges of one
 * level run one at a time, in order (and so each shard's, in order). Ingest splits every request
 * across all the shards of its tenant, so the shards reach a merge together: with a group per
 * shard, every shard of a tenant would start its merge at once and take the compactor's
 * concurrency, and on a shared machine the CPU, from the L1 jobs that compaction lag depends on.
 * A merge's sources are already compacted and exported; it can wait. A tenant too long for SQS's
 * 128 characters is shortened with a hash of it.
 */
export function jobGroupId(tenant: string, shard: number, level: number): string {
  const lane = level === 1 ? `${shard}/L1` : `L${level}`;
  const plain = `${tenant}/${lane}`;
  if (plain.length <= 128) return plain;
  const hash = createHash('sha256').update(tenant).digest('hex').slice(0, 16);
  return `${tenant.slice(0, 100)}~${hash}/${lane}`;
}

/** The level of the jobs in a group (jobGroupId): 1 for `…/L1`, n for `…/Ln`; undefined for an id not made by jobGroupId. */
export function levelOfJobGroup(groupId: string): number | undefined {
  const match = /\/L([1-9]\d*)$/.exec(groupId);
  return match === null ? undefined : Number(match[1]);
}

export function jobMessage(tenant: string, shard: number, job: OpenJob): OutgoingMessage {
  return {
    id: job.id,
    body: jobMessageBody(tenant, shard, job.id),
    groupId: jobGroupId(tenant, shard, job.level),
    deduplicationId: dispatchDedupId(job.id, job.dispatches),
  };
}

export interface DispatchContext extends MetastoreContext {
  jobs: MessageQueue;
  clock: () => number;
}

/**
 * Sends `jobs` (open jobs of `state`) in sequence order, then records the dispatch. Throws
 * DispatchError if the send fails; the jobs stay undispatched in the state and are sent again.
 */
export async function dispatchJobs(context: DispatchContext, state: ShardState, jobs: readonly OpenJob[]): Promise<SentDispatch[]> {
  if (jobs.length === 0) return [];
  const { tenant, shard } = state;
  const ordered = [...jobs].sort((a, b) => a.sequence - b.sequence);
  try {
    await context.jobs.sendBatch(ordered.map((job) => jobMessage(tenant, shard, job)));
  } catch (error) {
    throw new DispatchError(
      `could not send ${ordered.length} job(s) of ${tenant}/${shard}: ${(error as Error).message}`,
      tenant,
      shard,
      ordered.map((job) => job.id),
      { cause: error },
    );
  }
  const sent = ordered.map((job) => ({ jobId: job.id, dispatches: job.dispatches }));
  for (const job of ordered) {
    context.logger.info('job dispatched', { tenant, shard, jobId: job.id, jobLevel: job.level, sources: job.sources.length, dispatch: job.dispatches + 1 });
  }
  const now = context.clock();
  await updateShardState(context, tenant, shard, ({ state: current }) => ({ next: markDispatched(current, sent, now), result: undefined }));
  return sent;
}

/** Open jobs never confirmed sent. */
export function undispatchedJobs(state: ShardState): OpenJob[] {
  return state.jobs.filter((job) => job.dispatches === 0);
}

/** Open jobs to send at `now`: never confirmed sent, or sent longer ago than the lease. */
export function jobsToDispatch(state: ShardState, now: number, leaseMs: number): OpenJob[] {
  return state.jobs.filter((job) => job.dispatchedAt === null || job.dispatchedAt + leaseMs <= now);
}
