/**
 * Lambda: the events queue's SQS event source (batched, ReportBatchItemFailures) → the planner.
 * Adapts the event, builds the dependencies once per container from the environment, and maps
 * the result to batchItemFailures. The local runner calls this very handler.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createS3Client, createSqsClient, type Env } from '../lib/aws/clients.js';
import { S3ObjectStore } from '../lib/aws/s3.js';
import { SqsMessageQueue } from '../lib/aws/sqs.js';
import { jsonLogger, type Logger } from '../lib/log/logger.js';
import { plannerConfigFromEnv } from '../lib/plan/config.js';
import { planSegmentEvents, type PlannerDeps } from '../lib/plan/planner.js';

export interface PlannerHandlerOptions {
  /** Default: process.env, read at the first invocation. */
  env?: Env;
  logger?: Logger;
}

export type PlannerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export function createPlannerHandler(options: PlannerHandlerOptions = {}): PlannerHandler {
  let deps: PlannerDeps | undefined;
  return async (event, context) => {
    deps ??= plannerDeps(options);
    const logger = deps.logger.child(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId });
    const { failedMessageIds } = await planSegmentEvents(
      { ...deps, logger },
      event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    );
    return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function plannerDeps(options: PlannerHandlerOptions): PlannerDeps {
  const env = options.env ?? process.env;
  const config = plannerConfigFromEnv(env);
  const logger = options.logger ?? jsonLogger({ level: config.logLevel, fields: { function: 'planner' } });
  return {
    store: new S3ObjectStore(createS3Client(env), config.bucket),
    jobs: new SqsMessageQueue(createSqsClient(env), config.jobsQueueUrl),
    logger,
    limits: config.limits,
    cas: { maxAttempts: config.maxStateAttempts },
  };
}

export const handler: PlannerHandler = createPlannerHandler();
