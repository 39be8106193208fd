/**
 * Where the CLI finds the stack it talks to. `strata dev` writes `.strata/dev.json`; the other
 * commands read it, so that after `npm start` they work with no flags. Flags and environment
 * variables (STRATA_BUCKET, AWS_ENDPOINT_URL) take precedence, so the same commands work against
 * LocalStack or AWS.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { strataResources } from '../lib/aws/resources.js';
import { queueUrlByName } from '../lib/aws/sqs.js';
import { createS3Client, createSqsClient } from '../lib/aws/clients.js';
import { CommandError } from './usage.js';

export const devFilePath = resolve('.strata', 'dev.json');

/** The machine-readable description of a running `strata dev`. */
export interface DevFile {
  pid: number;
  startedAt: string;
  endpoint: string;
  region: string;
  bucket: string;
  queues: Record<'events' | 'eventsDeadLetter' | 'jobs' | 'jobsDeadLetter', { name: string; url: string; arn: string }>;
  /** The ingest endpoint; absent with --stack-only. */
  ingestUrl?: string;
  /** Environment variables that point the AWS SDK and CLI and Strata's commands at the stack. */
  env: Record<string, string>;
}

export function writeDevFile(file: DevFile, path = devFilePath): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
}

export function readDevFile(path = devFilePath): DevFile | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as DevFile;
}

export interface QueueTarget {
  sqs: SQSClient;
  /** Queue name → URL: the events and jobs queues and their dead-letter queues. */
  queues: Record<string, string>;
}

/** The SQS client and Strata's queues: from `.strata/dev.json`, or looked up by name for --stage. */
export async function resolveQueueTarget(flags: { endpoint?: string | undefined; stage?: string | undefined }, env = process.env): Promise<QueueTarget> {
  const dev = flags.stage === undefined ? readDevFile() : undefined;
  const endpoint = flags.endpoint ?? env.AWS_ENDPOINT_URL ?? dev?.endpoint;
  const sqs = createSqsClient(endpoint === undefined ? env : { ...env, AWS_ENDPOINT_URL: endpoint });
  if (dev !== undefined) return { sqs, queues: Object.fromEntries(Object.values(dev.queues).map((queue) => [queue.name, queue.url])) };
  const resources = strataResources(flags.stage ?? 'dev');
  const names = [resources.eventsQueue, resources.eventsDeadLetterQueue, resources.jobsQueue, resources.jobsDeadLetterQueue].map((queue) => queue.name);
  const queues: Record<string, string> = {};
  for (const name of names) {
    try {
      queues[name] = await queueUrlByName(sqs, name);
    } catch (error) {
      throw new CommandError(`cannot find queue ${name}: ${(error as Error).message} (is --stage right?)`);
    }
  }
  return { sqs, queues };
}

export interface StoreTarget {
  s3: S3Client;
  bucket: string;
}

/** The S3 client and bucket for a command: flags, then the environment, then `.strata/dev.json`. */
export function resolveStoreTarget(flags: { bucket?: string | undefined; endpoint?: string | undefined }, env = process.env): StoreTarget {
  const dev = readDevFile();
  const endpoint = flags.endpoint ?? env.AWS_ENDPOINT_URL ?? dev?.endpoint;
  const bucket = flags.bucket ?? env.STRATA_BUCKET ?? dev?.bucket;
  if (bucket === undefined) {
    throw new CommandError('no bucket: pass --bucket, set STRATA_BUCKET, or start the embedded stack with `npm start` first');
  }
  return { s3: createS3Client(endpoint === undefined ? env : { ...env, AWS_ENDPOINT_URL: endpoint }), bucket };
}
