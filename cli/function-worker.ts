/**
 * One function of `strata dev` in a worker thread of its own (cli/pipeline.ts), as Lambda gives each
 * function execution environments of its own: the ingest server, or the planner's, compactor's or
 * tick's handler. A long compaction then never holds up ingest, the pipeline can use more than one
 * core, and each function's CPU time can be told apart.
 *
 * The planner's and compactor's event sources (the local runner polling their queues) and the
 * tick's schedule run in the main thread, as Lambda's pollers and EventBridge are not part of the
 * function: they post each event here and get the handler's result back, so this thread does only
 * what the function does.
 *
 * Log lines go to the parent, which writes them. The parent asks for the thread's CPU time (and
 * ingest's invocation stats) and stops the worker by message.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { createCompactorHandler } from '../functions/compactor.js';
import { createPlannerHandler } from '../functions/planner.js';
import { createTickHandler } from '../functions/tick.js';
import { createS3Client, type Env } from '../lib/aws/clients.js';
import { DirectS3ObjectStore } from '../lib/aws/s3-direct.js';
import { ingestConfigFromEnv } from '../lib/ingest/config.js';
import { startIngestServer } from '../lib/ingest/server.js';
import { contextOf, newInvocationStats, recordInvocation, type InvocationStats, type PortableContext } from '../lib/local/runner.js';
import { lowerThreadPriority } from '../lib/local/thread-priority.js';
import { jsonLogger, type LogLevel } from '../lib/log/logger.js';

export type FunctionWorkerData = {
  /** The function's environment; its AWS clients name it with AWS_SDK_UA_APP_ID. */
  env: Env;
  logLevel: LogLevel;
} & ({ functionName: 'ingest'; host: string; port: number; bucket: string } | InvokedFunctionData);

interface InvokedFunctionData {
  functionName: InvokedFunctionName;
  /** The thread's nice value, to run it below the others (lib/local/thread-priority.ts). */
  nice?: number;
}

/** The functions invoked with an event (by their event source or schedule), not over HTTP. */
export type InvokedFunctionName = 'planner' | 'compactor' | 'tick';

export interface FunctionWorkerStats {
  /**
   * Ingest's invocations, timed here since its requests arrive in this thread; the invoked
   * functions are timed where they are invoked.
   */
  invocations?: InvocationStats;
  /**
   * CPU time of this thread since it was ready, ms: the function's own work, without loading its
   * modules (on Linux from /proc/thread-self; elsewhere the time its event loop was busy, which also
   * counts waiting for a CPU on a loaded machine).
   */
  cpuMs: number;
}

export type FunctionWorkerRequest =
  | { type: 'invoke'; id: number; event: unknown; context: PortableContext }
  | { type: 'stats' }
  | { type: 'stop' };

export type FunctionWorkerMessage =
  | { type: 'ready'; url?: string }
  /** `code` is the Node error code (EADDRINUSE, …) when there is one. */
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; line: string }
  /** The handler's result, or what it threw (as name and message: errors lose their class between threads). */
  | { type: 'invoked'; id: number; result: unknown }
  | { type: 'invoked'; id: number; error: { name: string; message: string } }
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
  // Start-up (compiling the TypeScript, importing the SDK) is not an invocation's work.
  const cpuAtReady = threadCpuMs();
  port.on('message', (request: FunctionWorkerRequest) => {
    if (request.type === 'invoke') {
      running.invoke(request.event, contextOf(request.context)).then(
        (result) => post({ type: 'invoked', id: request.id, result }),
        (error: unknown) => post({ type: 'invoked', id: request.id, error: { name: (error as Error).name, message: (error as Error).message } }),
      );
    } else if (request.type === 'stats') {
      post({ type: 'stats', stats: { ...running.stats(), cpuMs: threadCpuMs() - cpuAtReady } });
    } else {
      void running.stop().then(() => {
        post({ type: 'stopped' });
        port.close();
      });
    }
  });
  post({ type: 'ready', ...(running.url === undefined ? {} : { url: running.url }) });
}

interface RunningFunction {
  url?: string;
  invoke(event: unknown, context: Context): Promise<unknown>;
  stats(): Omit<FunctionWorkerStats, 'cpuMs'>;
  stop(): Promise<void>;
}

async function start(): Promise<RunningFunction> {
  if (data.functionName === 'ingest') {
    const store = new DirectS3ObjectStore(createS3Client(data.env), data.bucket);
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
      invoke: () => Promise.reject(new Error('ingest is invoked over HTTP')),
      stats: () => ({ invocations: { ...meter.stats } }),
      async stop() {
        await server.stop();
        store.destroy();
        meter.stop();
      },
    };
  }
  if (data.nice !== undefined) {
    const lowered = lowerThreadPriority(data.nice);
    if (lowered === undefined) functionLogger.warn('cannot lower this thread\'s priority here (per-thread nice values need Linux): it runs at the same priority as the others', { nice: data.nice });
    else functionLogger.debug('thread priority lowered', { threadId: lowered.threadId, nice: lowered.nice });
  }
  const options = { env: data.env, logger: functionLogger };
  const handler = { planner: createPlannerHandler, compactor: createCompactorHandler, tick: createTickHandler }[data.functionName](options);
  return {
    invoke: (event, context) => handler(event as never, context),
    stats: () => ({}),
    stop: async () => undefined,
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
