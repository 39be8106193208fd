/**
 * The planner: a batch of S3 event messages in, the ids of the messages to retry out. Lambda
 * (functions/planner.ts) and the local runner call this same function.
 *
 * Per shard touched by the batch: read the state; HEAD the segments it does not know (gone means
 * already compacted and deleted); propose the new state (add, cut: pure, lib/plan/cut.ts); commit
 * it with compare-and-swap; then dispatch every job of the shard not yet confirmed sent. Keys that
 * break the layout are quarantined. A message fails (and SQS redelivers it) when any shard or
 * quarantine it touched failed; everything it did is idempotent, so the retry is safe.
 */
import type { ObjectInfo, ObjectStore } from '../aws/contract.js';
import { newMetastoreCounters, updateShardState, type MetastoreCounters } from '../metastore/cas.js';
import { addSegments, knownIds } from '../metastore/transitions.js';
import type { OpenJob, PendingSegment } from '../metastore/types.js';
import { cutJobs } from './cut.js';
import { dispatchJobs, undispatchedJobs } from './dispatch.js';
import { parseEventMessage } from './events.js';
import { defaultPlanLimits } from './limits.js';
import { quarantineObject } from './quarantine.js';
import { emptyRulesSnapshot } from './rules.js';
import type { ShardStateDeps } from './deps.js';

export interface PlannerCounters extends MetastoreCounters {
  messages: number;
  failedMessages: number;
  segmentEvents: number;
  added: number;
  duplicates: number;
  /** Unknown segments whose HEAD found nothing: already compacted and deleted. */
  gone: number;
  /** Not recorded because pending was full; left for the tick to adopt. */
  deferred: number;
  quarantined: number;
  ignored: number;
  jobsCut: number;
  jobsDispatched: number;
}

export function newPlannerCounters(): PlannerCounters {
  return {
    ...newMetastoreCounters(),
    messages: 0,
    failedMessages: 0,
    segmentEvents: 0,
    added: 0,
    duplicates: 0,
    gone: 0,
    deferred: 0,
    quarantined: 0,
    ignored: 0,
    jobsCut: 0,
    jobsDispatched: 0,
  };
}

export interface PlannerDeps extends ShardStateDeps {
  counters?: PlannerCounters;
  /** Shards updated at once within one batch. Default 8. */
  shardConcurrency?: number;
}

/** An SQS message as the handler got it. */
export interface EventMessageInput {
  messageId: string;
  body: string;
}

export interface PlannerResult {
  /** Messages to leave on the queue (batchItemFailures). */
  failedMessageIds: string[];
}

/** A segment announced by one or more messages of the batch. */
export interface SegmentArrival {
  id: string;
  key: string;
  /** From the event; the HEAD's size wins. */
  size?: number;
  /** Event time, or LastModified when adopted; the HEAD's LastModified when absent. */
  createdAt?: number;
}

interface ShardWork {
  tenant: string;
  shard: number;
  arrivals: Map<string, SegmentArrival>;
  messageIds: Set<string>;
}

export async function planSegmentEvents(deps: PlannerDeps, messages: readonly EventMessageInput[]): Promise<PlannerResult> {
  const { logger } = deps;
  const counters = deps.counters ?? newPlannerCounters();
  const clock = deps.clock ?? Date.now;
  const failed = new Set<string>();
  const shards = new Map<string, ShardWork>();
  const quarantines = new Map<string, { reason: string; messageIds: Set<string> }>();
  counters.messages += messages.length;

  for (const message of messages) {
    let parsed;
    try {
      parsed = parseEventMessage(message.body, deps.store.bucket, message.messageId);
    } catch (error) {
      logger.error('event message rejected', { messageId: message.messageId, error });
      failed.add(message.messageId);
      continue;
    }
    if (parsed.kind === 'test') {
      logger.debug('test event ignored', { messageId: message.messageId });
      continue;
    }
    for (const record of parsed.records) {
      if (record.kind === 'ignored') {
        counters.ignored++;
        logger.warn('event record ignored', { messageId: message.messageId, reason: record.reason, segmentKey: record.key });
      } else if (record.kind === 'malformed-key') {
        const entry = quarantines.get(record.key) ?? { reason: record.reason, messageIds: new Set<string>() };
        entry.messageIds.add(message.messageId);
        quarantines.set(record.key, entry);
      } else {
        counters.segmentEvents++;
        const { tenant, shard, id } = record.segment;
        const shardKey = `${tenant}/${shard}`;
        const work = shards.get(shardKey) ?? { tenant, shard, arrivals: new Map(), messageIds: new Set<string>() };
        shards.set(shardKey, work);
        work.messageIds.add(message.messageId);
        const arrival: SegmentArrival = { id, key: record.key };
        if (record.size !== undefined) arrival.size = record.size;
        if (record.eventTime !== undefined) arrival.createdAt = record.eventTime;
        const earlier = work.arrivals.get(id);
        // Two events for one segment in a batch: keep the earliest time.
        if (earlier === undefined || (arrival.createdAt ?? Infinity) < (earlier.createdAt ?? Infinity)) work.arrivals.set(id, arrival);
      }
    }
  }

  const tasks: Array<() => Promise<void>> = [];
  for (const [key, { reason, messageIds }] of quarantines) {
    tasks.push(async () => {
      try {
        const outcome = await quarantineObject(deps.store, key, reason, 'planner', clock());
        if (outcome === 'quarantined') counters.quarantined++;
        logger.warn('segment quarantined', { segmentKey: key, reason, outcome });
      } catch (error) {
        logger.error('quarantine failed', { segmentKey: key, error });
        for (const id of messageIds) failed.add(id);
      }
    });
  }
  for (const work of shards.values()) {
    tasks.push(async () => {
      try {
        await planShard({ ...deps, counters, clock }, work.tenant, work.shard, [...work.arrivals.values()]);
      } catch (error) {
        const retryable = (error as { retryable?: unknown }).retryable === true;
        logger.error('shard planning failed', { tenant: work.tenant, shard: work.shard, retryable, error });
        for (const id of work.messageIds) failed.add(id);
      }
    });
  }
  await runLimited(tasks, deps.shardConcurrency ?? 8);
  counters.failedMessages += failed.size;
  return { failedMessageIds: messages.map((m) => m.messageId).filter((id) => failed.has(id)) };
}

