/**
 * Pure transitions of the shard state (see the contracts in types.ts): each returns a new state,
 * or the very same object when nothing changes, and never mutates its input.
 *
 * Cutting jobs is a planning decision and lives in lib/plan/cut.ts; what is here is the
 * bookkeeping every actor shares: adding segments, committing a job, recording a dispatch,
 * dropping tombstones, and reading a job's spec.
 */
import { blockKey, segmentKey } from '../segment/keys.js';
import { InvalidTransitionError } from './errors.js';
import type { JobSpec, OpenJob, PendingSegment, ShardState, Tombstone } from './types.js';

/** The key of an object of `level` (0 = segment) in the state's shard. */
export function sourceKey(tenant: string, shard: number, level: number, id: string): string {
  return level === 0 ? segmentKey(tenant, shard, id) : blockKey(tenant, shard, level, id);
}

/** Ids of level-`level` objects the state knows about: pending/waiting, sources of open jobs, tombstoned. */
export function knownIds(state: ShardState, level: number): Set<string> {
  const known = new Set<string>();
  if (level === 0) {
    for (const segment of state.pending) known.add(segment.id);
  } else {
    for (const block of state.waiting) if (block.level === level) known.add(block.id);
  }
  for (const job of state.jobs) if (job.level === level + 1) for (const id of job.sources) known.add(id);
  for (const tombstone of state.tombstones) if (tombstone.level === level) for (const id of tombstone.sources) known.add(id);
  return known;
}

export interface AddSegmentsResult {
  state: ShardState;
  added: PendingSegment[];
  /** Already pending, in an open job or tombstoned (or twice in the arrivals). */
  duplicates: string[];
  /** Not added because `pending` is full; the tick adopts them once there is room. */
  deferred: string[];
}

/**
 * Adds new L0 segments to `pending`. Idempotent: known ids are duplicates. Whether an unknown id
 * still exists is the caller's question (a HEAD), asked after reading this state.
 */
export function addSegments(state: ShardState, arrivals: readonly PendingSegment[], maxPending = Infinity): AddSegmentsResult {
  const known = knownIds(state, 0);
  const added: PendingSegment[] = [];
  const duplicates: string[] = [];
  const deferred: string[] = [];
  for (const arrival of arrivals) {
    if (known.has(arrival.id)) {
      duplicates.push(arrival.id);
    } else if (state.pending.length + added.length >= maxPending) {
      deferred.push(arrival.id);
    } else {
      known.add(arrival.id);
      added.push({ id: arrival.id, size: arrival.size, createdAt: arrival.createdAt });
    }
  }
  if (added.length === 0) return { state, added, duplicates, deferred };
  const pending = [...state.pending, ...added].sort((a, b) => compareIds(a.id, b.id));
  return { state: { ...state, pending }, added, duplicates, deferred };
}

/** What the compactor wrote for a job; null when the job produced no block (every source was empty). */
export interface JobOutput {
  size: number;
}

export interface CommitJobResult {
  state: ShardState;
  /** 'not-open': already committed (or never cut in this generation); the state is unchanged. */
  outcome: 'committed' | 'not-open';
  job?: OpenJob;
}

/**
 * Commits a compacted job: removes it from the open jobs, tombstones its sources (deleted after
 * the cleanup delay), and queues its output block for the next level unless the job is final.
 * Idempotent: a job that is not open leaves the state unchanged.
 */
export function commitJob(state: ShardState, jobId: string, output: JobOutput | null, now: number): CommitJobResult {
  const job = state.jobs.find((candidate) => candidate.id === jobId);
  if (job === undefined) return { state, outcome: 'not-open' };
  const tombstone: Tombstone = { jobId: job.id, level: job.level - 1, sources: job.sources, at: now };
  let waiting = state.waiting;
  if (output !== null && !job.final) {
    if (!Number.isSafeInteger(output.size) || output.size < 0) {
      throw new InvalidTransitionError(`job ${jobId}: output size ${output.size} is not a byte count`, state.tenant, state.shard);
    }
    waiting = [...waiting, { level: job.level, id: job.id, size: output.size, createdAt: now }].sort(
      (a, b) => a.level - b.level || compareIds(a.id, b.id),
    );
  }
  return {
    state: {
      ...state,
      waiting,
      jobs: state.jobs.filter((candidate) => candidate !== job),
      tombstones: [...state.tombstones, tombstone],
    },
    outcome: 'committed',
    job,
  };
}

/** A dispatch that was sent: the job and its `dispatches` count when it was sent. */
export interface SentDispatch {
  jobId: string;
  dispatches: number;
}

/**
 * Records confirmed sends. A job that was committed meanwhile, or whose dispatch another actor
 * already recorded (its count moved on), is left alone, so a late or repeated call changes nothing.
 */
export function markDispatched(state: ShardState, sent: readonly SentDispatch[], now: number): ShardState {
  const byId = new Map(sent.map((dispatch) => [dispatch.jobId, dispatch.dispatches]));
  let changed = false;
  const jobs = state.jobs.map((job) => {
    if (byId.get(job.id) !== job.dispatches) return job;
    changed = true;
    return { ...job, dispatches: job.dispatches + 1, dispatchedAt: now };
  });
  return changed ? { ...state, jobs } : state;
}

/** Tombstones whose cleanup delay has passed at `now`. */
export function dueTombstones(state: ShardState, now: number, cleanupDelayMs: number): Tombstone[] {
  return state.tombstones.filter((tombstone) => tombstone.at + cleanupDelayMs <= now);
}

/** Drops tombstones (by job id) whose objects have been deleted. Idempotent. */
export function dropTombstones(state: ShardState, jobIds: Iterable<string>): ShardState {
  const drop = new Set(jobIds);
  const tombstones = state.tombstones.filter((tombstone) => !drop.has(tombstone.jobId));
  return tombstones.length === state.tombstones.length ? state : { ...state, tombstones };
}

/** The keys of a tombstone's objects. */
export function tombstoneKeys(state: ShardState, tombstone: Tombstone): string[] {
  return tombstone.sources.map((id) => sourceKey(state.tenant, state.shard, tombstone.level, id));
}

/** The spec of an open job with keys, or undefined when the job is not open (already committed). */
export function jobSpec(state: ShardState, jobId: string): JobSpec | undefined {
  const job = state.jobs.find((candidate) => candidate.id === jobId);
  if (job === undefined) return undefined;
  return {
    tenant: state.tenant,
    shard: state.shard,
    id: job.id,
    level: job.level,
    sequence: job.sequence,
    sourceKeys: job.sources.map((id) => sourceKey(state.tenant, state.shard, job.level - 1, id)),
    outputKey: blockKey(state.tenant, state.shard, job.level, job.id),
    ts: job.ts,
    rulesHash: job.rulesHash,
    final: job.final,
  };
}

/** Plain code-unit order: ids are ASCII, where it is also S3's key order. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
