/**
 * `strata dev`: the whole pipeline on one machine, until Ctrl-C (cli/pipeline.ts): the embedded
 * stack, bootstrapped with Strata's resources; the ingest server; the planner and compactor driven
 * from their queues by the local runner with Lambda's event source semantics; the tick on a
 * schedule. The handlers are the very ones deployed to Lambda.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { EmbeddedStackStartError } from '../../lib/local/stack.js';
import { envSettings } from '../../lib/config/env.js';
import { devFilePath, writeDevFile, type DevFile } from '../context.js';
import { defaultCompactorThreads, IngestListenError, startLocalPipeline } from '../pipeline.js';
import { CommandError, integerOption, parseOptions, type Command } from '../usage.js';

export const devCommand: Command = {
  name: 'dev',
  summary: 'run the embedded local stack (S3 + SQS, no Docker)',
  help: `Usage: strata dev [--port 4566] [--ingest-port 8080] [--host 127.0.0.1] [--stage dev]
                  [--rules FILE] [--remote-write-url URL] [--tick-seconds 60]
                  [--compactor-threads N] [--merge-threads N] [--stack-only]

Runs the pipeline locally, with no Docker:
  - S3 and SQS endpoints (fauxqs, with conditional writes and bucket notifications added),
    with Strata's bucket, queues, dead-letter queues and the segments/ notification;
  - the ingest endpoint (Prometheus remote write /api/v1/push, Pyroscope /ingest, JSON
    /v1/samples);
  - the planner on the events queue and the compactor on the FIFO jobs queue, invoked as
    Lambda's SQS event source would (batches, partial failures, visibility, DLQ); each
    function in a thread of its own, the compactor's L0→L1 jobs spread over a few, its
    merges on threads of lower priority (nice 10 on Linux), so that on a busy machine the
    jobs compaction lag waits on come first;
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
  --compactor-threads N  threads the compactor's L0→L1 jobs are spread over
                         (default: one per core, at most 4; this machine: ${defaultCompactorThreads()})
  --merge-threads N      threads for the compactor's merges (level 2 and up), at a lower
                         priority (default 1)
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
      'compactor-threads': { type: 'string' },
      'merge-threads': { type: 'string' },
      'stack-only': { type: 'boolean' },
    });
    const port = integerOption('port', values.port, 4566, 0, 65535);
    const ingestPort = integerOption('ingest-port', values['ingest-port'], 8080, 0, 65535);
    const tickSeconds = integerOption('tick-seconds', values['tick-seconds'], 60, 1, 3600);
    const compactorThreads = integerOption('compactor-threads', values['compactor-threads'], defaultCompactorThreads(), 1, 64);
    const mergeThreads = integerOption('merge-threads', values['merge-threads'], 1, 1, 64);
    const host = values.host ?? '127.0.0.1';
    const logLevel = envSettings(process.env, (message) => new CommandError(message)).logLevel('STRATA_LOG_LEVEL') ?? 'info';
    const stackOnly = values['stack-only'] === true;
    let pipeline;
    try {
      pipeline = await startLocalPipeline({
        port,
        ingestPort,
        host,
        stage: values.stage ?? 'dev',
        tickSeconds,
        compactorThreads,
        mergeThreads,
        stackOnly,
        env: {
          ...process.env,
          ...(values.rules === undefined ? {} : { STRATA_RULES: resolve(values.rules) }),
          ...(values['remote-write-url'] === undefined ? {} : { STRATA_REMOTE_WRITE_URL: values['remote-write-url'] }),
        },
        log: { level: logLevel, write: (line) => process.stdout.write(line + '\n') },
      });
    } catch (error) {
      if (error instanceof EmbeddedStackStartError) {
        throw new CommandError(`${error.message}: is another stack (LocalStack, another strata dev) using it? Stop it or pass --port`);
      }
      if (error instanceof IngestListenError) throw new CommandError(`${error.message}; pass --ingest-port`);
      throw error;
    }
    const { resources, env } = pipeline;
    const devFile: DevFile = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoint: pipeline.endpoint,
      region: pipeline.region,
      bucket: resources.bucket,
      queues: {
        events: resources.eventsQueue,
        eventsDeadLetter: resources.eventsDeadLetterQueue,
        jobs: resources.jobsQueue,
        jobsDeadLetter: resources.jobsDeadLetterQueue,
      },
      env,
      ...(pipeline.ingestUrl === undefined ? {} : { ingestUrl: pipeline.ingestUrl }),
    };
    writeDevFile(devFile);
    io.out(`strata dev: S3 and SQS at ${pipeline.endpoint}
  bucket        ${resources.bucket}
  events queue  ${resources.eventsQueue.url}
  jobs queue    ${resources.jobsQueue.url}${pipeline.ingestUrl === undefined ? '' : `
  ingest        ${pipeline.ingestUrl}  (remote write: ${pipeline.ingestUrl}/api/v1/push)
  planner, compactor (${threadCount(compactorThreads)} for L0→L1 jobs, ${threadCount(mergeThreads)} for merges) and tick are running (tick every ${tickSeconds} s)`}
Point the AWS SDK or CLI at it with:
${Object.entries(env).map(([name, value]) => `  export ${name}=${value}`).join('\n')}
Written to ${devFilePath}. Try: strata segment build samples.ndjson && strata put *.seg
Press Ctrl-C to stop.`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await pipeline.stop();
    rmSync(devFilePath, { force: true });
    io.err('strata dev: stopped');
  },
};

function threadCount(count: number): string {
  return `${count} thread${count === 1 ? '' : 's'}`;
}
