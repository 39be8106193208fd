/**
 * The whole pipeline in this process, wired as `strata dev` wires it (cli/commands/dev.ts): the
 * embedded stack bootstrapped with Strata's resources, the ingest server, the real planner handler
 * on the events queue and the real tick handler on a schedule, all configured from one environment.
 *
 * The compactor is the one difference: its handler does what functions/compactor.ts does (parse the
 * message, `compactJob` with the environment's dependencies, fail the message on error) but can be
 * told, per tenant, to misbehave on its next L0→L1 job:
 *
 * - `crash-after-send`: the process "dies" right after the receiver accepted the export: from that
 *   moment every storage call fails (no `delivered` watermark, no lease release) and the message is
 *   not acknowledged, so SQS redelivers it after the jobs queue's visibility timeout (shortened
 *   here to a few seconds; Lambda's is 6× the function timeout). The crashed sender's lease is
 *   shortened too (`crashLeaseMs`), so that the tick can take over within the test's time.
 * - `run-twice`: the same job is run by two invocations at once (a message received twice).
 *
 * Every invocation's outcome is recorded in `outcomes`.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ObjectStore } from '../../lib/aws/contract.js';
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { strataResources } from '../../lib/aws/resources.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { compactJob, type CompactOutcome, type CompactorDeps, type JobRequest } from '../../lib/compact/job.js';
import { ingestConfigFromEnv } from '../../lib/ingest/config.js';
import { startIngestServer } from '../../lib/ingest/server.js';
import { bootstrapResources } from '../../lib/local/bootstrap.js';
import { lambdaRunnerSettings, startQueueRunner } from '../../lib/local/runner.js';
import { startSchedule } from '../../lib/local/scheduler.js';
import { startEmbeddedStack } from '../../lib/local/stack.js';
import { jsonLogger } from '../../lib/log/logger.js';
import { readJobSpec } from '../../lib/plan/commit.js';
import { jobGroupId, jobMessageBody, parseJobMessage } from '../../lib/plan/dispatch.js';
import { compactorDeps } from '../../functions/compactor.js';
import { createPlannerHandler } from '../../functions/planner.js';
import { createTickHandler } from '../../functions/tick.js';
import { interceptStore } from './store-intercept.js';

export type CompactorFault = 'crash-after-send' | 'run-twice';

export interface InvocationOutcome {
  tenant: string;
  shard: number;
  jobId: string;
  receiveCount: number;
  fault?: CompactorFault;
  /** One per run (two for run-twice). */
  results: Array<CompactOutcome | { outcome: 'crashed' } | { outcome: 'error'; message: string }>;
}

export interface InProcessPipeline {
  ingestUrl: string;
  store: S3ObjectStore;
  outcomes: InvocationOutcome[];
  /** Arms a fault for one L0→L1 job of the tenant: the next one it applies to. */
  arm(tenant: string, fault: CompactorFault): void;
  /** The invocation in which the tenant's fault fired, once it has. */
  fired(tenant: string, fault: CompactorFault): InvocationOutcome | undefined;
  /** Sends a job message again (another deduplication id), as a redelivery or re-dispatch would. */
  sendJobAgain(tenant: string, shard: number, level: number, jobId: string): Promise<void>;
  stop(): Promise<void>;
}

class Crash extends Error {
  override name = 'Crash';
}

