/**
 * Job ids and SQS deduplication ids. A job id is a pure function of (tenant, shard, generation,
 * level, sequence), is a valid block id (the compactor writes `blockKey(..., level, jobId)`), sorts
 * by sequence within a shard, and is unique across tenants so it can deduplicate on one FIFO queue.
 */
import { createHash } from 'node:crypto';

/** e.g. `j000000000042-L1-3f9a0c1b2d4e5f60`: sequence, output level, 64 bits of hash. */
export function jobId(tenant: string, shard: number, generation: string, level: number, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad job sequence ${sequence}`);
  const hash = createHash('sha256').update(`${tenant}\n${shard}\n${generation}\n${level}\n${sequence}`).digest('hex').slice(0, 16);
  return `j${String(sequence).padStart(12, '0')}-L${level}-${hash}`;
}

/**
 * The first dispatch of a job is deduplicated by its id, so that a planner retried after a crash
 * resends it without a duplicate. A re-dispatch after the lease must get through even inside SQS's
 * 5-minute deduplication window, so it carries the number of dispatches already confirmed.
 */
export function dispatchDedupId(id: string, dispatches: number): string {
  return dispatches === 0 ? id : `${id}.r${dispatches}`;
}