export interface ShardPlanResult {
  added: PendingSegment[];
  duplicates: string[];
  gone: string[];
  deferred: string[];
  cut: OpenJob[];
  dispatched: string[];
}

/**
 * Adds the arrivals that still exist to one shard's state, cuts what is due and dispatches every
 * job of the shard not yet confirmed sent. Idempotent; throws a retryable error on conflict or
 * send failure.
 */
export async function planShard(
  deps: PlannerDeps & { counters: PlannerCounters; clock: () => number },
  tenant: string,
  shard: number,
  arrivals: readonly SegmentArrival[],
): Promise<ShardPlanResult> {
  const { store, logger, counters, clock } = deps;
  const limits = deps.limits ?? defaultPlanLimits;
  const rulesHash = await (deps.rules ?? emptyRulesSnapshot).snapshotHash(tenant);
  const context = { store, logger, counters, ...(deps.cas === undefined ? {} : { cas: deps.cas }) };

  const outcome = await updateShardState(context, tenant, shard, async ({ state }) => {
    const known = knownIds(state, 0);
    const unknown = arrivals.filter((arrival) => !known.has(arrival.id));
    // Asked again on every attempt, after its state read: present then means the segment was not
    // compacted and cleaned up before that read. An answer from an earlier attempt proves nothing
    // about this state (the segment may have been compacted and deleted in between).
    const heads = new Map<string, ObjectInfo | undefined>();
    await headAll(store, unknown.map((arrival) => arrival.key), heads);
    const now = clock();
    const present: PendingSegment[] = [];
    const gone: string[] = [];
    for (const arrival of unknown) {
      const head = heads.get(arrival.key);
      if (head === undefined) {
        gone.push(arrival.id);
        continue;
      }
      const createdAt = arrival.createdAt ?? head.lastModified?.getTime() ?? now;
      present.push({ id: arrival.id, size: head.size, createdAt: Math.min(Math.floor(createdAt), now) });
    }
    const added = addSegments(state, present, limits.maxPendingSegments);
    const cut = cutJobs(added.state, { now, limits, rulesHash });
    const duplicates = arrivals.filter((arrival) => known.has(arrival.id)).map((arrival) => arrival.id);
    return {
      next: cut.state,
      result: { added: added.added, duplicates: [...duplicates, ...added.duplicates], gone, deferred: added.deferred, cut: cut.jobs },
    };
  });
  const { result } = outcome;
  counters.added += result.added.length;
  counters.duplicates += result.duplicates.length;
  counters.gone += result.gone.length;
  counters.deferred += result.deferred.length;
  counters.jobsCut += result.cut.length;
  for (const segment of result.added) logger.debug('segment added', { tenant, shard, segmentKey: arrivalKey(arrivals, segment.id) });
  for (const id of result.duplicates) logger.debug('duplicate event ignored', { tenant, shard, segmentKey: arrivalKey(arrivals, id) });
  for (const id of result.gone) logger.info('segment already gone', { tenant, shard, segmentKey: arrivalKey(arrivals, id) });
  if (result.deferred.length > 0) logger.warn('pending full, segments deferred to the tick', { tenant, shard, deferred: result.deferred.length });
  for (const job of result.cut) {
    logger.info('job cut', { tenant, shard, jobId: job.id, jobLevel: job.level, sources: job.sources.length, bytes: job.bytes, ts: job.ts });
  }

  const toSend = undispatchedJobs(outcome.state);
  const sent = await dispatchJobs({ ...context, jobs: deps.jobs, clock }, outcome.state, toSend);
  counters.jobsDispatched += sent.length;
  return { ...result, dispatched: sent.map((dispatch) => dispatch.jobId) };
}

function arrivalKey(arrivals: readonly SegmentArrival[], id: string): string | undefined {
  return arrivals.find((arrival) => arrival.id === id)?.key;
}

async function headAll(store: ObjectStore, keys: readonly string[], into: Map<string, ObjectInfo | undefined>): Promise<void> {
  await runLimited(
    keys.map((key) => async () => {
      into.set(key, await store.head(key));
    }),
    16,
  );
}

/** Runs the tasks with at most `limit` at a time; rejects with the first failure after all have settled. */
export async function runLimited(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
