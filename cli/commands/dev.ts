/** `strata dev`: the embedded stack, bootstrapped with Strata's resources, until Ctrl-C. */
import { rmSync } from 'node:fs';
import { strataResources } from '../../lib/aws/resources.js';
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { bootstrapResources } from '../../lib/local/bootstrap.js';
import { EmbeddedStackStartError, startEmbeddedStack } from '../../lib/local/stack.js';
import { devFilePath, writeDevFile, type DevFile } from '../context.js';
import { CommandError, integerOption, parseOptions, type Command } from '../usage.js';

export const devCommand: Command = {
  name: 'dev',
  summary: 'run the embedded local stack (S3 + SQS, no Docker)',
  help: `Usage: strata dev [--port 4566] [--host 127.0.0.1] [--stage dev]

Starts in-process S3 and SQS endpoints (fauxqs, with conditional writes and bucket
notifications added), creates Strata's bucket, queues, dead-letter queues and the
segments/ notification, prints the environment that points the AWS SDK and CLI at it,
and writes it all to .strata/dev.json for the other strata commands. Runs until Ctrl-C.

Options:
  --port N      port for S3 and SQS (default 4566, the same as LocalStack's)
  --host ADDR   interface to listen on (default 127.0.0.1)
  --stage NAME  resource name prefix strata-<stage>-… (default dev)`,
  async run(args, io) {
    const { values } = parseOptions(args, { port: { type: 'string' }, host: { type: 'string' }, stage: { type: 'string' } });
    const port = integerOption('port', values.port, 4566, 0, 65535);
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
    const clientEnv = { ...process.env, ...env };
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
    writeDevFile(devFile);
    io.out(`strata dev: S3 and SQS at ${stack.endpoint}
  bucket        ${resources.bucket}
  events queue  ${resources.eventsQueue.url}
  jobs queue    ${resources.jobsQueue.url}
Point the AWS SDK or CLI at it with:
${Object.entries(env).map(([name, value]) => `  export ${name}=${value}`).join('\n')}
Written to ${devFilePath}. Try: strata segment build samples.ndjson && strata put *.seg
Press Ctrl-C to stop.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await stack.stop();
    rmSync(devFilePath, { force: true });
    io.err('strata dev: stopped');
  },
};
