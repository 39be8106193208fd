/**
 * Lambda: the FIFO jobs queue's SQS event source → one compaction job per message.
 *
 * Messages of a batch are processed in order. A FIFO event source needs the first failure and
 * every message after it reported in batchItemFailures, so that later jobs of a shard never run
 * ahead of an earlier one that failed. The local runner calls this very handler.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Env } from '../lib/aws/clients.js';
import { compactJob, type CompactorDeps } from '../lib/compact/job.js';
import type { Logger } from '../lib/log/logger.js';
import { parseJobMessage } from '../lib/plan/dispatch.js';
import { pipelineDeps } from './deps.js';

export interface CompactorHandlerOptions {
  /** Default: process.env, read at the first invocation. */
  env?: Env;
  logger?: Logger;
  /** Replaces everything built from the environment (tests and the chaos harness inject their own). */
  deps?: CompactorDeps;
}

export type CompactorHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export function createCompactorHandler(options: CompactorHandlerOptions = {}): CompactorHandler {
  let deps: CompactorDeps | undefined;
  return async (event, context) => {
    deps ??= options.deps ?? compactorDeps(options);
    const logger = deps.logger.child(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId });
    const failed: string[] = [];
    for (const record of event.Records) {
      if (failed.length > 0) {
        failed.push(record.messageId);
        continue;
      }
      try {
        const message = parseJobMessage(record.body);
        const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
        const result = await compactJob({ ...deps, logger }, { tenant: message.tenant, shard: message.shard, jobId: message.jobId, receiveCount });
        logger.info('job done', { tenant: message.tenant, shard: message.shard, jobId: message.jobId, ...result });
      } catch (error) {
        logger.error('job failed; SQS will retry it', { messageId: record.messageId, error });
        failed.push(record.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** What the handler builds from its environment; harnesses that wrap compactJob build the same. */
export function compactorDeps(options: Pick<CompactorHandlerOptions, 'env' | 'logger'>): CompactorDeps {
  const { config, ...deps } = pipelineDeps(options.env ?? process.env, 'compactor', options.logger);
  return { ...deps, cleanupDelayMs: config.cleanupDelayMs };
}

export const handler: CompactorHandler = createCompactorHandler();
