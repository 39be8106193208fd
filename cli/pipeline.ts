/**
 * The whole pipeline on one machine, as `strata dev` runs it: the embedded stack bootstrapped with
 * Strata's resources, in this thread; the ingest server, and the planner and compactor driven from
 * their queues by the local runner with the event source settings serverless.yml gives them, each
 * in a worker thread of its own (cli/function-worker.ts); the tick on a schedule. The handlers are
 * the very ones deployed to Lambda.
 *
 * It also keeps what a Lambda bill is made of: invocations, their duration and CPU time per
 * function, and every S3 and SQS request by the function that made it (each function's AWS clients
 * carry its name in the User-Agent, which the stack's request meter reads).
 */
import { Worker } from 'node:worker_threads';
import { createTickHandler } from '../functions/tick.js';
import { createS3Client, createSqsClient, type Env } from '../lib/aws/clients.js';
import { functionTimeoutSeconds, strataResources } from '../lib/aws/resources.js';
import { jsonLogger, type LogLevel } from '../lib/log/logger.js';
import { bootstrapResources, type BootstrappedResources } from '../lib/local/bootstrap.js';
import type { RequestCount } from '../lib/local/request-meter.js';
import { lambdaRunnerSettings, newInvocationStats, type InvocationStats, type RunnerStats } from '../lib/local/runner.js';
import { startSchedule, type Schedule } from '../lib/local/scheduler.js';
import { startEmbeddedStack, type EmbeddedStack } from '../lib/local/stack.js';
import type { FunctionWorkerData, FunctionWorkerMessage, FunctionWorkerRequest, FunctionWorkerStats } from './function-worker.js';

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
  /**
   * CPU time of the function's thread, ms (see cli/function-worker.ts). The tick shares the main
   * thread with the stack, so its duration stands for its CPU time.
   */
  cpuMs: number;
}

export interface PipelineUsage {
  functions: Record<FunctionName, MeteredFunction>;
  /** The planner's and compactor's event source: polls, and how many of them came back empty. */
  eventSources: Record<'planner' | 'compactor', Pick<RunnerStats, 'receives' | 'emptyReceives' | 'messages' | 'failedMessages'>>;
  /** Every request the stack served, by caller (`strata-<function>`, `strata-event-source`, or other). */
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
  eventSource: 'strata-event-source',
} as const;

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
    const functions = options.stackOnly === true ? undefined : await startFunctions(stack, resources, { ...options.env, ...env }, host, options);
    return {
      endpoint: stack.endpoint,
      region: stack.region,
      resources,
      env,
      ...(functions?.ingest.url === undefined ? {} : { ingestUrl: functions.ingest.url }),
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
  tick: Schedule;
  stop(): Promise<void>;
}

async function startFunctions(stack: EmbeddedStack, resources: BootstrappedResources, env: Env, host: string, options: LocalPipelineOptions): Promise<RunningFunctions> {
  const logger = jsonLogger(options.log);
  const envOf = (caller: string): Env => ({ ...env, AWS_SDK_UA_APP_ID: caller });
  const started: FunctionWorker[] = [];
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
    // The event source settings serverless.yml gives the functions (lib/aws/resources.ts).
    const queueWorker = (functionName: 'planner' | 'compactor', runner: Extract<FunctionWorkerData, { runner: unknown }>['runner']) =>
      worker({ functionName, env: envOf(callerIds[functionName]), eventSourceEnv: envOf(callerIds.eventSource), logLevel: options.log.level, runner });
    const planner = await queueWorker('planner', { queueUrl: resources.eventsQueue.url, ...lambdaRunnerSettings('planner') });
    const compactor = await queueWorker('compactor', { queueUrl: resources.jobsQueue.url, ...lambdaRunnerSettings('compactor') });
    const tick = startSchedule({
      handler: createTickHandler({ env: envOf(callerIds.tick), logger: logger.child({ function: 'tick' }) }),
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
      async stop() {
        await tick.stop();
        await Promise.all([ingest.stop(), planner.stop(), compactor.stop()]);
      },
    };
  } catch (error) {
    await Promise.all(started.map((one) => one.stop()));
    throw error;
  }
}

interface FunctionWorker {
  url: string | undefined;
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
  worker.on('message', (message: FunctionWorkerMessage) => {
    if (message.type === 'log') {
      writeLine(message.line);
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
  const idle: FunctionWorkerStats = { invocations: newInvocationStats(), cpuMs: 0 };
  const [ingest, planner, compactor] = functions === undefined ? [idle, idle, idle] : await Promise.all([functions.ingest.stats(), functions.planner.stats(), functions.compactor.stats()]);
  const usage = ({ invocations, cpuMs }: FunctionWorkerStats): MeteredFunction => ({ invocations: invocations.invocations, billedMs: invocations.billedMs, maxMs: invocations.maxMs, cpuMs });
  const tick = functions?.tick.stats ?? newInvocationStats();
  const source = ({ eventSource }: FunctionWorkerStats) => ({
    receives: eventSource?.receives ?? 0,
    emptyReceives: eventSource?.emptyReceives ?? 0,
    messages: eventSource?.messages ?? 0,
    failedMessages: eventSource?.failedMessages ?? 0,
  });
  return {
    functions: { ingest: usage(ingest), planner: usage(planner), compactor: usage(compactor), tick: { ...tick, cpuMs: tick.billedMs } },
    eventSources: { planner: source(planner), compactor: source(compactor) },
    requests: stack.requests.snapshot(),
  };
}
