/**
 * `strata dev`: the whole pipeline on one machine, until Ctrl-C. The embedded stack, bootstrapped
 * with Strata's resources; the ingest server; the planner and compactor driven from their queues
 * by the local runner with Lambda's event source semantics; the tick on a schedule. The handlers
 * are the very ones deployed to Lambda.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCompactorHandler } from '../../functions/compactor.js';
import { createPlannerHandler } from '../../functions/planner.js';
import { createTickHandler } from '../../functions/tick.js';
import { strataResources } from '../../lib/aws/resources.js';
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { ingestConfigFromEnv } from '../../lib/ingest/config.js';
import { startIngestServer } from '../../lib/ingest/server.js';
import { bootstrapResources } from '../../lib/local/bootstrap.js';
import { lambdaRunnerSettings, startQueueRunner } from '../../lib/local/runner.js';
import { startSchedule } from '../../lib/local/scheduler.js';
import { EmbeddedStackStartError, startEmbeddedStack } from '../../lib/local/stack.js';
import { isLogLevel, jsonLogger } from '../../lib/log/logger.js';
import { devFilePath, writeDevFile, type DevFile } from '../context.js';
import { CommandError, integerOption, parseOptions, type Command } from '../usage.js';

export const devCommand: Command = {
  name: 'dev',
  summary: 'run the embedded local stack (S3 + SQS, no Docker)',
  help: `Usage: strata dev [--port 4566] [--ingest-port 8080] [--host 127.0.0.1] [--stage dev]
                  [--rules FILE] [--remote-write-url URL] [--tick-seconds 60] [--stack-only]

Runs the pipeline locally, with no Docker:
  - S3 and SQS endpoints (fauxqs, with conditional writes and bucket notifications added),
    with Strata's bucket, queues, dead-letter queues and the segments/ notification;
  - the ingest endpoint (Prometheus remote write /api/v1/push, Pyroscope /ingest, JSON
    /v1/samples);
  - the planner on the events queue and the compactor on the FIFO jobs queue, invoked as
    Lambda's SQS event source would (batches, partial failures, visibility, DLQ);
  - the tick every --tick-seconds.
Prints the environment that points the AWS SDK and CLI at the stack and writes it to
.strata/dev.json for the other strata commands. Logs are JSON lines. Runs until Ctrl-C.

Options:
  --port N               port for S3 and SQS (default 4566, the same as LocalStack's)
  --ingest-port N        port for ingest (default 8080)
  --host ADDR            interface to listen on (default 127.0.0.1)
  --stage NAME           resource name prefix strata-<stage>-… (default dev)
  --rules FILE           recording rules (sets STRATA_RULES; see docs/rules.md)
  --remote-write-url URL where rule results go (sets STRATA_REMOTE_WRITE_URL)
  --tick-seconds N       tick interval (default 60)
  --stack-only           only S3 and SQS: no ingest, planner, compactor or tick

Other STRATA_* variables (limits, shard count, log level) are read from the environment.`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      port: { type: 'string' },
      'ingest-port': { type: 'string' },
      host: { type: 'string' },
      stage: { type: 'string' },
      rules: { type: 'string' },
      'remote-write-url': { type: 'string' },
      'tick-seconds': { type: 'string' },
      'stack-only': { type: 'boolean' },
    });
    const port = integerOption('port', values.port, 4566, 0, 65535);
    const ingestPort = integerOption('ingest-port', values['ingest-port'], 8080, 0, 65535);
    const tickSeconds = integerOption('tick-seconds', values['tick-seconds'], 60, 1, 3600);
    const host = values.host ?? '127.0.0.1';
    let stack;
    try {
      stack = await startEmbeddedStack({ port, host });
    } catch (error) {
      if (error instanceof EmbeddedStackStartError) {
        throw new CommandError(`${error.message}: is another stack (LocalStack, another strata dev) using it? Stop it or pass --port`);
      }
      throw error;
    }
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: stack.endpoint,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const clientEnv: Record<string, string | undefined> = { ...process.env, ...env };
    const resources = await bootstrapResources(
      { s3: createS3Client(clientEnv), sqs: createSqsClient(clientEnv) },
      strataResources(values.stage ?? 'dev'),
    );
    env.STRATA_BUCKET = resources.bucket;
    env.STRATA_EVENTS_QUEUE_URL = resources.eventsQueue.url;
    env.STRATA_JOBS_QUEUE_URL = resources.jobsQueue.url;
    const devFile: DevFile = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoint: stack.endpoint,
      region: stack.region,
      bucket: resources.bucket,
      queues: {
        events: resources.eventsQueue,
        eventsDeadLetter: resources.eventsDeadLetterQueue,
        jobs: resources.jobsQueue,
        jobsDeadLetter: resources.jobsDeadLetterQueue,
      },
      env,
    };
    const pipeline = values['stack-only'] === true ? undefined : await startPipeline();
    writeDevFile(pipeline === undefined ? devFile : { ...devFile, ingestUrl: pipeline.ingestUrl });
    io.out(`strata dev: S3 and SQS at ${stack.endpoint}
  bucket        ${resources.bucket}
  events queue  ${resources.eventsQueue.url}
  jobs queue    ${resources.jobsQueue.url}${pipeline === undefined ? '' : `
  ingest        ${pipeline.ingestUrl}  (remote write: ${pipeline.ingestUrl}/api/v1/push)
  planner, compactor and tick are running (tick every ${tickSeconds} s)`}
Point the AWS SDK or CLI at it with:
${Object.entries(env).map(([name, value]) => `  export ${name}=${value}`).join('\n')}
Written to ${devFilePath}. Try: strata segment build samples.ndjson && strata put *.seg
Press Ctrl-C to stop.`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await pipeline?.stop();
    await stack.stop();
    rmSync(devFilePath, { force: true });
    io.err('strata dev: stopped');

    async function startPipeline() {
      const pipelineEnv: Record<string, string | undefined> = {
        ...clientEnv,
        ...env,
        ...(values.rules === undefined ? {} : { STRATA_RULES: resolve(values.rules) }),
        ...(values['remote-write-url'] === undefined ? {} : { STRATA_REMOTE_WRITE_URL: values['remote-write-url'] }),
      };
      const logLevel = pipelineEnv.STRATA_LOG_LEVEL ?? 'info';
      if (!isLogLevel(logLevel)) throw new CommandError('STRATA_LOG_LEVEL must be debug, info, warn or error');
      const logger = jsonLogger({ level: logLevel });
      const sqs = createSqsClient(pipelineEnv);
      let ingest;
      try {
        ingest = await startIngestServer({
          host,
          port: ingestPort,
          store: new S3ObjectStore(createS3Client(pipelineEnv), resources.bucket),
          config: ingestConfigFromEnv(pipelineEnv),
          logger: logger.child({ function: 'ingest' }),
        });
      } catch (error) {
        throw new CommandError(`cannot serve ingest on ${host}:${ingestPort} (${(error as Error).message}); pass --ingest-port`);
      }
      // The event source settings serverless.yml gives the functions (lib/aws/resources.ts).
      const planner = await startQueueRunner({
        sqs,
        queueUrl: resources.eventsQueue.url,
        handler: createPlannerHandler({ env: pipelineEnv, logger: logger.child({ function: 'planner' }) }),
        ...lambdaRunnerSettings('planner'),
        logger,
      });
      const compactor = await startQueueRunner({
        sqs,
        queueUrl: resources.jobsQueue.url,
        handler: createCompactorHandler({ env: pipelineEnv, logger: logger.child({ function: 'compactor' }) }),
        ...lambdaRunnerSettings('compactor'),
        logger,
      });
      const tick = startSchedule({
        handler: createTickHandler({ env: pipelineEnv, logger: logger.child({ function: 'tick' }) }),
        intervalMs: tickSeconds * 1000,
        name: 'strata-dev-tick',
        functionName: 'tick',
        logger,
      });
      return {
        ingestUrl: ingest.url,
        async stop() {
          await tick.stop();
          await Promise.all([planner.stop(), compactor.stop(), ingest.stop()]);
          sqs.destroy();
        },
      };
    }
  },
};
