/**
 * The planner's and tick's settings from an environment record. Only functions/ pass process.env
 * here; everything in lib/ takes the parsed values. Invalid values fail at start-up, loudly.
 *
 *   STRATA_BUCKET, STRATA_JOBS_QUEUE_URL            required
 *   STRATA_L0_MAX_SEGMENTS (20)  STRATA_L0_MAX_BYTES (64 MiB)  STRATA_L0_MAX_AGE_SECONDS (30)
 *   STRATA_L1_MAX_BLOCKS (10)    STRATA_L1_MAX_BYTES (none)    STRATA_L1_MAX_AGE_SECONDS (900)
 *   STRATA_L2_MAX_BLOCKS (10)    STRATA_L2_MAX_BYTES (none)    STRATA_L2_MAX_AGE_SECONDS (10800)
 *   STRATA_MAX_PENDING_SEGMENTS (500)  STRATA_MAX_OPEN_JOBS (32)  STRATA_STATE_MAX_ATTEMPTS (8)
 *   STRATA_DISPATCH_LEASE_SECONDS (300)  STRATA_CLEANUP_DELAY_SECONDS (60)  STRATA_ADOPT_AFTER_SECONDS (120)
 *   STRATA_LOG_LEVEL (info)
 */
import type { Env } from '../aws/clients.js';
import type { LogLevel } from '../log/logger.js';
import { PlanConfigError } from './errors.js';
import { planLimits, type LevelLimits, type PlanLimits } from './limits.js';
import { envSettings } from '../config/env.js';

export interface PlannerConfig {
  bucket: string;
  jobsQueueUrl: string;
  limits: PlanLimits;
  // Unset variables stay undefined, so that the defaults live only in lib/ (cas, tick, cleanup).
  maxStateAttempts: number | undefined;
  leaseMs: number | undefined;
  cleanupDelayMs: number | undefined;
  adoptAfterMs: number | undefined;
  logLevel: LogLevel;
}

export function plannerConfigFromEnv(env: Env): PlannerConfig {
  const settings = envSettings(env, (message) => new PlanConfigError(message));
  const levels: Array<Partial<LevelLimits>> = [0, 1, 2].map((level) => {
    const items = level === 0 ? 'SEGMENTS' : 'BLOCKS';
    const entry: Partial<LevelLimits> = {};
    const maxItems = settings.positiveInteger(`STRATA_L${level}_MAX_${items}`);
    const maxBytes = settings.positiveInteger(`STRATA_L${level}_MAX_BYTES`);
    const maxAge = settings.secondsAsMs(`STRATA_L${level}_MAX_AGE_SECONDS`);
    if (maxItems !== undefined) entry.maxItems = maxItems;
    if (maxBytes !== undefined) entry.maxBytes = maxBytes;
    if (maxAge !== undefined) entry.maxAgeMs = maxAge;
    return entry;
  });
  const maxPendingSegments = settings.positiveInteger('STRATA_MAX_PENDING_SEGMENTS');
  const maxOpenJobs = settings.positiveInteger('STRATA_MAX_OPEN_JOBS');
  return {
    bucket: settings.required('STRATA_BUCKET'),
    jobsQueueUrl: settings.required('STRATA_JOBS_QUEUE_URL'),
    limits: planLimits({
      levels,
      ...(maxPendingSegments === undefined ? {} : { maxPendingSegments }),
      ...(maxOpenJobs === undefined ? {} : { maxOpenJobs }),
    }),
    maxStateAttempts: settings.positiveInteger('STRATA_STATE_MAX_ATTEMPTS'),
    leaseMs: settings.secondsAsMs('STRATA_DISPATCH_LEASE_SECONDS'),
    cleanupDelayMs: settings.secondsAsMs('STRATA_CLEANUP_DELAY_SECONDS'),
    adoptAfterMs: settings.secondsAsMs('STRATA_ADOPT_AFTER_SECONDS'),
    logLevel: settings.logLevel('STRATA_LOG_LEVEL') ?? 'info',
  };
}
