/**
 * The whole pipeline on one machine, as `strata dev` runs it: the embedded stack bootstrapped with
 * Strata's resources, in this thread; each function (ingest server, planner, compactor, tick) in a
 * worker thread of its own (cli/function-worker.ts). What invokes them stays in this thread, as it
 * is not part of a function on Lambda either: the local runner polls the planner's and compactor's
 * queues with the event source settings serverless.yml gives them, the tick runs on a schedule, and
 * each posts its event to the function's thread and waits for the handler's result. The handlers
 * are the very ones deployed to Lambda.
 *
 * It also keeps what a Lambda bill is made of: invocations, their duration and CPU time per
 * function, and every S3 and SQS request by the function or event source that made it (each has
 * AWS clients of its own that carry its name in the User-Agent, which the stack's request meter
 * reads).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createS3Client, createSqsClient, type Env } from '../lib/aws/clients.js';
import { functionTimeoutSeconds, strataResources } from '../lib/aws/resources.js';
import { jsonLogger, type LogLevel } from '../lib/log/logger.js';
import { bootstrapResources, type BootstrappedResources } from '../lib/local/bootstrap.js';
import type { RequestCount } from '../lib/local/request-meter.js';
import { lambdaRunnerSettings, newInvocationStats, portableContext, startQueueRunner, type InvocationStats, type QueueRunner } from '../lib/local/runner.js';
import { startSchedule, type Schedule } from '../lib/local/scheduler.js';
import { startEmbeddedStack, type EmbeddedStack } from '../lib/local/stack.js';
import { levelOfJobGroup } from '../lib/plan/dispatch.js';
import type { FunctionWorkerData, FunctionWorkerMessage, FunctionWorkerRequest, FunctionWorkerStats, InvokedFunctionName } from './function-worker.js';

export interface LocalPipelineOptions {
  /** S3 and SQS port; 0 picks a free one. Default 4566. */
  port?: number;
  /** Ingest port; 0 picks a free one. Default 8080. */
  ingestPort?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Resource name prefix strata-<stage>-…; default dev. */
  stage?: string;
  /** Default 60. */
  tickSeconds?: number;
  /** Only S3 and SQS: no ingest, planner, compactor or tick. */
  stackOnly?: boolean;
  /**
   * Worker threads the compactor's L0→L1 jobs are spread over. Default: one per core, at most 4
   * (defaultCompactorThreads).
   */
  compactorThreads?: number;
  /** Worker threads, at a lower priority, for the compactor's merges (level 2 and up). Default 1. */
  mergeThreads?: number;
  /**
   * What the functions read (STRATA_RULES, STRATA_REMOTE_WRITE_URL, limits, shard count, …). The
   * stack's AWS_* variables and the resource variables are added to it.
   */
  env?: Env;
  /** The functions' JSON log lines, from every thread, go to `write`. */
  log: { level: LogLevel; write(line: string): void };
}

/** The functions of serverless.yml, by the names the bill uses. */
export type FunctionName = 'ingest' | 'planner' | 'compactor' | 'tick';

export interface MeteredFunction extends InvocationStats {
  /** CPU time of the function's thread, ms (see cli/function-worker.ts). */
  cpuMs: number;
}

export interface PipelineUsage {
  functions: Record<FunctionName, MeteredFunction>;
  /** ReceiveMessage calls of the planner's and compactor's event sources that came back empty (idle polling). */
  emptyReceives: Record<QueueFunctionName, number>;
  /** Every request the stack served, by caller (`strata-<function>`, `strata-<function>-event-source`, or other). */
  requests: RequestCount[];
}

export interface LocalPipeline {
  /** e.g. http://127.0.0.1:4566. */
  endpoint: string;
  region: string;
  resources: BootstrappedResources;
  /** The variables that point the AWS SDK, the CLI and Strata's functions at the stack. */
  env: Record<string, string>;
  /** Absent with stackOnly. */
  ingestUrl?: string;
  /** The threads the compactor runs its L0→L1 jobs on, and its merges on; absent with stackOnly. */
  compactorThreads?: number;
  mergeThreads?: number;
  usage(): Promise<PipelineUsage>;
  stop(): Promise<void>;
}

export class IngestListenError extends Error {
  override readonly name = 'IngestListenError';
}

export class FunctionWorkerError extends Error {
  override readonly name = 'FunctionWorkerError';
  /** The Node error code of a start-up failure (EADDRINUSE, …), when it had one. */
  readonly code: string | undefined;

