/**
 * The tick (on a schedule, e.g. every minute): what keeps anything from being stranded.
 *
 * - lists `state/` to find every shard, and `segments/` to find segments no event announced;
 * - per shard, in one compare-and-swap: adopts those segments (not pending, not in a job, not
 *   tombstoned, still present, and not replaced by any block), deletes the sources of tombstones
 *   past the cleanup delay and drops the tombstones, and cuts the jobs that are due by age;
 * - then dispatches jobs never confirmed sent, and re-dispatches those sent longer ago than the lease;
 * - quarantines keys under `segments/` that break the layout (their event was lost too).
 *
 * Everything is idempotent: two overlapping ticks, or a tick racing the planner, converge.
 */
import type { ObjectInfo } from '../aws/contract.js';
import { newMetastoreCounters, updateShardState, type MetastoreCounters } from '../metastore/cas.js';
import { addSegments, knownIds } from '../metastore/transitions.js';
import type { PendingSegment } from '../metastore/types.js';
import { cleanUpDueTombstones, defaultCleanupDelayMs } from '../plan/cleanup.js';
import { cutJobs } from '../plan/cut.js';
import { dispatchJobs, jobsToDispatch } from '../plan/dispatch.js';
import { classifySegmentKey } from '../plan/events.js';
import { defaultPlanLimits } from '../plan/limits.js';
import { runLimited } from '../plan/planner.js';
import { quarantineObject } from '../plan/quarantine.js';
import { emptyRulesSnapshot } from '../plan/rules.js';
import { parseStateKey, prefixes } from '../segment/keys.js';
import { pruneExports } from '../export/chain.js';
import { deliverExports, type DeliveryDeps } from '../export/delivery.js';
import { ReplacedSegments, blockSourcesFromStore } from './replaced.js';
import type { ShardStateDeps } from '../plan/deps.js';

export const defaultLeaseMs = 5 * 60_000;
/** A segment younger than this may still have its event in flight: leave it to the planner. */
export const defaultAdoptAfterMs = 2 * 60_000;
/** Objects the tick deletes per shard per run (DeleteObjects takes 1000 at a time). */
export const tickCleanupKeys = 50_000;

export interface TickDeps extends ShardStateDeps {
  counters?: MetastoreCounters;
  /** Re-dispatch an open job whose last dispatch is older than this. Default 5 min. */
  leaseMs?: number;
  /** Delete tombstoned sources this long after their commit. Default 60 s. */
  cleanupDelayMs?: number;
  /** Adopt (or quarantine) unannounced objects under segments/ only once they are this old. Default 2 min. */
  adoptAfterMs?: number;
  shardConcurrency?: number;
  /** Remote-write delivery: each tick sends what compactions could not (receiver down, crash). */
  delivery?: Omit<DeliveryDeps, 'store' | 'logger' | 'cas'>;
}

export interface TickReport {
  shards: number;
  adopted: number;
  /** Unknown segments that turned out replaced by a block (left alone, logged). */
  replaced: number;
  cut: number;
  dispatched: number;
  redispatched: number;
  tombstonesDropped: number;
  objectsDeleted: number;
  quarantined: number;
  /** Shards whose undelivered export records were sent. */
  exportsDelivered: number;
  /** Export records pruned (delivered long ago, their jobs committed). */
  exportsPruned: number;
  /** Shards or objects whose work failed (logged); the next tick retries them. */
  failures: number;
}

interface ShardEntry {
  tenant: string;
  shard: number;
  segments: ObjectInfo[];
}

