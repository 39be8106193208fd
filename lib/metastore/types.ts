/**
 * The shard state: the metastore's whole record of what is in flight for one (tenant, shard), and
 * the contracts every operation on it keeps. Stored as compact JSON at `stateKey(tenant, shard)`
 * and changed only by conditional writes (`cas.ts`). See README.md for the state machine.
 *
 * Contracts:
 * - Every transition in `transitions.ts` (and every planning step in `lib/plan`) is a pure
 *   function of (state, arguments, now): it never mutates its input, performs no I/O, and returns
 *   the input object itself when nothing changes, so callers can skip the write.
 * - Transitions are idempotent: adding a segment that is pending, in an open job or tombstoned,
 *   committing a job that is no longer open, marking a dispatch already recorded and dropping a
 *   tombstone already gone all return the state unchanged.
 * - `updateShardState` may call its `apply` several times (once per attempt); `apply` may read
 *   (GET/HEAD) but must have no side effect that a discarded attempt would leave behind, except
 *   ones that are themselves idempotent and valid whichever attempt wins (deleting objects whose
 *   tombstone is already committed).
 * - A segment id is in at most one of: `pending`, the sources of an open level-1 job, a level-0
 *   tombstone. A block id likewise for `waiting`, open jobs and tombstones of its level. Nothing
 *   is ever moved back, so each segment is the source of exactly one L0→L1 job.
 *
 * Only ids are stored, not keys: the tenant and shard are the state's own, and a source of a
 * level-n job is an object of level n-1 (a segment ULID for n = 1, a block id otherwise), so
 * `sourceKey()` rebuilds the key. This keeps the state about half the size.
 */

/** Bumped on any change a previous reader could misread; readers refuse versions they do not know. */
export const stateSchemaVersion = 1;

/** An L0 segment announced (or adopted) but not yet cut into a job. */
export interface PendingSegment {
  /** The segment's ULID. */
  id: string;
  size: number;
  /** When the segment was written (event time, or LastModified when adopted), ms since the epoch. */
  createdAt: number;
}

/** A committed block waiting to be cut into a job of the next level. */
export interface WaitingBlock {
  /** The block's own level (it becomes a source of a level + 1 job). */
  level: number;
  /** The block id, which is the id of the job that wrote it. */
  id: string;
  size: number;
  /** When its job was committed. */
  createdAt: number;
}

/** A cut job that has not been committed yet: its full spec, kept until the compactor commits it. */
export interface OpenJob {
  /** Deterministic, from (tenant, shard, generation, level, sequence); a valid block id. */
  id: string;
  /** The output level; sources are objects of level - 1. */
  level: number;
  /** Per shard, across levels; strictly increasing. */
  sequence: number;
  /** Ids of the sources, sorted (ASCII order, which is key order). */
  sources: string[];
  /** Total size of the sources. */
  bytes: number;
  /** Job timestamp: max(previous job ts + 1, cut time). Strictly increasing per shard. */
  ts: number;
  /** Hash of the tenant's rules snapshot at cut time. */
  rulesHash: string;
  cutAt: number;
  /** When the last dispatch was confirmed sent; null until the first one is. */
  dispatchedAt: number | null;
  /** Confirmed dispatches so far. The next one uses deduplication id `dispatchDedupId(id, dispatches)`. */
  dispatches: number;
  /** The output is at the last level: it is not queued for another one. */
  final: boolean;
}

/** The sources of a committed job, awaiting deletion after the cleanup delay. */
export interface Tombstone {
  jobId: string;
  /** The level of the sources (the job's level - 1). */
  level: number;
  sources: string[];
  /** Commit time. */
  at: number;
}

export interface ShardState {
  v: typeof stateSchemaVersion;
  tenant: string;
  shard: number;
  /**
   * Random, fixed when the state object is created. Part of every job id, so that a state that
   * was lost and created anew (sequence back at 0) cannot produce the id of an existing block.
   */
  generation: string;
  nextSequence: number;
  /** ts of the last job cut; 0 before the first. */
  lastJobTs: number;
  /** Sorted by id. */
  pending: PendingSegment[];
  /** Sorted by (level, id). */
  waiting: WaitingBlock[];
  /** Sorted by sequence. */
  jobs: OpenJob[];
  /** In commit order. */
  tombstones: Tombstone[];
}

/** The state as read, with what a compare-and-swap needs. `etag` is undefined when the object does not exist yet. */
export interface VersionedState {
  state: ShardState;
  etag: string | undefined;
  /** Serialized size in bytes. */
  bytes: number;
}

/** A job spec with keys, for the compactor: everything it needs, identical on every read. */
export interface JobSpec {
  tenant: string;
  shard: number;
  id: string;
  level: number;
  sequence: number;
  /** Sorted. */
  sourceKeys: string[];
  /** blockKey(tenant, shard, level, id). */
  outputKey: string;
  ts: number;
  rulesHash: string;
  final: boolean;
}
