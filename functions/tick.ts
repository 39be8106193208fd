/**
 * Lambda: a scheduled event (e.g. every minute) → the tick. Builds the dependencies once per
 * container from the environment; fails the invocation when some shard's work failed, so it shows
 * in the function's errors (the next tick retries it anyway). The local scheduler calls this handler.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Env } from '../lib/aws/clients.js';
import type { Logger } from '../lib/log/logger.js';
import { runTick, type TickDeps, type TickReport } from '../lib/tick/tick.js';
import { pipelineDeps } from './deps.js';

export interface TickHandlerOptions {
  env?: Env;
  logger?: Logger;
  /** Replaces everything built from the environment (tests and the chaos harness inject their own). */
  deps?: TickDeps;
}

export type TickHandler = (event: ScheduledEvent, context?: Context) => Promise<TickReport>;

export class TickFailedError extends Error {
  override name = 'TickFailedError';
  constructor(readonly report: TickReport) {
    super(`the tick failed for ${report.failures} shard(s) or object(s); see the log`);
  }
}

export function createTickHandler(options: TickHandlerOptions = {}): TickHandler {
  let deps: TickDeps | undefined;
  return async (_event, context) => {
    deps ??= options.deps ?? tickDeps(options);
    const logger = deps.logger.child(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId });
    const report = await runTick({ ...deps, logger });
    if (report.failures > 0) throw new TickFailedError(report);
    return report;
  };
}

function tickDeps(options: TickHandlerOptions): TickDeps {
  const { config, ...deps } = pipelineDeps(options.env ?? process.env, 'tick', options.logger);
  return { ...deps, leaseMs: config.leaseMs, cleanupDelayMs: config.cleanupDelayMs, adoptAfterMs: config.adoptAfterMs };
}

export const handler: TickHandler = createTickHandler();
