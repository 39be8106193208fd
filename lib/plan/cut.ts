/**
 * Cutting jobs: a pure function from a shard state to the next state and the jobs it opened.
 *
 * At each level, objects wait (segments in `pending`, blocks in `waiting`) until there are
 * `maxItems` of them, they add up to `maxBytes`, or the oldest is `maxAgeMs` old; then the first
 * objects in id order (time order: ULIDs and job ids sort by time) are cut into a job of at most
 * `maxItems` objects and `maxBytes` bytes, and this repeats while a condition still holds.
 */
import { compareIds } from '../metastore/transitions.js';
import type { OpenJob, PendingSegment, ShardState, WaitingBlock } from '../metastore/types.js';
import { jobId } from './ids.js';
import type { LevelLimits, PlanLimits } from './limits.js';

export interface CutContext {
  now: number;
  limits: PlanLimits;
  /** Recorded in every job cut now. */
  rulesHash: string;
}

export interface CutResult {
  /** The input object itself when no job was cut. */
  state: ShardState;
  jobs: OpenJob[];
}

type Item = PendingSegment | WaitingBlock;

export function cutJobs(state: ShardState, context: CutContext): CutResult {
  const { now, limits } = context;
  const jobs: OpenJob[] = [];
  let next = state;
  for (const [level, levelLimits] of limits.levels.entries()) {
    const final = level === limits.levels.length - 1;
    for (;;) {
      if (next.jobs.length >= limits.maxOpenJobs) return { state: next, jobs };
      const items: Item[] = level === 0 ? next.pending : next.waiting.filter((block) => block.level === level);
      const take = itemsToCut(items, levelLimits, now);
      if (take.length === 0) break;
      const job = openJob(next, level + 1, take, final, context);
      const taken = new Set(take.map((item) => item.id));
      next = {
        ...next,
        nextSequence: job.sequence + 1,
        lastJobTs: job.ts,
        pending: level === 0 ? next.pending.filter((item) => !taken.has(item.id)) : next.pending,
        waiting: level === 0 ? next.waiting : next.waiting.filter((item) => item.level !== level || !taken.has(item.id)),
        jobs: [...next.jobs, job],
      };
      jobs.push(job);
    }
  }
  return { state: next, jobs };
}

/** The objects the next job takes (a prefix in id order), or none when no condition holds. */
export function itemsToCut<T extends Item>(items: readonly T[], limits: LevelLimits, now: number): T[] {
  if (items.length === 0) return [];
  let bytes = 0;
  let oldest = Infinity;
  for (const item of items) {
    bytes += item.size;
    oldest = Math.min(oldest, item.createdAt);
  }
  const due = items.length >= limits.maxItems || bytes >= limits.maxBytes || now - oldest >= limits.maxAgeMs;
  if (!due) return [];
  const sorted = [...items].sort((a, b) => compareIds(a.id, b.id));
  const take: T[] = [];
  let takenBytes = 0;
  for (const item of sorted) {
    if (take.length >= limits.maxItems) break;
    if (take.length > 0 && takenBytes + item.size > limits.maxBytes) break;
    take.push(item);
    takenBytes += item.size;
  }
  return take;
}

function openJob(state: ShardState, level: number, take: readonly Item[], final: boolean, context: CutContext): OpenJob {
  const sequence = state.nextSequence;
  return {
    id: jobId(state.tenant, state.shard, state.generation, level, sequence),
    level,
    sequence,
    sources: take.map((item) => item.id).sort(compareIds),
    bytes: take.reduce((sum, item) => sum + item.size, 0),
    ts: Math.max(state.lastJobTs + 1, Math.floor(context.now)),
    rulesHash: context.rulesHash,
    cutAt: Math.floor(context.now),
    dispatchedAt: null,
    dispatches: 0,
    final,
  };
}
