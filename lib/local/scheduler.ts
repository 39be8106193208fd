/**
 * The local stand-in for an EventBridge schedule: invokes a handler every `intervalMs` with the
 * `ScheduledEvent` Lambda gets (source aws.events, detail-type "Scheduled Event", the rule's ARN in
 * resources, time to the second). An invocation still running when the next is due is not doubled
 * (the tick tolerates overlap, but locally it only wastes work); errors are logged, as the async
 * invocation's retries would only repeat the same tick.
 */
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { silentLogger, type Logger } from '../log/logger.js';
import { lambdaContext, newInvocationStats, recordInvocation, type InvocationStats } from './runner.js';

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface ScheduleOptions {
  handler: ScheduledHandler;
  intervalMs: number;
  /** Rule name for the event's resources. Default 'local-schedule'. */
  name?: string;
  functionName?: string;
  region?: string;
  /** Invoke once right away. Default false (EventBridge waits for the first period). */
  runAtStart?: boolean;
  timeoutMs?: number;
  logger?: Logger;
}

export interface Schedule {
  /** Invokes now (waiting for a running invocation first) and resolves with the handler's result. */
  runNow(): Promise<unknown>;
  readonly invocations: number;
  /** Invocations and their billed duration so far. */
  readonly stats: Readonly<InvocationStats>;
  stop(): Promise<void>;
}

export function scheduledEvent(name: string, region: string, time: Date = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${name}`],
    detail: {},
  };
}

export function startSchedule(options: ScheduleOptions): Schedule {
  const { handler, intervalMs } = options;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  const name = options.name ?? 'local-schedule';
  const functionName = options.functionName ?? name;
  const region = options.region ?? 'us-east-1';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const logger = (options.logger ?? silentLogger).child({ schedule: name });
  let running: Promise<unknown> | undefined;
  let invocations = 0;
  const stats = newInvocationStats();

  const invoke = (): Promise<unknown> => {
    invocations++;
    const started = performance.now();
    const run = handler(scheduledEvent(name, region), lambdaContext(functionName, region, timeoutMs));
    running = run.finally(() => {
      recordInvocation(stats, performance.now() - started);
      running = undefined;
    });
    return run;
  };
  const onTimer = () => {
    if (running !== undefined) {
      logger.warn('previous invocation still running, skipping this one', { functionName });
      return;
    }
    invoke().catch((error: unknown) => logger.error('scheduled invocation failed', { functionName, error }));
  };
  const timer = setInterval(onTimer, intervalMs);
  if (options.runAtStart) onTimer();

  return {
    get invocations() {
      return invocations;
    },
    get stats() {
      return { ...stats };
    },
    async runNow() {
      while (running !== undefined) await running.catch(() => undefined);
      return invoke();
    },
    async stop() {
      clearInterval(timer);
      if (running !== undefined) await running.catch(() => undefined);
    },
  };
}
