/**
 * One function of `strata dev` in a worker thread of its own (cli/pipeline.ts), as Lambda gives each
 * function execution environments of its own: the ingest server, or the planner or compactor with
 * the local runner feeding it from its queue. A long compaction then never holds up ingest, the
 * pipeline can use more than one core, and each function's CPU time can be told apart.
 *
 * Log lines go to the parent, which writes them. The parent asks for the function's invocation
 * stats and stops the worker by message.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { createCompactorHandler } from '../functions/compactor.js';
import { createPlannerHandler } from '../functions/planner.js';
import { createS3Client, createSqsClient, type Env } from '../lib/aws/clients.js';
import { S3Direct } from '../lib/aws/s3-direct.js';
import { ingestConfigFromEnv } from '../lib/ingest/config.js';
import { startIngestServer } from '../lib/ingest/server.js';
import { newInvocationStats, recordInvocation, startQueueRunner, type InvocationStats, type QueueRunnerOptions, type RunnerStats } from '../lib/local/runner.js';
import { jsonLogger, type LogLevel } from '../lib/log/logger.js';

export type FunctionWorkerData = {
  /** The function's environment; its AWS clients name it with AWS_SDK_UA_APP_ID. */
  env: Env;
  logLevel: LogLevel;
} & (
  | { functionName: 'ingest'; host: string; port: number; bucket: string }
  | {
      functionName: 'planner' | 'compactor';
      /** The event source's environment (its own caller id). */
      eventSourceEnv: Env;
      runner: Pick<QueueRunnerOptions, 'queueUrl' | 'batchSize' | 'batchingWindowMs' | 'concurrency' | 'timeoutMs' | 'reportBatchItemFailures'>;
    }
);

export interface FunctionWorkerStats {
  invocations: InvocationStats;
  /** The event source's polls, for a queue-driven function. */
  eventSource?: RunnerStats;
  /**
   * CPU time of this thread, ms: the function's own work (on Linux from /proc/thread-self; elsewhere
   * the time its event loop was busy, which also counts waiting for a CPU on a loaded machine).
   */
  cpuMs: number;
}

export type FunctionWorkerRequest = { type: 'stats' } | { type: 'stop' };

export type FunctionWorkerMessage =
  | { type: 'ready'; url?: string }
  /** `code` is the Node error code (EADDRINUSE, …) when there is one. */
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; line: string }
  | { type: 'stats'; stats: FunctionWorkerStats }
  | { type: 'stopped' };

const data = workerData as FunctionWorkerData;
const port = parentPort!;
const post = (message: FunctionWorkerMessage) => port.postMessage(message);
const logger = jsonLogger({ level: data.logLevel, write: (line) => post({ type: 'log', line }) });
const functionLogger = logger.child({ function: data.functionName });

const running = await start().catch((error: unknown) => {
  const { message, code } = error as NodeJS.ErrnoException;
  post({ type: 'failed', message, ...(code === undefined ? {} : { code }) });
  return undefined;
});
if (running !== undefined) {
  port.on('message', (request: FunctionWorkerRequest) => {
    if (request.type === 'stats') {
      post({ type: 'stats', stats: { ...running.stats(), cpuMs: threadCpuMs() } });
      return;
    }
    void running.stop().then(() => {
      post({ type: 'stopped' });
      port.close();
    });
  });
  post({ type: 'ready', ...(running.url === undefined ? {} : { url: running.url }) });
}

async function start(): Promise<{ url?: string; stats(): Omit<FunctionWorkerStats, 'cpuMs'>; stop(): Promise<void> }> {
  if (data.functionName === 'ingest') {
    const store = new S3Direct(createS3Client(data.env), data.bucket);
    const server = await startIngestServer({
      host: data.host,
      port: data.port,
      store,
      config: ingestConfigFromEnv(data.env),
      logger: functionLogger,
    });
    const meter = meterHttpInvocations();
    return {
      url: server.url,
      stats: () => ({ invocations: { ...meter.stats } }),
      async stop() {
        await server.stop();
        store.destroy();
        meter.stop();
      },
    };
  }
  const handler =
    data.functionName === 'compactor'
      ? createCompactorHandler({ env: data.env, logger: functionLogger })
      : createPlannerHandler({ env: data.env, logger: functionLogger });
  const sqs = createSqsClient(data.eventSourceEnv);
  const runner = await startQueueRunner({ ...data.runner, sqs, handler, functionName: data.functionName, logger });
  return {
    stats: () => {
      const { invocations, billedMs, maxMs } = runner.stats;
      return { invocations: { invocations, billedMs, maxMs }, eventSource: { ...runner.stats } };
    },
    async stop() {
      await runner.stop();
      sqs.destroy();
    },
  };
}

/**
 * Ingest invocations, timed as a Function URL invocation is billed: from the request to the end of
 * the response. Node's http diagnostics channels see the requests of this thread's servers: here,
 * only the ingest server.
 */
function meterHttpInvocations(): { stats: InvocationStats; stop(): void } {
  const stats = newInvocationStats();
  const started = new WeakMap<ServerResponse, number>();
  const onStart = (message: unknown) => started.set((message as { response: ServerResponse }).response, performance.now());
  const onFinish = (message: unknown) => {
    const start = started.get((message as { response: ServerResponse }).response);
    if (start !== undefined) recordInvocation(stats, performance.now() - start);
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);
  return {
    stats,
    stop() {
      unsubscribe('http.server.request.start', onStart);
      unsubscribe('http.server.response.finish', onFinish);
    },
  };
}

/** utime + stime of the calling thread; read synchronously, so on this thread, not libuv's pool. */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5), in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return performance.eventLoopUtilization().active;
  }
}
