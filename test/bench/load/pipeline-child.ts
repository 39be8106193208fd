/**
 * The pipeline under load, a child process of load.bench.ts (IPC): `strata dev`'s own wiring
 * (cli/pipeline.ts) on free ports, its JSON log written to a file. From the log lines the functions
 * write anyway it forwards the compactor's "job done" lines (samples, per-source lag), as one would
 * read them from CloudWatch Logs; on request, the pipeline's usage (invocations, billed duration,
 * S3 and SQS requests) and this process's CPU time. The settings the benchmark judges by (L0 cut,
 * shard count) are read with the functions' own validated config parsers and sent with `ready`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { startLocalPipeline, type PipelineUsage } from '../../../cli/pipeline.js';
import { ingestConfigFromEnv } from '../../../lib/ingest/config.js';
import { plannerConfigFromEnv } from '../../../lib/plan/config.js';
import { leaveParent, serveParent, tellParent } from './ipc.js';

export interface PipelineStart {
  type: 'start';
  logPath: string;
  tickSeconds: number;
  env: Record<string, string>;
}

/** An L0→L1 (or higher) job the compactor committed. */
export interface JobDone {
  at: number;
  level: number;
  samplesOut: number;
  sourceLagsMs: number[];
}

/** The pipeline's settings as its functions read them from the environment. */
export interface PipelineSettings {
  /** The L0 cut by age (STRATA_L0_MAX_AGE_SECONDS). */
  l0MaxAgeMs: number;
  /** The L0 cut by count (STRATA_L0_MAX_SEGMENTS). */
  segmentsPerJob: number;
  /** STRATA_SHARD_COUNT. */
  shardCount: number;
  /** The threads `strata dev` spreads the compactor's invocations over. */
  compactorThreads: number;
  mergeThreads: number;
}

export type PipelineMessage =
  | { type: 'ready'; ingestUrl: string; endpoint: string; env: Record<string, string>; queues: Record<string, string>; settings: PipelineSettings }
  | { type: 'jobs'; jobs: JobDone[] }
  | { type: 'usage'; usage: PipelineUsage; cpuSeconds: number; peakRssBytes: number }
  | { type: 'stopped' };

export type PipelineRequest = PipelineStart | { type: 'usage' } | { type: 'stop' };

let pipeline: Awaited<ReturnType<typeof startLocalPipeline>> | undefined;
let jobs: JobDone[] = [];
let log: WriteStream | undefined;

serveParent('load bench pipeline', handle);

async function handle(message: PipelineRequest): Promise<void> {
  if (message.type === 'start') {
    const file = createWriteStream(message.logPath);
    log = file;
    const write = (line: string) => {
      file.write(line + '\n');
      if (line.includes('"message":"job done"')) collectJob(line);
    };
    const functionEnv = { ...process.env, ...message.env };
    pipeline = await startLocalPipeline({ port: 0, ingestPort: 0, tickSeconds: message.tickSeconds, env: functionEnv, log: { level: 'info', write } });
    const { resources } = pipeline;
    const l0 = plannerConfigFromEnv({ ...functionEnv, ...pipeline.env }).limits.levels[0]!;
    send({
      type: 'ready',
      ingestUrl: pipeline.ingestUrl!,
      endpoint: pipeline.endpoint,
      env: pipeline.env,
      queues: Object.fromEntries(
        [resources.eventsQueue, resources.eventsDeadLetterQueue, resources.jobsQueue, resources.jobsDeadLetterQueue].map((queue) => [queue.name, queue.url]),
      ),
      settings: { l0MaxAgeMs: l0.maxAgeMs, segmentsPerJob: l0.maxItems, shardCount: ingestConfigFromEnv(functionEnv).shardCount, compactorThreads: pipeline.compactorThreads!, mergeThreads: pipeline.mergeThreads! },
    });
    setInterval(() => {
      if (jobs.length === 0) return;
      send({ type: 'jobs', jobs });
      jobs = [];
    }, 1000).unref();
  } else if (message.type === 'usage') {
    const cpu = process.cpuUsage();
    send({ type: 'usage', usage: await pipeline!.usage(), cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
  } else {
    await pipeline?.stop();
    // The benchmark reads the whole log once the pipeline has stopped.
    await new Promise<void>((resolveEnd) => (log === undefined ? resolveEnd() : log.end(resolveEnd)));
    send({ type: 'stopped' });
    leaveParent();
  }
}

function collectJob(line: string): void {
  const entry = JSON.parse(line) as { time: string; outcome?: string; jobLevel?: number; samplesOut?: number; sourceLagsMs?: number[] };
  if (entry.outcome !== 'committed' || entry.jobLevel === undefined) return;
  jobs.push({ at: Date.parse(entry.time), level: entry.jobLevel, samplesOut: entry.samplesOut ?? 0, sourceLagsMs: entry.sourceLagsMs ?? [] });
}

function send(message: PipelineMessage): void {
  tellParent(message);
}
