/**
 * What `strata status` reports: per shard, what is waiting and how old it is, from the shard
 * states and export delivery states in the bucket; and the depth of each queue and dead-letter
 * queue. Read-only.
 */
import type { ObjectStore } from '../aws/contract.js';
import { exportStatus, type ExportStatus } from '../export/delivery.js';
import { readShardState } from '../metastore/cas.js';
import { parseStateKey, prefixes } from '../segment/keys.js';

export interface ShardStatus {
  tenant: string;
  shard: number;
  pendingSegments: number;
  /** Age of the oldest pending segment, ms; null when none is pending. */
  oldestPendingMs: number | null;
  openJobs: number;
  /** Open jobs sent at least once and not committed since, with the age of their last dispatch. */
  oldestDispatchMs: number | null;
  /** Open jobs never sent (the tick will send them). */
  undispatchedJobs: number;
  waitingBlocks: number;
  tombstones: number;
  /** Age of the last job cut, ms; null before the first. */
  lastJobMs: number | null;
  stateBytes: number;
  exports: ExportStatus;
}

export async function shardStatuses(store: ObjectStore, now: number, tenant?: string): Promise<ShardStatus[]> {
  const rows: ShardStatus[] = [];
  for await (const object of store.list(tenant === undefined ? prefixes.state : `${prefixes.state}${tenant}/`)) {
    const parsed = parseStateKey(object.key);
    if (parsed === undefined) continue;
    const { state, bytes } = await readShardState(store, parsed.tenant, parsed.shard);
    const dispatched = state.jobs.filter((job) => job.dispatchedAt !== null);
    const oldest = (times: number[]) => (times.length === 0 ? null : now - Math.min(...times));
    rows.push({
      ...parsed,
      pendingSegments: state.pending.length,
      oldestPendingMs: oldest(state.pending.map((segment) => segment.createdAt)),
      openJobs: state.jobs.length,
      oldestDispatchMs: oldest(dispatched.map((job) => job.dispatchedAt!)),
      undispatchedJobs: state.jobs.length - dispatched.length,
      waitingBlocks: state.waiting.length,
      tombstones: state.tombstones.length,
      lastJobMs: state.lastJobTs === 0 ? null : now - state.lastJobTs,
      stateBytes: bytes,
      exports: await exportStatus(store, parsed.tenant, parsed.shard),
    });
  }
  return rows;
}