export interface InProcessOptions {
  rulesPath: string;
  remoteWriteUrl: string;
  /** Extra STRATA_* settings. */
  env?: Record<string, string>;
  /** Jobs queue visibility timeout, seconds (a crashed job's message comes back after it). Default 3. */
  jobsVisibilitySeconds?: number;
  /** The crashed sender's lease on delivery.json. Default 4 s. */
  crashLeaseMs?: number;
  tickMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export async function startInProcessPipeline(options: InProcessOptions): Promise<InProcessPipeline> {
  const stack = await startEmbeddedStack({ port: 0 });
  const base = strataResources('e2e');
  const resources = { ...base, jobsQueue: { ...base.jobsQueue, visibilityTimeoutSeconds: options.jobsVisibilitySeconds ?? 3 } };
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: stack.endpoint,
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  const s3 = createS3Client(env);
  const sqs = createSqsClient(env);
  const bootstrapped = await bootstrapResources({ s3, sqs }, resources);
  Object.assign(env, {
    STRATA_BUCKET: bootstrapped.bucket,
    STRATA_EVENTS_QUEUE_URL: bootstrapped.eventsQueue.url,
    STRATA_JOBS_QUEUE_URL: bootstrapped.jobsQueue.url,
    STRATA_RULES: options.rulesPath,
    STRATA_REMOTE_WRITE_URL: options.remoteWriteUrl,
    ...options.env,
  });
  const logger = jsonLogger({ level: options.logLevel ?? 'error' });
  const store = new S3ObjectStore(s3, bootstrapped.bucket);
  const ingest = await startIngestServer({ port: 0, store, config: ingestConfigFromEnv(env), logger: logger.child({ function: 'ingest' }) });

  const faults = new Map<string, CompactorFault>();
  const outcomes: InvocationOutcome[] = [];
  const compactorLogger = logger.child({ function: 'compactor' });
  let deps: CompactorDeps | undefined;
  const compactorHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    deps ??= compactorDeps({ env, logger: compactorLogger });
    const failed: string[] = [];
    for (const record of event.Records) {
      if (failed.length > 0) {
        failed.push(record.messageId);
        continue;
      }
      const message = parseJobMessage(record.body);
      const request: JobRequest = { tenant: message.tenant, shard: message.shard, jobId: message.jobId, receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1 };
      const outcome: InvocationOutcome = { tenant: request.tenant, shard: request.shard, jobId: request.jobId, receiveCount: request.receiveCount, results: [] };
      outcomes.push(outcome);
      // A fault is claimed before anything is awaited, so that of the tenant's jobs running at once
      // (one per shard) only one gets it; it is armed again if it did not fire.
      const fault = faults.get(request.tenant);
      if (fault !== undefined) faults.delete(request.tenant);
      let fired = false;
      try {
        const spec = fault === undefined ? undefined : await readJobSpec(deps.store, request.tenant, request.shard, request.jobId);
        if (fault === 'run-twice' && spec?.level === 1) {
          fired = true;
          outcome.fault = fault;
          outcome.results = await Promise.all([run(deps, request), run(deps, request)]);
        } else if (fault === 'crash-after-send' && spec?.level === 1) {
          const crashed = await crashAfterSend(deps, request, options.crashLeaseMs ?? 4_000);
          if (crashed.crashed) {
            fired = true;
            outcome.fault = fault;
            outcome.results = [{ outcome: 'crashed' }];
            throw new Crash('the compactor crashed after the send');
          }
          // Nothing was sent by this job (the tick delivered first): the fault waits for another job.
          outcome.results = [crashed.result];
        } else {
          outcome.results = [await compactJob(deps, request)];
        }
      } catch (error) {
        if (!(error instanceof Crash)) outcome.results.push({ outcome: 'error', message: (error as Error).message });
        failed.push(record.messageId);
      } finally {
        if (fault !== undefined && !fired && !faults.has(request.tenant)) faults.set(request.tenant, fault);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

  const plannerRunner = await startQueueRunner({
    sqs,
    queueUrl: bootstrapped.eventsQueue.url,
    handler: createPlannerHandler({ env, logger: logger.child({ function: 'planner' }) }),
    ...lambdaRunnerSettings('planner'),
    logger,
  });
  const compactorRunner = await startQueueRunner({
    sqs,
    queueUrl: bootstrapped.jobsQueue.url,
    handler: compactorHandler,
    ...lambdaRunnerSettings('compactor'),
    logger,
  });
  const tick = startSchedule({
    handler: createTickHandler({ env, logger: logger.child({ function: 'tick' }) }),
    intervalMs: options.tickMs ?? 1000,
    name: 'strata-e2e-tick',
    functionName: 'tick',
    logger,
  });

  return {
    ingestUrl: ingest.url,
    store,
    outcomes,
    arm: (tenant, fault) => void faults.set(tenant, fault),
    fired: (tenant, fault) => outcomes.find((outcome) => outcome.tenant === tenant && outcome.fault === fault),
    async sendJobAgain(tenant, shard, level, jobId) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: bootstrapped.jobsQueue.url,
          MessageBody: jobMessageBody(tenant, shard, jobId),
          MessageGroupId: jobGroupId(tenant, shard, level),
          MessageDeduplicationId: `${jobId}.again`,
        }),
      );
    },
    async stop() {
      await tick.stop();
      await Promise.all([plannerRunner.stop(), compactorRunner.stop(), ingest.stop()]);
      s3.destroy();
      sqs.destroy();
      await stack.stop();
    },
  };
}

async function run(deps: CompactorDeps, request: JobRequest): Promise<CompactOutcome | { outcome: 'error'; message: string }> {
  try {
    return await compactJob(deps, request);
  } catch (error) {
    return { outcome: 'error', message: (error as Error).message };
  }
}

/**
 * Runs the job with a store that dies once the remote-write client has had a 2xx for the job's
 * first export request. `crashed` is false when nothing was sent (another sender held the lease).
 */
async function crashAfterSend(deps: CompactorDeps, request: JobRequest, leaseMs: number): Promise<{ crashed: true } | { crashed: false; result: CompactOutcome }> {
  const delivery = deps.delivery;
  if (delivery === undefined) throw new Error('crash-after-send needs STRATA_REMOTE_WRITE_URL');
  let dead = false;
  const store = dyingStore(deps.store, () => dead);
  const client = {
    send: async (...args: Parameters<typeof delivery.client.send>) => {
      if (dead) throw new Crash('dead');
      await delivery.client.send(...args);
      dead = true;
      throw new Crash('the process died after the receiver accepted the write');
    },
  };
  const result = await compactJob({ ...deps, store, delivery: { ...delivery, client, leaseMs, marginMs: 1_000 } }, request);
  return dead ? { crashed: true } : { crashed: false, result };
}

function dyingStore(store: ObjectStore, dead: () => boolean): ObjectStore {
  return interceptStore(store, (_call, run) => {
    if (dead()) throw new Crash('the process is dead');
    return run();
  });
}