  constructor(message: string, options?: ErrorOptions & { code?: string | undefined }) {
    super(message, options);
    this.code = options?.code;
  }
}

/** Start-up failures of the ingest server that another --ingest-port mends. */
const listenErrorCodes = new Set(['EADDRINUSE', 'EACCES']);

/** The User-Agent application id of each function's AWS clients (see request-meter.ts). */
export const callerIds = {
  ingest: 'strata-ingest',
  planner: 'strata-planner',
  compactor: 'strata-compactor',
  tick: 'strata-tick',
} as const satisfies Record<FunctionName, string>;

/** The same for the SQS client of each queue-driven function's event source (Lambda's pollers). */
export const eventSourceCallerIds = {
  planner: 'strata-planner-event-source',
  compactor: 'strata-compactor-event-source',
} as const;

type QueueFunctionName = keyof typeof eventSourceCallerIds;

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const host = options.host ?? '127.0.0.1';
  const stack = await startEmbeddedStack({ port: options.port ?? 4566, host });
  try {
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: stack.endpoint,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const bootstrapClients = { s3: createS3Client(env), sqs: createSqsClient(env) };
    const resources = await bootstrapResources(bootstrapClients, strataResources(options.stage ?? 'dev')).finally(() => {
      bootstrapClients.s3.destroy();
      bootstrapClients.sqs.destroy();
    });
    env.STRATA_BUCKET = resources.bucket;
    env.STRATA_EVENTS_QUEUE_URL = resources.eventsQueue.url;
    env.STRATA_JOBS_QUEUE_URL = resources.jobsQueue.url;
    const compactorThreads = options.compactorThreads ?? defaultCompactorThreads();
    const mergeThreads = options.mergeThreads ?? 1;
    const functions = options.stackOnly === true ? undefined : await startFunctions(stack, resources, { ...options.env, ...env }, host, { ...options, compactorThreads, mergeThreads });
    return {
      endpoint: stack.endpoint,
      region: stack.region,
      resources,
      env,
      ...(functions?.ingest.url === undefined ? {} : { ingestUrl: functions.ingest.url, compactorThreads, mergeThreads }),
      usage: () => usageOf(stack, functions),
      async stop() {
        await functions?.stop();
        await stack.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

interface RunningFunctions {
  ingest: FunctionWorker;
  planner: FunctionWorker;
  compactor: FunctionWorker;
  tick: FunctionWorker;
  eventSources: Record<QueueFunctionName, QueueRunner>;
  schedule: Schedule;
  stop(): Promise<void>;
}

async function startFunctions(stack: EmbeddedStack, resources: BootstrappedResources, env: Env, host: string, options: LocalPipelineOptions & { compactorThreads: number; mergeThreads: number }): Promise<RunningFunctions> {
  const logger = jsonLogger(options.log);
  const envOf = (caller: string): Env => ({ ...env, AWS_SDK_UA_APP_ID: caller });
  const started: Array<{ stop(): Promise<void> }> = [];
  const worker = async (data: FunctionWorkerData) => {
    const one = await startFunctionWorker(data, options.log.write);
    started.push(one);
    return one;
  };
  try {
    const ingestPort = options.ingestPort ?? 8080;
    const ingest = await worker({ functionName: 'ingest', env: envOf(callerIds.ingest), logLevel: options.log.level, host, port: ingestPort, bucket: resources.bucket }).catch((error: unknown) => {
      if (error instanceof FunctionWorkerError && listenErrorCodes.has(error.code ?? '')) {
        throw new IngestListenError(`cannot serve ingest on ${host}:${ingestPort} (${error.message})`, { cause: error });
      }
      throw error;
    });
    const invoked = (functionName: InvokedFunctionName, nice?: number) => worker({ functionName, env: envOf(callerIds[functionName]), logLevel: options.log.level, ...(nice === undefined ? {} : { nice }) });
    const planner = await invoked('planner');
    const threads = (count: number, nice?: number) => Array.from({ length: count }, () => () => invoked('compactor', nice));
    const [l1Threads, mergeThreads] = await Promise.all([startAll(threads(options.compactorThreads)), startAll(threads(options.mergeThreads, mergeThreadNice))]);
    const compactor = compactorPools(workerPool(l1Threads), workerPool(mergeThreads));
    const tick = await invoked('tick');
    // The event source settings serverless.yml gives the functions (lib/aws/resources.ts).
    const eventSource = async (functionName: QueueFunctionName, queueUrl: string, target: FunctionWorker) => {
      const sqs = createSqsClient(envOf(eventSourceCallerIds[functionName]));
      const runner = await startQueueRunner({
        ...lambdaRunnerSettings(functionName),
        sqs,
        queueUrl,
        handler: (event, context) => target.invoke<SQSBatchResponse>(event, context),
        logger,
      }).catch((error: unknown) => {
        sqs.destroy();
        throw error;
      });
      const stoppable = { stats: runner.stats, stop: () => runner.stop().finally(() => sqs.destroy()) };
      started.unshift(stoppable);
      return stoppable;
    };
    const eventSources = { planner: await eventSource('planner', resources.eventsQueue.url, planner), compactor: await eventSource('compactor', resources.jobsQueue.url, compactor) };
    const schedule = startSchedule({
      handler: (event, context) => tick.invoke(event, context),
      intervalMs: (options.tickSeconds ?? 60) * 1000,
      name: `strata-${options.stage ?? 'dev'}-tick`,
      functionName: 'tick',
      region: stack.region,
      timeoutMs: functionTimeoutSeconds.tick * 1000,
      logger,
    });
    return {
      ingest,
      planner,
      compactor,
      tick,
      eventSources,
      schedule,
      async stop() {
        // What invokes the functions first, so that the invocations in flight can finish.
        await Promise.all([schedule.stop(), eventSources.planner.stop(), eventSources.compactor.stop()]);
        await Promise.all([ingest.stop(), planner.stop(), compactor.stop(), tick.stop()]);
      },
    };
  } catch (error) {
    for (const one of started) await one.stop();
    throw error;
  }
}

/**
 * On Lambda every concurrent invocation has an execution environment and CPU of its own; one thread
 * would make a long compaction hold up every other job of the machine. A few threads, not one per
 * invocation: each imports every module and the SDK.
 */
export function defaultCompactorThreads(): number {
  return Math.min(4, availableParallelism());
}

/**
 * The nice value of the merge threads. Each invocation on Lambda has a CPU of its own; here merges
 * and L0→L1 jobs share the cores, and compaction lag waits on the L0→L1 jobs alone: a merge's
 * sources are already compacted and exported, and it can wait. Linux's scheduler weighs nice 10
 * at 110 against 1024 for nice 0: sharing a core with a busy L0→L1 thread, a merge thread gets
 * about a tenth of it, and all the CPU the others leave.
 */
const mergeThreadNice = 10;

/**
 * The compactor of `strata dev`: each invocation (one job message: the event source's batch size is
 * 1) goes to the merge threads when its message group carries merges (lib/plan/dispatch.ts,
 * jobGroupId), to the L0→L1 threads otherwise.
 */
export function compactorPools(l1: FunctionWorker, merges: FunctionWorker): FunctionWorker {
  const both = workerPool([l1, merges]);
  return { ...both, invoke: (event, context) => (carriesMerges(event) ? merges : l1).invoke(event, context) };
}

function carriesMerges(event: unknown): boolean {
  const records = (event as Partial<SQSEvent>).Records ?? [];
  return records.length > 0 && records.every((record) => (levelOfJobGroup(record.attributes?.MessageGroupId ?? '') ?? 1) >= 2);
}

/**
 * Starts them all at once, and waits for every one to start or fail before throwing the first
 * failure, so that the caller's clean-up stops each that started.
 */
async function startAll(starts: Array<() => Promise<FunctionWorker>>): Promise<FunctionWorker[]> {
  const settled = await Promise.allSettled(starts.map((start) => start()));
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<FunctionWorker>).value);
}

/**
 * Threads running the same function as one: each invocation goes to the thread with the fewest in
 * flight (the first of them on a tie); the CPU time is theirs together.
 */
export function workerPool(workers: FunctionWorker[]): FunctionWorker {
  const inFlight = workers.map(() => 0);
  return {
    url: undefined,
    async invoke<Result>(event: unknown, context: Context) {
      const chosen = inFlight.indexOf(Math.min(...inFlight));
      inFlight[chosen]!++;
      try {
        return await workers[chosen]!.invoke<Result>(event, context);
      } finally {
        inFlight[chosen]!--;
      }
    },
    async stats() {
      const all = await Promise.all(workers.map((one) => one.stats()));
      return { cpuMs: all.reduce((sum, one) => sum + one.cpuMs, 0) };
    },
    async stop() {
      await Promise.all(workers.map((one) => one.stop()));
    },
  };
}

export interface FunctionWorker {
  url: string | undefined;
  /** Runs the function's handler in its thread; rejects with what the handler threw. */
  invoke<Result>(event: unknown, context: Context): Promise<Result>;
  stats(): Promise<FunctionWorkerStats>;
  stop(): Promise<void>;
}

/**
 * Starts cli/function-worker.ts in a worker thread. Worker threads do not inherit the TypeScript
 * loader the CLI runs under (tsx), so the worker registers it before importing its module.
 */
async function startFunctionWorker(data: FunctionWorkerData, writeLine: (line: string) => void): Promise<FunctionWorker> {
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./function-worker.ts', import.meta.url).href);
  const worker = new Worker(`import(${loader}).then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, workerData: data });
  const waiting = new Map<FunctionWorkerMessage['type'], Array<(message: FunctionWorkerMessage) => void>>();
  const next = <T extends FunctionWorkerMessage['type']>(type: T) =>
    new Promise<Extract<FunctionWorkerMessage, { type: T }>>((resolve) => {
      waiting.set(type, [...(waiting.get(type) ?? []), resolve as (message: FunctionWorkerMessage) => void]);
    });
  const invocations = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  let lastInvocation = 0;
  worker.on('message', (message: FunctionWorkerMessage) => {
    if (message.type === 'log') {
      writeLine(message.line);
      return;
    }
    if (message.type === 'invoked') {
      const invocation = invocations.get(message.id);
      invocations.delete(message.id);
      if ('error' in message) invocation?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      else invocation?.resolve(message.result);
      return;
    }
    const [first, ...rest] = waiting.get(message.type) ?? [];
    waiting.set(message.type, rest);
    first?.(message);
  });
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', (error) => {
      jsonLogger({ write: writeLine }).error('function worker failed', { functionName: data.functionName, error });
      reject(new FunctionWorkerError(`the ${data.functionName} worker failed: ${error.message}`, { cause: error }));
    });
    worker.once('exit', (code) => reject(new FunctionWorkerError(`the ${data.functionName} worker exited with code ${code}`)));
  });
  failed.catch(() => undefined);
  const startup = await Promise.race([next('ready'), next('failed'), failed]);
  if (startup.type === 'failed') {
    await worker.terminate();
    throw new FunctionWorkerError(startup.message, { code: startup.code });
  }
  const send = (request: FunctionWorkerRequest) => worker.postMessage(request);
  let stopped: Promise<void> | undefined;
  return {
    url: startup.url,
    invoke<Result>(event: unknown, context: Context) {
      const id = ++lastInvocation;
      const result = new Promise<Result>((resolve, reject) => invocations.set(id, { resolve: resolve as (result: unknown) => void, reject }));
      send({ type: 'invoke', id, event, context: portableContext(context) });
      return Promise.race([result, failed]);
    },
    async stats() {
      const answer = next('stats');
      send({ type: 'stats' });
      return (await Promise.race([answer, failed])).stats;
    },
    stop() {
      stopped ??= (async () => {
        const done = next('stopped');
        send({ type: 'stop' });
        await Promise.race([done, failed]).catch(() => undefined);
        await worker.terminate();
      })();
      return stopped;
    },
  };
}

async function usageOf(stack: EmbeddedStack, functions: RunningFunctions | undefined): Promise<PipelineUsage> {
  const idle: FunctionWorkerStats = { cpuMs: 0 };
  const [ingest, planner, compactor, tick] =
    functions === undefined ? [idle, idle, idle, idle] : await Promise.all([functions.ingest.stats(), functions.planner.stats(), functions.compactor.stats(), functions.tick.stats()]);
  const metered = (invocations: InvocationStats | undefined, { cpuMs }: FunctionWorkerStats): MeteredFunction => {
    const { invocations: count, billedMs } = invocations ?? newInvocationStats();
    return { invocations: count, billedMs, cpuMs };
  };
  return {
    functions: {
      ingest: metered(ingest.invocations, ingest),
      planner: metered(functions?.eventSources.planner.stats, planner),
      compactor: metered(functions?.eventSources.compactor.stats, compactor),
      tick: metered(functions?.schedule.stats, tick),
    },
    emptyReceives: { planner: functions?.eventSources.planner.stats.emptyReceives ?? 0, compactor: functions?.eventSources.compactor.stats.emptyReceives ?? 0 },
    requests: stack.requests.snapshot(),
  };
}
