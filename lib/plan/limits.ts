/**
 * When jobs are cut, per level, and the caps that keep the shard state small. Plain options here;
 * `config.ts` reads them from the environment for the functions.
 */
import { PlanConfigError } from './errors.js';

export interface LevelLimits {
  /** Cut when this many objects wait (20 segments at L0, 10 blocks above). */
  maxItems: number;
  /** Cut when the waiting objects add up to this many bytes; a job never exceeds it unless one object does. */
  maxBytes: number;
  /** Cut when the oldest waiting object is this old. */
  maxAgeMs: number;
}

export interface PlanLimits {
  /**
   * `levels[n]` cuts level-n objects (segments for n = 0) into level n + 1 jobs; the outputs of
   * the last entry's jobs are final and wait for nothing. Three entries: L0→L1, L1→L2, L2→L3.
   */
  levels: LevelLimits[];
  /** Segments beyond this are not recorded (the tick adopts them when there is room): a backlog lives in the listing, not the state. */
  maxPendingSegments: number;
  /** No job is cut while this many are open (the compactor is behind); segments stay pending. */
  maxOpenJobs: number;
}

export const MiB = 1024 * 1024;

export const defaultPlanLimits: PlanLimits = Object.freeze({
  levels: [
    { maxItems: 20, maxBytes: 64 * MiB, maxAgeMs: 30_000 },
    { maxItems: 10, maxBytes: Number.POSITIVE_INFINITY, maxAgeMs: 15 * 60_000 },
    { maxItems: 10, maxBytes: Number.POSITIVE_INFINITY, maxAgeMs: 3 * 3600_000 },
  ],
  maxPendingSegments: 500,
  maxOpenJobs: 32,
});

export interface PlanLimitOverrides {
  levels?: Array<Partial<LevelLimits> | undefined>;
  maxPendingSegments?: number;
  maxOpenJobs?: number;
}

/** Defaults with the given overrides, validated. */
export function planLimits(overrides: PlanLimitOverrides = {}): PlanLimits {
  const count = Math.max(defaultPlanLimits.levels.length, overrides.levels?.length ?? 0);
  const levels: LevelLimits[] = [];
  for (let i = 0; i < count; i++) {
    const base = defaultPlanLimits.levels[i] ?? defaultPlanLimits.levels[defaultPlanLimits.levels.length - 1]!;
    levels.push({ ...base, ...definedOnly(overrides.levels?.[i] ?? {}) });
  }
  const limits: PlanLimits = {
    levels,
    maxPendingSegments: overrides.maxPendingSegments ?? defaultPlanLimits.maxPendingSegments,
    maxOpenJobs: overrides.maxOpenJobs ?? defaultPlanLimits.maxOpenJobs,
  };
  validatePlanLimits(limits);
  return limits;
}

export function validatePlanLimits(limits: PlanLimits): void {
  if (limits.levels.length < 1 || limits.levels.length > 8) {
    throw new PlanConfigError(`levels must have 1 to 8 entries, got ${limits.levels.length}`);
  }
  for (const [level, entry] of limits.levels.entries()) {
    if (!Number.isInteger(entry.maxItems) || entry.maxItems < 1) throw new PlanConfigError(`L${level} maxItems must be a positive integer, got ${entry.maxItems}`);
    if (!(entry.maxBytes >= 1)) throw new PlanConfigError(`L${level} maxBytes must be at least 1, got ${entry.maxBytes}`);
    if (!(entry.maxAgeMs >= 0)) throw new PlanConfigError(`L${level} maxAgeMs must be a non-negative number, got ${entry.maxAgeMs}`);
  }
  if (!Number.isInteger(limits.maxPendingSegments) || limits.maxPendingSegments < 1) {
    throw new PlanConfigError(`maxPendingSegments must be a positive integer, got ${limits.maxPendingSegments}`);
  }
  if (!Number.isInteger(limits.maxOpenJobs) || limits.maxOpenJobs < 1) {
    throw new PlanConfigError(`maxOpenJobs must be a positive integer, got ${limits.maxOpenJobs}`);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