export async function runTick(deps: TickDeps): Promise<TickReport> {
  const { store, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const adoptAfterMs = deps.adoptAfterMs ?? defaultAdoptAfterMs;
  const report: TickReport = {
    shards: 0,
    adopted: 0,
    replaced: 0,
    cut: 0,
    dispatched: 0,
    redispatched: 0,
    tombstonesDropped: 0,
    objectsDeleted: 0,
    quarantined: 0,
    exportsDelivered: 0,
    exportsPruned: 0,
    failures: 0,
  };
  const startedAt = clock();
  const shards = new Map<string, ShardEntry>();
  const entry = (tenant: string, shard: number): ShardEntry => {
    const key = `${tenant}/${shard}`;
    let found = shards.get(key);
    if (found === undefined) {
      found = { tenant, shard, segments: [] };
      shards.set(key, found);
    }
    return found;
  };

  for await (const object of store.list(prefixes.state)) {
    const parsed = parseStateKey(object.key);
    if (parsed === undefined) logger.warn('unexpected object under state/', { key: object.key });
    else entry(parsed.tenant, parsed.shard);
  }
  const malformed: Array<{ key: string; reason: string }> = [];
  for await (const object of store.list(prefixes.segments)) {
    const old = object.lastModified === undefined || object.lastModified.getTime() <= startedAt - adoptAfterMs;
    const segment = classifySegmentKey(object.key);
    if (typeof segment === 'string') {
      if (old) malformed.push({ key: object.key, reason: segment });
    } else if (old) {
      entry(segment.tenant, segment.shard).segments.push(object);
    }
  }
  report.shards = shards.size;

  const tasks: Array<() => Promise<void>> = [];
  for (const { key, reason } of malformed) {
    tasks.push(async () => {
      try {
        if ((await quarantineObject(store, key, reason, 'tick', clock())) === 'quarantined') report.quarantined++;
        logger.warn('segment quarantined', { segmentKey: key, reason });
      } catch (error) {
        report.failures++;
        logger.error('quarantine failed', { segmentKey: key, error });
      }
    });
  }
  const planned: Array<{ tenant: string; shard: number; openJobIds: ReadonlySet<string>; readAt: number }> = [];
  for (const shard of shards.values()) {
    tasks.push(async () => {
      try {
        planned.push({ tenant: shard.tenant, shard: shard.shard, ...(await tickShard({ ...deps, clock }, shard, report)) });
      } catch (error) {
        report.failures++;
        logger.error('tick failed for shard', { tenant: shard.tenant, shard: shard.shard, error });
      }
    });
  }
  await runLimited(tasks, deps.shardConcurrency ?? 4);
  const exportTasks = planned.map((shard) => async () => {
    try {
      await tickExports({ ...deps, clock }, shard, report);
    } catch (error) {
      report.failures++;
      logger.error('tick failed for exports of shard', { tenant: shard.tenant, shard: shard.shard, error });
    }
  });
  await runLimited(exportTasks, deps.shardConcurrency ?? 4);
  logger.info('tick done', { ...report, ms: clock() - startedAt });
  return report;
}

async function tickShard(
  deps: TickDeps & { clock: () => number },
  entry: ShardEntry,
  report: TickReport,
): Promise<{ openJobIds: ReadonlySet<string>; readAt: number }> {
  const { store, logger, clock } = deps;
  const { tenant, shard } = entry;
  const limits = deps.limits ?? defaultPlanLimits;
  const cleanupDelayMs = deps.cleanupDelayMs ?? defaultCleanupDelayMs;
  const leaseMs = deps.leaseMs ?? defaultLeaseMs;
  const rulesHash = await (deps.rules ?? emptyRulesSnapshot).snapshotHash(tenant);
  const context = { store, logger, counters: deps.counters ?? newMetastoreCounters(), ...(deps.cas === undefined ? {} : { cas: deps.cas }) };
  const replaced = new ReplacedSegments(store, blockSourcesFromStore(store), tenant, shard);
  const replacedBy = new Map<string, string | undefined>();
  const deleted = new Set<string>();

  const update = await updateShardState(context, tenant, shard, async ({ state }) => {
    const known = knownIds(state, 0);
    const adopt: PendingSegment[] = [];
    const adoptedKeys: string[] = [];
    const replacedKeys: string[] = [];
    for (const listed of entry.segments) {
      const segment = classifySegmentKey(listed.key);
      if (typeof segment === 'string' || known.has(segment.id)) continue;
      // Asked on every attempt, after its state read: present now means not compacted and cleaned
      // up before the read either. An earlier attempt's answer would not say that of this state.
      const head = await store.head(listed.key);
      if (head === undefined) continue;
      if (!replacedBy.has(listed.key)) replacedBy.set(listed.key, await replaced.replacedBy(state, listed));
      if (replacedBy.get(listed.key) !== undefined) {
        replacedKeys.push(listed.key);
        continue;
      }
      const createdAt = (head.lastModified ?? listed.lastModified)?.getTime() ?? clock();
      adopt.push({ id: segment.id, size: head.size, createdAt });
      adoptedKeys.push(listed.key);
    }
    const now = clock();
    const added = addSegments(state, adopt, limits.maxPendingSegments);
    const cleaned = await cleanUpDueTombstones(store, added.state, now, cleanupDelayMs, deleted, tickCleanupKeys);
    const cut = cutJobs(cleaned.state, { now, limits, rulesHash });
    return {
      next: cut.state,
      result: { adopted: added.added, adoptedKeys, replacedKeys, dropped: cleaned.dropped, deletedKeys: cleaned.deletedKeys, cut: cut.jobs },
    };
  });
  const { result } = update;
  for (const segment of result.adopted) {
    logger.warn('segment adopted', { tenant, shard, segmentKey: result.adoptedKeys.find((key) => key.includes(segment.id)) });
  }
  for (const key of result.replacedKeys) {
    logger.warn('segment already replaced by a block, not adopted', { tenant, shard, segmentKey: key, blockKey: replacedBy.get(key) });
  }
  for (const job of result.cut) logger.info('job cut', { tenant, shard, jobId: job.id, jobLevel: job.level, sources: job.sources.length, ts: job.ts });
  if (result.dropped.length > 0) logger.info('tombstones cleaned up', { tenant, shard, tombstones: result.dropped.length });
  report.adopted += result.adopted.length;
  report.replaced += result.replacedKeys.length;
  report.cut += result.cut.length;
  report.tombstonesDropped += result.dropped.length;
  report.objectsDeleted += result.deletedKeys;

  const due = jobsToDispatch(update.state, clock(), leaseMs);
  for (const job of due) {
    if (job.dispatches > 0) logger.warn('job lease expired, re-dispatching', { tenant, shard, jobId: job.id, dispatchedAt: job.dispatchedAt });
  }
  const sent = await dispatchJobs({ ...context, jobs: deps.jobs, clock }, update.state, due);
  report.dispatched += sent.filter((dispatch) => dispatch.dispatches === 0).length;
  report.redispatched += sent.filter((dispatch) => dispatch.dispatches > 0).length;
  return { openJobIds: new Set(update.state.jobs.map((job) => job.id)), readAt: clock() };
}

/**
 * Sends a shard's undelivered export records and prunes delivered ones. Runs after every shard's
 * planning work, so that a receiver outage cannot keep the tick from the work that keeps segments
 * from being stranded; the remote-write client's cooldown makes an outage cost one retry budget.
 */
async function tickExports(
  deps: TickDeps & { clock: () => number },
  shard: { tenant: string; shard: number; openJobIds: ReadonlySet<string>; readAt: number },
  report: TickReport,
): Promise<void> {
  const { store, logger, clock, cas } = deps;
  const { tenant } = shard;
  if (deps.delivery !== undefined) {
    const delivery = await deliverExports({ ...deps.delivery, store, logger, clock, cas }, tenant, shard.shard);
    if (delivery.outcome === 'delivered') report.exportsDelivered++;
    // Not a tick failure: the records stay undelivered, status shows it, the next tick tries again.
    if (delivery.outcome === 'failed') logger.warn('export delivery failed', { tenant, shard: shard.shard, latest: delivery.latest, delivered: delivery.delivered });
  }
  const pruned = await pruneExports({ store, logger }, tenant, shard.shard, { openJobIds: shard.openJobIds, asOf: shard.readAt });
  report.exportsPruned += pruned.length;
}

